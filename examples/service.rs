//! A service profiled while it runs (cargo feature `http`): `profkit::serve` answers
//! `go tool pprof http://ADDR/debug/pprof/profile?seconds=5`, Prometheus' scrapes of
//! `/metrics` and a browser at `/`, while worker threads handle requests.
//!
//! `cargo run --release --example service --features http` handles a few thousand requests,
//! prints the head of its own `/metrics` and exits; with `SERVE_FOR=60` it keeps serving (on
//! `PROFKIT_HTTP_ADDR`, default `127.0.0.1:6060`) for 60 seconds, for `go tool pprof` and a
//! browser.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use profkit::profile;

#[profile]
fn parse(request: u64) -> Vec<u64> {
    (0..64)
        .map(|i| request.wrapping_mul(31).wrapping_add(i))
        .collect()
}

#[profile]
fn query_db(keys: &[u64]) -> u64 {
    keys.iter()
        .fold(0u64, |acc, k| acc.wrapping_mul(1_000_003) ^ k)
}

#[profile]
fn render(value: u64) -> String {
    format!("{{\"value\":{value}}}")
}

#[profile]
fn handle_request(request: u64) -> usize {
    let keys = parse(request);
    let value = query_db(&keys);
    render(value).len()
}

fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("the server answers");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

fn main() {
    let serve_for = std::env::var("SERVE_FOR")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs);
    let addr = match serve_for {
        Some(_) => std::env::var("PROFKIT_HTTP_ADDR").unwrap_or_else(|_| "127.0.0.1:6060".into()),
        None => "127.0.0.1:0".into(),
    };
    let server = match profkit::serve(addr.as_str()) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("service: no profile server: {e}");
            std::process::exit(1);
        }
    };
    println!("profiles at http://{}/debug/pprof/", server.addr());

    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name(format!("worker-{w}"))
                .spawn(move || {
                    let mut handled = 0u64;
                    while !stop.load(Ordering::Relaxed) && (serve_for.is_some() || handled < 5_000)
                    {
                        handle_request(handled);
                        handled += 1;
                    }
                    handled
                })
                .unwrap()
        })
        .collect();
    if let Some(time) = serve_for {
        let start = Instant::now();
        while start.elapsed() < time {
            std::thread::sleep(Duration::from_millis(100));
        }
        stop.store(true, Ordering::Relaxed);
    }
    let handled: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    println!("handled {handled} requests; the head of /metrics:");
    let metrics = get(server.addr(), "/metrics");
    for line in metrics.lines().take(12) {
        println!("{line}");
    }
    // Exactly the requests handled, as Prometheus reads them.
    let calls =
        format!("profkit_function_calls_total{{function=\"service::handle_request\"}} {handled}");
    assert!(metrics.contains(&calls), "{metrics}");
}
