//! `async fn`: one call per future, counted when it completes or is dropped; busy time measured
//! per poll, so interleaved tasks and tasks that move between threads never corrupt a tree.

mod common;
use common::block_on;

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use profkit::profile;
use profkit::testing::{TestClock, advance};

#[profile]
fn parse(i: u64) -> u64 {
    i * 2
}

#[profile]
async fn fetch(i: u64) -> u64 {
    tokio::task::yield_now().await;
    parse(i)
}

#[profile]
async fn handler(i: u64) -> u64 {
    let a = fetch(i).await;
    tokio::task::yield_now().await;
    a + fetch(i + 1).await
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn hundreds_of_interleaved_tasks_on_a_multi_thread_runtime_keep_exact_counts() {
    const TASKS: u64 = 500;
    let sum = runtime().block_on(async {
        let tasks: Vec<_> = (0..TASKS).map(|i| tokio::spawn(handler(i))).collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, (0..TASKS).map(|i| 4 * i + 2).sum::<u64>());

    let report = profkit::report();
    let handler = report.function("async_fn::handler").unwrap();
    let fetch = report.function("async_fn::fetch").unwrap();
    let parse = report.function("async_fn::parse").unwrap();
    assert_eq!(
        (handler.ncalls(), handler.primitive_calls()),
        (TASKS, TASKS)
    );
    assert_eq!(
        (fetch.ncalls(), fetch.primitive_calls()),
        (2 * TASKS, 2 * TASKS)
    );
    assert_eq!(parse.ncalls(), 2 * TASKS);
    // Only possible edges: a task's polls start at the runtime (no profiled caller), and
    // nothing of one task is ever seen as the child of another task's frame.
    assert!(handler.callers().is_empty(), "{report}");
    assert_eq!(fetch.callers().len(), 1, "{report}");
    assert_eq!(fetch.caller("handler").unwrap().ncalls(), 2 * TASKS);
    assert_eq!(parse.callers().len(), 1, "{report}");
    assert_eq!(parse.caller("fetch").unwrap().ncalls(), 2 * TASKS);
    assert_eq!(handler.callees().len(), 1);

    let h = handler.futures().unwrap();
    // Each handler: pending at fetch's yield, at its own yield and at the second fetch's.
    assert_eq!(
        (h.completed(), h.cancelled(), h.polls()),
        (TASKS, 0, 4 * TASKS)
    );
    let f = fetch.futures().unwrap();
    assert_eq!(
        (f.completed(), f.cancelled(), f.polls()),
        (2 * TASKS, 0, 4 * TASKS)
    );
    assert!(
        h.wall_time() >= handler.cumtime(),
        "waiting adds to wall time"
    );
    assert!(parse.futures().is_none(), "a sync function has no futures");
}

#[profile]
async fn never_finishes() {
    tokio::time::sleep(Duration::from_secs(3600)).await;
}

#[profile]
async fn never_polled() {}

#[async_trait::async_trait]
trait Unpolled {
    async fn boxed_never_polled(&self);
}

#[async_trait::async_trait]
impl Unpolled for () {
    #[profile]
    async fn boxed_never_polled(&self) {}
}

#[test]
fn futures_dropped_after_they_started_are_counted_as_cancelled_calls() {
    runtime().block_on(async {
        for _ in 0..10 {
            let r = tokio::time::timeout(Duration::from_millis(1), never_finishes()).await;
            assert!(r.is_err());
        }
        for _ in 0..5 {
            drop(never_polled());
            drop(().boxed_never_polled());
        }
    });
    let report = profkit::report();
    let slow = report.function("never_finishes").unwrap();
    assert_eq!(slow.ncalls(), 10);
    let s = slow.futures().unwrap();
    assert_eq!((s.completed(), s.cancelled()), (0, 10));
    assert!(s.polls() >= 10);
    // A future dropped before its first poll ran nothing: no call, in either form.
    assert!(report.function("never_polled").is_err(), "{report}");
    assert!(report.function("boxed_never_polled").is_err(), "{report}");
}

// ---- exact busy time on one thread with the test clock ----

/// Pending once, then ready: a stand-in for waiting on I/O.
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

struct Noop;
impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

/// Polls two futures alternately on this thread until both are done.
fn run_interleaved<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut ra, mut rb) = (None, None);
    while ra.is_none() || rb.is_none() {
        if ra.is_none()
            && let Poll::Ready(v) = a.as_mut().poll(&mut cx)
        {
            ra = Some(v);
        }
        if rb.is_none()
            && let Poll::Ready(v) = b.as_mut().poll(&mut cx)
        {
            rb = Some(v);
        }
    }
    (ra.unwrap(), rb.unwrap())
}

