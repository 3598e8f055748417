//! What every subcommand shares: the one-line failure, stdout that survives a closed pipe,
//! colours, and duration, size and count arguments.

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

/// Exit status: everything went well.
pub(crate) const EXIT_OK: i32 = 0;
/// Exit status: a regression (`diff`) or a broken error-level budget (`check`).
pub(crate) const EXIT_FAILED: i32 = 1;
/// Exit status: bad input or usage.
pub(crate) const EXIT_BAD_INPUT: i32 = 2;

/// Why a subcommand stopped: printed as `profkit: {message}` on one line.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: i32,
    pub(crate) message: String,
}

/// Whether `path` is `-`: standard input (or standard output for `-o`); here, below
/// `input.rs`, because a [`Failure`] names files the same way.
pub(crate) fn is_std(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// How a file is named in messages: `<stdin>` for `-`.
pub(crate) fn label(path: &Path) -> String {
    if is_std(path) {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    }
}

impl Failure {
    /// Bad input: `FILE: what is wrong` (the caller puts the file first).
    pub(crate) fn input(message: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_BAD_INPUT,
            message: message.into(),
        }
    }

    /// `path: what` for a file that is wrong (`<stdin>: what` for `-`).
    pub(crate) fn file(path: &Path, what: impl std::fmt::Display) -> Failure {
        Failure::input(format!("{}: {what}", label(path)))
    }

    /// The message on one line, whatever the library's text held.
    pub(crate) fn line(&self) -> String {
        self.message
            .split(['\n', '\r'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl From<profkit::ReadError> for Failure {
    fn from(e: profkit::ReadError) -> Failure {
        // Its Display is already `PATH: [at byte N: | at line L, column C: ]what`.
        Failure::input(e.to_string())
    }
}

impl From<profkit::WriteError> for Failure {
    fn from(e: profkit::WriteError) -> Failure {
        Failure::file(e.path(), format_args!("cannot write: {}", e.io_error()))
    }
}

/// The result of a subcommand: its exit status, or why it stopped.
pub(crate) type Outcome = Result<i32, Failure>;

/// Writes `text` to stdout. A reader that went away (`profkit view big.json | head`) is not an
/// error: there is nobody left to tell, so the program ends quietly.
pub(crate) fn emit(text: &str) -> Result<(), Failure> {
    emit_bytes(text.as_bytes())
}

/// Writes `bytes` to stdout, as [`emit`] writes text.
pub(crate) fn emit_bytes(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(EXIT_OK),
        Err(e) => Err(Failure::input(format!("<stdout>: cannot write: {e}"))),
    }
}

/// ANSI colours, on only when stdout is a terminal and `NO_COLOR` is unset or empty.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    on: bool,
}

impl Style {
    pub(crate) fn detect() -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            on: !no_color && io::stdout().is_terminal(),
        }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub(crate) fn red(self, text: &str) -> String {
        self.paint("31", text)
    }

    pub(crate) fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }

    pub(crate) fn green(self, text: &str) -> String {
        self.paint("32", text)
    }

    pub(crate) fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
}

/// Text or JSON, for the subcommands that print results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputFormat {
    /// Tables for people.
    #[default]
    Text,
    /// One JSON document for programs.
    Json,
}

/// The profile `what` has no memory figures for `option` (`--sort bytes`, `--metric peak`).
pub(crate) fn no_memory(what: &str, option: &str) -> Failure {
    Failure::input(format!(
        "{what}: has no memory figures for {option} ({NO_MEMORY_WHY})"
    ))
}

/// Where memory figures come from, for a message about a profile without them.
pub(crate) const NO_MEMORY_WHY: &str = "record the program with \
     `#[global_allocator] static A: profkit::Alloc = profkit::Alloc::system();` and cargo \
     feature `memory`; a .prof file keeps none";

/// A duration argument: a number and a unit, `ns`, `us` (or `µs`), `ms` or `s`: `250us`,
/// `1.5ms`, `2s`. A bare number is refused: the unit is never guessed.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale = match unit.trim() {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "" => {
            return Err(format!(
                "{text:?} needs a unit: ns, us, ms or s (e.g. \"1ms\")"
            ));
        }
        other => {
            return Err(format!(
                "{text:?}: unknown unit {other:?}; expected ns, us, ms or s"
            ));
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as \"250us\" or \"2ms\""))?;
    let ns = value * scale;
    if !ns.is_finite() || ns > u64::MAX as f64 {
        return Err(format!("{text:?} is too long"));
    }
    Ok(Duration::from_nanos(ns.round() as u64))
}

