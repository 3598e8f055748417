//! Given the same numbers, profkit's table is the text Python's `pstats` prints, character for
//! character: this test hands a profile's numbers to python3's real `pstats`
//! (`tests/twins/pstats_text.py`) and compares the two texts for every sort key and several
//! limits.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use profkit::testing::{TestClock, advance};
use profkit::{Report, SortKey, profile};

fn ns(n: u64) {
    advance(Duration::from_nanos(n));
}

// Own times chosen to land on rounding edges of "%8.3f" and to make ties.
#[profile]
fn half_ms() {
    ns(500_000); // 0.0005 s
}
#[profile]
fn one_and_a_half_ms() {
    ns(1_500_000);
}
#[profile]
fn tie_a() {
    ns(62_500_000); // 0.0625 s
}
#[profile]
fn tie_b() {
    ns(62_500_000);
}
#[profile]
fn hours() {
    ns(12_345_678_901_234); // 12345.678901234 s: wider than 8 columns
}
#[profile]
fn fib(n: u64) -> u64 {
    ns(1_234_567);
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}
#[profile]
fn tiny() {
    ns(1);
}
#[profile]
fn never_advances() {}

#[profile]
fn root() {
    ns(333_333_333);
    for _ in 0..3 {
        half_ms();
    }
    one_and_a_half_ms();
    tie_a();
    tie_b();
    hours();
    fib(6);
    for _ in 0..7 {
        tiny();
        never_advances();
    }
}

fn sample() -> Report {
    let _clock = TestClock::install().unwrap();
    profkit::record(root).1
}

fn seconds(d: Duration) -> f64 {
    d.as_nanos() as f64 * 1e-9
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// The report's numbers, in the report's order, as the twin script reads them.
fn stats_json(report: &Report) -> String {
    let rows: Vec<String> = report
        .functions()
        .map(|f| {
            let callers: Vec<String> = f
                .callers()
                .iter()
                .map(|e| {
                    format!(
                        "[{},{},{},{},{},{:?},{:?}]",
                        json_str(e.file()),
                        e.line(),
                        json_str(e.name()),
                        e.ncalls(),
                        e.primitive_calls(),
                        seconds(e.tottime()),
                        seconds(e.cumtime())
                    )
                })
                .collect();
            format!(
                "[{},{},{},{},{},{:?},{:?},[{}]]",
                json_str(f.file()),
                f.line(),
                json_str(f.name()),
                f.primitive_calls(),
                f.ncalls(),
                seconds(f.tottime()),
                seconds(f.cumtime()),
                callers.join(",")
            )
        })
        .collect();
    format!("[{}]", rows.join(","))
}

fn python_key(key: SortKey) -> &'static str {
    match key {
        SortKey::Cumulative => "cumulative",
        SortKey::TotTime => "tottime",
        SortKey::Calls => "calls",
        SortKey::PrimitiveCalls => "pcalls",
        SortKey::Name => "name",
        SortKey::File => "filename",
        SortKey::Line => "line",
        SortKey::StdName => "stdname",
        other => panic!("no pstats name known for {other:?}"),
    }
}

/// One restriction, as profkit's builder and as pstats' `*amount` argument (JSON).
#[derive(Clone, Debug)]
enum Amount {
    Count(usize),
    Fraction(f64),
    Pattern(&'static str),
}

impl Amount {
    fn json(&self) -> String {
        match self {
            Amount::Count(n) => n.to_string(),
            Amount::Fraction(x) => format!("{x:?}"),
            Amount::Pattern(p) => json_str(p),
        }
    }

