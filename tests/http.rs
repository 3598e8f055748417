//! The profile server (`profkit::serve`, feature `http`) with real clients: `go tool pprof`
//! over HTTP, `promtool check metrics`, the page in headless Chromium, and bad requests over
//! raw TCP that leave it answering.
//!
//! Like `go` (tests/pprof.rs), `promtool` (Debian's `prometheus`) and `chromium` are test
//! tools that `.ci/run` installs; it sets `PROFKIT_REQUIRE_PROMTOOL=1` and
//! `PROFKIT_REQUIRE_CHROMIUM=1`, so that in CI a missing one fails. Elsewhere the tests that
//! need one say so on stderr and check only what they can without it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use profkit::{Report, ServeError, profile};

mod common;
use common::pprof::{go, pprof};

/// One request over a fresh connection; the status and the body.
fn request(addr: SocketAddr, head: &str) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    split(&raw)
}

fn split(raw: &[u8]) -> (u16, Vec<u8>) {
    let text = String::from_utf8_lossy(raw);
    let status = text
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(Vec::new(), |i| raw[i + 4..].to_vec());
    (status, body)
}

fn get(addr: SocketAddr, path: &str) -> (u16, Vec<u8>) {
    request(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"),
    )
}

fn get_text(addr: SocketAddr, path: &str) -> String {
    let (status, body) = get(addr, path);
    let body = String::from_utf8(body).unwrap();
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

/// Whether a test tool is here; `None` (said on stderr) when not, a failure when `require`
/// (set by `.ci/run`) is.
fn tool(program: &str, version_arg: &str, require: &str, package: &str) -> Option<String> {
    let found = Command::new(program)
        .arg(version_arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Some(program.to_owned());
    }
    let required = std::env::var_os(require).is_some_and(|v| v != "0");
    assert!(
        !required,
        "`{program}` is not on PATH, and {require} requires it: apt-get install -y {package}"
    );
    eprintln!("NOTE: `{program}` is not installed, so it did not check the server ({package})");
    None
}

#[profile]
fn before_window() {}

#[profile]
fn during_window(n: u64) -> u64 {
    n.wrapping_mul(3)
}

#[test]
fn go_tool_pprof_reads_a_window_over_http() {
    for _ in 0..5 {
        before_window();
    }
    let server = profkit::serve("127.0.0.1:0").unwrap();
    let url = format!("http://{}/debug/pprof/profile?seconds=1", server.addr());
    let (stop, stopped) = mpsc::channel::<()>();
    let worker = std::thread::spawn(move || {
        let mut n = 0u64;
        while stopped.try_recv().is_err() {
            n = n.wrapping_add(during_window(n));
            std::thread::yield_now();
        }
        n
    });
    let Some(go) = go() else {
        let _ = stop.send(());
        worker.join().unwrap();
        // Without go, the same bytes by hand: a gzipped pprof of the window.
        let (status, body) = get(server.addr(), "/debug/pprof/profile?seconds=1");
        assert_eq!((status, &body[..2]), (200, &[0x1f, 0x8b][..]));
        return;
    };
    let top = pprof(
        go,
        &["-top", "-sample_index=calls", "-nodecount=1000"],
        Path::new(&url),
    );
    let _ = stop.send(());
    worker.join().unwrap();
    let whole = profkit::report();
    let calls_in_window: u64 = top
        .lines()
        .find(|l| l.ends_with("http::during_window"))
        .unwrap_or_else(|| panic!("during_window in the window:\n{top}"))
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // Exactly the calls of the window: some, and fewer than the whole run's.
    assert!(calls_in_window > 0);
    assert!(calls_in_window < whole.function("during_window").unwrap().ncalls());
    // Made before the window: not in it.
    assert!(!top.contains("before_window"), "{top}");
}

/// Long enough (a few microseconds) that its own time outlives profkit's cost taken out of it:
/// folded stacks and flame graphs weigh frames by own time and leave out those at zero.
#[profile]
fn reported(n: u64) -> u64 {
    let started = std::time::Instant::now();
    let mut x = n;
    while started.elapsed() < Duration::from_micros(5) {
        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(1));
    }
    std::hint::black_box(x);
    n + 1
}

