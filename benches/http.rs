//! The profile server's costs (`profkit::serve`, feature `http`): the time of a scrape of a
//! process with 10,000 profiled functions (`/metrics`, the pprof of the run, the page), and,
//! printed first under `cargo bench -p profkit-suite --bench http`, the worst pause a recording thread sees
//! between two of its calls while `/metrics` is scraped every 100 ms, beside the same without
//! scrapes and with a plain thread as busy as a scrape (interleaved rounds).

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

/// What one round of the stall measurement saw.
struct Round {
    /// The longest gap between two consecutive calls of the recording thread.
    worst: Duration,
    /// Gaps of 1 ms or more (the scheduler's, or a wait on the server).
    over_1ms: u64,
    /// How long each scrape took, from connecting to the last byte.
    scrapes: Vec<Duration>,
}

/// What happens beside the recording thread during a round.
#[derive(Clone, Copy)]
enum Beside {
    Nothing,
    /// A scrape of `/metrics` every 100 ms.
    Scrapes,
    /// A plain thread that spins this long every 100 ms, as a scrape keeps a core busy, with
    /// no profkit in it: the control that tells a wait on the server from a lost core.
    Spins(Duration),
}

/// One round: the recording thread (this one, whose 10,000 paths every scrape reads) calls a
/// profiled function in a loop for `run`, timing the gap between consecutive calls, while
/// another thread does `beside`.
fn round(run: Duration, beside: Beside) -> Round {
    let addr = SERVER.addr();
    let done = Arc::new(AtomicBool::new(false));
    let scraper = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut took = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let start = Instant::now();
                match beside {
                    Beside::Nothing => return took,
                    Beside::Scrapes => {
                        scrape(addr, "/metrics");
                    }
                    Beside::Spins(busy) => {
                        while start.elapsed() < busy {
                            std::hint::spin_loop();
                        }
                    }
                }
                took.push(start.elapsed());
                std::thread::sleep(Duration::from_millis(100));
            }
            took
        })
    };
    let start = Instant::now();
    let mut last = start;
    let mut worst = Duration::ZERO;
    let mut over_1ms = 0;
    let mut n = 0u64;
    while last - start < run {
        n = n.wrapping_add(recorded_call(n));
        let now = Instant::now();
        let gap = now - last;
        worst = worst.max(gap);
        over_1ms += u64::from(gap >= Duration::from_millis(1));
        last = now;
    }
    done.store(true, Ordering::Relaxed);
    std::hint::black_box(n);
    Round {
        worst,
        over_1ms,
        scrapes: scraper.join().unwrap(),
    }
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// `ROUNDS` rounds of each kind, interleaved (quiet, scraping, spinning, quiet, ...), so that
/// the machine's own noise (other processes, the scheduler) falls on all alike; the server's
/// share is what the scraping rounds have that the quiet ones have not, and the spinning
/// rounds show how much of that any thread as busy as a scrape would cost. The best (lowest)
/// round of each kind is the figure least touched by that noise.
fn stall_figures() {
    const ROUNDS: usize = 5;
    const RUN: Duration = Duration::from_secs(1);
    // How long a scrape keeps a thread busy here, for the spinning control.
    let mut warm: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            scrape(SERVER.addr(), "/metrics");
            start.elapsed()
        })
        .collect();
    warm.sort();
    let spin = warm[warm.len() / 2];
    let mut quiet = Vec::new();
    let mut busy = Vec::new();
    let mut spinning = Vec::new();
    for _ in 0..ROUNDS {
        quiet.push(round(RUN, Beside::Nothing));
        busy.push(round(RUN, Beside::Scrapes));
        spinning.push(round(RUN, Beside::Spins(spin)));
    }
    let show = |name: &str, rounds: &[Round]| {
        let mut worst: Vec<Duration> = rounds.iter().map(|r| r.worst).collect();
        worst.sort();
        let over: Vec<u64> = rounds.iter().map(|r| r.over_1ms).collect();
        println!(
            "  {name}: worst gap per round {}; best round {}, median {}; gaps >= 1 ms per round {over:?}",
            worst
                .iter()
                .map(|d| millis(*d))
                .collect::<Vec<_>>()
                .join(", "),
            millis(worst[0]),
            millis(worst[worst.len() / 2]),
        );
    };
    println!(
        "{FUNCTIONS} functions, one recording thread calling a profiled function in a loop, \
         {ROUNDS} interleaved rounds of {RUN:?} each, {} cores:",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    show("without scrapes", &quiet);
    show("scraping /metrics every 100 ms", &busy);
    show(
        &format!("a plain thread spinning {} every 100 ms", millis(spin)),
        &spinning,
    );
    let mut took: Vec<Duration> = busy.iter().flat_map(|r| r.scrapes.clone()).collect();
    took.sort();
    if let (Some(first), Some(last)) = (took.first(), took.last()) {
        println!(
            "  {} scrapes of /metrics took {} (fastest), {} (median), {} (slowest)",
            took.len(),
            millis(*first),
            millis(took[took.len() / 2]),
            millis(*last)
        );
    }
}

fn main() {
    if std::env::args().any(|a| a == "--bench") {
        let _ = &*SERVER;
        stall_figures();
    }
    divan::main();
}
