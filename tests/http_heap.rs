//! The profile server's memory endpoints with the allocator wrapper installed (this binary's
//! global allocator, which is why they are apart from tests/http.rs, whose binary has none and
//! checks their 404): `/debug/pprof/heap` and `/debug/pprof/allocs` serve a gzipped pprof that
//! the real `go tool pprof` reads, with each path's live blocks exact.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

mod common;
use common::pprof::{go, pprof, top};

#[global_allocator]
static ALLOC: profkit::Alloc = profkit::Alloc::system();

/// Blocks kept for good by `keep`.
static KEPT: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

#[profkit::profile]
fn keep(blocks: usize) {
    let mut kept = KEPT.lock().unwrap();
    for _ in 0..blocks {
        kept.push(vec![7; 1000]);
    }
}

fn get(addr: SocketAddr, path: &str) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let status = String::from_utf8_lossy(&raw[9..12]).parse().unwrap();
    let body = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(Vec::new(), |i| raw[i + 4..].to_vec());
    (status, body)
}

#[test]
fn the_heap_endpoints_serve_live_and_allocated_blocks_by_path() {
    // Room for every block first, outside profiled calls, so `keep` allocates only its blocks.
    KEPT.lock().unwrap().reserve(64);
    keep(40);
    let server = profkit::serve("127.0.0.1:0").unwrap();
    for path in ["/debug/pprof/heap", "/debug/pprof/allocs"] {
        let (status, body) = get(server.addr(), path);
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
        assert_eq!(&body[..2], &[0x1f, 0x8b], "{path}: gzipped pprof");
    }
    let Some(go) = go() else {
        return;
    };
    let url = format!("http://{}/debug/pprof/heap", server.addr());
    let live = pprof(
        go,
        &["-top", "-sample_index=inuse_objects", "-nodecount=1000"],
        Path::new(&url),
    );
    let (rows, _) = top(&live, "");
    let (flat, _) = rows
        .iter()
        .find(|(name, _)| name.ends_with("http_heap::keep"))
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("keep in the heap profile:\n{live}"));
    // The 40 blocks `keep` allocated are all still held.
    assert_eq!(flat, 40, "{live}");
    let url = format!("http://{}/debug/pprof/allocs", server.addr());
    let allocated = pprof(
        go,
        &["-top", "-sample_index=alloc_objects", "-nodecount=1000"],
        Path::new(&url),
    );
    let (rows, _) = top(&allocated, "");
    assert!(
        rows.iter()
            .any(|(name, (flat, _))| name.ends_with("http_heap::keep") && *flat == 40),
        "{allocated}"
    );
}
