//! Live blocks in the process report: futures that move between tokio workers, a thread that
//! ended while its blocks live on, and the rows adding up to the allocator's live bytes
//! exactly. One test, so that no other test allocates while the report is read.

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

#[global_allocator]
static ALLOC: profkit::Alloc = profkit::Alloc::system();

/// Returns `Pending` once after waking its task, so that the task is rescheduled (and may be
/// stolen by another worker).
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

/// Blocks the futures keep (allocated before the test reads anything).
static KEPT: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

#[profkit::profile]
async fn async_keep(i: u64) -> u64 {
    let before: Vec<u8> = vec![1; 64];
    YieldOnce(false).await;
    let after: Vec<u8> = vec![2; 32];
    black_box(&before);
    // Kept by a path that resumed on whichever worker; the other block is freed here.
    KEPT.lock().unwrap().push(after);
    i
}

#[profkit::profile]
fn thread_keeps() -> Vec<u8> {
    vec![3; 500]
}

fn sum_rows(report: &profkit::Report) -> i64 {
    let rows: i64 = report
        .functions()
        .map(|f| f.memory().unwrap().live_bytes())
        .sum();
    rows + report.memory_outside().unwrap().live_bytes()
        + report.memory_overhead().unwrap().live_bytes()
}

#[test]
fn live_blocks_of_futures_and_ended_threads_add_up_to_the_heap() {
    KEPT.lock().unwrap().reserve(400);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let total: u64 = runtime.block_on(async {
        let tasks: Vec<_> = (0..400).map(|i| tokio::spawn(async_keep(i))).collect();
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap();
        }
        total
    });
    drop(runtime);
    assert_eq!(total, (0..400).sum::<u64>());

    // A thread that ended: its path still holds the block it returned.
    let held = std::thread::Builder::new()
        .name("ended".into())
        .spawn(thread_keeps)
        .unwrap()
        .join()
        .unwrap();

    // A thread that never records grows a block and keeps it, and one over-aligned (no
    // header): both are outside profiled calls.
    #[repr(align(64))]
    struct Wide([u8; 64]);
    let (grown, wide) = std::thread::spawn(|| {
        let mut v = vec![1u8; 10];
        v.reserve(1000);
        let wide = Box::new(Wide([2; 64]));
        (v, wide)
    })
    .join()
    .unwrap();
    black_box((&grown, &wide.0));

    let report = profkit::report();
    let f = report.function("async_keep").unwrap();
    assert_eq!(f.ncalls(), 400);
    let m = f.memory().unwrap();
    assert_eq!((m.allocs(), m.bytes()), (800, 400 * 96));
    assert_eq!((m.live_allocs(), m.live_bytes()), (400, 400 * 32));
    let t = report.function("thread_keeps").unwrap().memory().unwrap();
    assert_eq!((t.live_allocs(), t.live_bytes()), (1, 500));
    // The rows add up to the allocator's live bytes when the report was made, exactly.
    let heap = report.heap().unwrap();
    assert_eq!(sum_rows(&report), heap.current() as i64);

    // Freed elsewhere (here, outside any profiled call): credited back to their paths.
    drop(held);
    drop((grown, wide));
    KEPT.lock().unwrap().clear();
    let report = profkit::report();
    let m = report.function("async_keep").unwrap().memory().unwrap();
    assert_eq!((m.live_allocs(), m.live_bytes()), (0, 0));
    let t = report.function("thread_keeps").unwrap().memory().unwrap();
    assert_eq!((t.live_allocs(), t.live_bytes()), (0, 0));
    assert_eq!(sum_rows(&report), report.heap().unwrap().current() as i64);

    // A window has the change of live blocks per path.
    let earlier = profkit::report();
    let grown = (thread_keeps(), thread_keeps());
    let freed = std::thread::spawn(thread_keeps).join().unwrap();
    drop(freed);
    let window = profkit::report().since(&earlier).unwrap();
    let t = window.function("thread_keeps").unwrap().memory().unwrap();
    assert_eq!((t.allocs(), t.bytes()), (3, 1500));
    assert_eq!((t.live_allocs(), t.live_bytes()), (2, 1000));
    drop(grown);

    // A reset forgets counts, not blocks that are still live.
    let again = std::thread::spawn(thread_keeps).join().unwrap();
    profkit::reset();
    let report = profkit::report();
    let t = report.function("thread_keeps").unwrap().memory().unwrap();
    assert_eq!((t.allocs(), t.live_allocs(), t.live_bytes()), (0, 1, 500));
    assert_eq!(sum_rows(&report), report.heap().unwrap().current() as i64);
    assert_eq!(
        report.since(&earlier).unwrap_err(),
        profkit::SinceError::ResetBetween
    );
    drop(again);
}
