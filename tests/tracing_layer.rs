//! `profkit::tracing::ProfkitLayer`: real `#[tracing::instrument]` functions, sync, recursive
//! and async on a multi-thread tokio runtime, counted as profkit counts `#[profile]`.

use std::sync::Once;
use std::time::Duration;

use profkit::testing::{TestClock, advance};
use tracing::Instrument;
use tracing_subscriber::layer::SubscriberExt;

/// One subscriber for the whole test binary (tokio's worker threads need it too): the registry
/// with profkit's layer. Each test records its own functions.
fn subscribe() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(profkit::tracing::ProfkitLayer::new());
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
}

mod db {
    use super::*;

    #[tracing::instrument]
    pub(crate) fn get_user(id: u64) -> u64 {
        advance(Duration::from_micros(100));
        id
    }
}

#[tracing::instrument(skip(ids))]
fn get_users(ids: &[u64]) -> u64 {
    advance(Duration::from_micros(5));
    ids.iter().map(|&id| db::get_user(id)).sum()
}

#[test]
fn sync_spans_are_calls_named_target_and_name_with_exact_times() {
    subscribe();
    let _clock = TestClock::install().unwrap();
    let (sum, report) = profkit::record(|| (0..4).map(|_| get_users(&[1, 2, 3])).sum::<u64>());
    assert_eq!(sum, 24);
    // The target is the module path: suffix look-ups work as for #[profile].
    let get_user = report.function("db::get_user").unwrap();
    assert_eq!(get_user.name(), "tracing_layer::db::get_user");
    assert_eq!(report.function("get_user").unwrap().name(), get_user.name());
    assert_eq!(get_user.file(), "tests/tracing_layer.rs");
    assert_eq!((get_user.ncalls(), get_user.primitive_calls()), (12, 12));
    assert_eq!(get_user.tottime(), Duration::from_micros(1200));
    assert_eq!(get_user.cumtime(), Duration::from_micros(1200));
    let get_users = report.function("get_users").unwrap();
    assert_eq!(get_users.ncalls(), 4);
    assert_eq!(get_users.tottime(), Duration::from_micros(20));
    assert_eq!(get_users.cumtime(), Duration::from_micros(1220));
    // The call tree: get_user under get_users, 3 per call (an N+1 budget would see it).
    let edge = get_user.caller("get_users").unwrap();
    assert_eq!(
        (edge.ncalls(), edge.cumtime()),
        (12, Duration::from_micros(1200))
    );
    assert!(get_users.callers().is_empty());
    report
        .expect("get_user")
        .at_most_per_call_of("get_users", 3)
        .calls(12);
    // Every span is one entry, counted when it closed.
    let spans = get_user.futures().unwrap();
    assert_eq!(
        (spans.completed(), spans.cancelled(), spans.polls()),
        (12, 0, 12)
    );
    assert_eq!(get_user.latency().unwrap().count(), 12);
    assert_eq!(report.total_time(), Duration::from_micros(1220));
}