#[profile]
async fn step(units: u64) -> u64 {
    advance(Duration::from_micros(units));
    YieldOnce(false).await;
    advance(Duration::from_micros(2 * units));
    units
}

#[profile]
async fn job(units: u64) -> u64 {
    advance(Duration::from_micros(1));
    step(units).await + step(units).await
}

#[test]
fn interleaved_futures_on_one_thread_get_exact_busy_time_and_clean_edges() {
    let _clock = TestClock::install().unwrap();
    let ((a, b), report) = profkit::record(|| run_interleaved(job(1), job(10)));
    assert_eq!((a, b), (2, 20));
    let job = report.function("async_fn::job").unwrap();
    let step = report.function("async_fn::step").unwrap();
    assert_eq!((job.ncalls(), step.ncalls()), (2, 4));
    // Busy time only: 1 µs own per job; each step 3 x units of own time.
    let us = Duration::from_micros;
    assert_eq!(job.tottime(), us(2));
    assert_eq!(step.tottime(), us(2 * 3) + us(2 * 30));
    assert_eq!(job.cumtime(), us(2 + 6 + 60));
    assert_eq!(step.caller("job").unwrap().ncalls(), 4);
    assert!(
        job.callers().is_empty(),
        "one job is never the child of the other"
    );
    assert_eq!(report.total_time(), job.cumtime());
    assert_eq!(step.futures().unwrap().polls(), 4 * 2);
}

// ---- async methods, async fn in traits, #[async_trait] ----

struct Service {
    base: u64,
}

impl Service {
    #[profile]
    async fn call(&self, x: u64) -> u64 {
        tokio::task::yield_now().await;
        self.base + x
    }
}

trait NativeAsync {
    async fn load(&self, key: u64) -> u64;
}

impl NativeAsync for Service {
    #[profile]
    async fn load(&self, key: u64) -> u64 {
        self.call(key).await
    }
}

#[async_trait::async_trait]
trait Boxed {
    async fn fetch_boxed(&self, key: u64) -> Result<u64, String>;
}

#[async_trait::async_trait]
impl Boxed for Service {
    #[profile]
    async fn fetch_boxed(&self, key: u64) -> Result<u64, String> {
        tokio::task::yield_now().await;
        let v = self.load(key).await;
        if v > 1_000 {
            return Err("too big".into());
        }
        Ok(v)
    }
}

