//! Every kind of bad input gives one line, `profkit: FILE: what is wrong`, and status 2.

use std::path::Path;

use crate::support::{Shape, arg, profkit, scratch, write};

fn file(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

#[test]
fn bad_profile_files_are_one_line_and_status_2() {
    let dir = scratch("bad-profiles");
    let json = write(&dir, "good.json", Shape::default());
    let prof = write(&dir, "good.prof", Shape::default());
    let json_bytes = std::fs::read(&json).unwrap();
    let prof_bytes = std::fs::read(&prof).unwrap();

    let missing = arg(&dir, "missing.json");
    let directory = dir.display().to_string();
    let empty = file(&dir, "empty.prof", b"");
    let truncated_json = file(&dir, "truncated.json", &json_bytes[..json_bytes.len() / 2]);
    let truncated_prof = file(&dir, "truncated.prof", &prof_bytes[..prof_bytes.len() / 2]);
    let mut corrupt = json_bytes.clone();
    let colon = corrupt.iter().position(|&b| b == b':').unwrap();
    corrupt[colon] = b'#';
    let corrupt_json = file(&dir, "corrupt.json", &corrupt);
    let mut corrupt = prof_bytes.clone();
    corrupt[1] = b'Z'; // the first key's type code
    let corrupt_prof = file(&dir, "corrupt.prof", &corrupt);
    let png = file(&dir, "image.prof", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    let text = file(&dir, "notes.json", b"hello, this is not a profile\n");
    let foreign_json = file(&dir, "other.json", br#"{"name": "package.json"}"#);
    let oversized = dir.join("huge.prof");
    std::fs::File::create(&oversized)
        .unwrap()
        .set_len((1 << 30) + 1)
        .unwrap();
    let oversized = oversized.display().to_string();

    let cases: [(&str, &str); 11] = [
        (&missing, "No such file"),
        (&directory, "directory"),
        (&empty, "empty"),
        (&truncated_json, "at line"),
        (&truncated_prof, "at byte"),
        (&corrupt_json, "at line 1"),
        (&corrupt_prof, "at byte "),
        (&png, "at byte"),
        (&text, "at byte 0"),
        (&foreign_json, "profkit"),
        (&oversized, "more than a profile can be"),
    ];
    for (path, what) in &cases {
        let out = profkit(["view", path]);
        out.bad_input(what);
        assert!(
            out.stderr.starts_with(&format!("profkit: {path}: ")),
            "{}",
            out.stderr
        );
        assert!(out.stdout.is_empty());
        // The same through every subcommand that reads profiles.
        profkit(["view", &json, path]).bad_input(what);
        profkit(["merge", &json, path, "-o", &arg(&dir, "out.json")]).bad_input(what);
        profkit(["diff", &json, path]).bad_input(what);
        profkit(["diff", path, &json]).bad_input(what);
        profkit(["flame", path, "-o", &arg(&dir, "out.svg")]).bad_input(what);
        let budgets = file(
            &dir,
            "ok.toml",
            b"[[budget]]\nfunction = \"fib\"\nncalls = 1\n",
        );
        profkit(["check", path, "--budgets", &budgets]).bad_input(what);
    }
    assert!(!dir.join("out.json").exists() && !dir.join("out.svg").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unwritable_output_is_one_line() {
    let dir = scratch("bad-output");
    let json = write(&dir, "good.json", Shape::default());
    let out = arg(&dir, "no/such/dir/out.json");
    profkit(["merge", &json, "-o", &out]).bad_input(&format!("{out}: cannot write: "));
    let out = arg(&dir, "no/such/dir/out.svg");
    profkit(["flame", &json, "-o", &out]).bad_input(&format!("{out}: cannot write: "));
}

#[test]
fn bad_budgets_files_name_the_line() {
    let dir = scratch("bad-budgets");
    let profile = write(&dir, "p.json", Shape::default());
    let cases: &[(&[u8], &str)] = &[
        (b"[[budget]]\nfunction = \"fib\"\np99 = 2ms\n", "line 3: "),
        (
            b"[[budget]]\nfunction = \"fib\"\np99 = \"2\"\n",
            "line 3: p99: \"2\" needs a unit",
        ),
        (
            b"[[budget]]\nfunction = \"fib\"\nncals = 3\n",
            "line 3: unknown field `ncals`",
        ),
        (b"[[budget]]\nfunction = \"fib\"\nncalls = -3\n", "line 3: "),
        (
            b"[[budget]]\nfunction = \"fib\"\nncalls = 1\nseverity = \"fatal\"\n",
            "line 4: severity \"fatal\"",
        ),
        (
            b"[[budget]]\nfunction = \"fib\"\n",
            "line 1: the budget of \"fib\" sets no limit",
        ),
        (
            b"[[budget]]\nfunction = \"fib\"\nper_call_of = \"main\"\n",
            "line 3: per_call_of needs max_per_call",
        ),
        (
            b"[[budget]]\nncalls = 1\n",
            "line 1: missing field `function`",
        ),
        (b"", "line 1: no budgets"),
        (
            b"[[budget]]\nfunction = \"f\xff\"\n",
            "at byte 24: not UTF-8",
        ),
        (b"[budget]\nfunction = \"fib\"\n", "line 1: "),
        (
            b"[[budget]]\nfunction = \"fib\"\nper_call_of = \" \"\nmax_per_call = 1\n",
            "line 3: `per_call_of` is empty",
        ),
    ];
    for (i, (text, what)) in cases.iter().enumerate() {
        let path = dir.join(format!("b{i}.toml"));
        std::fs::write(&path, text).unwrap();
        let path = path.display().to_string();
        profkit(["check", &profile, "--budgets", &path]).bad_input(&format!("{path}: {what}"));
    }
    let missing = arg(&dir, "missing.toml");
    profkit(["check", &profile, "--budgets", &missing])
        .bad_input(&format!("{missing}: No such file"));
    let directory = dir.display().to_string();
    profkit(["check", &profile, "--budgets", &directory]).bad_input("directory");
}

/// `-o` naming a device or a named pipe writes into it: renaming a temporary file over it
/// replaced `/dev/full` with a regular file (as root) and reported success.
#[cfg(unix)]
#[test]
fn an_output_that_is_not_a_regular_file_is_written_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let dir = scratch("output-not-a-file");
    let json = write(&dir, "good.json", Shape::default());
    for (i, name) in ["out.json", "out.prof", "out.folded", "out.txt"]
        .into_iter()
        .enumerate()
    {
        let fifo = dir.join(format!("pipe{i}-{name}"));
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        let out = fifo.display().to_string();
        profkit(["merge", &json, "-o", &out]).ok();
        assert!(
            std::fs::metadata(&fifo).unwrap().file_type().is_fifo(),
            "{name}: the named pipe was replaced by a file"
        );
        assert!(
            !reader.join().unwrap().is_empty(),
            "{name}: nothing written"
        );
    }
    // A device that refuses the bytes is a failed write, not a success.
    if std::fs::metadata("/dev/full").is_ok_and(|m| m.file_type().is_char_device()) {
        profkit(["flame", &json, "--folded", "-o", "/dev/full"])
            .bad_input("/dev/full: cannot write: ");
        assert!(
            std::fs::metadata("/dev/full")
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }
}
