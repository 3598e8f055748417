//! The paths of `PROFKIT_OUT`: `{pid}` and `{exe}` filled in, missing directories created, and
//! a note of who wrote a path last, so that a process replacing the profile another process
//! wrote says so instead of losing it silently.
//!
//! The note is one line (pid, time in ns since 1970, executable) in a file of the temporary directory named
//! after the profile's absolute path (`$TMPDIR/profkit-writers-UID/<hash>`), so the
//! profile's own directory holds nothing but profiles. At exit a process warns when the note names another process that either ran another
//! executable (the binaries and doctests of one `cargo test`) or wrote after this process
//! started (processes running side by side). Running the same program again, one run after
//! the other, replaces its own profile quietly. A path with `{pid}` is one process's own and
//! gets no note.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use once_cell::sync::OnceCell;

/// When profkit started recording in this process (its first call site), to tell a profile
/// written by a process running beside this one from one left by an earlier process.
static STARTED: OnceCell<SystemTime> = OnceCell::new();

pub(super) fn mark_start() {
    let _ = STARTED.get_or_init(SystemTime::now);
}

/// `template` with `{pid}` (this process's id) and `{exe}` (its executable's file name
/// without extension; `unknown` if the platform cannot say) filled in.
pub(super) fn expand(template: &Path) -> PathBuf {
    let text = template.to_string_lossy();
    if !text.contains("{pid}") && !text.contains("{exe}") {
        return template.to_path_buf();
    }
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "unknown".to_owned());
    PathBuf::from(
        text.replace("{pid}", &std::process::id().to_string())
            .replace("{exe}", &exe),
    )
}

/// Whether each process writes its own file from `template`.
pub(super) fn per_process(template: &Path) -> bool {
    template.to_string_lossy().contains("{pid}")
}

/// Creates the directories above `path` that do not exist yet (`target/profiles/`).
pub(super) fn create_parent(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir),
        _ => Ok(()),
    }
}

/// Where the note of `path`'s last writer is kept: a file named by a hash (64-bit FNV-1a,
/// stable across builds) of its absolute path, in a directory of this user's.
fn note_path(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    let hash = absolute
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    // SAFETY: `getuid` has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    Some(
        std::env::temp_dir()
            .join(format!("profkit-writers-{uid}"))
            .join(format!("{hash:016x}")),
    )
}

/// Who wrote a path: a process, when, running which executable.
#[derive(Debug, PartialEq, Eq)]
struct Writer {
    pid: u32,
    at: SystemTime,
    exe: String,
}

impl Writer {
    fn this_process() -> Writer {
        Writer {
            pid: std::process::id(),
            at: SystemTime::now(),
            exe: std::env::current_exe()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default(),
        }
    }

    fn to_line(&self) -> String {
        let since = self.at.duration_since(UNIX_EPOCH).unwrap_or_default();
        format!("{} {} {}\n", self.pid, since.as_nanos(), self.exe)
    }

    fn parse(line: &str) -> Option<Writer> {
        let mut parts = line.trim_end_matches('\n').splitn(3, ' ');
        let pid = parts.next()?.parse().ok()?;
        let ns: u64 = parts.next()?.parse().ok()?;
        Some(Writer {
            pid,
            at: UNIX_EPOCH + Duration::from_nanos(ns),
            exe: parts.next()?.to_owned(),
        })
    }
}

/// The warning to give before this process replaces `path`, when another process of the same
/// run wrote it (see the module's documentation); `None` otherwise.
pub(super) fn replaced_warning(path: &Path) -> Option<String> {
    let note = std::fs::read_to_string(note_path(path)?).ok()?;
    let earlier = Writer::parse(&note)?;
    let me = Writer::this_process();
    if !path.exists() || earlier.pid == me.pid {
        return None;
    }
    let started = STARTED.get().copied().unwrap_or(me.at);
    let beside = earlier.at >= started;
    if earlier.exe == me.exe && !beside {
        return None;
    }
    let ago = me.at.duration_since(earlier.at).unwrap_or_default();
    Some(format!(
        "PROFKIT_OUT: {} was written {:.1} s ago by process {} ({}), and this process replaces \
         it: that profile is lost. To keep one file per process, put {{pid}} in the path \
         (PROFKIT_OUT=target/profiles/{{exe}}-{{pid}}.json), then add them up with \
         `profkit merge target/profiles/*.json -o all.json`",
        path.display(),
        ago.as_secs_f64(),
        earlier.pid,
        earlier.exe,
    ))
}

/// Records this process as the last writer of `path` (a regular file; a device such as
/// `/dev/stdout` has no profile to lose).
pub(super) fn note_writer(path: &Path) -> std::io::Result<()> {
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return Ok(());
    }
    match note_path(path) {
        Some(note) => {
            create_parent(&note)?;
            std::fs::write(note, Writer::this_process().to_line())
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_the_pid_and_the_executable() {
        let pid = std::process::id().to_string();
        let out = expand(Path::new("target/profiles/{exe}-{pid}.json"));
        let name = out.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.ends_with(&format!("-{pid}.json")), "{name}");
        assert!(!name.contains('{'), "{name}");
        let exe = std::env::current_exe().unwrap();
        let stem = exe.file_stem().unwrap().to_string_lossy();
        assert_eq!(name, format!("{stem}-{pid}.json"));
        assert_eq!(expand(Path::new("plain.json")), Path::new("plain.json"));
        assert!(per_process(Path::new("p-{pid}.json")));
        assert!(!per_process(Path::new("p-{exe}.json")));
    }

    #[test]
    fn a_note_reads_back_and_a_bad_one_is_ignored() {
        let w = Writer {
            pid: 42,
            at: UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789),
            exe: "/bin/with space/x".to_owned(),
        };
        assert_eq!(Writer::parse(&w.to_line()), Some(w));
        assert_eq!(Writer::parse("not a note"), None);
        assert_eq!(Writer::parse(""), None);
    }

    #[test]
    fn notes_of_two_paths_are_two_files_and_one_path_is_one() {
        let a = note_path(Path::new("target/a.json")).unwrap();
        assert_ne!(a, note_path(Path::new("target/b.json")).unwrap());
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(a, note_path(&cwd.join("target/a.json")).unwrap());
        assert!(a.starts_with(std::env::temp_dir()));
    }
}
