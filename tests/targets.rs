//! No file of the suite or of the examples is silently left out of the build.
//!
//! The workspace has two packages at its root (examples/Cargo.toml: profkit-examples, the
//! default member, with light dependencies; Cargo.toml: profkit-suite, the tests and benches),
//! and neither discovers examples by itself (`autoexamples = false`): a new file in `tests/`,
//! `benches/` or `examples/` that no manifest names would never be built. These tests read
//! `cargo metadata` and check that every such file is a target, that every example is one that
//! `cargo run --release --example NAME` finds from the root (as `.ci/run` runs each file of
//! `examples/`), that its doc comment gives that command with the features it requires, and that
//! `cargo test --workspace` builds every example (the suite turns their features on).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn metadata() -> Value {
    let out = Command::new(env!("CARGO"))
        .current_dir(root())
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo metadata failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

fn packages(meta: &Value) -> &[Value] {
    meta["packages"].as_array().expect("a package list")
}

fn package<'a>(meta: &'a Value, name: &str) -> &'a Value {
    packages(meta)
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no package {name} in the workspace"))
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().expect("a string").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Every target of a kind (`test`, `bench`, `example`) in the workspace: its source file
/// (canonical) and its package's name, its target name and required features.
fn targets(meta: &Value, kind: &str) -> BTreeMap<PathBuf, (String, String, Vec<String>)> {
    let mut found = BTreeMap::new();
    for p in packages(meta) {
        for t in p["targets"].as_array().expect("targets") {
            if strings(&t["kind"]).iter().any(|k| k == kind) {
                let path = Path::new(t["src_path"].as_str().expect("src_path"))
                    .canonicalize()
                    .expect("a target's file exists");
                let package = p["name"].as_str().unwrap().to_owned();
                let name = t["name"].as_str().unwrap().to_owned();
                found.insert(path, (package, name, strings(&t["required-features"])));
            }
        }
    }
    found
}

/// The `.rs` files directly in `dir` (relative to the root), canonical.
fn rust_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.canonicalize().unwrap())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{dir} has no .rs file");
    files
}

#[test]
fn every_file_in_tests_and_benches_is_a_target() {
    let meta = metadata();
    for (dir, kind) in [("tests", "test"), ("benches", "bench")] {
        let known = targets(&meta, kind);
        let missing: Vec<_> = rust_files(dir)
            .into_iter()
            .filter(|f| !known.contains_key(f))
            .collect();
        assert!(
            missing.is_empty(),
            "files in {dir}/ that no package builds as a {kind} (name them in Cargo.toml, or \
             move a helper module to {dir}/common/): {missing:?}"
        );
    }
    // The control: this file is one of them, a test of the suite.
    let this = root().join("tests/targets.rs").canonicalize().unwrap();
    assert_eq!(
        targets(&meta, "test")[&this].0,
        "profkit-suite",
        "tests/targets.rs is not a test of the suite"
    );
}

#[test]
fn every_example_runs_from_the_root_with_the_command_its_doc_gives() {
    let meta = metadata();
    // What `cargo run --example NAME` in the root searches: the default members.
    let defaults: BTreeSet<String> = strings(&meta["workspace_default_members"])
        .into_iter()
        .map(|id| {
            packages(&meta)
                .iter()
                .find(|p| p["id"] == id.as_str())
                .expect("a default member is a package")["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        defaults,
        BTreeSet::from(["profkit-examples".to_owned()]),
        "the root's default member must be the examples alone: with the suite beside them, \
         cargo unifies profkit's features over both and the quickstart builds every dependency"
    );

    let examples = targets(&meta, "example");
    let files = rust_files("examples");
    assert_eq!(
        files.len(),
        examples.len(),
        "examples/*.rs and the example targets differ: {files:?} against {:?}",
        examples.keys().collect::<Vec<_>>()
    );
    for file in files {
        let (package, name, features) = examples
            .get(&file)
            .unwrap_or_else(|| panic!("{} is no example target", file.display()));
        assert_eq!(package, "profkit-examples", "{}", file.display());
        assert_eq!(
            Some(name.as_str()),
            file.file_stem().and_then(|s| s.to_str()),
            "the example's name is its file's (.ci/run runs `--example <file stem>`)"
        );
        let mut command = format!("cargo run --release --example {name}");
        if !features.is_empty() {
            command += &format!(" --features {}", features.join(","));
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let doc: String = text
            .lines()
            .filter_map(|l| l.strip_prefix("//!"))
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            doc.contains(&format!("`{command}`")),
            "{}'s doc comment does not give its command `{command}`",
            file.display()
        );
    }
}

#[test]
fn the_workspace_build_turns_on_every_feature_an_example_requires() {
    let meta = metadata();
    let required: BTreeSet<String> = targets(&meta, "example")
        .into_values()
        .flat_map(|(_, _, features)| features)
        .collect();
    // The control: some example does need a feature, or this test checks nothing.
    assert!(required.contains("http"), "{required:?}");
    let suite = package(&meta, "profkit-suite");
    let dependency = suite["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "profkit-examples")
        .expect("the suite depends on profkit-examples");
    let enabled: BTreeSet<String> = strings(&dependency["features"]).into_iter().collect();
    let missing: Vec<_> = required.difference(&enabled).collect();
    assert!(
        missing.is_empty(),
        "`cargo test --workspace` would skip the examples that require {missing:?}: add them to \
         the suite's profkit-examples dependency (Cargo.toml)"
    );
}
