//! The budgets file of `profkit check`: TOML, one `[[budget]]` table per function.
//!
//! ```toml
//! [[budget]]
//! function = "app::db::fetch_row"  # exact name or unique ::suffix
//! p99 = "2ms"                      # p50, p90, p99, max, cumtime, tottime: durations
//! ncalls = 100                     # at most this many calls
//! severity = "error"               # or "warning"; default "error"
//!
//! [[budget]]
//! function = "fetch_row"
//! per_call_of = "get_users"        # calls of fetch_row made by get_users, per get_users call
//! max_per_call = 1
//! severity = "warning"
//!
//! [[budget]]
//! function = "app::handle"
//! max_bytes_per_call = "64KiB"     # sizes: B, KB, MB, GB (10^3) or KiB, MiB, GiB (2^10)
//! max_allocs_per_call = 10         # both per outermost call, callees included
//! max_peak_mb = "1MiB"             # the most heap one call needed
//! max_wait_share = 0.5             # at most half of cumtime waiting (needs PROFKIT_CPU=1)
//!
//! [[process]]
//! max_memory_mb = "512MB"          # the OS's peak RSS of the run
//! max_heap_mb = "256MiB"           # the peak of the heap profkit::Alloc counted
//! severity = "error"
//! ```

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::output::{Failure, Size, parse_duration, parse_size};

/// Budgets files larger than this are refused before they are read.
const MAX_BUDGETS_BYTES: u64 = 16 << 20;

/// How bad breaking a budget is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Severity {
    /// Printed; the exit status stays 0.
    Warning,
    /// Printed; the exit status is 1.
    Error,
}

impl Severity {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A latency or time statistic a budget bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeMetric {
    P50,
    P90,
    P99,
    Max,
    CumTime,
    TotTime,
}

impl TimeMetric {
    pub(crate) fn name(self) -> &'static str {
        match self {
            TimeMetric::P50 => "p50",
            TimeMetric::P90 => "p90",
            TimeMetric::P99 => "p99",
            TimeMetric::Max => "max",
            TimeMetric::CumTime => "cumtime",
            TimeMetric::TotTime => "tottime",
        }
    }
}

/// One bound of a budget.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Limit {
    /// The statistic is at most this long.
    Time(TimeMetric, Duration),
    /// At most this many calls.
    Calls(u64),
    /// At most this many calls made by `parent`, per call of `parent`.
    PerCallOf { parent: String, max: f64 },
    /// At most this many bytes allocated per outermost call, callees included.
    BytesPerCall(Size),
    /// At most this many allocations per outermost call, callees included.
    AllocsPerCall(f64),
    /// No call needed more heap than this (its peak above its level at entry).
    PeakPerCall(Size),
    /// At most this share (0 to 1) of the cumulative time spent waiting (not on a CPU).
    WaitShare(f64),
    /// The process's peak resident memory, as the OS counts it (`getrusage`'s `ru_maxrss`).
    MaxRss(Size),
    /// The process heap's peak, as the allocator wrapper counted it.
    HeapPeak(Size),
}

