//! Where subcommands read and write: files, or standard input and output for `-`.

use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};

use profkit::Report;

use crate::output::{Failure, emit_bytes};
pub(crate) use crate::output::{is_std, label};

/// Refuses `-` given twice: standard input can be read only once.
pub(crate) fn stdin_once<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Result<(), Failure> {
    if paths.into_iter().filter(|p| is_std(p)).count() > 1 {
        return Err(Failure::input(
            "`-` (standard input) is given more than once; it can be read only once",
        ));
    }
    Ok(())
}

/// Standard input, unless it is a terminal: nobody types a profile, and waiting for one would
/// look like a hang.
fn stdin() -> Result<io::StdinLock<'static>, Failure> {
    if io::stdin().is_terminal() {
        return Err(Failure::input(
            "<stdin>: `-` reads standard input, which is a terminal here; pipe a file in \
             (`curl -s URL | profkit view -`)",
        ));
    }
    Ok(io::stdin().lock())
}

/// Reads one profile: a file, or standard input for `-` (any format, told by content).
pub(crate) fn read(path: &Path) -> Result<Report, Failure> {
    if is_std(path) {
        return Report::read_from(stdin()?).map_err(|e| Failure::input(format!("<stdin>: {e}")));
    }
    Ok(Report::read(path)?)
}

/// Reads several profiles (files or `-`) into one, added as pstats' `Stats.add` does.
pub(crate) fn read_all(paths: &[PathBuf]) -> Result<Report, Failure> {
    stdin_once(paths.iter().map(PathBuf::as_path))?;
    let mut total = Report::default();
    for path in paths {
        total.merge(&read(path)?);
    }
    Ok(total)
}

/// The bytes of a small text file, or of standard input for `-`, refusing more than `max`.
pub(crate) fn read_text(path: &Path, max: u64, what: &str) -> Result<Vec<u8>, Failure> {
    let name = label(path);
    let too_big = |size: String| {
        Failure::input(format!(
            "{name}: {size} is more than {what} can be (the limit is {max})"
        ))
    };
    let fail = |e: io::Error| Failure::input(format!("{name}: {e}"));
    if is_std(path) {
        let mut bytes = Vec::new();
        stdin()?
            .take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(fail)?;
        if bytes.len() as u64 > max {
            return Err(too_big(format!("more than {max} bytes")));
        }
        return Ok(bytes);
    }
    let len = std::fs::metadata(path).map_err(fail)?.len();
    if len > max {
        return Err(too_big(format!("{len} bytes")));
    }
    std::fs::read(path).map_err(fail)
}

/// Writes `bytes` to `out`: standard output for `-`, otherwise the file, atomically.
pub(crate) fn write(out: &Path, bytes: &[u8]) -> Result<(), Failure> {
    if is_std(out) {
        return emit_bytes(bytes);
    }
    Ok(profkit::write_atomic(out, bytes)?)
}
