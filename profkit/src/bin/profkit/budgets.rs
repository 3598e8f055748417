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
//! ```

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::output::{Failure, parse_duration};

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
}

/// One `[[budget]]` table.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Budget {
    pub(crate) function: String,
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
    if file.budget.is_empty() {
        return Err((
            1,
            "no budgets: expected [[budget]] tables with a function and a limit".to_owned(),
        ));
    }
    let newlines = newlines(text);
    let at = |span: Range<usize>| line_of(&newlines, span.start);
    file.budget
        .into_iter()
        .map(|b| {
            let line = at(b.span());
            let b = b.into_inner();
            let function = b.function.get_ref().trim().to_owned();
            if function.is_empty() {
                return Err((at(b.function.span()), "`function` is empty".to_owned()));
            }
            let severity = match &b.severity {
                None => Severity::Error,
                Some(s) => match s.get_ref().as_str() {
                    "error" => Severity::Error,
                    "warning" => Severity::Warning,
                    other => {
                        return Err((
                            at(s.span()),
                            format!("severity {other:?}: expected \"error\" or \"warning\""),
                        ));
                    }
                },
            };
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
            if limits.is_empty() {
                return Err((
                    line,
                    format!(
                        "the budget of {function:?} sets no limit: give p50, p90, p99, max, \
                         cumtime, tottime, ncalls or per_call_of + max_per_call"
                    ),
                ));
            }
            Ok(Budget {
                function,
                limits,
                severity,
                line,
            })
        })
        .collect()
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
