//! A program for `tests/exit.rs` and `tests/signals.rs`: it records calls on the main thread, on
//! a thread that ends and on a thread still running at exit, prints its result, then, as its
//! first argument says, returns from `main` (`return`), calls `std::process::exit(3)` (`exit`),
//! or prints `ready` and waits to be killed by a signal (`wait`; `wait-api` calls
//! `profkit::report_on_signals()` first).

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

#[profkit::profile]
fn work(i: u64) -> u64 {
    i * 2
}

#[profkit::profile]
fn background(i: u64) -> u64 {
    i + 1
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let mut total: u64 = (0..3).map(work).sum();
    total += thread::spawn(|| (0..2).map(work).sum::<u64>())
        .join()
        .unwrap();

    let (ready_tx, ready_rx) = mpsc::channel();
    thread::spawn(move || {
        let n: u64 = (0..4).map(background).sum();
        ready_tx.send(n).unwrap();
        loop {
            thread::sleep(Duration::from_secs(60));
        }
    });
    total += ready_rx.recv().unwrap();
    println!("result {total}");
    match mode.as_str() {
        "exit" => std::process::exit(3),
        "wait" | "wait-api" => {
            if mode == "wait-api" {
                profkit::report_on_signals().expect("the handlers install");
            }
            println!("ready");
            loop {
                thread::park();
            }
        }
        _ => {}
    }
}
