//! `profkit history` on a PostgreSQL server shared by many recorders (`PROFKIT_TEST_PG`, see
//! `common::pg`): sixteen recorders at once while checks read, a recorder whose connection is
//! ended in the middle of its run, the password from `PGPASSWORD` or a password file, the
//! one-line errors of connecting, `PROFKIT_HISTORY_DB`, and `history copy` both ways.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use profkit::history::{PgStore, RunFilter, RunStore};

use crate::common::pg::{Schema, admin, server};
use crate::common::synthetic::profile_json;
use crate::support::{Run, Shape, arg, scratch, write};

fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_profkit"));
    c.args(args)
        .env_remove("PGPASSWORD")
        .env_remove("PGPASSFILE")
        .env_remove("PROFKIT_HISTORY_DB")
        .env_remove("PROFKIT_HISTORY_SCHEMA");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    Run::from(
        command(args, env)
            .output()
            .expect("the profkit binary runs"),
    )
}

fn spawn(args: &[&str], env: &[(&str, &str)]) -> Child {
    command(args, env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the profkit binary runs")
}

fn finished(child: Child) -> Run {
    let out: Output = child.wait_with_output().expect("profkit ends");
    Run::from(out)
}

/// The URL without its password, and the password.
fn split_password(url: &str) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (userinfo, host) = rest.split_once('@').unwrap();
    let (user, password) = userinfo
        .split_once(':')
        .expect("a password in PROFKIT_TEST_PG");
    (format!("{scheme}://{user}@{host}"), password.to_owned())
}

fn count(url: &str, schema: &str, table: &str) -> i64 {
    admin(url)
        .query_one(&format!("SELECT count(*) FROM {schema}.{table}"), &[])
        .unwrap()
        .get(0)
}

/// Sixteen `profkit history record` processes at once into one new schema, while this test
/// reads the history on snapshots in a loop and `profkit history check` runs beside them:
/// every run lands with its own id, and every snapshot holds whole runs only (each run it
/// lists has all of its samples and its profile).
#[test]
fn sixteen_recorders_at_once_all_land_while_checks_see_whole_runs() {
    let Some(url) = server() else {
        return;
    };
    let schema = Schema::fresh(&url, "sixteen");
    let dir = scratch("pg-sixteen");
    let big = dir.join("big.json");
    std::fs::write(&big, profile_json(500, 7, |_| 1.0)).unwrap();
    let big = big.display().to_string();
    // The schema exists before the checks start reading (the recorders race to migrate it
    // otherwise; that race is `postgres_runners_creating_one_schema_at_once_create_it_once`).
    let reader = PgStore::connect_to_schema(&url, &schema.name).unwrap();
    let args = |commit: &str| {
        vec![
            "history".to_owned(),
            "record".into(),
            "--db".into(),
            url.clone(),
            "--schema".into(),
            schema.name.clone(),
            "--commit".into(),
            commit.to_owned(),
            big.clone(),
        ]
    };
    let recorders: Vec<Child> = (0..16)
        .map(|i| {
            let a = args(&format!("r{i:02}"));
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            spawn(&a, &[])
        })
        .collect();
    let checker = spawn(
        &[
            "history",
            "check",
            "--db",
            &url,
            "--schema",
            &schema.name,
            &big,
        ],
        &[],
    );
    let mut seen = BTreeSet::new();
    let mut snapshots = 0;
    loop {
        let mut landed = 0;
        reader
            .snapshot(&mut || {
                let runs = reader.runs(&RunFilter::new())?;
                let ids: Vec<_> = runs.iter().map(|r| r.id()).collect();
                let samples = RunStore::samples(&reader, &ids, None)?;
                for (run, s) in runs.iter().zip(&samples) {
                    assert_eq!(s.functions().count() as u64, run.function_count());
                    assert_eq!(run.function_count(), 500);
                }
                if let Some(newest) = runs.first() {
                    assert_eq!(reader.profile(newest.id())?.len(), 500);
                }
                landed = runs.len();
                Ok(())
            })
            .unwrap();
        snapshots += 1;
        seen.insert(landed);
        if landed == 16 {
            break;
        }
        assert!(snapshots < 100_000, "the recorders never finished");
    }
    let mut ids = BTreeSet::new();
    for child in recorders {
        let out = finished(child);
        let line = out.ok();
        let id: i64 = line
            .strip_prefix("recorded run ")
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{line}"));
        ids.insert(id);
    }
    assert_eq!(ids.len(), 16, "{ids:?}");
    let check = finished(checker);
    assert!(
        check.ok().starts_with("profkit history check: "),
        "{}",
        check.stdout
    );
    assert_eq!(count(&url, &schema.name, "runs"), 16);
    assert_eq!(count(&url, &schema.name, "samples"), 16 * 500);
    assert_eq!(count(&url, &schema.name, "profiles"), 16);
    assert_eq!(count(&url, &schema.name, "functions"), 500);
    eprintln!(
        "16 recorders: ids {:?}..={:?}, {snapshots} snapshots read meanwhile, holding {} \
         different numbers of runs: {seen:?}",
        ids.first(),
        ids.last(),
        seen.len()
    );
}