#[tracing::instrument]
fn fib(n: u32) -> u32 {
    advance(Duration::from_nanos(10));
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

#[test]
fn recursive_spans_count_as_cprofile_counts() {
    subscribe();
    let _clock = TestClock::install().unwrap();
    let (value, report) = profkit::record(|| fib(15));
    assert_eq!(value, 610);
    let f = report.function("fib").unwrap();
    assert_eq!((f.ncalls(), f.primitive_calls()), (1973, 1));
    // The self-edge: 1972 calls, 2 of them not nested in another fib -> fib call.
    let edge = f.caller("fib").unwrap();
    assert_eq!((edge.ncalls(), edge.primitive_calls()), (1972, 2));
    assert_eq!(f.tottime(), Duration::from_nanos(19_730));
    assert_eq!(
        f.cumtime(),
        Duration::from_nanos(19_730),
        "recursion counted once"
    );
    // pstats' table, as for #[profile].
    let text = report.to_string();
    assert!(
        text.contains("   1973/1    0.000    0.000    0.000    0.000 tests/tracing_layer.rs:"),
        "{text}"
    );
}

#[profkit::profile]
fn profiled_parent() -> u32 {
    advance(Duration::from_nanos(100));
    let _span = tracing::info_span!("inner_span").entered();
    advance(Duration::from_nanos(50));
    profiled_leaf()
}

#[profkit::profile]
fn profiled_leaf() -> u32 {
    advance(Duration::from_nanos(7));
    7
}

#[test]
fn spans_and_profiled_functions_nest_in_one_tree() {
    subscribe();
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(|| {
        let outer = tracing::info_span!("outer_span");
        outer.in_scope(profiled_parent);
        // Entered again: the same call, more busy time; counted once when it closes.
        outer.in_scope(|| advance(Duration::from_nanos(1000)));
    });
    let inner = report.function("tracing_layer::inner_span").unwrap();
    assert_eq!(inner.caller("profiled_parent").unwrap().ncalls(), 1);
    assert_eq!(inner.cumtime(), Duration::from_nanos(57));
    let leaf = report.function("profiled_leaf").unwrap();
    assert_eq!(leaf.caller("inner_span").unwrap().ncalls(), 1);
    let outer = report.function("outer_span").unwrap();
    assert_eq!(outer.ncalls(), 1);
    assert_eq!(outer.tottime(), Duration::from_nanos(1000));
    assert_eq!(outer.cumtime(), Duration::from_nanos(1157));
    assert_eq!(outer.futures().unwrap().polls(), 2);
    assert_eq!(
        report
            .function("profiled_parent")
            .unwrap()
            .caller("outer_span")
            .unwrap()
            .ncalls(),
        1
    );
}

// ---- async, on a multi-thread runtime ----

#[tracing::instrument]
async fn fetch(i: u64) -> u64 {
    tokio::task::yield_now().await;
    parse(i)
}

#[tracing::instrument]
fn parse(i: u64) -> u64 {
    i * 2
}

#[tracing::instrument]
async fn handler(i: u64) -> u64 {
    let a = fetch(i).await;
    tokio::task::yield_now().await;
    a + fetch(i + 1).await
}

#[test]
fn async_spans_on_a_multi_thread_runtime_keep_exact_counts() {
    subscribe();
    const TASKS: u64 = 300;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let sum = runtime.block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|i| tokio::spawn(handler(i).instrument(tracing::info_span!("task"))))
            .collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        sum
    });
    drop(runtime);
    assert_eq!(sum, (0..TASKS).map(|i| 4 * i + 2).sum::<u64>());

    // Tokio's workers are not in a `record`: the process-wide report, these functions only.
    let report = profkit::report();
    let task = report.function("tracing_layer::task").unwrap();
    let handler = report.function("tracing_layer::handler").unwrap();
    let fetch = report.function("tracing_layer::fetch").unwrap();
    let parse = report.function("tracing_layer::parse").unwrap();
    assert_eq!((task.ncalls(), task.primitive_calls()), (TASKS, TASKS));
    assert_eq!(handler.ncalls(), TASKS);
    assert_eq!(fetch.ncalls(), 2 * TASKS);
    assert_eq!(parse.ncalls(), 2 * TASKS);
    // Only possible edges: nothing of one task is seen under another task's span.
    assert!(task.callers().is_empty(), "{report}");
    assert_eq!(handler.callers().len(), 1, "{report}");
    assert_eq!(handler.caller("task").unwrap().ncalls(), TASKS);
    assert_eq!(fetch.callers().len(), 1, "{report}");
    assert_eq!(fetch.caller("handler").unwrap().ncalls(), 2 * TASKS);
    assert_eq!(parse.callers().len(), 1, "{report}");
    assert_eq!(parse.caller("fetch").unwrap().ncalls(), 2 * TASKS);
    // Entries: every poll, and one more when tracing's `Instrumented` drops its future inside
    // the span. A fetch is polled twice (pending at its yield); a handler four times.
    let f = fetch.futures().unwrap();
    assert_eq!((f.completed(), f.cancelled()), (2 * TASKS, 0));
    assert_eq!(f.polls(), 2 * TASKS * (2 + 1));
    let h = handler.futures().unwrap();
    assert_eq!(h.polls(), TASKS * (4 + 1));
    assert!(
        h.wall_time() >= handler.cumtime(),
        "waiting adds to wall time"
    );
    assert_eq!(handler.latency().unwrap().count(), TASKS);
}

