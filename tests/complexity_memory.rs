//! `#[profile(size = ..)]` with `profkit::Alloc` installed: each sized call keeps what it
//! allocated (callees included) beside its time, exactly, and allocations and bytes are fitted
//! against the size like the time is; JSON keeps them and still reads points without them.
//! A binary of its own: the allocator wrapper is the global allocator here.

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use profkit::ComplexityClass::{Constant, Linear};
use profkit::{Measure, profile};

#[global_allocator]
static ALLOC: profkit::Alloc = profkit::Alloc::system();

/// 12 sizes from 100 to 100,000, log-spaced.
fn sizes() -> Vec<usize> {
    (0..12)
        .map(|i| (100.0 * 10f64.powf(3.0 * f64::from(i) / 11.0)).round() as usize)
        .collect()
}

/// `n` allocations of 8 bytes, each freed at once.
#[profile(size = n)]
fn boxes(n: usize) -> u64 {
    let mut sum = 0;
    for i in 0..n as u64 {
        sum += *black_box(Box::new(i));
    }
    sum
}

/// One allocation of `8 n` bytes (none for 0).
#[profile(size = n)]
fn one_buffer(n: usize) -> usize {
    let v: Vec<u64> = black_box(Vec::with_capacity(n));
    v.capacity()
}

/// Its own buffer and its callee's boxes: `n + 1` allocations, `16 n` bytes.
#[profile(size = n)]
fn both(n: usize) -> usize {
    let v: Vec<u64> = black_box(Vec::with_capacity(n));
    boxes(n) as usize + v.capacity()
}

#[test]
fn each_sized_call_keeps_its_exact_allocations_callees_included() {
    let (_, report) = profkit::record(|| {
        for n in sizes() {
            for _ in 0..3 {
                black_box(boxes(n));
                black_box(one_buffer(n));
                black_box(both(n));
            }
        }
        black_box(one_buffer(0));
    });
    // (function, (allocations, bytes) for size n)
    type Want = fn(u64) -> (u64, u64);
    let expected: [(&str, Want); 3] = [
        ("boxes", |n| (n, 8 * n)),
        ("one_buffer", |n| (u64::from(n > 0), 8 * n)),
        ("both", |n| (n + 1, 16 * n)),
    ];
    for (name, want) in expected {
        let scaling = report.function(name).unwrap().scaling().unwrap();
        let kept: Vec<(u64, u64, u64)> = scaling.memory_samples().collect();
        // `boxes` also ran inside `both`: 72 calls; the others 36 (and one of size 0).
        let calls = match name {
            "boxes" => 72,
            "one_buffer" => 37,
            _ => 36,
        };
        assert_eq!(kept.len(), calls, "{name}: every call kept");
        assert_eq!(scaling.calls(), calls as u64);
        for (n, allocs, bytes) in kept {
            assert_eq!((allocs, bytes), want(n), "{name} at size {n}");
        }
    }
    let fits = |name: &str| {
        let s = report.function(name).unwrap().scaling().unwrap();
        let a = s.allocations().unwrap().unwrap().clone();
        let b = s.bytes().unwrap().unwrap().clone();
        (a, b)
    };
    let (a, b) = fits("boxes");
    assert_eq!((a.measure(), a.class()), (Measure::Allocations, Linear));
    assert_eq!((b.measure(), b.class()), (Measure::Bytes, Linear));
    assert!((a.exponent() - 1.0).abs() < 1e-9, "{}", a.exponent());
    assert_eq!((a.sizes(), a.size_range()), (12, (100, 100_000)));
    let (a, b) = fits("one_buffer");
    assert_eq!((a.class(), b.class()), (Constant, Linear));
    assert!(a.values().all(|(_, v)| v == 1));
    assert!(b.values().all(|(n, v)| v == 8 * n));
    // The view says it in words.
    let view = report.complexity_view().to_string();
    assert!(
        view.contains("  allocations grow as O(1) (exponent 0.00, 12 sizes from 100 to 100000)"),
        "{view}"
    );
    assert!(
        view.contains(
            "  bytes allocated grow as O(n) (exponent 1.00, 12 sizes from 100 to 100000)"
        ),
        "{view}"
    );
}

#[test]
fn json_keeps_the_allocations_of_sized_calls_and_reads_points_without_them() {
    let (_, report) = profkit::record(|| {
        for n in sizes() {
            black_box(boxes(n));
        }
    });
    let json = report.to_json();
    assert!(json.contains(r#""points":[[100,"#), "{json}");
    let back = profkit::Report::from_json_bytes(json.as_bytes()).unwrap();
    let kept = |r: &profkit::Report| -> Vec<(u64, u64, u64)> {
        let s = r.function("boxes").unwrap().scaling().unwrap();
        s.memory_samples().collect()
    };
    assert_eq!(kept(&back), kept(&report));
    assert_eq!(kept(&back).len(), 12);
    assert_eq!(
        back.function("boxes")
            .unwrap()
            .scaling()
            .unwrap()
            .allocations()
            .unwrap()
            .unwrap()
            .class(),
        Linear
    );

    // A file of points without allocations (what a recording without the wrapper writes)
    // reads with no memory fit; a point of another length is refused by name.
    let plain = strip_memory(&json);
    let old = profkit::Report::from_json_bytes(plain.as_bytes()).unwrap();
    let s = old.function("boxes").unwrap().scaling().unwrap();
    assert_eq!(s.calls(), 12);
    assert!(s.allocations().is_none() && s.memory_samples().next().is_none());
    let bad = json.replacen("[[100,", "[[100,7,", 1);
    let err = profkit::Report::from_json_bytes(bad.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("has 5 numbers"), "{err}");
}

/// The JSON with every sized point cut to `[size, ns]`.
fn strip_memory(json: &str) -> String {
    let mut out = String::new();
    let mut rest = json;
    while let Some(at) = rest.find(r#""points":[["#) {
        let (head, tail) = rest.split_at(at + r#""points":["#.len());
        out.push_str(head);
        let end = tail.find("]]").expect("points end") + 1;
        let points: Vec<String> = tail[1..end - 1]
            .split("],[")
            .map(|p| {
                let nums: Vec<&str> = p.split(',').collect();
                format!("[{},{}]", nums[0], nums[1])
            })
            .collect();
        out.push_str(&points.join(","));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Allocates `n` boxes, yields once, then allocates `n` more: both polls' allocations count.
struct TwoPolls {
    n: usize,
    polled: bool,
}

impl Future for TwoPolls {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        for i in 0..self.n {
            black_box(Box::new(i));
        }
        if self.polled {
            Poll::Ready(())
        } else {
            self.polled = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[profile(size = n)]
async fn two_polls(n: usize) {
    TwoPolls { n, polled: false }.await;
}

fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

#[test]
fn a_sized_async_call_adds_the_allocations_of_all_its_polls() {
    let (_, report) = profkit::record(|| {
        for n in sizes() {
            block_on(two_polls(n));
        }
    });
    let s = report.function("two_polls").unwrap().scaling().unwrap();
    let kept: Vec<(u64, u64, u64)> = s.memory_samples().collect();
    assert_eq!(kept.len(), 12);
    for (n, allocs, bytes) in kept {
        assert_eq!((allocs, bytes), (2 * n, 16 * n), "size {n}");
    }
}