/// A recorder whose connection the server ends in the middle of its run: its run, samples
/// and functions already written, it waits for the table of profiles (which this test holds
/// locked), and the server terminates its backend there. It says so in one line, exit 2, and
/// the history holds nothing of that run; the next record lands.
#[test]
fn a_recorder_cut_off_mid_run_leaves_no_partial_run() {
    let Some(url) = server() else {
        return;
    };
    let schema = Schema::fresh(&url, "cutoff");
    let dir = scratch("pg-cutoff");
    let p = write(&dir, "p.json", Shape::default());
    let base = ["history", "record", "--db", &url, "--schema", &schema.name];
    let before = run(&[&base[..], &["--commit", "before", &p]].concat(), &[]);
    before.ok();
    let (runs, samples) = (
        count(&url, &schema.name, "runs"),
        count(&url, &schema.name, "samples"),
    );

    let mut locker = admin(&url);
    let mut tx = locker.transaction().unwrap();
    tx.batch_execute(&format!(
        "LOCK TABLE {}.profiles IN ACCESS EXCLUSIVE MODE",
        schema.name
    ))
    .unwrap();
    let app = format!("cutoff_{}", std::process::id());
    let sep = if url.contains('?') { '&' } else { '?' };
    let tagged = format!("{url}{sep}application_name={app}");
    let mut child = spawn(
        &[
            "history",
            "record",
            "--db",
            &tagged,
            "--schema",
            &schema.name,
            "--commit",
            "cut",
            &p,
        ],
        &[],
    );
    // Wait (on the server's word, not a clock) until the recorder is blocked on the lock,
    // at its last insert.
    let mut watcher = admin(&url);
    let pid: i32 = loop {
        let row = watcher
            .query_opt(
                "SELECT pid FROM pg_stat_activity WHERE application_name = $1 \
                 AND wait_event_type = 'Lock' AND query LIKE '%.profiles (run_id, encoding%'",
                &[&app],
            )
            .unwrap();
        if let Some(row) = row {
            break row.get(0);
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the recorder ended before it reached the lock: {status}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let ended: bool = watcher
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .unwrap()
        .get(0);
    assert!(ended);
    tx.rollback().unwrap();
    let out = finished(child);
    out.bad_input("; the run was not recorded");
    // The server's last word arrives before the socket closes, or the close is seen first.
    assert!(
        out.stderr.contains(
            ": the server ended the connection: terminating connection due to administrator \
             command;"
        ) || out
            .stderr
            .contains(": the connection to the server was lost;"),
        "{}",
        out.stderr
    );
    let server_label = PgStore::server_of(&tagged).unwrap();
    assert!(
        out.stderr
            .starts_with(&format!("profkit: {server_label}: ")),
        "{}",
        out.stderr
    );
    assert_eq!(count(&url, &schema.name, "runs"), runs);
    assert_eq!(count(&url, &schema.name, "samples"), samples);
    assert_eq!(count(&url, &schema.name, "labels"), 0);
    run(&[&base[..], &["--commit", "after", &p]].concat(), &[]).ok();
    assert_eq!(count(&url, &schema.name, "runs"), runs + 1);
    assert_eq!(count(&url, &schema.name, "samples"), 2 * samples);
}

/// The password from the URL, `PGPASSWORD` or a password file (`PGPASSFILE`, as `~/.pgpass`),
/// a file others may read ignored as libpq ignores it, `PROFKIT_HISTORY_DB` for `--db`; and the
/// errors: no password, a wrong one, a malformed URL, no server. Never the password in the
/// output.
#[test]
fn passwords_come_from_the_url_pgpassword_or_pgpass_and_are_never_shown() {
    let Some(url) = server() else {
        return;
    };
    let schema = Schema::fresh(&url, "password");
    let dir = scratch("pg-password");
    let p = write(&dir, "p.json", Shape::default());
    let (bare, password) = split_password(&url);
    let server_label = PgStore::server_of(&url).unwrap();
    let list = ["history", "list", "--schema", &schema.name];
    let record = |db: &str, commit: &str, env: &[(&str, &str)]| {
        run(
            &[
                "history",
                "record",
                "--db",
                db,
                "--schema",
                &schema.name,
                "--commit",
                commit,
                &p,
            ],
            env,
        )
    };
    record(&url, "in-url", &[]).ok();
    record(&bare, "pgpassword", &[("PGPASSWORD", &password)]).ok();
    let pgpass = dir.join("pgpass");
    let (host_port, _) = bare.split_once('@').unwrap().1.split_once('/').unwrap();
    let (host, port) = host_port.rsplit_once(':').unwrap();
    std::fs::write(
        &pgpass,
        format!("# profkit test\nelsewhere:*:*:*:nope\n{host}:{port}:*:postgres:{password}\n"),
    )
    .unwrap();
    let file = pgpass.display().to_string();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    record(&bare, "pgpass", &[("PGPASSFILE", &file)]).ok();
    // PROFKIT_HISTORY_DB is --db's default.
    let listed = run(&list, &[("PROFKIT_HISTORY_DB", &url)]);
    let commits: Vec<&str> = listed
        .ok()
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(commits, ["pgpass", "pgpassword", "in-url"]);

    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = record(&bare, "loose", &[("PGPASSFILE", &file)]);
    out.bad_input(&format!(
        "{server_label}: the server asks for a password, and none was given (in the URL, \
         PGPASSWORD or ~/.pgpass); {file} was ignored: its mode 0644 lets others read it \
         (chmod 0600)"
    ));
    let wrong = record(&bare, "wrong", &[("PGPASSWORD", "not-it")]);
    wrong.bad_input("password authentication failed for user \"postgres\" (wrong password?)");
    let malformed = url.replacen(&format!(":{port}/"), ":port/", 1);
    let out = record(&malformed, "malformed", &[]);
    out.bad_input("not a PostgreSQL connection string");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let free = closed.local_addr().unwrap().port();
    drop(closed);
    let nowhere = url.replacen(&format!(":{port}/"), &format!(":{free}/"), 1);
    let out = record(&nowhere, "nowhere", &[]);
    out.bad_input(&format!("@127.0.0.1:{free}/"));
    out.bad_input("cannot connect: ");
    let everything = [&out, &wrong, &listed]
        .iter()
        .map(|r| format!("{}{}", r.stdout, r.stderr))
        .collect::<String>();
    assert!(!everything.contains(&password), "{everything}");
    assert_eq!(count(&url, &schema.name, "runs"), 3);
}

/// `history copy` from a SQLite file to a PostgreSQL schema and back, whole; again, nothing.
#[test]
fn copy_moves_a_history_between_backends_whole_and_once() {
    let Some(url) = server() else {
        return;
    };
    let schema = Schema::fresh(&url, "copycli");
    let dir = scratch("pg-copy");
    let db = arg(&dir, "runs.db");
    for (i, micros) in [1000, 1010, 990].into_iter().enumerate() {
        let p = write(
            &dir,
            &format!("p{i}.json"),
            Shape {
                fetch_micros: micros,
                ..Shape::default()
            },
        );
        run(
            &[
                "history",
                "record",
                "--db",
                &db,
                "--commit",
                &format!("commit{i}"),
                "--label",
                "k=v",
                &p,
            ],
            &[],
        )
        .ok();
    }
    let to_pg = [
        "history",
        "copy",
        "--from",
        &db,
        "--to",
        &url,
        "--schema",
        &schema.name,
    ];
    let first = run(&to_pg, &[]);
    let server_label = PgStore::server_of(&url).unwrap();
    assert_eq!(
        first.ok(),
        format!(
            "copied 3 runs from {db} to {server_label}, schema {}; 0 were there already\n",
            schema.name
        )
    );
    assert!(run(&to_pg, &[]).ok().starts_with("copied 0 runs from "));
    let back = arg(&dir, "back.db");
    run(
        &[
            "history",
            "copy",
            "--from",
            &url,
            "--to",
            &back,
            "--schema",
            &schema.name,
        ],
        &[],
    )
    .ok();
    let json = |args: &[&str]| run(args, &[]).json()["runs"].clone();
    let mut a = json(&["history", "list", "--db", &db, "--format", "json"]);
    let mut b = json(&["history", "list", "--db", &back, "--format", "json"]);
    let mut c = json(&[
        "history",
        "list",
        "--db",
        &url,
        "--schema",
        &schema.name,
        "--format",
        "json",
    ]);
    assert_eq!(a.as_array().unwrap().len(), 3);
    for doc in [&mut a, &mut b, &mut c] {
        for r in doc.as_array_mut().unwrap() {
            r.as_object_mut().unwrap().remove("id");
        }
    }
    assert_eq!(a, b);
    assert_eq!(a, c);
    let exported = arg(&dir, "c1.json");
    run(
        &[
            "history",
            "export",
            "--db",
            &url,
            "--schema",
            &schema.name,
            "commit1",
            "-o",
            &exported,
        ],
        &[],
    )
    .ok();
    assert_eq!(
        profkit::Report::read(Path::new(&exported)).unwrap(),
        profkit::Report::read(dir.join("p1.json")).unwrap()
    );
}