/// A unit of memory size: SI (powers of 1000: `KB`, `MB`, `GB`, `TB`) or IEC (powers of 1024:
/// `KiB`, `MiB`, `GiB`, `TiB`), as their standards define them; `MB` is never 2^20.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SizeUnit {
    B,
    KB,
    MB,
    GB,
    TB,
    KiB,
    MiB,
    GiB,
    TiB,
}

impl SizeUnit {
    const ALL: [SizeUnit; 9] = [
        SizeUnit::B,
        SizeUnit::KB,
        SizeUnit::MB,
        SizeUnit::GB,
        SizeUnit::TB,
        SizeUnit::KiB,
        SizeUnit::MiB,
        SizeUnit::GiB,
        SizeUnit::TiB,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            SizeUnit::B => "B",
            SizeUnit::KB => "KB",
            SizeUnit::MB => "MB",
            SizeUnit::GB => "GB",
            SizeUnit::TB => "TB",
            SizeUnit::KiB => "KiB",
            SizeUnit::MiB => "MiB",
            SizeUnit::GiB => "GiB",
            SizeUnit::TiB => "TiB",
        }
    }

    fn bytes(self) -> f64 {
        match self {
            SizeUnit::B => 1.0,
            SizeUnit::KB => 1e3,
            SizeUnit::MB => 1e6,
            SizeUnit::GB => 1e9,
            SizeUnit::TB => 1e12,
            SizeUnit::KiB => 1024.0,
            SizeUnit::MiB => 1024.0 * 1024.0,
            SizeUnit::GiB => 1024.0 * 1024.0 * 1024.0,
            SizeUnit::TiB => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        }
    }

    /// The IEC unit that shows `bytes` with 1 to 4 digits before the point, as the memory
    /// table prints sizes.
    pub(crate) fn fitting(bytes: f64) -> SizeUnit {
        let b = bytes.abs();
        [SizeUnit::TiB, SizeUnit::GiB, SizeUnit::MiB, SizeUnit::KiB]
            .into_iter()
            .find(|u| b >= u.bytes())
            .unwrap_or(SizeUnit::B)
    }

    /// `bytes` (signed) in this unit with three significant digits, trailing zeros dropped:
    /// `512 MB`, `642.2 MB`, `7.81 KiB`, `-8000 B`.
    pub(crate) fn show(self, bytes: f64) -> String {
        let v = bytes / self.bytes();
        let decimals = if self == SizeUnit::B || v == 0.0 {
            0
        } else {
            (2 - v.abs().log10().floor() as i32).clamp(1, 9) as usize
        };
        let text = format!("{v:.decimals$}");
        let text = if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.')
        } else {
            &text
        };
        format!("{text} {}", self.name())
    }
}

/// A size as a budget or an argument gave it: its bytes, and the unit it was written in (which
/// the figures compared with it are printed in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Size {
    pub(crate) bytes: u64,
    pub(crate) unit: SizeUnit,
}

/// A memory size in bytes, in the unit the memory table uses for it (`7.81 KiB`).
pub(crate) fn human_size(bytes: f64) -> String {
    SizeUnit::fitting(bytes).show(bytes)
}

/// A size argument: a number and a unit, `B`, `KB`, `MB`, `GB`, `TB` (powers of 1000) or `KiB`,
/// `MiB`, `GiB`, `TiB` (powers of 1024), in any case: `512MB`, `1.5GiB`, `64 KiB`, `100B`. A
/// bare number is refused, as for durations: the unit is never guessed.
pub(crate) fn parse_size(text: &str) -> Result<Size, String> {
    let t = text.trim();
    let units = "B, KB, MB, GB, KiB, MiB or GiB (e.g. \"512MB\")";
    if t.starts_with('-') {
        return Err(format!("{text:?} is negative: a size is at least 0 bytes"));
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let unit = unit.trim();
    if number.is_empty() {
        return Err(format!(
            "{text:?} is not a size such as \"512MB\" or \"64KiB\""
        ));
    }
    if unit.is_empty() {
        return Err(format!("{text:?} needs a unit: {units}"));
    }
    let Some(unit) = SizeUnit::ALL
        .into_iter()
        .find(|u| u.name().eq_ignore_ascii_case(unit))
    else {
        return Err(format!("{text:?}: unknown unit {unit:?}; expected {units}"));
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as \"512MB\" or \"64KiB\""))?;
    let bytes = (value * unit.bytes()).round();
    if !bytes.is_finite() || bytes > u64::MAX as f64 {
        return Err(format!("{text:?} is too large"));
    }
    Ok(Size {
        bytes: bytes as u64,
        unit,
    })
}

