//! The test API: assertions that read well and, when they fail, say why with the rows that
//! matter; an unknown or ambiguous name fails the test with the close matches.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use profkit::testing::{TestClock, advance};
use profkit::{Report, profile};

mod db {
    use super::*;
    #[profile]
    pub fn fetch_row(id: u64) -> u64 {
        advance(Duration::from_micros(100));
        id
    }
    #[profile]
    pub fn fetch_rows(ids: &[u64]) -> Vec<u64> {
        advance(Duration::from_micros(150));
        ids.to_vec()
    }
}

mod users {
    use super::*;
    /// N+1: one query per user.
    #[profile]
    pub fn get_users(ids: &[u64]) -> Vec<u64> {
        ids.iter().map(|&id| db::fetch_row(id)).collect()
    }
    /// One query per request.
    #[profile]
    pub fn get_users_batched(ids: &[u64]) -> Vec<u64> {
        db::fetch_rows(ids)
    }
}

fn run(f: impl FnOnce()) -> Report {
    let _clock = TestClock::install().unwrap();
    profkit::record(f).1
}

/// The panic message of `f`, which must panic.
fn failure(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("the assertion should fail");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap()
}

#[test]
fn the_n_plus_one_detector_passes_for_batched_queries_and_fails_for_n_plus_one() {
    let ids: Vec<u64> = (0..847).collect();
    let batched = run(|| {
        users::get_users_batched(&ids);
        users::get_users_batched(&ids);
    });
    batched
        .expect("fetch_rows")
        .calls(2)
        .at_most_per_call_of("get_users_batched", 1)
        .called_by("get_users_batched");
    batched.expect_not_called("fetch_row");

    let n_plus_one = run(|| {
        users::get_users(&ids);
    });
    let msg = failure(|| {
        n_plus_one
            .expect("fetch_row")
            .at_most_per_call_of("get_users", 1);
    });
    assert!(
        msg.starts_with(
            "profkit: `assertions::db::fetch_row` was called 847 times from \
             `assertions::users::get_users`, which was called 1 times: 847.0 per call, \
             at most 1 expected (an N+1 pattern?)\n"
        ),
        "{msg}"
    );
    // The rows that explain it: the function, and its caller with the edge's counts.
    assert!(msg.contains("  assertions::db::fetch_row "), "{msg}");
    assert!(msg.contains("  <- assertions::users::get_users "), "{msg}");
    assert!(msg.contains("(caller, called 1 times)"), "{msg}");
    let msg = failure(|| {
        n_plus_one.expect_not_called("fetch_row");
    });
    assert!(
        msg.contains("was expected never to be called, but was"),
        "{msg}"
    );
}

#[test]
fn latency_budgets() {
    let report = run(|| {
        for _ in 0..99 {
            db::fetch_row(1);
        }
        db::fetch_rows(&[1]);
    });
    report
        .expect("fetch_row")
        .p50_below(Duration::from_micros(110))
        .p99_below(Duration::from_micros(110))
        .max_below(Duration::from_micros(110))
        .percentile_below(99.9, Duration::from_micros(110))
        .cumtime_below(Duration::from_millis(10));
    let msg = failure(|| {
        report
            .expect("fetch_rows")
            .p99_below(Duration::from_micros(100));
    });
    assert!(
        // 150 µs, within the distribution's documented precision (1.6%).
        msg.starts_with("profkit: `assertions::db::fetch_rows`: p99 latency is 15"),
        "{msg}"
    );
    assert!(msg.contains("over the budget of 100µs"), "{msg}");
    let msg = failure(|| {
        report
            .expect("fetch_row")
            .cumtime_below(Duration::from_millis(1));
    });
    assert!(
        msg.contains("cumulative time 9.9ms, over the budget of 1ms"),
        "{msg}"
    );
}

#[test]
fn call_counts_and_callers() {
    let report = run(|| {
        users::get_users(&[1, 2, 3]);
        users::get_users_batched(&[9]);
    });
    report
        .expect("fetch_row")
        .calls(3)
        .calls_at_most(3)
        .calls_at_least(3)
        .called_by("get_users")
        .not_called_by("get_users_batched");
    let f = report.expect("fetch_row").stats();
    assert_eq!(f.ncalls(), 3);
    for (msg, want) in [
        (
            failure(|| {
                report.expect("fetch_row").calls(4);
            }),
            "was called 3 times, expected 4",
        ),
        (
            failure(|| {
                report.expect("fetch_row").calls_at_most(2);
            }),
            "was called 3 times, at most 2 expected",
        ),
        (
            failure(|| {
                report.expect("fetch_row").calls_at_least(4);
            }),
            "was called 3 times, at least 4 expected",
        ),
        (
            failure(|| {
                report.expect("fetch_row").called_by("get_users_batched");
            }),
            "was expected to be called by `get_users_batched`",
        ),
        (
            failure(|| {
                report.expect("fetch_row").not_called_by("get_users");
            }),
            "was called 3 times by `get_users`, expected never",
        ),
    ] {
        assert!(msg.contains(want), "{msg}");
    }
}

#[test]
fn unknown_and_ambiguous_names_fail_with_the_close_matches() {
    let report = run(|| {
        users::get_users(&[1]);
        users::get_users_batched(&[1]);
    });
    let msg = failure(|| {
        report.expect("fetch_rowz");
    });
    assert_eq!(
        msg,
        "profkit: no profiled function named `fetch_rowz` in this report; close matches: \
         assertions::db::fetch_row, assertions::db::fetch_rows"
    );
    let msg = failure(|| {
        report
            .expect("fetch_row")
            .at_most_per_call_of("get_user", 1);
    });
    assert!(
        msg.contains("close matches: assertions::users::get_users"),
        "{msg}"
    );
    // A recording of several modules with the same function name.
    let msg = failure(|| {
        report.expect("users");
    });
    assert!(
        msg.starts_with("profkit: no profiled function named `users`"),
        "{msg}"
    );
}

#[test]
fn two_functions_with_one_name_are_ambiguous_and_caller_names_must_resolve() {
    let report = run(|| {
        profkit::profile_scope!("parse");
        users::get_users(&[1]);
        for _ in 0..2 {
            profkit::profile_scope!("parse");
        }
    });
    let msg = failure(|| {
        report.expect("parse").calls(1);
    });
    assert!(
        msg.starts_with("profkit: `parse` names 2 functions; use one of: tests/assertions.rs:"),
        "{msg}"
    );
    let msg = failure(|| {
        report.expect("fetch_row").not_called_by("get_usres");
    });
    assert!(
        msg.contains("close matches: assertions::users::get_users"),
        "{msg}"
    );
    let msg = failure(|| {
        report.expect("fetch_row").called_by("get_usres");
    });
    assert!(
        msg.contains("was expected to be called by `get_usres` (no profiled function"),
        "{msg}"
    );
    assert!(
        msg.contains("close matches: assertions::users::get_users"),
        "{msg}"
    );
}