/// One `[[budget]]` table, or one `[[process]]` table.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Budget {
    /// `None` for a `[[process]]` table: the limits bound the whole run.
    pub(crate) function: Option<String>,
    pub(crate) limits: Vec<Limit>,
    pub(crate) severity: Severity,
    /// Where the table starts in the file (from 1).
    pub(crate) line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    #[serde(default)]
    budget: Vec<Spanned<BudgetToml>>,
    #[serde(default)]
    process: Vec<Spanned<ProcessToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProcessToml {
    max_memory_mb: Option<Spanned<toml::Value>>,
    max_heap_mb: Option<Spanned<toml::Value>>,
    severity: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BudgetToml {
    function: Spanned<String>,
    p50: Option<Spanned<String>>,
    p90: Option<Spanned<String>>,
    p99: Option<Spanned<String>>,
    max: Option<Spanned<String>>,
    cumtime: Option<Spanned<String>>,
    tottime: Option<Spanned<String>>,
    ncalls: Option<u64>,
    per_call_of: Option<Spanned<String>>,
    max_per_call: Option<Spanned<f64>>,
    max_bytes_per_call: Option<Spanned<toml::Value>>,
    max_allocs_per_call: Option<Spanned<toml::Value>>,
    max_peak_mb: Option<Spanned<toml::Value>>,
    max_wait_share: Option<Spanned<f64>>,
    // Process limits, refused here with a pointer to [[process]].
    max_memory_mb: Option<Spanned<toml::Value>>,
    max_heap_mb: Option<Spanned<toml::Value>>,
    severity: Option<Spanned<String>>,
}

/// The line (from 1) of byte `offset` of `text`, given the offsets of its newlines.
fn line_of(newlines: &[usize], offset: usize) -> usize {
    newlines.partition_point(|&n| n < offset) + 1
}

/// The offsets of `text`'s newlines, so that each budget's line is a binary search rather
/// than a count from the start (a file of many budgets would take the square of its size).
fn newlines(text: &str) -> Vec<usize> {
    text.bytes()
        .enumerate()
        .filter_map(|(i, b)| (b == b'\n').then_some(i))
        .collect()
}

/// Reads and checks a budgets file (standard input for `-`).
pub(crate) fn read(path: &Path) -> Result<Vec<Budget>, Failure> {
    let bytes = crate::input::read_text(path, MAX_BUDGETS_BYTES, "a budgets file")?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Failure::file(
            path,
            format_args!("at byte {}: not UTF-8 text", e.utf8_error().valid_up_to()),
        )
    })?;
    parse(&text).map_err(|(line, what)| Failure::file(path, format_args!("line {line}: {what}")))
}

/// Parses the text of a budgets file; an error is its line (from 1) and what is wrong.
pub(crate) fn parse(text: &str) -> Result<Vec<Budget>, (usize, String)> {
    let file: FileToml = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(&newlines(text), s.start));
        (line, e.message().trim().replace('\n', " "))
    })?;
    if file.budget.is_empty() && file.process.is_empty() {
        return Err((
            1,
            "no budgets: expected [[budget]] tables with a function and a limit, or a \
             [[process]] table"
                .to_owned(),
        ));
    }
    let newlines = newlines(text);
    let at = |span: Range<usize>| line_of(&newlines, span.start);
    let mut budgets = file
        .budget
        .into_iter()
        .map(|b| {
            let line = at(b.span());
            let b = b.into_inner();
            let function = b.function.get_ref().trim().to_owned();
            if function.is_empty() {
                return Err((at(b.function.span()), "`function` is empty".to_owned()));
            }
            let severity = severity(b.severity.as_ref(), at)?;
            for (key, value) in [("max_memory_mb", &b.max_memory_mb), ("max_heap_mb", &b.max_heap_mb)] {
                if let Some(v) = value {
                    return Err((
                        at(v.span()),
                        format!("{key} bounds the whole process: put it in a [[process]] table, not in a [[budget]] of a function"),
                    ));
                }
            }
            let mut limits = Vec::new();
            let times = [
                (TimeMetric::P50, &b.p50),
                (TimeMetric::P90, &b.p90),
                (TimeMetric::P99, &b.p99),
                (TimeMetric::Max, &b.max),
                (TimeMetric::CumTime, &b.cumtime),
                (TimeMetric::TotTime, &b.tottime),
            ];
            for (metric, value) in times {
                if let Some(v) = value {
                    let d = parse_duration(v.get_ref())
                        .map_err(|e| (at(v.span()), format!("{}: {e}", metric.name())))?;
                    limits.push(Limit::Time(metric, d));
                }
            }
            if let Some(n) = b.ncalls {
                limits.push(Limit::Calls(n));
            }
            match (&b.per_call_of, &b.max_per_call) {
                (Some(parent), Some(_)) if parent.get_ref().trim().is_empty() => {
                    return Err((at(parent.span()), "`per_call_of` is empty".to_owned()));
                }
                (Some(parent), Some(max)) => {
                    let m = *max.get_ref();
                    if !m.is_finite() || m < 0.0 {
                        return Err((
                            at(max.span()),
                            format!("max_per_call {m}: expected a number of calls >= 0"),
                        ));
                    }
                    limits.push(Limit::PerCallOf {
                        parent: parent.get_ref().trim().to_owned(),
                        max: m,
                    });
                }
                (Some(parent), None) => {
                    return Err((
                        at(parent.span()),
                        "per_call_of needs max_per_call (the calls allowed per call)".to_owned(),
                    ));
                }
                (None, Some(max)) => {
                    return Err((
                        at(max.span()),
                        "max_per_call needs per_call_of (the calling function)".to_owned(),
                    ));
                }
                (None, None) => {}
            }
            if let Some(v) = &b.max_bytes_per_call {
                limits.push(Limit::BytesPerCall(size("max_bytes_per_call", v, at)?));
            }
            if let Some(v) = &b.max_allocs_per_call {
                limits.push(Limit::AllocsPerCall(count("max_allocs_per_call", v, at)?));
            }
            if let Some(v) = &b.max_peak_mb {
                limits.push(Limit::PeakPerCall(size("max_peak_mb", v, at)?));
            }
            if let Some(v) = &b.max_wait_share {
                let share = *v.get_ref();
                if !(0.0..=1.0).contains(&share) {
                    return Err((
                        at(v.span()),
                        format!("max_wait_share {share}: expected a share from 0 to 1"),
                    ));
                }
                limits.push(Limit::WaitShare(share));
            }
            if limits.is_empty() {
                return Err((
                    line,
                    format!(
                        "the budget of {function:?} sets no limit: give p50, p90, p99, max, \
                         cumtime, tottime, ncalls, per_call_of + max_per_call, \
                         max_bytes_per_call, max_allocs_per_call, max_peak_mb or \
                         max_wait_share"
                    ),
                ));
            }
            Ok(Budget {
                function: Some(function),
                limits,
                severity,
                line,
            })
        })
        .collect::<Result<Vec<Budget>, _>>()?;
    for p in file.process {
        let line = at(p.span());
        let p = p.into_inner();
        let severity = severity(p.severity.as_ref(), at)?;
        let mut limits = Vec::new();
        if let Some(v) = &p.max_memory_mb {
            limits.push(Limit::MaxRss(size("max_memory_mb", v, at)?));
        }
        if let Some(v) = &p.max_heap_mb {
            limits.push(Limit::HeapPeak(size("max_heap_mb", v, at)?));
        }
        if limits.is_empty() {
            return Err((
                line,
                "a [[process]] table sets no limit: give max_memory_mb or max_heap_mb".to_owned(),
            ));
        }
        budgets.push(Budget {
            function: None,
            limits,
            severity,
            line,
        });
    }
    Ok(budgets)
}

