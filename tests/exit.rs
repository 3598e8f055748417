//! `PROFKIT=1` prints the table to stderr at exit, `PROFKIT_OUT=path` writes it to a file
//! atomically; a write error is one line on stderr and never changes the exit status; with
//! neither variable nothing is printed. With `PROFKIT_SIGNALS=1` (or
//! `profkit::report_on_signals()`) SIGINT and SIGTERM write the same report, and the process
//! still ends by the signal.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn probe_command(mode: &str, vars: &[(&str, &str)]) -> Command {
    program_command(Path::new(env!("CARGO_BIN_EXE_exit-probe")), mode, vars)
}

/// The probe's command, or that of a copy of it (another executable).
fn program_command(program: &Path, mode: &str, vars: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(program);
    cmd.arg(mode);
    for var in [
        "PROFKIT",
        "PROFKIT_OUT",
        "PROFKIT_SORT",
        "PROFKIT_LIMIT",
        "PROFKIT_SIGNALS",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(vars.iter().copied());
    cmd
}

fn probe(mode: &str, vars: &[(&str, &str)]) -> Output {
    probe_command(mode, vars).output().expect("the probe runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The `ncalls` column of the row of `function` in a pstats table.
fn ncalls(table: &str, function: &str) -> Option<String> {
    let suffix = format!("(exit_probe::{function})");
    table
        .lines()
        // A row may end with `~`: the exit report is compensated, and these calls are tiny.
        .find(|l| l.trim_end_matches(" ~").ends_with(&suffix))
        .and_then(|l| l.split_whitespace().next().map(String::from))
}

fn assert_complete_table(table: &str) {
    assert!(
        table.starts_with("         9 function calls in "),
        "{table}"
    );
    assert!(
        table.contains("   Ordered by: cumulative time\n"),
        "{table}"
    );
    // 3 on the main thread, 2 on a thread that ended.
    assert_eq!(ncalls(table, "work").as_deref(), Some("5"), "{table}");
    // Made by a thread that is still running at exit.
    assert_eq!(ncalls(table, "background").as_deref(), Some("4"), "{table}");
    // The latency table follows the pstats table.
    let latency = table
        .split_once("Latency per call")
        .expect("a latency table")
        .1;
    assert!(
        latency.lines().any(|l| l.starts_with("exit_probe::work ")),
        "{table}"
    );
}

const RESULT: &str = "result 18\n";

#[test]
fn nothing_is_printed_without_the_variables() {
    for (mode, status) in [("return", 0), ("exit", 3)] {
        let out = probe(mode, &[]);
        assert_eq!(out.status.code(), Some(status));
        assert_eq!(text(&out.stdout), RESULT);
        assert_eq!(text(&out.stderr), "");
    }
}

#[test]
fn profkit_1_prints_the_table_when_main_returns_and_on_process_exit() {
    for (mode, status) in [("return", 0), ("exit", 3)] {
        let out = probe(mode, &[("PROFKIT", "1")]);
        assert_eq!(out.status.code(), Some(status), "{mode}");
        assert_eq!(
            text(&out.stdout),
            RESULT,
            "the program's output is unchanged"
        );
        assert_complete_table(&text(&out.stderr));
    }
}

#[test]
fn sort_and_limit_come_from_the_environment_and_bad_values_are_named() {
    let out = probe(
        "return",
        &[
            ("PROFKIT", "1"),
            ("PROFKIT_SORT", "calls"),
            ("PROFKIT_LIMIT", "1"),
        ],
    );
    let err = text(&out.stderr);
    assert!(err.contains("   Ordered by: call count\n"), "{err}");
    assert!(
        err.contains("List reduced from 2 to 1 due to restriction <1>"),
        "{err}"
    );
    assert_eq!(ncalls(&err, "work").as_deref(), Some("5"), "{err}");
    assert_eq!(ncalls(&err, "background"), None, "{err}");

    let out = probe("return", &[("PROFKIT", "1"), ("PROFKIT_SORT", "fastest")]);
    let err = text(&out.stderr);
    assert!(
        err.starts_with("profkit: ignoring PROFKIT_SORT: unknown sort key \"fastest\""),
        "{err}"
    );
    assert_complete_table(err.split_once('\n').unwrap().1);
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("profkit-exit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn profkit_out_writes_the_table_to_the_file_atomically() {
    let dir = scratch_dir("out");
    let path = dir.join("profile.txt");
    std::fs::write(&path, "old content").unwrap();
    for (mode, status) in [("return", 0), ("exit", 3)] {
        let out = probe(mode, &[("PROFKIT_OUT", path.to_str().unwrap())]);
        assert_eq!(out.status.code(), Some(status));
        assert_eq!(text(&out.stdout), RESULT);
        assert_eq!(text(&out.stderr), "", "the file replaces stderr");
        assert_complete_table(&std::fs::read_to_string(&path).unwrap());
        let entries: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(entries.len(), 1, "no temporary file is left: {entries:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unwritable_path_is_one_clear_line_and_the_exit_status_is_unchanged() {
    let dir = scratch_dir("bad");
    // A missing directory is created; a file where a directory should be cannot be.
    let blocked = dir.join("a-file");
    std::fs::write(&blocked, "").unwrap();
    let unwritable = blocked.join("profile.txt");
    for (mode, status) in [("return", 0), ("exit", 3)] {
        let out = probe(mode, &[("PROFKIT_OUT", unwritable.to_str().unwrap())]);
        assert_eq!(out.status.code(), Some(status), "{mode}");
        assert_eq!(text(&out.stdout), RESULT);
        let err = text(&out.stderr);
        assert!(
            err.starts_with(&format!("profkit: cannot write {}: ", unwritable.display())),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // A directory where the file should be.
    let out = probe("return", &[("PROFKIT_OUT", dir.to_str().unwrap())]);
    assert_eq!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!("profkit: cannot write {}: ", dir.display())),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn concurrent_writes_of_one_path_all_succeed_and_leave_a_whole_file() {
    let dir = scratch_dir("concurrent");
    let path = dir.join("profile.txt");
    let writers: Vec<_> = (0..8)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    profkit::write_report(&path).unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(" function calls "), "{text}");
    assert!(text.ends_with("\n"), "a whole table");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "no temporary left"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn profkit_out_takes_several_paths_and_picks_each_format_by_extension() {
    let dir = scratch_dir("formats");
    let (txt, prof, folded, svg, json, png, pprof) = (
        dir.join("p.txt"),
        dir.join("p.prof"),
        dir.join("p.folded"),
        dir.join("p.svg"),
        dir.join("p.json"),
        dir.join("p.png"),
        dir.join("p.pb.gz"),
    );
    let list = [&txt, &prof, &folded, &png, &svg, &json, &pprof]
        .iter()
        .map(|p| p.to_str().unwrap())
        .collect::<Vec<_>>()
        .join(",");
    let out = probe("exit", &[("PROFKIT_OUT", &list)]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        text(&out.stderr),
        format!(
            "profkit: cannot write {}: unknown format (the extensions are .txt, .prof, .json, \
             .folded, .svg and .pb.gz)\n",
            png.display()
        )
    );
    assert_complete_table(&std::fs::read_to_string(&txt).unwrap());
    let bytes = std::fs::read(&prof).unwrap();
    assert_eq!(bytes.first(), Some(&b'{'), "a marshalled dict");
    let check = Command::new("python3")
        .arg("-c")
        .arg(
            "import pstats, sys; s = pstats.Stats(sys.argv[1]).stats; \
             print(sorted((k[2], v[1]) for k, v in s.items()))",
        )
        .arg(&prof)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&check.stdout),
        "[('exit_probe::background', 4), ('exit_probe::work', 5)]\n",
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let folded = std::fs::read_to_string(&folded).unwrap();
    assert!(
        folded.lines().all(|l| l.starts_with("exit_probe::")),
        "{folded}"
    );
    assert!(!png.exists());
    // The paths after the failed one are still written (tests/pprof.rs reads pprof with go).
    assert_eq!(&std::fs::read(&pprof).unwrap()[..2], b"\x1f\x8b", "gzip");
    let svg = std::fs::read_to_string(&svg).unwrap();
    assert!(svg.starts_with("<?xml") && svg.contains("exit_probe::work"));
    let report = profkit::Report::read(&json).unwrap();
    assert_eq!(report.function("exit_probe::work").unwrap().ncalls(), 5);
    assert_eq!(
        report.function("exit_probe::background").unwrap().ncalls(),
        4
    );
    assert_eq!(report.program(), Some("exit-probe"));
    assert!(report.started().is_some() && report.duration().is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Starts the probe in a waiting mode and returns it once it has recorded its calls.
fn start_waiting(mode: &str, vars: &[(&str, &str)]) -> Child {
    let mut child = probe_command(mode, vars)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the probe runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), RESULT.trim_end());
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    child
}

fn signal(child: &Child, name: &str) {
    let sent = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(sent.success());
}

/// Waits for the probe to end (killing it after 30 s so a hang fails rather than blocks).
fn finish(mut child: Child) -> (std::process::ExitStatus, String) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the probe did not end");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status, stderr)
}

const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

#[test]
fn sigterm_writes_every_profkit_out_file_then_ends_the_process_by_sigterm() {
    let dir = scratch_dir("sigterm");
    let (json, txt) = (dir.join("p.json"), dir.join("p.txt"));
    let out = format!("{},{}", json.display(), txt.display());
    let child = start_waiting("wait", &[("PROFKIT_OUT", &out), ("PROFKIT_SIGNALS", "1")]);
    signal(&child, "TERM");
    let (status, stderr) = finish(child);
    assert_eq!(status.signal(), Some(SIGTERM), "{status:?}");
    assert_eq!(stderr, "");
    // The main thread never ran its thread-local destructor: its calls were read live.
    let report = profkit::Report::read(&json).unwrap();
    assert_eq!(report.function("exit_probe::work").unwrap().ncalls(), 5);
    assert_eq!(
        report.function("exit_probe::background").unwrap().ncalls(),
        4
    );
    assert_complete_table(&std::fs::read_to_string(&txt).unwrap());
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        2,
        "no temporary file is left"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ctrl_c_prints_the_table_then_ends_the_process_by_sigint() {
    let child = start_waiting("wait", &[("PROFKIT", "1"), ("PROFKIT_SIGNALS", "1")]);
    signal(&child, "INT");
    let (status, stderr) = finish(child);
    assert_eq!(status.signal(), Some(SIGINT), "{status:?}");
    assert_complete_table(&stderr);
}

#[test]
fn without_profkit_signals_a_signal_ends_the_process_as_before() {
    let dir = scratch_dir("nosignals");
    let json = dir.join("p.json");
    let child = start_waiting("wait", &[("PROFKIT_OUT", json.to_str().unwrap())]);
    signal(&child, "TERM");
    let (status, stderr) = finish(child);
    assert_eq!(status.signal(), Some(SIGTERM));
    assert_eq!(stderr, "");
    assert!(!json.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn report_on_signals_from_code_prints_the_table_without_any_variable() {
    let child = start_waiting("wait-api", &[]);
    signal(&child, "TERM");
    let (status, stderr) = finish(child);
    assert_eq!(status.signal(), Some(SIGTERM), "{status:?}");
    assert_complete_table(&stderr);
}

#[test]
fn a_second_ctrl_c_while_the_report_is_written_ends_the_process_at_once() {
    // A named pipe nobody reads: writing the report blocks in `open` until the process ends.
    let dir = scratch_dir("second");
    let fifo = dir.join("p.json");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let child = start_waiting(
        "wait",
        &[
            ("PROFKIT_OUT", fifo.to_str().unwrap()),
            ("PROFKIT_SIGNALS", "1"),
        ],
    );
    signal(&child, "INT");
    // The first one started the report (its writer is blocked); until the writer has
    // started, a second one waits in line, so send them until one ends the process.
    let deadline = Instant::now() + Duration::from_secs(20);
    while child_running(&child) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        signal(&child, "INT");
    }
    let (status, _) = finish(child);
    assert_eq!(status.signal(), Some(SIGINT), "{status:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Whether the process still runs (a zombie counts as ended).
fn child_running(child: &Child) -> bool {
    std::fs::read_to_string(format!("/proc/{}/stat", child.id())).is_ok_and(|s| {
        s.rsplit(')')
            .next()
            .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
    })
}

/// Runs the probe to its end and returns its process id and stderr.
fn run_probe(program: &Path, vars: &[(&str, &str)]) -> (u32, String) {
    let mut cmd = program_command(program, "return", vars);
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    // A copy just written can be busy for a moment: a process another test thread forked
    // at that time holds it open until it execs (ETXTBSY).
    let mut tries = 0;
    let child = loop {
        match cmd.spawn() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 200 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            spawned => break spawned.expect("the probe runs"),
        }
    };
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    (pid, text(&out.stderr))
}

#[test]
fn profkit_out_placeholders_give_each_process_its_own_file_in_a_new_directory() {
    let dir = scratch_dir("placeholders");
    let template = dir.join("profiles/nested/{exe}-{pid}.json");
    let probe_exe = Path::new(env!("CARGO_BIN_EXE_exit-probe"));
    let vars = [("PROFKIT_OUT", template.to_str().unwrap())];
    let (first, err1) = run_probe(probe_exe, &vars);
    let (second, err2) = run_probe(probe_exe, &vars);
    assert_eq!((err1.as_str(), err2.as_str()), ("", ""));
    let written = dir.join("profiles/nested");
    let mut names: Vec<String> = std::fs::read_dir(&written)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort_unstable();
    let mut expected = vec![
        format!("exit-probe-{first}.json"),
        format!("exit-probe-{second}.json"),
    ];
    expected.sort_unstable();
    assert_eq!(names, expected);
    // What `profkit merge target/profiles/*.json` does: the two processes added up.
    let all = profkit::Report::read_all(names.iter().map(|n| written.join(n))).unwrap();
    assert_eq!(all.function("exit_probe::work").unwrap().ncalls(), 10);
    assert_eq!(all.function("exit_probe::background").unwrap().ncalls(), 8);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_plain_path_replaced_by_another_program_names_the_process_that_wrote_it() {
    let dir = scratch_dir("replaced");
    let path = dir.join("profile.json");
    let vars = [("PROFKIT_OUT", path.to_str().unwrap())];
    // Two executables, as the test binaries of one `cargo test` are.
    let probe_exe = PathBuf::from(env!("CARGO_BIN_EXE_exit-probe"));
    let other = dir.join("other-probe");
    std::fs::copy(&probe_exe, &other).unwrap();

    let (other_pid, err) = run_probe(&other, &vars);
    assert_eq!(err, "", "nothing was there to replace");
    let (_, err) = run_probe(&probe_exe, &vars);
    let expected = format!("profkit: PROFKIT_OUT: {} was written ", path.display());
    assert!(err.starts_with(&expected), "{err}");
    assert!(
        err.contains(&format!(" s ago by process {other_pid} ({}), and this process replaces it: that profile is lost. To keep one file per process, put {{pid}} in the path", other.display())),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // The same program again, after the last run ended: its own profile, replaced quietly.
    let (_, err) = run_probe(&probe_exe, &vars);
    assert_eq!(err, "");
    let report = profkit::Report::read(&path).unwrap();
    assert_eq!(report.function("exit_probe::work").unwrap().ncalls(), 5);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_plain_path_written_by_a_process_running_beside_this_one_is_named() {
    let dir = scratch_dir("beside");
    let path = dir.join("profile.json");
    let path_text = path.to_str().unwrap();
    // One process of the program is running while another one starts, writes and ends.
    let long = start_waiting(
        "wait",
        &[("PROFKIT_OUT", path_text), ("PROFKIT_SIGNALS", "1")],
    );
    let probe_exe = Path::new(env!("CARGO_BIN_EXE_exit-probe"));
    let (short_pid, err) = run_probe(probe_exe, &[("PROFKIT_OUT", path_text)]);
    assert_eq!(err, "");
    signal(&long, "TERM");
    let (status, err) = finish(long);
    assert_eq!(status.signal(), Some(SIGTERM), "{status:?}");
    assert!(
        err.starts_with(&format!(
            "profkit: PROFKIT_OUT: {} was written ",
            path.display()
        )) && err.contains(&format!(" by process {short_pid} ")),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