/// A duration with 3 significant digits and a unit: `812 ns`, `12.4 us`, `1.50 s` (ASCII, so
/// that columns line up in every terminal).
pub(crate) fn human(d: Duration) -> String {
    human_ns(d.as_nanos() as f64)
}

/// As [`human`], for a signed number of nanoseconds.
pub(crate) fn human_ns(ns: f64) -> String {
    let sign = if ns < 0.0 { "-" } else { "" };
    let ns = ns.abs();
    if ns < 1e3 {
        return format!("{sign}{ns:.0} ns");
    }
    let (value, unit) = if ns < 1e6 {
        (ns / 1e3, "us")
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
    let mut s = String::new();
    let _ = write!(s, "{sign}{value:.decimals$} {unit}");
    s
}

/// Seconds as a float, for JSON output.
pub(crate) fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_a_unit() {
        assert_eq!(parse_duration("1ms"), Ok(Duration::from_millis(1)));
        assert_eq!(parse_duration("250us"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_duration("250 µs"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("7ns"), Ok(Duration::from_nanos(7)));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("ms").is_err());
        assert!(parse_duration("1e400s").is_err());
    }

    #[test]
    fn durations_print_with_three_digits() {
        assert_eq!(human(Duration::from_nanos(812)), "812 ns");
        assert_eq!(human(Duration::from_nanos(12_400)), "12.4 us");
        assert_eq!(human_ns(-1_500_000_000.0), "-1.50 s");
    }

    #[test]
    fn sizes_need_a_unit_and_mb_is_a_million_bytes() {
        assert_eq!(
            parse_size("512MB"),
            Ok(Size {
                bytes: 512_000_000,
                unit: SizeUnit::MB
            })
        );
        assert_eq!(
            parse_size("512 mb"),
            Ok(Size {
                bytes: 512_000_000,
                unit: SizeUnit::MB
            })
        );
        assert_eq!(
            parse_size("1.5GiB"),
            Ok(Size {
                bytes: 3 << 29,
                unit: SizeUnit::GiB
            })
        );
        assert_eq!(
            parse_size("64KiB"),
            Ok(Size {
                bytes: 65_536,
                unit: SizeUnit::KiB
            })
        );
        assert_eq!(
            parse_size("64kb"),
            Ok(Size {
                bytes: 64_000,
                unit: SizeUnit::KB
            })
        );
        assert_eq!(
            parse_size("100B"),
            Ok(Size {
                bytes: 100,
                unit: SizeUnit::B
            })
        );
        assert_eq!(
            parse_size("0B"),
            Ok(Size {
                bytes: 0,
                unit: SizeUnit::B
            })
        );
        for (bad, says) in [
            ("512", "needs a unit"),
            ("-5MB", "negative"),
            ("-5", "negative"),
            ("lots", "not a size"),
            ("MB", "not a size"),
            ("5 parsecs", "unknown unit"),
            ("5M", "unknown unit"),
            ("1.2.3MB", "not a size"),
            ("1e30TB", "unknown unit"),
            ("99999999999TiB", "too large"),
        ] {
            let e = parse_size(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn sizes_print_in_their_unit_with_three_digits() {
        assert_eq!(SizeUnit::MB.show(512e6), "512 MB");
        assert_eq!(SizeUnit::MB.show(642_160_000.0), "642.2 MB");
        assert_eq!(SizeUnit::MB.show(8000.0), "0.008 MB");
        assert_eq!(SizeUnit::B.show(8000.0), "8000 B");
        assert_eq!(human_size(8000.0), "7.81 KiB");
        assert_eq!(human_size(-8000.0), "-7.81 KiB");
        assert_eq!(human_size(1023.0), "1023 B");
        assert_eq!(human_size(150.0 * 1024.0 * 1024.0), "150 MiB");
        assert_eq!(human_size(0.0), "0 B");
    }

    #[test]
    fn failures_print_on_one_line() {
        let f = Failure::input("a\nb\r\n  c");
        assert_eq!(f.line(), "a b c");
    }
}