/// A table's `severity`: "error" (the default) or "warning".
fn severity(
    value: Option<&Spanned<String>>,
    at: impl Fn(Range<usize>) -> usize,
) -> Result<Severity, (usize, String)> {
    match value {
        None => Ok(Severity::Error),
        Some(s) => match s.get_ref().as_str() {
            "error" => Ok(Severity::Error),
            "warning" => Ok(Severity::Warning),
            other => Err((
                at(s.span()),
                format!("severity {other:?}: expected \"error\" or \"warning\""),
            )),
        },
    }
}

/// A memory limit: a string with a unit (`"512MB"`, `"64KiB"`); a bare number, a negative one
/// or anything else is refused, naming `key`.
fn size(
    key: &str,
    value: &Spanned<toml::Value>,
    at: impl Fn(Range<usize>) -> usize,
) -> Result<Size, (usize, String)> {
    let text = match value.get_ref() {
        toml::Value::String(s) => s.clone(),
        // Parsed as text so that the number is refused for its sign or its missing unit.
        v @ (toml::Value::Integer(_) | toml::Value::Float(_)) => v.to_string(),
        other => {
            return Err((
                at(value.span()),
                format!(
                    "{key}: a {} is not a size: expected a string such as \"512MB\" or \"64KiB\"",
                    other.type_str()
                ),
            ));
        }
    };
    parse_size(&text).map_err(|e| (at(value.span()), format!("{key}: {e}")))
}