#[test]
fn the_report_endpoint_serves_every_format_of_the_run() {
    for i in 0..17 {
        reported(i);
    }
    let server = profkit::serve("127.0.0.1:0").unwrap();
    let addr = server.addr();
    let pprof_url = format!("http://{addr}/debug/profkit/report?format=pprof");
    let (status, gz) = get(addr, "/debug/profkit/report?format=pprof");
    assert_eq!((status, &gz[..2]), (200, &[0x1f, 0x8b][..]));
    if let Some(go) = go() {
        let args = [
            "-top",
            "-sample_index=calls",
            "-nodefraction=0",
            "-nodecount=100000",
        ];
        let top = pprof(go, &args, Path::new(&pprof_url));
        let row = top
            .lines()
            .find(|l| l.ends_with("http::reported"))
            .unwrap_or_else(|| panic!("{top}"));
        assert_eq!(row.split_whitespace().next(), Some("17"), "{row}");
    }
    for format in ["json", "prof"] {
        let (status, body) = get(addr, &format!("/debug/profkit/report?format={format}"));
        assert_eq!(status, 200, "{format}");
        let report = Report::from_bytes(&body).unwrap();
        assert_eq!(
            report.function("reported").unwrap().ncalls(),
            17,
            "{format}"
        );
    }
    let text = get_text(addr, "/debug/profkit/report?sort=calls&limit=5");
    assert!(text.contains("http::reported"), "{text}");
    let folded = get_text(addr, "/debug/profkit/report?format=folded");
    assert!(folded.contains("http::reported"), "{folded}");
    let svg = get_text(addr, "/debug/profkit/report?format=svg");
    // A flame graph of the whole process (frames too narrow to draw, as this test's may be
    // beside the other tests' calls, are left out by inferno).
    assert!(svg.starts_with("<?xml") && svg.contains("<svg"), "{svg}");
    // No allocator wrapper in this test binary: the memory profiles say how to get one.
    for path in ["/debug/pprof/heap", "/debug/pprof/allocs"] {
        let (status, body) = get(addr, path);
        let body = String::from_utf8(body).unwrap();
        assert_eq!(status, 404, "{path}");
        assert!(
            body.contains("profkit::Alloc") && body.lines().count() == 1,
            "{body}"
        );
    }
}

#[profile]
fn scraped(n: u64) -> u64 {
    n ^ 1
}

#[test]
fn metrics_are_one_series_per_function_and_lint_clean() {
    for i in 0..7 {
        scraped(i);
    }
    let server = profkit::serve("127.0.0.1:0").unwrap();
    let metrics = get_text(server.addr(), "/metrics");
    assert!(
        metrics.contains("profkit_function_calls_total{function=\"http::scraped\"} 7\n"),
        "{metrics}"
    );
    let series = |name: &str| {
        metrics
            .lines()
            .filter(|l| l.starts_with(&format!("{name}{{function=\"http::scraped\"")))
            .count()
    };
    assert_eq!(series("profkit_function_calls_total"), 1);
    assert_eq!(series("profkit_function_cumulative_seconds_total"), 1);
    assert_eq!(series("profkit_function_latency_seconds"), 4);
    let Some(promtool) = tool(
        "promtool",
        "--version",
        "PROFKIT_REQUIRE_PROMTOOL",
        "prometheus",
    ) else {
        return;
    };
    let mut check = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    check
        .stdin
        .take()
        .unwrap()
        .write_all(metrics.as_bytes())
        .unwrap();
    let out = check.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The first ```yaml block after `heading` in the README.
fn readme_yaml_after(heading: &str) -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let after = &readme[readme
        .find(heading)
        .unwrap_or_else(|| panic!("README.md has no {heading:?}"))..];
    let start = after.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    let len = after[start..].find("```").expect("the block's end");
    after[start..start + len].to_owned()
}