#[test]
fn the_exit_report_and_files_work_on_spans() {
    subscribe();
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(|| fib(5));
    let dir = std::env::temp_dir().join(format!("profkit-tracing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["p.json", "p.prof", "p.pb.gz", "p.folded"] {
        report.write(dir.join(name)).unwrap();
    }
    let back = profkit::Report::read(dir.join("p.json")).unwrap();
    assert_eq!(back, report);
    let pstats = profkit::Report::read(dir.join("p.prof")).unwrap();
    assert_eq!(pstats.function("fib").unwrap().ncalls(), 15);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_span_is_a_call_from_its_first_entry_to_its_close() {
    subscribe();
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(|| {
        // Never entered: it ran nothing, and is no call.
        drop(tracing::info_span!("unentered"));
        // Entered twice, then closed: one call, two entries, its busy time both.
        let twice = tracing::info_span!("twice");
        twice.in_scope(|| advance(Duration::from_micros(3)));
        advance(Duration::from_micros(50));
        twice.in_scope(|| advance(Duration::from_micros(4)));
        drop(twice);
        // A parent whose handle goes first: it closes with its last child, and both count.
        let parent = tracing::info_span!("outlived");
        let child = parent.in_scope(|| {
            advance(Duration::from_micros(1));
            tracing::info_span!("outliving")
        });
        drop(parent);
        child.in_scope(|| advance(Duration::from_micros(2)));
        drop(child);
    });
    assert!(report.function("unentered").is_err(), "{report}");
    let twice = report.function("twice").unwrap();
    assert_eq!(twice.ncalls(), 1);
    assert_eq!(twice.tottime(), Duration::from_micros(7));
    let futures = twice.futures().unwrap();
    assert_eq!((futures.completed(), futures.polls()), (1, 2));
    for name in ["outlived", "outliving"] {
        assert_eq!(
            report.function(name).unwrap().ncalls(),
            1,
            "{name}: {report}"
        );
    }
    assert_eq!(
        report.function("outliving").unwrap().tottime(),
        Duration::from_micros(2)
    );
}

#[test]
fn a_span_closed_on_another_thread_is_counted_once_there() {
    subscribe();
    let span = tracing::info_span!("moved_span");
    std::thread::scope(|s| {
        s.spawn(|| span.in_scope(|| std::hint::black_box(1) + 1));
    });
    // Entered on the scoped thread, closed on this one when its handle drops.
    let closer = std::thread::spawn(move || drop(span));
    closer.join().unwrap();
    let report = profkit::report();
    let moved = report.function("tracing_layer::moved_span").unwrap();
    assert_eq!(moved.ncalls(), 1, "{report}");
    assert_eq!(moved.futures().unwrap().polls(), 1);
}

#[profkit::profile]
fn close_span(span: tracing::Span) {
    advance(Duration::from_micros(3));
    drop(span);
    advance(Duration::from_micros(4));
}

#[test]
fn a_span_closed_inside_a_call_is_counted_there_and_takes_none_of_its_time() {
    subscribe();
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(|| {
        let span = tracing::info_span!("closed_in_a_call");
        span.in_scope(|| advance(Duration::from_micros(5)));
        close_span(span);
    });
    let closed = report.function("closed_in_a_call").unwrap();
    // The call is counted where the span closes; its busy time stays where it ran.
    assert_eq!(
        (closed.ncalls(), closed.tottime()),
        (1, Duration::from_micros(5))
    );
    let under_close = closed.caller("close_span").unwrap();
    assert_eq!(
        (
            under_close.ncalls(),
            under_close.tottime(),
            under_close.cumtime()
        ),
        (1, Duration::ZERO, Duration::ZERO),
        "{report}"
    );
    let close_span = report.function("close_span").unwrap();
    assert_eq!(
        (
            close_span.ncalls(),
            close_span.tottime(),
            close_span.cumtime()
        ),
        (1, Duration::from_micros(7), Duration::from_micros(7))
    );
    assert_eq!(closed.futures().unwrap().completed(), 1);
    assert_eq!(report.total_time(), Duration::from_micros(12));
}

#[test]
fn more_spans_open_at_once_than_the_layer_has_slots_are_all_counted() {
    subscribe();
    // The layer keeps the calls of up to 4096 open spans in a table and the others in their
    // extensions: 5000 open at once take both ways, and every one counts exactly.
    const SPANS: usize = 5000;
    let _clock = TestClock::install().unwrap();
    let (_, report) = profkit::record(|| {
        let spans: Vec<_> = (0..SPANS).map(|_| tracing::info_span!("crowded")).collect();
        for span in &spans {
            span.in_scope(|| advance(Duration::from_nanos(2)));
        }
        // Entered again, in the opposite order: one call each, two entries.
        for span in spans.iter().rev() {
            span.in_scope(|| advance(Duration::from_nanos(1)));
        }
        drop(spans);
        // The table's slots are free again: a span after them is counted as well.
        tracing::info_span!("after_the_crowd").in_scope(|| advance(Duration::from_nanos(5)));
    });
    let crowded = report.function("crowded").unwrap();
    assert_eq!(crowded.ncalls(), SPANS as u64);
    assert_eq!(crowded.tottime(), Duration::from_nanos(3 * SPANS as u64));
    let futures = crowded.futures().unwrap();
    assert_eq!(
        (futures.completed(), futures.polls()),
        (SPANS as u64, 2 * SPANS as u64)
    );
    let after = report.function("after_the_crowd").unwrap();
    assert_eq!(
        (after.ncalls(), after.tottime()),
        (1, Duration::from_nanos(5))
    );
}

#[test]
fn two_subscribers_with_the_same_span_ids_keep_their_spans_apart() {
    let _clock = TestClock::install().unwrap();
    let first = tracing::Dispatch::new(
        tracing_subscriber::registry().with(profkit::tracing::ProfkitLayer::new()),
    );
    let layer = profkit::tracing::ProfkitLayer::new();
    // A clone is a new layer: it gets its own table when added to a subscriber.
    let second = tracing::Dispatch::new(tracing_subscriber::registry().with(layer.clone()));
    let (_, report) = profkit::record(|| {
        let a = tracing::dispatcher::with_default(&first, || tracing::info_span!("of_first"));
        let b = tracing::dispatcher::with_default(&second, || tracing::info_span!("of_second"));
        // Each registry numbers its spans from the same start.
        assert_eq!(a.id(), b.id());
        a.in_scope(|| advance(Duration::from_nanos(10)));
        b.in_scope(|| advance(Duration::from_nanos(20)));
        a.in_scope(|| advance(Duration::from_nanos(30)));
        drop(b);
        a.in_scope(|| advance(Duration::from_nanos(40)));
        drop(a);
    });
    let a = report.function("of_first").unwrap();
    assert_eq!((a.ncalls(), a.tottime()), (1, Duration::from_nanos(80)));
    assert_eq!(a.futures().unwrap().polls(), 3);
    let b = report.function("of_second").unwrap();
    assert_eq!((b.ncalls(), b.tottime()), (1, Duration::from_nanos(20)));
    assert_eq!(b.futures().unwrap().polls(), 1);
}
