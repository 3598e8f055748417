//! Running the binary, scratch directories, and profiles with exact numbers.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use profkit::Report;
use profkit::testing::{TestClock, TestCpuClock, advance, advance_cpu};

/// What one run of `profkit` did.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Asserts success (status 0) and returns stdout.
    #[track_caller]
    pub(crate) fn ok(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        &self.stdout
    }

    /// Asserts the one-line failure of bad input: status 2, one stderr line `profkit: ...`
    /// containing `what`, no panic.
    #[track_caller]
    pub(crate) fn bad_input(&self, what: &str) {
        assert_eq!(
            self.code, 2,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line on stderr, got: {:?}", self.stderr);
        assert!(lines[0].starts_with("profkit: "), "{:?}", lines[0]);
        assert!(
            lines[0].contains(what),
            "{:?} does not say {what:?}",
            lines[0]
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
    }

    /// The stdout parsed as JSON.
    #[track_caller]
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

/// Runs `profkit` with `args`, with `NO_COLOR` unset (its output is a pipe: no colours).
pub(crate) fn profkit<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_profkit"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("the profkit binary runs");
    Run::from(out)
}

/// Runs `profkit` with `args` and `stdin` as its standard input; stdout kept as bytes too.
pub(crate) fn profkit_stdin<I, S>(args: I, stdin: &[u8]) -> (Run, Vec<u8>)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_profkit"))
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the profkit binary runs");
    let mut input = child.stdin.take().unwrap();
    let bytes = stdin.to_vec();
    // Written from another thread, so that a large output cannot block the input.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().expect("profkit ends");
    writer.join().unwrap();
    let stdout = out.stdout.clone();
    (Run::from(out), stdout)
}

/// A fresh directory for one test.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("profkit-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// `dir/name` as an argument.
pub(crate) fn arg(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

/// Writes a budgets file `dir/budgets.toml` holding `text` and returns its path.
pub(crate) fn budgets(dir: &Path, text: &str) -> String {
    let path = dir.join("budgets.toml");
    std::fs::write(&path, text).expect("budgets written");
    path.display().to_string()
}

#[profkit::profile]
fn fib(n: u32) -> u32 {
    advance(Duration::from_nanos(10));
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

/// A leaf call that takes `micros` microseconds of the test clock, `cpu_micros` of them on
/// the test CPU clock (when the thread has one).
#[profkit::profile]
fn fetch_row(micros: u64, cpu_micros: u64) {
    advance(Duration::from_micros(micros));
    advance_cpu(Duration::from_micros(cpu_micros));
}

#[profkit::profile]
fn get_users(rows: u32, micros: u64, cpu_micros: u64) {
    advance(Duration::from_micros(5));
    for _ in 0..rows {
        fetch_row(micros, cpu_micros);
    }
}

#[profkit::profile]
fn removed_later() {
    advance(Duration::from_micros(40));
}

#[profkit::profile]
fn added_later() {
    advance(Duration::from_micros(70));
}

/// The shape of a recorded program: how many rows each `get_users` call fetches and how long
/// one fetch takes, and which of the two optional functions ran.
#[derive(Clone, Copy)]
pub(crate) struct Shape {
    pub(crate) requests: u32,
    pub(crate) rows: u32,
    pub(crate) fetch_micros: u64,
    pub(crate) old_function: bool,
    pub(crate) new_function: bool,
    /// CPU time recorded (a test CPU clock), with this many microseconds of each fetch on
    /// the CPU; `None`: not recorded.
    pub(crate) fetch_cpu_micros: Option<u64>,
}

impl Default for Shape {
    fn default() -> Shape {
        Shape {
            requests: 4,
            rows: 3,
            fetch_micros: 1000,
            old_function: false,
            new_function: false,
            fetch_cpu_micros: None,
        }
    }
}

/// A report with exact times (a test clock): `fib(15)` (1973/1 calls, 10 ns each), and
/// `get_users` calling `fetch_row` as `shape` says.
pub(crate) fn record(shape: Shape) -> Report {
    let _clock = TestClock::install().expect("no profiled call is open");
    let _cpu = shape.fetch_cpu_micros.map(|_| TestCpuClock::install());
    let (_, report) = profkit::record(|| {
        fib(15);
        for _ in 0..shape.requests {
            get_users(
                shape.rows,
                shape.fetch_micros,
                shape.fetch_cpu_micros.unwrap_or(0),
            );
        }
        if shape.old_function {
            removed_later();
        }
        if shape.new_function {
            added_later();
        }
    });
    report
}

/// Writes `record(shape)` as `dir/name` (JSON or pstats by extension) and returns the path.
pub(crate) fn write(dir: &Path, name: &str, shape: Shape) -> String {
    let path = dir.join(name);
    let report = record(shape);
    if name.ends_with(".prof") {
        report.write_pstats(&path).expect("pstats written");
    } else {
        report.write_json(&path).expect("json written");
    }
    path.display().to_string()
}

/// A dump of Python's own cProfile of a recursive `fib(15)` (1973 calls, 1 primitive).
pub(crate) fn python_dump(dir: &Path) -> String {
    let path = dir.join("python.prof");
    let script = format!(
        "import cProfile\n\
         def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\
         cProfile.run('fib(15)', {:?})\n",
        path.display().to_string()
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .expect("python3 runs (it is on every machine and in CI)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path.display().to_string()
}