#[test]
fn async_methods_native_trait_methods_and_async_trait_methods() {
    let service = Arc::new(Service { base: 100 });
    let results = runtime().block_on(async {
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let s = service.clone();
                tokio::spawn(async move { s.fetch_boxed(i * 100).await })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 10);
    let report = profkit::report();
    let boxed = report
        .function("<async_fn::Service as async_fn::Boxed>::fetch_boxed")
        .unwrap();
    assert_eq!(boxed.ncalls(), 50);
    assert_eq!(boxed.futures().unwrap().completed(), 50);
    assert!(
        boxed.futures().unwrap().polls() >= 100,
        "timed per poll, not at creation"
    );
    let load = report
        .function("<async_fn::Service as async_fn::NativeAsync>::load")
        .unwrap();
    assert_eq!(load.ncalls(), 50);
    assert_eq!(load.caller("fetch_boxed").unwrap().ncalls(), 50);
    let call = report.function("async_fn::Service::call").unwrap();
    assert_eq!(call.caller("NativeAsync>::load").unwrap().ncalls(), 50);
}

// ---- regressions found in review ----

#[profile]
async fn cleanup() -> u64 {
    YieldOnce(false).await;
    7
}

/// Runs an async cleanup to completion in its destructor.
struct CleansUp;

impl Drop for CleansUp {
    fn drop(&mut self) {
        assert_eq!(block_on(cleanup()), 7);
    }
}

#[test]
fn a_future_polled_during_unwinding_is_still_one_call() {
    let caught = std::panic::catch_unwind(|| {
        let _guard = CleansUp;
        panic!("unwinding runs the cleanup");
    });
    assert!(caught.is_err());
    let report = profkit::report();
    let f = report.function("async_fn::cleanup").unwrap();
    assert_eq!(f.ncalls(), 1, "{report}");
    let futures = f.futures().unwrap();
    assert_eq!((futures.completed(), futures.polls()), (1, 2));
}

#[profile]
async fn two_phase() {
    advance(Duration::from_micros(100));
    YieldOnce(false).await;
    advance(Duration::from_micros(1));
}

#[profile]
fn start_phase<F: Future>(f: Pin<&mut F>, cx: &mut Context<'_>) -> bool {
    f.poll(cx).is_ready()
}

#[profile]
fn finish_phase<F: Future>(f: Pin<&mut F>, cx: &mut Context<'_>) -> bool {
    f.poll(cx).is_ready()
}

#[test]
fn busy_time_of_polls_on_another_path_than_the_last_is_kept() {
    let _clock = TestClock::install().unwrap();
    let ((), report) = profkit::record(|| {
        let waker = Waker::from(Arc::new(Noop));
        let mut cx = Context::from_waker(&waker);
        let mut f = pin!(two_phase());
        assert!(!start_phase(f.as_mut(), &mut cx));
        assert!(finish_phase(f.as_mut(), &mut cx));
    });
    let f = report.function("two_phase").unwrap();
    assert_eq!(f.ncalls(), 1);
    assert_eq!(f.tottime(), Duration::from_micros(101), "{report}");
    // The first poll's path has busy time and no call: pstats' `ncalls` 0.
    let under_start = f.caller("start_phase").unwrap();
    assert_eq!(
        (under_start.ncalls(), under_start.tottime()),
        (0, Duration::from_micros(100))
    );
    assert_eq!(f.caller("finish_phase").unwrap().ncalls(), 1);
    assert_eq!(report.total_time(), Duration::from_micros(101));
}

#[profile]
async fn moves(step: u64) -> u64 {
    advance(Duration::from_micros(step));
    YieldOnce(false).await;
    step
}

#[test]
fn a_future_that_moves_between_threads_is_timed_on_each_and_counted_once() {
    let waker = Waker::from(Arc::new(Noop));
    // First poll on one thread...
    let mut future = Box::pin(moves(3));
    let first = std::thread::Builder::new()
        .name("async-first".into())
        .spawn({
            let waker = waker.clone();
            move || {
                let mut cx = Context::from_waker(&waker);
                assert!(future.as_mut().poll(&mut cx).is_pending());
                future
            }
        })
        .unwrap();
    let mut future = first.join().unwrap();
    // ...completed on another.
    let second = std::thread::Builder::new()
        .name("async-second".into())
        .spawn(move || {
            let mut cx = Context::from_waker(&waker);
            matches!(future.as_mut().poll(&mut cx), Poll::Ready(3))
        })
        .unwrap();
    assert!(second.join().unwrap());
    let report = profkit::report();
    let f = report.function("async_fn::moves").unwrap();
    assert_eq!((f.ncalls(), f.futures().unwrap().polls()), (1, 2));
    let on = |name: &str| {
        report
            .threads()
            .iter()
            .find(|t| t.name() == name)
            .and_then(|t| {
                t.report()
                    .function("async_fn::moves")
                    .ok()
                    .map(|f| f.ncalls())
            })
    };
    assert_eq!(on("async-first"), Some(0), "polled there, not ended there");
    assert_eq!(on("async-second"), Some(1));
}

#[profile]
fn in_task(units: u64) {
    advance(Duration::from_micros(units));
}

/// Two tasks interleaved on one thread, each timing a part of itself with `profile_async!`:
/// neither task's row nests inside the other's (a `profile_scope!` guard held across the
/// `.await` would have).
#[test]
fn profile_async_parts_of_interleaved_tasks_stay_apart() {
    let _clock = TestClock::install().unwrap();
    let task = |units: u64| async move {
        profkit::profile_async!("task_part", async move {
            in_task(units);
            YieldOnce(false).await;
            in_task(units);
        })
        .await;
        units
    };
    let ((a, b), report) = profkit::record(|| run_interleaved(task(1), task(10)));
    assert_eq!((a, b), (1, 10));
    let part = report.function("task_part").unwrap();
    assert_eq!((part.ncalls(), part.primitive_calls()), (2, 2));
    assert!(
        part.callers().is_empty(),
        "no task_part inside another: {report}"
    );
    assert_eq!(part.cumtime(), Duration::from_micros(22));
    assert_eq!(
        report
            .function("in_task")
            .unwrap()
            .caller("task_part")
            .unwrap()
            .ncalls(),
        4
    );
}