    fn apply<'a>(&self, table: profkit::StatsTable<'a>) -> profkit::StatsTable<'a> {
        match self {
            Amount::Count(n) => table.limit(*n),
            Amount::Fraction(x) => table.fraction(*x),
            Amount::Pattern(p) => table.filter(p),
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Method {
    Stats,
    Callers,
    Callees,
}

struct Case {
    method: Method,
    key: SortKey,
    amount: Vec<Amount>,
}

impl Case {
    /// Our text for the case. Python prints the names it is given, the full ones; our tables
    /// show short names unless told otherwise (`short_names_change_only_the_names` checks
    /// that difference on its own).
    fn ours(&self, report: &Report) -> String {
        let mut table = report.stats().full_names(true).sort(self.key);
        for a in &self.amount {
            table = a.apply(table);
        }
        match self.method {
            Method::Stats => table.to_string(),
            Method::Callers => table.callers().to_string(),
            Method::Callees => table.callees().to_string(),
        }
    }
}

fn pstats_texts(report: &Report, cases: &[Case]) -> Vec<String> {
    let cases_json: Vec<String> = cases
        .iter()
        .map(|c| {
            let method = match c.method {
                Method::Stats => "print_stats",
                Method::Callers => "print_callers",
                Method::Callees => "print_callees",
            };
            let amount: Vec<String> = c.amount.iter().map(Amount::json).collect();
            format!(
                "[\"{method}\",\"{}\",[{}]]",
                python_key(c.key),
                amount.join(",")
            )
        })
        .collect();
    let input = format!(
        "{{\"stats\":{},\"cases\":[{}]}}",
        stats_json(report),
        cases_json.join(",")
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/twins/pstats_text.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (it is on every machine and in CI)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut texts: Vec<String> = text
        .split("=====case-end=====\n")
        .map(String::from)
        .collect();
    assert_eq!(texts.pop().as_deref(), Some(""));
    texts
}

const KEYS: [SortKey; 8] = [
    SortKey::Cumulative,
    SortKey::TotTime,
    SortKey::Calls,
    SortKey::PrimitiveCalls,
    SortKey::Name,
    SortKey::File,
    SortKey::Line,
    SortKey::StdName,
];

fn compare(report: &Report, cases: &[Case]) {
    let expected = pstats_texts(report, cases);
    assert_eq!(expected.len(), cases.len());
    for (case, python) in cases.iter().zip(&expected) {
        assert_eq!(
            case.ours(report),
            *python,
            "{:?} sorted by {:?}, restricted by {:?}",
            case.method,
            case.key,
            case.amount
        );
    }
}

#[test]
fn the_table_equals_python_pstats_for_every_sort_key_and_limit() {
    let report = sample();
    assert_eq!(report.len(), 9);
    let mut cases = Vec::new();
    for key in KEYS {
        for limit in [None, Some(3), Some(0), Some(9), Some(100)] {
            cases.push(Case {
                method: Method::Stats,
                key,
                amount: limit.map(Amount::Count).into_iter().collect(),
            });
        }
    }
    compare(&report, &cases);
    let expected = pstats_texts(&report, &cases[..1]);
    // The default Display is pstats' cumulative order.
    assert_eq!(report.to_string(), expected[0]);
    // And the text is what it claims: rounding edges and nc/cc show up as pstats shows them.
    let text = report.to_string();
    assert!(
        text.contains("    25/1    0.031    0.001    0.031    0.031 "),
        "{text}"
    );
    assert!(
        text.contains("        3    0.002    0.001    0.002    0.001 "),
        "{text}"
    );
    assert!(text.contains("12345.679"), "{text}");
}

#[test]
fn an_empty_report_prints_only_the_header_as_pstats_does() {
    assert_eq!(
        Report::default().to_string(),
        "         0 function calls in 0.000 seconds\n\n"
    );
}

#[test]
fn callers_callees_fractions_and_patterns_equal_python_pstats() {
    let report = sample();
    let restrictions: Vec<Vec<Amount>> = vec![
        vec![],
        vec![Amount::Count(4)],
        vec![Amount::Fraction(0.5)],
        vec![Amount::Fraction(0.25), Amount::Count(1)],
        vec![Amount::Fraction(1.5)],
        vec![Amount::Fraction(1e-5)],
        vec![Amount::Pattern("tie_")],
        vec![Amount::Pattern("fib|hours"), Amount::Count(1)],
        vec![Amount::Pattern("no_such_function")],
        vec![Amount::Pattern("[unclosed")],
        vec![Amount::Pattern("it's")],
    ];
    let mut cases = Vec::new();
    for method in [Method::Stats, Method::Callers, Method::Callees] {
        for key in [SortKey::Cumulative, SortKey::Name, SortKey::Calls] {
            for amount in &restrictions {
                cases.push(Case {
                    method,
                    key,
                    amount: amount.clone(),
                });
            }
        }
    }
    compare(&report, &cases);
    // And the views show what they claim.
    let callers = report.stats().callers().to_string();
    assert!(callers.contains("was called by..."), "{callers}");
    assert!(
        callers.contains("   25/1 ") || callers.contains("24/2"),
        "{callers}"
    );
}

pub mod store {
    pub struct Db;

    impl Db {
        #[profkit::profile]
        pub fn get(&self) {
            super::ns(2_000_000);
        }
    }
}

#[profile]
fn serve() {
    ns(1_000_000);
    store::Db.get();
    store::Db.get();
}

#[test]
fn short_names_change_only_the_names() {
    let report = {
        let _clock = TestClock::install().unwrap();
        profkit::record(serve).1
    };
    let full = "pstats_text::store::Db::get";
    assert_eq!(report.function("Db::get").unwrap().name(), full);
    let cases: Vec<Case> = KEYS
        .iter()
        .map(|&key| Case {
            method: Method::Stats,
            key,
            amount: Vec::new(),
        })
        .collect();
    let python = pstats_texts(&report, &cases);
    for (case, python) in cases.iter().zip(&python) {
        assert!(python.contains(&format!("({full})")), "{python}");
        let mut table = report.stats().sort(case.key);
        for a in &case.amount {
            table = a.apply(table);
        }
        assert_eq!(
            table.to_string(),
            python.replace(&format!("({full})"), "(Db::get)"),
            "{:?}",
            case.key
        );
    }
}
