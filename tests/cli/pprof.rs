//! `profkit merge` writing pprof: by the output's extension or by `--format pprof`.

use profkit::Report;

use crate::support::{Shape, arg, profkit, scratch, write};

#[test]
fn merge_writes_pprof_by_extension_or_by_format() {
    let dir = scratch("merge-pprof");
    let json = write(&dir, "p.json", Shape::default());
    let expected = Report::read(&json).unwrap().to_pprof().unwrap();
    for name in ["out.pb.gz", "out.pprof"] {
        let out = arg(&dir, name);
        profkit(["merge", &json, "-o", &out]).ok();
        assert_eq!(std::fs::read(&out).unwrap(), expected, "{name}");
    }
    // --format wins over the name: a pprof profile in a file named like text.
    let out = arg(&dir, "upload.bin");
    profkit(["merge", &json, "--format", "pprof", "-o", &out]).ok();
    assert_eq!(std::fs::read(&out).unwrap(), expected);
    let out = arg(&dir, "profile.txt");
    profkit(["merge", &json, "--format", "json", "-o", &out]).ok();
    assert_eq!(Report::read(&out).unwrap(), Report::read(&json).unwrap());
    // Two files are summed first.
    let both = arg(&dir, "both.pb.gz");
    profkit(["merge", &json, &json, "-o", &both]).ok();
    let twice = Report::read_all([&json, &json])
        .unwrap()
        .to_pprof()
        .unwrap();
    assert_eq!(std::fs::read(&both).unwrap(), twice);
}

#[test]
fn pprof_without_call_paths_or_to_an_unwritable_path_is_one_line() {
    let dir = scratch("merge-pprof-bad");
    let prof = write(&dir, "p.prof", Shape::default());
    profkit(["merge", &prof, "-o", &arg(&dir, "x.pb.gz")]).bad_input("has no call tree");
    assert!(!dir.join("x.pb.gz").exists());
    let json = write(&dir, "p.json", Shape::default());
    profkit(["merge", &json, "-o", "/nonexistent-dir/p.pb.gz"])
        .bad_input("/nonexistent-dir/p.pb.gz: cannot write: No such file or directory");
    profkit(["merge", &json, "-o", &arg(&dir, "p.gz")]).bad_input("unknown output format .gz");
    // profkit does not read pprof back, and says what the file is.
    let pb = arg(&dir, "p.pb.gz");
    profkit(["merge", &json, "-o", &pb]).ok();
    profkit(["view", &pb]).bad_input("a gzip file (a pprof profile?)");
}
