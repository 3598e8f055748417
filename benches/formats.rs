//! Writing and reading a 10,000-function profile in every file format.
//!
//! `cargo bench -p profkit-suite --bench formats` prints each format's size, then divan's timings. The profile
//! is built from a generated JSON file: 10,000 functions in a call tree eight wide, three
//! call paths per function, no latency buckets.

use std::fmt::Write as _;
use std::hint::black_box;

use once_cell::sync::Lazy;
use profkit::Report;

const FUNCTIONS: usize = 10_000;

/// A profile of `FUNCTIONS` functions as profkit's JSON.
fn generated_json() -> String {
    let mut sites = String::new();
    let mut tree = String::new();
    // Node i (from 1) calls function i - 1; its parent is node (i - 1) / 8 (0: the root).
    // Nodes FUNCTIONS.. call the first functions again from deeper paths.
    let nodes = 3 * FUNCTIONS;
    let site_of = |node: usize| (node - 1) % FUNCTIONS;
    let parent_of = |node: usize| (node - 1) / 8;
    let mut incl = vec![0u64; nodes + 1];
    for node in (1..=nodes).rev() {
        let own_ns = 1_000 + (node as u64 * 7919) % 100_000;
        incl[node] += own_ns;
        let p = parent_of(node);
        if p > 0 {
            incl[p] += incl[node];
        }
    }
    for (node, incl_ns) in incl.iter().enumerate().skip(1) {
        let s = site_of(node);
        let own_ns = 1_000 + (node as u64 * 7919) % 100_000;
        let n = 1 + (node as u64 % 13);
        let _ = write!(
            tree,
            "{}[{s},{},3,{n},{own_ns},{}]",
            if node > 1 { "," } else { "" },
            parent_of(node),
            incl_ns
        );
    }
    for s in 0..FUNCTIONS {
        let _ = write!(
            sites,
            "{}{{\"name\":\"app::module_{}::function_{s}\",\"file\":\"src/module_{}.rs\",\"line\":{}}}",
            if s > 0 { "," } else { "" },
            s / 100,
            s / 100,
            1 + s % 100 * 10
        );
    }
    format!(
        "{{\"format\":\"profkit\",\"version\":1,\"program\":\"bench\",\"started_unix_ns\":0,\
         \"duration_ns\":1000000000,\"sites\":[{sites}],\"clocks\":[\"wall\"],\
         \"functions\":[],\"tree\":[{tree}],\"threads\":[]}}"
    )
}

static REPORT: Lazy<Report> = Lazy::new(|| {
    // The file lists no rows: the reader derives them from the tree.
    let report = Report::from_json_bytes(generated_json().as_bytes())
        .unwrap_or_else(|e| panic!("generated profile: {e}"));
    assert_eq!(report.len(), FUNCTIONS);
    report
});

#[divan::bench]
fn write_text() -> usize {
    black_box(&*REPORT).to_string().len()
}

#[divan::bench]
fn write_prof() -> usize {
    black_box(&*REPORT).to_pstats_bytes().len()
}

#[divan::bench]
fn write_json() -> usize {
    black_box(&*REPORT).to_json().len()
}

#[divan::bench]
fn write_folded() -> usize {
    black_box(&*REPORT).folded().len()
}

#[divan::bench(sample_count = 10)]
fn write_svg() -> usize {
    black_box(&*REPORT).flamegraph_svg().map_or(0, |s| s.len())
}

#[divan::bench(sample_count = 20)]
fn write_pprof() -> usize {
    black_box(&*REPORT).to_pprof().map_or(0, |b| b.len())
}

#[divan::bench]
fn read_prof(bencher: divan::Bencher) {
    let bytes = REPORT.to_pstats_bytes();
    bencher.bench(|| Report::from_bytes(black_box(&bytes)).map(|r| r.len()));
}

#[divan::bench]
fn read_json(bencher: divan::Bencher) {
    let json = REPORT.to_json();
    bencher.bench(|| Report::from_bytes(black_box(json.as_bytes())).map(|r| r.len()));
}

fn main() {
    if std::env::args().any(|a| a == "--bench") {
        let r = &*REPORT;
        let svg = r.flamegraph_svg().map_or(0, |s| s.len());
        println!(
            "{FUNCTIONS} functions, {} call paths: text {} B, .prof {} B, .json {} B, \
             .folded {} B, .svg {svg} B, .pb.gz {} B",
            r.folded().lines().count(),
            r.to_string().len(),
            r.to_pstats_bytes().len(),
            r.to_json().len(),
            r.folded().len(),
            r.to_pprof().map_or(0, |b| b.len()),
        );
    }
    divan::main();
}
