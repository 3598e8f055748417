//! Catching an N+1 query pattern with call counts.
//!
//! `get_users` fetches each user's row with its own query: one query per user, the classic
//! N+1. The profile shows it at once in the callers table (847 calls of `fetch_row` from one
//! call of `get_users`), and a test turns it into a failure with
//! `expect("fetch_row").at_most_per_call_of("get_users", 1)`. The batched version passes.
//!
//! Run: `cargo run --release --example n_plus_one`

use std::panic;
use std::time::{Duration, Instant};

use profkit::profile;

/// A stand-in for a database round trip: about 2 µs of waiting.
fn round_trip() {
    let start = Instant::now();
    while start.elapsed() < Duration::from_micros(2) {
        std::hint::spin_loop();
    }
}

#[profile]
fn fetch_row(id: u64) -> String {
    round_trip();
    format!("user-{id}")
}

#[profile]
fn fetch_rows(ids: &[u64]) -> Vec<String> {
    round_trip();
    ids.iter().map(|id| format!("user-{id}")).collect()
}

#[profile]
fn get_users(ids: &[u64]) -> Vec<String> {
    ids.iter().map(|&id| fetch_row(id)).collect()
}

#[profile]
fn get_users_batched(ids: &[u64]) -> Vec<String> {
    fetch_rows(ids)
}

fn main() {
    let ids: Vec<u64> = (0..847).collect();

    let (users, report) = profkit::record(|| get_users(&ids));
    println!("get_users: {} users\n", users.len());
    print!("{}", report.stats().callers());

    // What a test would assert. It fails here, and says why:
    panic::set_hook(Box::new(|_| {}));
    let caught = panic::catch_unwind(|| {
        report
            .expect("fetch_row")
            .at_most_per_call_of("get_users", 1);
    });
    let _ = panic::take_hook();
    match caught {
        Err(message) => println!(
            "The N+1 check fails:\n{}",
            message.downcast_ref::<String>().map_or("", String::as_str)
        ),
        Ok(()) => unreachable!("847 queries for one request is an N+1 pattern"),
    }

    let (batched, report) = profkit::record(|| get_users_batched(&ids));
    assert_eq!(batched, users);
    report
        .expect("fetch_rows")
        .calls(1)
        .at_most_per_call_of("get_users_batched", 1);
    report.expect_not_called("fetch_row");
    let (slow, fast) = (
        profkit::report().function("get_users").map(|f| f.cumtime()),
        report.function("get_users_batched").map(|f| f.cumtime()),
    );
    println!(
        "The batched version passes: one query per request ({:?} instead of {:?}).",
        fast.unwrap_or_default(),
        slow.unwrap_or_default()
    );
}
