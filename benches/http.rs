//! The profile server's costs (`profkit::serve`, feature `http`): the time of a scrape of a
//! process with 10,000 profiled functions (`/metrics`, the pprof of the run, the page), and,
//! printed under `cargo bench --bench http`, the worst pause a recording thread sees between
//! two of its calls while `/metrics` is scraped every 100 ms, beside the worst pause without
//! scrapes.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use profkit::__private::{CallSite, enter};

const FUNCTIONS: usize = 10_000;

/// 10,000 functions called once each (sites made at run time, as the macro's are at compile
/// time), and a server over them.
static SERVER: LazyLock<profkit::Server> = LazyLock::new(|| {
    for i in 0..FUNCTIONS {
        let name: &'static str = Box::leak(format!("app::module_{}::function_{i}", i / 100).into());
        let site: &'static CallSite = Box::leak(Box::new(CallSite::named(name, "src/app.rs", 1)));
        drop(enter(site));
    }
    profkit::serve("127.0.0.1:0").unwrap()
});

fn scrape(addr: SocketAddr, path: &str) -> usize {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut body = Vec::new();
    stream.read_to_end(&mut body).unwrap();
    assert!(body.starts_with(b"HTTP/1.1 200"), "{path}");
    body.len()
}

#[divan::bench(sample_count = 10)]
fn metrics_10k_functions() -> usize {
    scrape(SERVER.addr(), "/metrics")
}

#[divan::bench(sample_count = 10)]
fn pprof_of_the_run_10k_functions() -> usize {
    scrape(SERVER.addr(), "/debug/profkit/report?format=pprof")
}

#[divan::bench(sample_count = 10)]
fn page_10k_functions() -> usize {
    scrape(SERVER.addr(), "/")
}

#[profkit::profile]
fn recorded_call(n: u64) -> u64 {
    n.wrapping_mul(0x9e37_79b9)
}

/// The longest gap between two consecutive calls of a recording thread over `run`, with or
/// without a scrape of `/metrics` every 100 ms meanwhile.
fn worst_gap(run: Duration, scraping: bool) -> (Duration, usize) {
    let addr = SERVER.addr();
    let done = Arc::new(AtomicBool::new(false));
    let scraper = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut scrapes = 0;
            while scraping && !done.load(Ordering::Relaxed) {
                scrape(addr, "/metrics");
                scrapes += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            scrapes
        })
    };
    let start = Instant::now();
    let mut last = start;
    let mut worst = Duration::ZERO;
    let mut n = 0u64;
    while last - start < run {
        n = n.wrapping_add(recorded_call(n));
        let now = Instant::now();
        worst = worst.max(now - last);
        last = now;
    }
    done.store(true, Ordering::Relaxed);
    std::hint::black_box(n);
    (worst, scraper.join().unwrap())
}

fn main() {
    if std::env::args().any(|a| a == "--bench") {
        let _ = &*SERVER;
        let (quiet, _) = worst_gap(Duration::from_secs(3), false);
        let (busy, scrapes) = worst_gap(Duration::from_secs(3), true);
        println!(
            "{FUNCTIONS} functions: worst gap between two calls of a recording thread over 3 s: \
             {quiet:?} without scrapes, {busy:?} with {scrapes} scrapes of /metrics (every 100 ms)"
        );
    }
    divan::main();
}
