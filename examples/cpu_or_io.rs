//! "Is this CPU-bound or I/O-bound?": a request handler that waits on a slow query and then
//! formats the rows in a CPU loop, profiled with CPU time beside wall time, so that the report
//! says which part waits.
//!
//! Run it with `cargo run --release --example cpu_or_io`; `PROFKIT_CPU=1` does what
//! `profkit::set_cpu(true)` does here, for a program you do not change.

use std::fmt::Write;
use std::time::Duration;

/// The slow "query": the database does the work, this thread waits for it.
#[profkit::profile]
fn query(id: u64) -> Vec<u64> {
    std::thread::sleep(Duration::from_millis(40));
    (0..2_000).map(|i| i * id).collect()
}

/// Formats the rows: all CPU.
#[profkit::profile]
fn format_rows(rows: &[u64]) -> String {
    let mut out = String::new();
    for pass in 0..40u64 {
        out.clear();
        for (i, r) in rows.iter().enumerate() {
            let _ = writeln!(out, "{i:>6} | {:>20} | {:>12.3}", r ^ pass, *r as f64 / 7.0);
        }
    }
    out
}

#[profkit::profile]
fn handle(id: u64) -> usize {
    let rows = query(id);
    format_rows(&rows).len()
}

fn main() {
    profkit::set_cpu(true);
    let (bytes, report) = profkit::record(|| (1..=5).map(handle).sum::<usize>());
    println!("{bytes} bytes of response\n");
    print!("{report}");
    for name in ["handle", "query", "format_rows"] {
        let f = report.function(name).expect("profiled");
        let (Some(cpu), Some(wait), Some(verdict)) = (f.cum_cpu_time(), f.wait_time(), f.verdict())
        else {
            println!("{name}: CPU time was not recorded on this platform");
            continue;
        };
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{name:<12} {:>7.1} ms wall = {:>6.1} ms CPU + {:>6.1} ms waiting: {}",
            ms(f.cumtime()),
            ms(cpu),
            ms(wait),
            match verdict {
                "cpu" => "CPU-bound",
                "waits" => "waits (I/O-bound)",
                _ => "mixed",
            }
        );
    }
}
