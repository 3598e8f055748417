//! A service already instrumented with `tracing`, profiled by profkit without a change to its
//! code: `ProfkitLayer` in the subscriber turns every span into a call, so the pstats table,
//! callers, percentiles, budgets, what-if estimates and files work on `#[tracing::instrument]`.
//!
//! Each request loads its user's orders one query at a time (an N+1), renders them, and awaits
//! an avatar fetch. The table says where the time goes; Amdahl's ceiling says which function is
//! worth the work.
//!
//! Run: `cargo run --release --example tracing_service --features tracing`
//! (`PROFKIT_OUT=profile.pb.gz` also writes a pprof file for `go tool pprof`.)

use std::time::{Duration, Instant};

use tracing::instrument;
use tracing_subscriber::layer::SubscriberExt;

/// Spins for `micros` microseconds: a stand-in for work.
fn busy(micros: u64) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_micros(micros) {
        std::hint::spin_loop();
    }
}

mod db {
    use super::*;

    #[instrument]
    pub(crate) fn get_order(id: u64) -> u64 {
        busy(4); // one round trip per order
        id * 3
    }

    #[instrument]
    pub(crate) fn get_user(id: u64) -> u64 {
        busy(6);
        id
    }
}

#[instrument(skip(orders))]
fn render(orders: &[u64]) -> String {
    busy(10);
    format!("{} orders", orders.len())
}

#[instrument]
async fn fetch_avatar(user: u64) -> u64 {
    // Waiting is not busy time: the span's polls are, and its wall time is in futures().
    tokio::time::sleep(Duration::from_micros(200)).await;
    busy(3);
    user
}

#[instrument]
async fn handle_request(user: u64) -> String {
    let id = db::get_user(user);
    let orders: Vec<u64> = (0..20).map(db::get_order).collect();
    let avatar = fetch_avatar(id).await;
    format!("{} for user {avatar}", render(&orders))
}

fn main() {
    // A real service would add its fmt or OpenTelemetry layers here too.
    let subscriber = tracing_subscriber::registry().with(profkit::tracing::ProfkitLayer::new());
    tracing::subscriber::set_global_default(subscriber).expect("the first subscriber");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        for user in 0..100 {
            handle_request(user).await;
        }
    });

    let report = profkit::report();
    print!("{}", report.stats().what_if());
    let get_order = report.function("get_order").expect("get_order ran");
    let per_request = get_order.ncalls() / report.function("handle_request").unwrap().ncalls();
    let speedup = report
        .what_if("get_order", 20.0)
        .expect("a positive factor");
    println!(
        "get_order: {per_request} queries per request; batched into one (20x fewer round \
         trips), the service would run {speedup:.2}x faster."
    );
    let avatar = report.function("fetch_avatar").unwrap();
    let futures = avatar.futures().expect("an async span");
    println!(
        "fetch_avatar: {:.1} ms busy in {} polls, {:.1} ms from first poll to close.",
        avatar.cumtime().as_secs_f64() * 1e3,
        futures.polls(),
        futures.wall_time().as_secs_f64() * 1e3,
    );
}
