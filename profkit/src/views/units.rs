//! How the views write a duration for a person.

use std::time::Duration;

/// A duration with 3 significant digits and a unit: `812 ns`, `12.4 µs`, `1.50 s`.
pub(crate) fn human(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    let (value, unit) = if ns < 1e3 {
        return format!("{ns:.0} ns");
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    let decimals = if value < 10.0 {
        2
    } else if value < 100.0 {
        1
    } else {
        0
    };
    format!("{value:.decimals$} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_three_digits() {
        assert_eq!(human(Duration::from_nanos(812)), "812 ns");
        assert_eq!(human(Duration::from_nanos(12_400)), "12.4 µs");
        assert_eq!(human(Duration::from_nanos(1_500_000_000)), "1.50 s");
        assert_eq!(human(Duration::from_micros(250)), "250 µs");
    }
}
