//! Memory on several threads and in async code that moves between tokio workers: exact counts
//! per function, summed over threads, and the process report adding up to the allocator's
//! totals. One test, so that no other test allocates while the process report is read.

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll};

#[global_allocator]
static ALLOC: profkit::Alloc = profkit::Alloc::system();

#[profkit::profile]
fn worker_step(i: usize) -> usize {
    let block: Vec<u32> = Vec::with_capacity(25); // 100 bytes, freed here
    black_box(&block);
    i
}

#[profkit::profile]
fn worker(steps: usize) -> usize {
    (0..steps).map(worker_step).sum()
}

/// Returns `Pending` once after waking its task, so that the task is rescheduled (and may be
/// stolen by another worker); allocates nothing itself.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[profkit::profile]
async fn async_step(i: u64) -> u64 {
    let before: Vec<u8> = Vec::with_capacity(64);
    YieldOnce(false).await;
    let after: Vec<u8> = Vec::with_capacity(32);
    black_box((&before, &after));
    i
}

fn by_name<'a>(report: &'a profkit::Report, name: &str) -> &'a profkit::MemoryStats {
    report.function(name).unwrap().memory().unwrap()
}

#[test]
fn threads_and_migrating_futures_are_counted_exactly() {
    // Four threads, each 50 steps: 200 allocations of 100 bytes, all freed where made.
    let (_, recorded) = profkit::record(|| {
        std::thread::scope(|s| {
            for _ in 0..4 {
                profkit::spawn_scoped(s, || worker(50));
            }
        })
    });
    let step = by_name(&recorded, "worker_step");
    assert_eq!((step.allocs(), step.bytes()), (200, 20_000));
    assert_eq!((step.frees(), step.freed_bytes()), (200, 20_000));
    assert_eq!(step.peak_bytes(), 100);
    let w = by_name(&recorded, "worker");
    assert_eq!(
        (w.allocs(), w.cum_allocs(), w.cum_bytes()),
        (0, 200, 20_000)
    );
    assert_eq!(recorded.threads().len(), 1, "the four threads share a name");

    // 400 futures on 4 workers; each allocates before and after a yield, and may resume on
    // another worker. Per future: 64 + 32 bytes, both freed at its end.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let total: u64 = runtime.block_on(async {
        let tasks: Vec<_> = (0..400).map(|i| tokio::spawn(async_step(i))).collect();
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap();
        }
        total
    });
    drop(runtime);
    assert_eq!(total, (0..400).sum::<u64>());

    let report = profkit::report();
    let f = report.function("async_step").unwrap();
    assert_eq!(f.ncalls(), 400);
    let m = f.memory().unwrap();
    assert_eq!((m.allocs(), m.bytes()), (800, 400 * 96));
    assert_eq!((m.frees(), m.freed_bytes()), (800, 400 * 96));
    assert_eq!(f.futures().unwrap().polls(), 800);

    // The process report's rows add up to the allocator's totals for the same report.
    let heap = report.heap().unwrap();
    let (mut allocs, mut bytes, mut frees, mut freed) = (0, 0, 0, 0);
    for f in report.functions() {
        let m = f.memory().unwrap();
        allocs += m.allocs();
        bytes += m.bytes();
        frees += m.frees();
        freed += m.freed_bytes();
    }
    for m in [
        report.memory_outside().unwrap(),
        report.memory_overhead().unwrap(),
    ] {
        allocs += m.allocs();
        bytes += m.bytes();
        frees += m.frees();
        freed += m.freed_bytes();
    }
    assert_eq!(allocs, heap.total_allocs());
    assert_eq!(bytes, heap.total_bytes());
    assert_eq!(frees, heap.total_frees());
    assert_eq!(freed, heap.total_freed_bytes());
    // And the allocator's live view covers at least what the report counted.
    let now = profkit::heap();
    assert!(now.total_allocs() >= heap.total_allocs());
    assert!(now.peak() >= now.current());
}
