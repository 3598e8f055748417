//! `-` names standard input wherever a profile (or a budgets file) is read, told apart by
//! content, and `-o -` writes to standard output.

use profkit::Report;

use crate::support::{Shape, arg, profkit, profkit_stdin, python_dump, scratch, write};

fn bytes(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn view_reads_json_prof_and_python_dumps_from_standard_input() {
    let dir = scratch("stdin-view");
    let json = write(&dir, "p.json", Shape::default());
    let prof = write(&dir, "p.prof", Shape::default());
    let python = python_dump(&dir);
    for file in [&json, &prof, &python] {
        let from_file = profkit(["view", file.as_str()]).ok().to_owned();
        let (run, _) = profkit_stdin(["view", "-"], &bytes(file));
        assert_eq!(run.ok(), from_file, "{file}");
    }
    // With a file: both are merged.
    let (run, _) = profkit_stdin(["view", &json, "-", "--format", "json"], &bytes(&json));
    let doc = run.json();
    let fib = doc["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"].as_str().unwrap().ends_with("::fib"))
        .unwrap();
    assert_eq!(fib["ncalls"], 2 * 1973);
    let (run, _) = profkit_stdin(["view", "-", "--tree", "--full-names"], &bytes(&json));
    assert!(run.ok().contains("cli::support::fetch_row"));
}

#[test]
fn standard_input_that_is_not_a_profile_is_one_line_naming_it() {
    let (run, _) = profkit_stdin(["view", "-"], b"");
    run.bad_input("<stdin>: at byte 0: the file is empty");
    let (run, _) = profkit_stdin(["view", "-"], b"{\"format\": \"profkit\", \"version\": 1,");
    run.bad_input("<stdin>: at line 1, column 35:");
    let (run, _) = profkit_stdin(["view", "-", "-"], b"{}");
    run.bad_input("given more than once");
    let dir = scratch("stdin-bad");
    let prof = write(&dir, "p.prof", Shape::default());
    let (run, _) = profkit_stdin(["view", "-", "--tree"], &bytes(&prof));
    run.bad_input("<stdin>: has no call tree");
}

#[test]
fn merge_writes_json_to_standard_output_and_view_reads_it_back() {
    let dir = scratch("stdout-merge");
    let json = write(&dir, "p.json", Shape::default());
    let (run, out) = profkit_stdin(["merge", &json, "-", "-o", "-"], &bytes(&json));
    run.ok();
    let merged = Report::from_bytes(&out).unwrap();
    assert_eq!(merged.function("fib").unwrap().ncalls(), 2 * 1973);
    assert_eq!(merged, Report::read_all([&json, &json]).unwrap());
    // Piped on: what `merge -o -` writes, `view -` reads.
    let (run, _) = profkit_stdin(["view", "-"], &out);
    assert!(run.ok().contains("3946/2"), "{}", run.stdout);

    // --format names another format for standard output (or against an extension).
    let (run, out) = profkit_stdin(["merge", "-", "-o", "-", "--format", "prof"], &bytes(&json));
    run.ok();
    assert_eq!(out[0], b'{');
    let prof = Report::from_pstats_bytes(&out).unwrap();
    assert_eq!(prof.function("fib").unwrap().ncalls(), 1973);
    let (run, _) = profkit_stdin(
        ["merge", "-", "-o", "-", "--format", "folded"],
        &bytes(&json),
    );
    assert!(
        run.ok()
            .contains("cli::support::get_users;cli::support::fetch_row 12000000")
    );
    let txt = arg(&dir, "tables.json");
    let (run, _) = profkit_stdin(["merge", "-", "-o", &txt, "--format", "txt"], &bytes(&json));
    run.ok();
    assert!(
        std::fs::read_to_string(&txt)
            .unwrap()
            .contains("Ordered by: cumulative time")
    );
    let (run, _) = profkit_stdin(["merge", "-", "-o", "-", "--format", "png"], &bytes(&json));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("expected json, prof, folded, svg, pprof or txt")
    );
}

#[test]
fn flame_reads_standard_input_and_writes_svg_or_folded_stacks_to_standard_output() {
    let dir = scratch("stdout-flame");
    let json = write(&dir, "p.json", Shape::default());
    let (run, svg) = profkit_stdin(["flame", "-", "-o", "-"], &bytes(&json));
    run.ok();
    let svg = String::from_utf8(svg).unwrap();
    assert!(
        svg.starts_with("<?xml") && svg.contains("fetch_row"),
        "{svg}"
    );
    let folded = profkit(["flame", &json, "--folded"]).ok().to_owned();
    let (run, _) = profkit_stdin(["flame", "-", "--folded", "-o", "-"], &bytes(&json));
    assert_eq!(run.ok(), folded);
}

#[test]
fn diff_and_check_read_a_profile_or_the_budgets_from_standard_input() {
    let dir = scratch("stdin-diff-check");
    let base = write(&dir, "base.json", Shape::default());
    let slow = write(
        &dir,
        "new.json",
        Shape {
            fetch_micros: 2000,
            ..Shape::default()
        },
    );
    let (run, _) = profkit_stdin(["diff", "-", &slow], &bytes(&base));
    assert_eq!(run.code, 1, "a regression: {}", run.stderr);
    assert!(run.stdout.contains("fetch_row"), "{}", run.stdout);
    let (run, _) = profkit_stdin(["diff", &base, "-"], &bytes(&base));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (run, _) = profkit_stdin(["diff", "-", "-"], &bytes(&base));
    run.bad_input("given more than once");

    let budgets = "[[budget]]\nfunction = \"fetch_row\"\nncalls = 5\n";
    let (run, _) = profkit_stdin(["check", &base, "--budgets", "-"], budgets.as_bytes());
    assert_eq!(run.code, 1, "12 calls break it: {}", run.stderr);
    assert!(run.stdout.contains("(<stdin>:1)"), "{}", run.stdout);
    let file = dir.join("b.toml");
    std::fs::write(&file, budgets).unwrap();
    let (run, _) = profkit_stdin(
        ["check", "-", "--budgets", file.to_str().unwrap()],
        &bytes(&base),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (run, _) = profkit_stdin(["check", "-", "--budgets", "-"], &bytes(&base));
    run.bad_input("given more than once");
    let (run, _) = profkit_stdin(["check", &base, "--budgets", "-"], b"[[budget]\n");
    run.bad_input("<stdin>: line 1:");
}

#[test]
fn a_terminal_on_standard_input_is_refused_rather_than_waited_for() {
    // `script` runs the command with a pseudo-terminal as its standard input.
    let command = format!("{} view -", env!("CARGO_BIN_EXE_profkit"));
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("profkit: <stdin>: `-` reads standard input, which is a terminal"),
        "{text}"
    );
}
