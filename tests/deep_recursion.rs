//! A recursion 100,000 levels deep (on a thread with a large stack) is recorded exactly, and
//! every output of its report works without overflowing the stack or growing with the square
//! of the depth: the tables, callers and callees, the tree and thread views, JSON and `.prof`
//! written and read back, merging, folded stacks and the SVG flame graph. Recursion is folded
//! in the outputs that draw paths, so they stay small.

use std::time::Duration;

use profkit::testing::{TestClock, advance};
use profkit::{Report, profile};

const DEPTH: u32 = 100_000;
/// Own time of every frame, on the test clock.
const STEP: Duration = Duration::from_micros(1);

#[profile]
fn descend(n: u32) -> u32 {
    advance(STEP);
    if n == 0 { bottom() } else { descend(n - 1) + 1 }
}

#[profile]
fn bottom() -> u32 {
    advance(STEP * 5);
    0
}

#[profile]
fn ping(n: u32) -> u32 {
    advance(STEP);
    if n == 0 { 0 } else { pong(n - 1) + 1 }
}

#[profile]
fn pong(n: u32) -> u32 {
    advance(STEP);
    if n == 0 { 0 } else { ping(n - 1) + 1 }
}

/// Runs `f` on a thread whose stack holds 100,000 profiled frames, with the test clock.
fn deep<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> (T, Report) {
    std::thread::Builder::new()
        .name("deep".into())
        .stack_size(1 << 30)
        .spawn(move || {
            let _clock = TestClock::install().unwrap();
            profkit::record(f)
        })
        .unwrap()
        .join()
        .unwrap()
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("profkit-deep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn a_recursion_100000_deep_is_recorded_exactly_and_every_output_works() {
    let (value, report) = deep(|| descend(DEPTH));
    assert_eq!(value, DEPTH);
    let d = report.function("descend").unwrap();
    assert_eq!((d.ncalls(), d.primitive_calls()), (100_001, 1));
    let self_edge = d.caller("descend").unwrap();
    assert_eq!(
        (self_edge.ncalls(), self_edge.primitive_calls()),
        (100_000, 1)
    );
    // Own time: 1 us per level, 5 us at the bottom.
    let total = STEP * 100_001 + STEP * 5;
    assert_eq!(d.cumtime(), total);
    assert_eq!(report.total_time(), total);

    // The tables: one row per function, whatever the depth.
    let table = report.to_string();
    assert!(table.contains("100001/1"), "{table}");
    assert_eq!(table.lines().count(), 9, "{table}");
    let callers = report.stats().callers().to_string();
    assert!(
        callers.contains("100000/1") && callers.contains("deep_recursion::descend"),
        "{callers}"
    );
    assert!(report.stats().callees().to_string().contains("bottom"));
    assert!(
        report
            .latency()
            .to_string()
            .contains("deep_recursion::descend")
    );

    // The tree folds the recursion into one line and says how deep it went.
    let tree = "   cumtime  % parent  % total     ncalls  call path
     0.100    100.0%   100.0%   100001/1  deep_recursion::descend  [recursion 100000 levels deep, folded]
     0.000      0.0%     0.0%          1    deep_recursion::bottom
";
    assert_eq!(report.tree().to_string(), tree);
    let thread = &report.threads()[0];
    assert_eq!(thread.name(), "deep");
    assert_eq!(thread.report().tree().to_string(), tree);

    // Folded stacks and the flame graph: one path per function, totals kept.
    assert_eq!(
        report.folded(),
        "deep_recursion::descend 100001000\n\
         deep_recursion::descend;deep_recursion::bottom 5000\n"
    );
    let svg = String::from_utf8(report.flamegraph_svg().unwrap()).unwrap();
    assert!(svg.len() < 64 * 1024, "{} bytes", svg.len());
    assert!(svg.contains("deep_recursion::descend"));

    // Every file format by extension, as PROFKIT_OUT writes them; JSON is linear in the
    // paths and reads back equal.
    for ext in ["txt", "prof", "json", "folded", "svg", "pb.gz"] {
        report.write(temp(&format!("deep.{ext}"))).unwrap();
    }
    // pprof folds recursion as the folded stacks do: two short samples.
    assert!(std::fs::metadata(temp("deep.pb.gz")).unwrap().len() < 4096);
    let json = std::fs::metadata(temp("deep.json")).unwrap().len();
    assert!(json < 100 * 100_002, "{json} bytes");
    let back = Report::read(temp("deep.json")).unwrap();
    assert!(back == report, "the JSON reads back equal");
    assert_eq!(back.tree().to_string(), tree);
    let txt = std::fs::read_to_string(temp("deep.txt")).unwrap();
    assert!(txt.starts_with(&table) && txt.len() < 4096, "{txt}");
    let folded = std::fs::read_to_string(temp("deep.folded")).unwrap();
    assert_eq!(folded, report.folded());
    assert!(std::fs::metadata(temp("deep.svg")).unwrap().len() < 64 * 1024);

    // .prof: functions and edges only, so it is small.
    let prof = std::fs::read(temp("deep.prof")).unwrap();
    assert!(prof.len() < 4096, "{} bytes", prof.len());
    let from_prof = Report::from_pstats_bytes(&prof).unwrap();
    assert_eq!(from_prof.function("descend").unwrap().ncalls(), 100_001);

    // Merging doubles every count and keeps the tree.
    let mut twice = report.clone();
    twice.merge(&back);
    assert_eq!(twice.function("descend").unwrap().ncalls(), 200_002);
    assert!(twice.tree().to_string().contains("200002/2"));
    assert_eq!(
        twice.folded(),
        "deep_recursion::descend 200002000\n\
         deep_recursion::descend;deep_recursion::bottom 10000\n"
    );

    // The process-wide report holds the recursion too.
    let all = profkit::report();
    assert_eq!(all.function("descend").unwrap().ncalls(), 100_001);
    assert!(all.tree().to_string().contains("100001/1"));
    let _ = std::fs::remove_dir_all(temp("x").parent().unwrap());
}

#[test]
fn indirect_recursion_100000_deep_folds_back_to_the_open_frames() {
    let (value, report) = deep(|| ping(DEPTH));
    assert_eq!(value, DEPTH);
    let ping = report.function("ping").unwrap();
    let pong = report.function("pong").unwrap();
    assert_eq!((ping.ncalls(), ping.primitive_calls()), (50_001, 1));
    assert_eq!((pong.ncalls(), pong.primitive_calls()), (50_000, 1));
    assert_eq!(
        report.tree().to_string(),
        "   cumtime  % parent  % total     ncalls  call path
     0.100    100.0%   100.0%    50001/1  deep_recursion::ping  [recursion 100000 levels deep, folded]
     0.100    100.0%   100.0%    50000/1    deep_recursion::pong  [recursion 99998 levels deep, folded]
"
    );
    assert_eq!(
        report.folded(),
        "deep_recursion::ping 50001000\n\
         deep_recursion::ping;deep_recursion::pong 50000000\n"
    );
    assert!(report.flamegraph_svg().unwrap().len() < 64 * 1024);
    let back = Report::from_json_bytes(report.to_json().as_bytes()).unwrap();
    assert!(back == report);
}