#[test]
fn the_readme_prometheus_scrape_config_passes_promtool_check_config() {
    let config = readme_yaml_after("Prometheus (`prometheus.yml`):");
    assert!(config.contains("127.0.0.1:6060"), "{config}");
    // As printed, and with the token line the README comments out put in.
    let dir = std::env::temp_dir().join(format!("profkit-promtool-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let token_file = dir.join("profkit-token");
    std::fs::write(&token_file, "s3cret\n").unwrap();
    let with_token = config
        .replace("# authorization:", "authorization:")
        .replace("/etc/profkit-token", &token_file.display().to_string());
    assert_ne!(
        with_token, config,
        "the README shows the token line: {config}"
    );
    let Some(promtool) = tool(
        "promtool",
        "--version",
        "PROFKIT_REQUIRE_PROMTOOL",
        "prometheus",
    ) else {
        return;
    };
    for (name, text) in [("plain.yml", &config), ("token.yml", &with_token)] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let out = Command::new(&promtool)
            .args(["check", "config"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool check config {name}:\n{text}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[profile]
fn shown_on_the_page(n: u64) -> u64 {
    n * 2
}

#[test]
fn the_page_renders_the_top_table_in_chromium() {
    for i in 0..11 {
        shown_on_the_page(i);
    }
    let server = profkit::serve("127.0.0.1:0").unwrap();
    let page = get_text(server.addr(), "/debug/pprof/");
    // Nothing from elsewhere: every link and source is a path of this server.
    assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("//cdn"));
    let Some(chromium) = tool(
        "chromium",
        "--version",
        "PROFKIT_REQUIRE_CHROMIUM",
        "chromium",
    ) else {
        return;
    };
    let profile =
        std::env::temp_dir().join(format!("profkit-http-chromium-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--timeout=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("http://{}/debug/pprof/", server.addr()))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&out.stdout);
    // The table's rows are drawn by the page's script: the row of the known function, with
    // its exact call count in the next cell.
    let row = dom
        .split("<tr>")
        .find(|r| r.contains("http::shown_on_the_page</td>"))
        .unwrap_or_else(|| {
            panic!(
                "no row of shown_on_the_page in the DOM:\n{dom}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    assert!(
        row.contains("http::shown_on_the_page</td><td>11</td><td>11</td>"),
        "{row}"
    );
}

#[profile]
fn stuck(entered: &mpsc::Sender<()>, release: &mpsc::Receiver<()>) {
    // 2.5 s of the test clock pass inside the innermost call before the look.
    profkit::testing::advance(Duration::from_millis(2_500));
    let _ = entered.send(());
    let _ = release.recv();
}

#[profile]
fn outer_of_stuck(entered: &mpsc::Sender<()>, release: &mpsc::Receiver<()>) {
    profkit::testing::advance(Duration::from_millis(700));
    stuck(entered, release);
}

#[test]
fn threads_show_where_each_thread_is() {
    let (release, wait) = mpsc::channel();
    let (entered, is_in) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .name("stuck-worker".into())
        .spawn(move || {
            // The server reads this thread's test clock: the running time is exact.
            let _clock = profkit::testing::TestClock::install().unwrap();
            outer_of_stuck(&entered, &wait);
        })
        .unwrap();
    is_in.recv().unwrap();
    let server = profkit::serve("127.0.0.1:0").unwrap();
    let text = get_text(server.addr(), "/debug/profkit/threads");
    release.send(()).unwrap();
    worker.join().unwrap();
    let block = text
        .split("\nthread ")
        .find(|b| b.contains("\"stuck-worker\""))
        .unwrap_or_else(|| panic!("{text}"));
    let lines: Vec<&str> = block.lines().collect();
    assert!(
        lines[0].ends_with("2 profiled calls open, the innermost running for 2.500 s"),
        "{block}"
    );
    assert!(
        lines[1].trim_start().starts_with("http::outer_of_stuck ("),
        "{block}"
    );
    assert!(
        lines[2].trim_start().starts_with("http::stuck ("),
        "{block}"
    );
    assert_eq!(lines.len(), 3, "{block}");
    // Once the thread is back out of both calls, nothing is open.
    let after = get_text(server.addr(), "/debug/profkit/threads");
    assert!(!after.contains("\"stuck-worker\": 2 profiled"), "{after}");
}

#[test]
fn bad_requests_are_answered_and_the_server_goes_on() {
    let server = profkit::serve("127.0.0.1:0").unwrap();
    let addr = server.addr();
    // A client that connects and says nothing holds one connection, not the server.
    let silent = TcpStream::connect(addr).unwrap();
    let huge = format!(
        "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    assert_eq!(request(addr, &huge).0, 431);
    let (status, _) = request(addr, "\x16\x03\x01garbage that is no HTTP\r\n\r\n");
    assert_eq!(status, 400);
    let ask = |method: &str, path: &str| {
        request(
            addr,
            &format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        )
        .0
    };
    assert_eq!(ask("POST", "/metrics"), 405);
    assert_eq!(ask("DELETE", "/debug/pprof/profile"), 405);
    assert_eq!(ask("GET", "/debug/pprof/nothing"), 404);
    for bad in ["0", "3601", "-5", "ten", ""] {
        assert_eq!(
            ask("GET", &format!("/debug/pprof/profile?seconds={bad}")),
            400
        );
    }
    assert_eq!(ask("GET", "/debug/profkit/report?format=png"), 400);
    // HEAD: the headers without the body.
    let mut head = TcpStream::connect(addr).unwrap();
    head.write_all(b"HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut raw = Vec::new();
    head.read_to_end(&mut raw).unwrap();
    let (status, body) = split(&raw);
    assert_eq!((status, body.len()), (200, 0));
    // 32 scrapes at once, all answered.
    let scrapes: Vec<_> = (0..32)
        .map(|_| std::thread::spawn(move || get(addr, "/metrics").0))
        .collect();
    for s in scrapes {
        assert_eq!(s.join().unwrap(), 200);
    }
    drop(silent);
    assert_eq!(ask("GET", "/metrics"), 200);
}

/// Whether the server closed `stream` (end of file or a reset) before `limit`; what it sent
/// before closing is ignored.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut sink = Vec::new();
    match stream.read_to_end(&mut sink) {
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    }
}

#[test]
fn silent_and_slow_clients_are_dropped_at_the_header_timeout() {
    let server = profkit::ServeOptions::new()
        .header_timeout(Duration::from_secs(1))
        .serve("127.0.0.1:0")
        .unwrap();
    let addr = server.addr();
    // One client connects and says nothing.
    let mut silent = TcpStream::connect(addr).unwrap();
    // Another starts a request and sends a header every 100 ms, never the blank line that
    // would end them: each byte is in time, the whole never is.
    let slow = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        // 80 headers over 8 s at least: far past the 1 s timeout, short of the default 10 s.
        for i in 0..80 {
            if stream
                .write_all(format!("X-Slow-{i}: 1\r\n").as_bytes())
                .is_err()
            {
                return true;
            }
            let mut byte = [0u8; 1];
            match stream.read(&mut byte) {
                // A 408 or the end of the connection: dropped either way.
                Ok(_) => return true,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
                Err(_) => {} // still waiting for more headers
            }
        }
        false
    });
    // Meanwhile the server answers others.
    for _ in 0..3 {
        assert_eq!(get(addr, "/metrics").0, 200);
    }
    assert!(
        closed_within(&mut silent, Duration::from_secs(8)),
        "the silent client was not dropped within 8 s"
    );
    assert!(
        slow.join().unwrap(),
        "the slow client was still connected after 80 headers"
    );
    assert_eq!(get(addr, "/metrics").0, 200);
    // A timeout of zero would drop everyone: refused, with a typed error.
    assert!(matches!(
        profkit::ServeOptions::new()
            .header_timeout(Duration::ZERO)
            .serve("127.0.0.1:0"),
        Err(ServeError::ZeroTimeout)
    ));
}

#[test]
fn a_token_guards_every_request() {
    let server = profkit::serve_with_token("127.0.0.1:0", Some("s3cret")).unwrap();
    let addr = server.addr();
    let with = |auth: &str| {
        request(
            addr,
            &format!("GET /metrics HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n"),
        )
        .0
    };
    assert_eq!(with(""), 401);
    assert_eq!(with("Authorization: Bearer wrong\r\n"), 401);
    assert_eq!(with("Authorization: Bearer s3cret\r\n"), 200);
}

#[test]
fn unsafe_or_taken_addresses_are_refused_with_an_error() {
    let refused = profkit::serve_with_token("0.0.0.0:0", None).unwrap_err();
    assert!(matches!(refused, ServeError::NotLoopback(_)), "{refused}");
    assert!(refused.to_string().contains("PROFKIT_HTTP_TOKEN"));
    let first = profkit::serve("127.0.0.1:0").unwrap();
    let taken = profkit::serve(first.addr()).unwrap_err();
    assert!(matches!(taken, ServeError::Bind(..)), "{taken}");
    assert!(matches!(
        profkit::serve("no such host:1").unwrap_err(),
        ServeError::Address(_)
    ));
    // Dropping the server frees its port.
    let addr = first.addr();
    drop(first);
    let again = profkit::serve(addr).unwrap();
    assert_eq!(again.addr(), addr);
}

/// `exit-probe` (tests/support) with `PROFKIT_HTTP` set to `addr`: its stdout, stderr and
/// whether it succeeded.
fn probe_with_http(addr: &str) -> (String, String, bool) {
    let out = Command::new(env!("CARGO_BIN_EXE_exit-probe"))
        .arg("return")
        .env_remove("PROFKIT")
        .env_remove("PROFKIT_OUT")
        .env_remove("PROFKIT_HTTP_TOKEN")
        .env("PROFKIT_HTTP", addr)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.success(),
    )
}

#[test]
fn profkit_http_starts_the_server_or_says_why_in_one_line() {
    let (plain, _, ok) = probe_with_http("");
    assert!(ok && plain.starts_with("result "), "{plain}");
    // Started at the first profiled call: one line with the address.
    let (out, err, ok) = probe_with_http("127.0.0.1:0");
    assert!(ok && out == plain, "{out}");
    assert!(
        err.starts_with("profkit: serving profiles on http://127.0.0.1:")
            && err.lines().count() == 1,
        "{err}"
    );
    // Refused, or a port in use: one line, and the program's result is the same.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().to_string();
    for (addr, says) in [
        ("0.0.0.0:0", "not a loopback address"),
        (taken.as_str(), "cannot listen on"),
    ] {
        let (out, err, ok) = probe_with_http(addr);
        assert!(ok && out == plain, "{addr}: {out}");
        assert!(
            err.contains(says) && err.lines().count() == 1,
            "{addr}: {err}"
        );
    }
}
