//! `profkit view --what-if`: Amdahl's law over a profile. Alone, a column with each function's
//! ceiling (the overall speedup if it took no time); with `FUNCTION=FACTOR`, one estimate and
//! the share it used.

use profkit::Report;
use serde_json::{Value, json};

use crate::output::Failure;

/// A parsed `FUNCTION=FACTOR` (`app::parse=5x`, `parse=2.5`, `parse=inf`).
#[derive(Debug, PartialEq)]
pub(crate) struct Spec {
    pub(crate) function: String,
    pub(crate) factor: f64,
}

/// Parses `FUNCTION=FACTOR`; the factor is a positive number with an optional `x`, or `inf`
/// (or `free`) for a function that would take no time.
pub(crate) fn parse_spec(text: &str) -> Result<Spec, Failure> {
    let bad = |why: &str| {
        Failure::input(format!(
            "--what-if {text:?}: {why} (expected FUNCTION=FACTOR, e.g. 'app::parse=5x'; \
             for the column alone, put --what-if after the files)"
        ))
    };
    let Some((function, factor)) = text.rsplit_once('=') else {
        return Err(bad("no `=`"));
    };
    let function = function.trim();
    if function.is_empty() {
        return Err(bad("no function before `=`"));
    }
    let factor = factor.trim();
    let number = factor.strip_suffix(['x', 'X']).unwrap_or(factor).trim();
    let value = match number {
        "inf" | "infinity" | "free" => f64::INFINITY,
        n => n
            .parse::<f64>()
            .map_err(|_| bad(&format!("{factor:?} is not a factor such as 5x")))?,
    };
    if value.is_nan() || value <= 0.0 {
        return Err(bad(&format!(
            "the factor must be positive: {factor:?} would not make it faster"
        )));
    }
    Ok(Spec {
        function: function.to_owned(),
        factor: value,
    })
}

/// The estimate for `spec` as text and as JSON; an unknown or ambiguous function fails.
pub(crate) fn estimate(
    report: &Report,
    spec: &Spec,
    label: &str,
) -> Result<(String, Value), Failure> {
    let fail = |e: &dyn std::fmt::Display| Failure::input(format!("{label}: --what-if: {e}"));
    let f = report.function(&spec.function).map_err(|e| fail(&e))?;
    let share = report.share_of(f);
    let speedup = report.what_if_of(f, spec.factor).map_err(|e| fail(&e))?;
    let ceiling = report.what_if_of(f, f64::INFINITY).map_err(|e| fail(&e))?;
    let total = report.total_time().as_secs_f64();
    let factor = if spec.factor.is_finite() {
        format!("{}x faster", trim_float(spec.factor))
    } else {
        "free (no time at all)".to_owned()
    };
    let mut text = format!(
        "{name}: {pct:.1}% of the profiled time (cumtime {ct:.6} s of {total:.6} s)\n\
         if it were {factor}: {speedup} overall ({total:.6} s -> {after:.6} s)\n\
         if it took no time: {ceiling} overall at most\n",
        name = f.name(),
        pct = share * 100.0,
        ct = f.cumtime().as_secs_f64(),
        speedup = times(speedup),
        after = total / speedup,
        ceiling = times(ceiling),
    );
    let unreliable = report.is_too_small_to_time(f);
    if let (true, Some(c)) = (unreliable, report.compensation()) {
        text.push_str(&format!(
            "unreliable: its calls take {per_call:.1} ns each, under {factor}x profkit's own \
             cost per call ({cost:.1} ns), so its share is mostly profkit's measurement\n",
            per_call = f.cumtime().as_nanos() as f64 / f.ncalls().max(1) as f64,
            factor = profkit::SMALL_CALL_FACTOR,
            cost = c.own_ns() + c.caller_ns(),
        ));
    }
    text.push_str(
        "Amdahl's law over this profile; once it is faster the other shares grow: profile again.\n",
    );
    let json = json!({
        "unreliable": unreliable,
        "function": f.name(),
        "share": share,
        "factor": finite_or_null(spec.factor),
        "speedup": finite_or_null(speedup),
        "max_speedup_if_free": finite_or_null(ceiling),
        "total_time_s": total,
        "cumtime_s": f.cumtime().as_secs_f64(),
    });
    Ok((text, json))
}

/// `1.37x`, or `inf` for a function that is all of the time.
fn times(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}x")
    } else {
        "infinite".to_owned()
    }
}

/// `5`, `2.5`: a factor as the user would write it.
fn trim_float(x: f64) -> String {
    let s = format!("{x}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_owned)
}

/// JSON has no infinity: `null` stands for it.
pub(crate) fn finite_or_null(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_name_a_function_and_a_positive_factor() {
        let s = parse_spec("app::parse=5x").unwrap();
        assert_eq!((s.function.as_str(), s.factor), ("app::parse", 5.0));
        assert_eq!(parse_spec("parse = 2.5").unwrap().factor, 2.5);
        assert_eq!(parse_spec("parse=inf").unwrap().factor, f64::INFINITY);
        assert_eq!(parse_spec("parse=free").unwrap().factor, f64::INFINITY);
        assert_eq!(parse_spec("parse=0.5x").unwrap().factor, 0.5);
        for bad in [
            "parse",
            "=5x",
            "parse=",
            "parse=fast",
            "parse=0",
            "parse=-2x",
            "parse=NaN",
        ] {
            let e = parse_spec(bad).unwrap_err();
            assert!(e.line().starts_with("--what-if "), "{bad}: {}", e.line());
        }
    }
}
