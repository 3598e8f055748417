//! Where did the memory go? A word count over a log allocates far more than it needs; the
//! memory table and an allocation budget find where, and the fix is checked the same way.
//!
//! `count_words` lower-cases every word into a new `String` and collects each line's words
//! into a new `Vec`: ten allocations a line, for a map that ends with 500 keys. `render` formats
//! every entry into its own `String` before joining them, after a stable sort that allocates
//! a scratch buffer. The fixed versions reuse one buffer and allocate only for words the map
//! has not seen, and write into one `String` sized first.
//!
//! Run: `cargo run --release --example memory`

use std::collections::HashMap;
use std::fmt::Write as _;
use std::panic;
use std::time::Instant;

// Every allocation goes through profkit, which charges it to the profiled call making it.
#[global_allocator]
static ALLOC: profkit::Alloc = profkit::Alloc::system();

const LINES: usize = 20_000;

/// A log: 8 words a line, from a vocabulary of 500 (some capitalised).
fn load_log() -> Vec<String> {
    (0..LINES)
        .map(|i| {
            (0..8)
                .map(|j| {
                    let w = (i * 7 + j * 131) % 500;
                    if w % 5 == 0 {
                        format!("Word{w}")
                    } else {
                        format!("word{w}")
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

mod slow {
    use super::*;

    #[profkit::profile]
    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_lowercase).collect()
    }

    #[profkit::profile]
    pub(crate) fn count_words(lines: &[String]) -> HashMap<String, u32> {
        let mut counts = HashMap::new();
        for line in lines {
            for word in words(line) {
                *counts.entry(word).or_insert(0) += 1;
            }
        }
        counts
    }

    #[profkit::profile]
    pub(crate) fn render(counts: &HashMap<String, u32>) -> String {
        let mut entries: Vec<(&String, &u32)> = counts.iter().collect();
        entries.sort();
        let lines: Vec<String> = entries.iter().map(|(w, n)| format!("{w}: {n}")).collect();
        lines.join("\n")
    }
}

mod fixed {
    use super::*;

    #[profkit::profile]
    pub(crate) fn count_words(lines: &[String]) -> HashMap<String, u32> {
        let mut counts: HashMap<String, u32> = HashMap::new();
        let mut word = String::new();
        for line in lines {
            for w in line.split_whitespace() {
                word.clear();
                word.push_str(w);
                word.make_ascii_lowercase();
                match counts.get_mut(word.as_str()) {
                    Some(n) => *n += 1,
                    // Only a word the map has not seen costs an allocation.
                    None => {
                        counts.insert(word.clone(), 1);
                    }
                }
            }
        }
        counts
    }

    #[profkit::profile]
    pub(crate) fn render(counts: &HashMap<String, u32>) -> String {
        let mut entries: Vec<(&String, &u32)> = counts.iter().collect();
        entries.sort_unstable(); // no scratch buffer (keys are unique: the same order)
        let len: usize = entries.iter().map(|(w, _)| w.len() + 12).sum();
        let mut out = String::with_capacity(len);
        for (w, n) in entries {
            if !out.is_empty() {
                out.push('\n');
            }
            let _ = write!(out, "{w}: {n}");
        }
        out
    }
}

/// A function's cumulative allocations and bytes in `report`.
fn figures(report: &profkit::Report, name: &str) -> (u64, u64) {
    let m = report
        .function(name)
        .ok()
        .and_then(|f| f.memory())
        .copied()
        .unwrap_or_default();
    (m.cum_allocs(), m.cum_bytes())
}

fn main() {
    let log = load_log();

    let start = Instant::now();
    let (slow_text, before) = profkit::record(|| slow::render(&slow::count_words(&log)));
    let slow_time = start.elapsed();
    println!("Before: the memory table of one word count over {LINES} lines\n");
    println!("{}", before.memory().limit(5));

    // A budget of 1,000 allocations for the whole count (500 words end up in the map) fails,
    // and names the call path below count_words that allocated most.
    panic::set_hook(Box::new(|_| {}));
    let caught = panic::catch_unwind(|| {
        before.expect("slow::count_words").allocates_at_most(1_000);
    });
    let _ = panic::take_hook();
    match caught {
        Err(message) => println!(
            "The allocation budget fails:\n{}\n",
            message.downcast_ref::<String>().map_or("", String::as_str)
        ),
        Ok(()) => println!("count_words met its allocation budget\n"),
    }

    let start = Instant::now();
    let (fixed_text, after) = profkit::record(|| fixed::render(&fixed::count_words(&log)));
    let fixed_time = start.elapsed();
    assert_eq!(slow_text, fixed_text, "the same result");
    println!("After: one buffer reused, one String sized first\n");
    println!("{}", after.memory().limit(5));
    // The budgets that now hold: a test would keep them.
    after.expect("fixed::count_words").allocates_at_most(1_000);
    after.expect("fixed::render").allocates_at_most(2);

    for (what, slow_name, fixed_name) in [
        ("count_words", "slow::count_words", "fixed::count_words"),
        ("render", "slow::render", "fixed::render"),
    ] {
        let (a0, b0) = figures(&before, slow_name);
        let (a1, b1) = figures(&after, fixed_name);
        println!(
            "{what}: {a0} allocations of {:.0} KiB -> {a1} of {:.0} KiB",
            b0 as f64 / 1024.0,
            b1 as f64 / 1024.0
        );
    }
    println!(
        "wall time of the whole count: {:.1} ms -> {:.1} ms",
        slow_time.as_secs_f64() * 1e3,
        fixed_time.as_secs_f64() * 1e3
    );
}
