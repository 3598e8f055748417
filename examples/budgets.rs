//! Latency budgets: p50 and p99 per function, checked the way a test would check them.
//!
//! A request handler parses, validates and stores. One request in fifty hits a slow path in
//! `store`; its median stays fast but its p99 does not, which a mean or a total would hide. The
//! latency table shows it, and `p99_below` turns it into a test failure.
//!
//! Run: `cargo run --release --example budgets`

use std::panic;
use std::time::{Duration, Instant};

use profkit::profile;

fn work(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

#[profile]
fn parse(i: u64) -> u64 {
    work(Duration::from_micros(5));
    i
}

#[profile]
fn validate(i: u64) -> bool {
    work(Duration::from_micros(3));
    !i.is_multiple_of(7)
}

#[profile]
fn store(i: u64) {
    // One request in fifty takes the slow path.
    let d = if i.is_multiple_of(50) { 400 } else { 10 };
    work(Duration::from_micros(d));
}

#[profile]
fn handle_request(i: u64) {
    let v = parse(i);
    if validate(v) {
        store(v);
    }
}

fn main() {
    let (_, report) = profkit::record(|| {
        for i in 0..2_000 {
            handle_request(i);
        }
    });
    println!("{}", report.latency());
    print!("{}", report.tree());
    println!();

    // Budgets that hold:
    report
        .expect("parse")
        .p99_below(Duration::from_micros(500))
        .calls(2_000);
    report.expect("store").p50_below(Duration::from_micros(200));

    // And one that does not: the slow path puts store's p99 over 100 µs.
    panic::set_hook(Box::new(|_| {}));
    let caught = panic::catch_unwind(|| {
        report.expect("store").p99_below(Duration::from_micros(100));
    });
    let _ = panic::take_hook();
    match caught {
        Err(message) => println!(
            "The p99 budget of store fails:\n{}",
            message.downcast_ref::<String>().map_or("", String::as_str)
        ),
        Ok(()) => println!("store met its p99 budget (the slow path did not show)"),
    }
}