/// A limit on a number of allocations: a number >= 0, naming `key` when it is not.
fn count(
    key: &str,
    value: &Spanned<toml::Value>,
    at: impl Fn(Range<usize>) -> usize,
) -> Result<f64, (usize, String)> {
    let n = match value.get_ref() {
        toml::Value::Integer(n) => *n as f64,
        toml::Value::Float(x) => *x,
        other => {
            return Err((
                at(value.span()),
                format!(
                    "{key}: {other} is not a number: expected a number of allocations such as 10"
                ),
            ));
        }
    };
    let what = if n < 0.0 {
        "is negative"
    } else {
        "is not finite"
    };
    if !n.is_finite() || n < 0.0 {
        return Err((
            at(value.span()),
            format!("{key}: {n} {what}: expected a number of allocations >= 0"),
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let text = "\
[[budget]]
function = \"app::db::fetch_row\"
p99 = \"2ms\"
ncalls = 100
severity = \"error\"

[[budget]]
function = \"fetch_row\"
per_call_of = \"get_users\"
max_per_call = 1
severity = \"warning\"
";
        let b = parse(text).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(
            b[0].limits,
            vec![
                Limit::Time(TimeMetric::P99, Duration::from_millis(2)),
                Limit::Calls(100)
            ]
        );
        assert_eq!((b[0].line, b[0].severity), (1, Severity::Error));
        assert_eq!(
            b[1].limits,
            vec![Limit::PerCallOf {
                parent: "get_users".into(),
                max: 1.0
            }]
        );
        assert_eq!((b[1].line, b[1].severity), (7, Severity::Warning));
    }

    #[test]
    fn memory_limits_parse_with_their_units() {
        use crate::output::SizeUnit;
        let text = "\
[[budget]]
function = \"app::handle\"
max_bytes_per_call = \"64KiB\"
max_allocs_per_call = 10
max_peak_mb = \"1.5MB\"

[[process]]
max_memory_mb = \"512MB\"
max_heap_mb = \"256 MiB\"
severity = \"warning\"
";
        let b = parse(text).unwrap();
        let size = |bytes, unit| Size { bytes, unit };
        assert_eq!(b[0].function.as_deref(), Some("app::handle"));
        assert_eq!(
            b[0].limits,
            vec![
                Limit::BytesPerCall(size(65_536, SizeUnit::KiB)),
                Limit::AllocsPerCall(10.0),
                Limit::PeakPerCall(size(1_500_000, SizeUnit::MB)),
            ]
        );
        assert_eq!((b[1].function.as_deref(), b[1].line), (None, 7));
        assert_eq!(
            b[1].limits,
            vec![
                Limit::MaxRss(size(512_000_000, SizeUnit::MB)),
                Limit::HeapPeak(size(256 << 20, SizeUnit::MiB)),
            ]
        );
        assert_eq!(b[1].severity, Severity::Warning);
        // A file of process limits only is a budgets file too.
        assert_eq!(
            parse("[[process]]\nmax_memory_mb = \"1GB\"\n")
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn a_wait_share_is_a_number_from_0_to_1() {
        let b = parse("[[budget]]\nfunction = \"h\"\nmax_wait_share = 0.25\n").unwrap();
        assert_eq!(b[0].limits, vec![Limit::WaitShare(0.25)]);
        for bad in ["1.5", "-0.1"] {
            let err = parse(&format!(
                "[[budget]]\nfunction = \"h\"\nmax_wait_share = {bad}\n"
            ))
            .unwrap_err();
            assert_eq!(err.0, 3);
            assert!(err.1.contains("expected a share from 0 to 1"), "{}", err.1);
        }
    }

    #[test]
    fn bad_memory_limits_name_their_key_and_line() {
        let head = "[[budget]]\nfunction = \"f\"\n";
        for (line, says) in [
            (
                "max_bytes_per_call = 512",
                "max_bytes_per_call: \"512\" needs a unit",
            ),
            (
                "max_bytes_per_call = \"512\"",
                "max_bytes_per_call: \"512\" needs a unit",
            ),
            (
                "max_bytes_per_call = \"-1KB\"",
                "max_bytes_per_call: \"-1KB\" is negative",
            ),
            ("max_peak_mb = -3", "max_peak_mb: \"-3\" is negative"),
            (
                "max_peak_mb = \"lots\"",
                "max_peak_mb: \"lots\" is not a size",
            ),
            ("max_peak_mb = true", "max_peak_mb: a boolean is not a size"),
            (
                "max_peak_mb = \"3 parsecs\"",
                "max_peak_mb: \"3 parsecs\": unknown unit",
            ),
            (
                "max_allocs_per_call = -2",
                "max_allocs_per_call: -2 is negative",
            ),
            (
                "max_allocs_per_call = \"ten\"",
                "max_allocs_per_call: \"ten\" is not a number",
            ),
            (
                "max_allocs_per_call = nan",
                "max_allocs_per_call: NaN is not finite",
            ),
            (
                "max_memory_mb = \"1GB\"",
                "max_memory_mb bounds the whole process",
            ),
        ] {
            let (at, what) = parse(&format!("{head}{line}\n")).unwrap_err();
            assert_eq!(at, 3, "{line}: {what}");
            assert!(what.contains(says), "{line}: {what}");
        }
        for (text, says) in [
            (
                "[[process]]\nmax_memory_mb = \"512\"\n",
                "max_memory_mb: \"512\" needs a unit",
            ),
            (
                "[[process]]\nmax_heap_mb = -1\n",
                "max_heap_mb: \"-1\" is negative",
            ),
            (
                "[[process]]\nmax_memory_mb = \"huge\"\n",
                "max_memory_mb: \"huge\" is not a size",
            ),
            (
                "[[process]]\nmax_rss = \"1GB\"\n",
                "unknown field `max_rss`",
            ),
            ("[[process]]\nseverity = \"error\"\n", "sets no limit"),
        ] {
            let (at, what) = parse(text).unwrap_err();
            assert!(at <= 2, "{text}: line {at}");
            assert!(what.contains(says), "{text}: {what}");
        }
    }

    #[test]
    fn twenty_thousand_mutated_budgets_files_never_panic() {
        let text = "[[budget]]\nfunction = \"app::db::fetch_row\"\np99 = \"2ms\"\nncalls = 100\n\
                    severity = \"error\"\n\n[[budget]]\nfunction = \"fetch_row\"\n\
                    per_call_of = \"get_users\"\nmax_per_call = 1.5\nseverity = \"warning\"\n";
        let alphabet = b"[]=\"\n #.-0123456789eEmsunfpa_:,{}";
        // xorshift64*: a fixed sequence, so a failure reproduces.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_f491_4f6c_dd1d)
        };
        let (mut ok, mut refused) = (0, 0);
        for _ in 0..20_000 {
            let mut bytes = text.as_bytes().to_vec();
            for _ in 0..=next() % 3 {
                let at = (next() % bytes.len() as u64) as usize;
                let c = alphabet[(next() % alphabet.len() as u64) as usize];
                match next() % 4 {
                    0 => bytes[at] = c,
                    1 => bytes.insert(at, c),
                    2 => {
                        bytes.remove(at);
                    }
                    _ => bytes.truncate(at),
                }
                if bytes.is_empty() {
                    break;
                }
            }
            let mutated = String::from_utf8_lossy(&bytes);
            match parse(&mutated) {
                Ok(_) => ok += 1,
                Err((line, what)) => {
                    refused += 1;
                    assert!(
                        line >= 1 && line <= mutated.lines().count().max(1) + 1,
                        "{line}"
                    );
                    assert!(!what.is_empty());
                }
            }
        }
        assert!(
            ok > 1_000 && refused > 1_000,
            "{ok} parsed, {refused} refused"
        );
    }

    #[test]
    fn mistakes_name_their_line() {
        let line = |t: &str| parse(t).unwrap_err().0;
        assert_eq!(line("[[budget]]\nfunction = \"f\"\np99 = \"2\"\n"), 3);
        assert_eq!(line("[[budget]]\nfunction = \"f\"\n\np99 = 2ms\n"), 4);
        assert_eq!(
            line("[[budget]]\nfunction = \"f\"\nseverity = \"fatal\"\n"),
            3
        );
        assert_eq!(line("[[budget]]\nfunction = \"f\"\nncals = 3\n"), 3);
        assert_eq!(line("\n\n[[budget]]\nfunction = \"f\"\n"), 3);
        assert_eq!(line(""), 1);
        let (_, what) = parse("[[budget]]\nfunction = \"f\"\nncalls = -1\n").unwrap_err();
        assert!(!what.is_empty());
    }
}
