//! profkit's on/off environment variables (`PROFKIT`, `PROFKIT_SIGNALS`, `PROFKIT_CALIBRATE`,
//! `PROFKIT_CPU`), read one way: `1` is on, `0` off, anything else the default with a line on
//! stderr saying so (the README documents `=1` and `=0` only).

/// A 0/1 switch read from the environment: `None` (unset) and anything but `0` or `1` give
/// `default`, the latter with one line on stderr.
pub(crate) fn parse_switch(name: &str, value: Option<String>, default: bool) -> bool {
    match value.as_deref().map(str::trim) {
        None => default,
        Some("1") => true,
        Some("0") => false,
        Some(other) => {
            eprintln!(
                "profkit: {name}={other:?} is not 0 or 1; using the default ({})",
                u8::from(default)
            );
            default
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_reads_0_and_1_and_falls_back_on_anything_else() {
        assert!(parse_switch("X", None, true));
        assert!(!parse_switch("X", Some("0".into()), true));
        assert!(parse_switch("X", Some(" 1 ".into()), false));
        assert!(parse_switch("X", Some("yes".into()), true));
        assert!(!parse_switch("X", Some("yes".into()), false));
    }
}
