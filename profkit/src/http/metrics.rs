//! `/metrics`: Prometheus' text exposition format, one series per function (never per call
//! path, so the series count is the number of profiled functions), lint clean under
//! `promtool check metrics`.

use std::fmt::Write as _;
use std::time::Duration;

use crate::model::{FunctionStats, Report};

/// The latency quantiles of each function's summary.
const QUANTILES: [f64; 4] = [0.5, 0.9, 0.99, 0.999];

/// The exposition of `report` (the whole run: counters only go up until a reset).
pub(crate) fn render(report: &Report) -> String {
    let mut out = String::with_capacity(256 + report.len() * 600);
    let functions: Vec<&FunctionStats> = report.functions().collect();
    let counter =
        |out: &mut String, name: &str, help: &str, value: &dyn Fn(&FunctionStats) -> String| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for f in &functions {
                let _ = writeln!(
                    out,
                    "{name}{{function=\"{}\"}} {}",
                    escape(f.name()),
                    value(f)
                );
            }
        };
    counter(
        &mut out,
        "profkit_function_calls_total",
        "Calls of each profiled function, recursive ones included (pstats ncalls).",
        &|f| f.ncalls().to_string(),
    );
    counter(
        &mut out,
        "profkit_function_primitive_calls_total",
        "Calls of each profiled function that were not recursive (pstats primitive calls).",
        &|f| f.primitive_calls().to_string(),
    );
    counter(
        &mut out,
        "profkit_function_own_seconds_total",
        "Time spent in each profiled function itself, callees excluded (pstats tottime).",
        &|f| seconds(f.tottime()),
    );
    counter(
        &mut out,
        "profkit_function_cumulative_seconds_total",
        "Time spent in each profiled function and its callees, outermost calls only (pstats cumtime).",
        &|f| seconds(f.cumtime()),
    );

    let name = "profkit_function_latency_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} Duration of each profiled function's outermost calls.\n# TYPE {name} summary"
    );
    for f in &functions {
        let Some(latency) = f.latency() else { continue };
        let label = escape(f.name());
        for q in QUANTILES {
            let _ = writeln!(
                out,
                "{name}{{function=\"{label}\",quantile=\"{q}\"}} {}",
                seconds(latency.percentile(q * 100.0))
            );
        }
        let _ = writeln!(
            out,
            "{name}_sum{{function=\"{label}\"}} {}",
            seconds(f.cumtime())
        );
        let _ = writeln!(
            out,
            "{name}_count{{function=\"{label}\"}} {}",
            latency.count()
        );
    }

    if report.has_memory() {
        let with_memory = |value: fn(&crate::model::MemoryStats) -> i128| {
            move |f: &FunctionStats| f.memory().map_or(0, value).to_string()
        };
        counter(
            &mut out,
            "profkit_function_allocations_total",
            "Allocations made by each profiled function itself.",
            &with_memory(|m| i128::from(m.allocs())),
        );
        counter(
            &mut out,
            "profkit_function_allocated_bytes_total",
            "Bytes allocated by each profiled function itself.",
            &with_memory(|m| i128::from(m.bytes())),
        );
        let name = "profkit_function_live_bytes";
        let _ = writeln!(
            out,
            "# HELP {name} Bytes allocated by each profiled function itself and not freed yet.\n# TYPE {name} gauge"
        );
        for f in &functions {
            let live = f.memory().map_or(0, |m| m.live_bytes());
            let _ = writeln!(out, "{name}{{function=\"{}\"}} {live}", escape(f.name()));
        }
    }
    if let Some(heap) = report.heap() {
        let gauge = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        };
        gauge(
            &mut out,
            "profkit_heap_live_bytes",
            "Bytes allocated and not freed, the whole process.",
            heap.current(),
        );
        gauge(
            &mut out,
            "profkit_heap_peak_bytes",
            "The most bytes live at once, the whole process.",
            heap.peak(),
        );
        let total = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        total(
            &mut out,
            "profkit_heap_allocations_total",
            "Allocations, the whole process.",
            heap.total_allocs(),
        );
        total(
            &mut out,
            "profkit_heap_allocated_bytes_total",
            "Bytes allocated, the whole process.",
            heap.total_bytes(),
        );
    }
    let name = "profkit_functions";
    let _ = writeln!(
        out,
        "# HELP {name} Profiled functions that were called, the number of series per metric above.\n# TYPE {name} gauge\n{name} {}",
        functions.len()
    );
    out
}

fn seconds(d: Duration) -> String {
    format!("{:.9}", d.as_secs_f64())
}

/// A label value: backslash, double quote and line feed escaped.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(
            escape("a\\b\"c\nd <T as U>::f"),
            "a\\\\b\\\"c\\nd <T as U>::f"
        );
    }
}
