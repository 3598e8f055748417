//! The floors of ARCHITECTURE.md, enforced: a file of the runtime or the macro crate names only
//! modules of floors below its own (or its own module). A `crate::Name` re-exported at the crate
//! root counts as the root, the top floor. Comments and docs are not imports and are skipped.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The runtime's floors, bottom up; modules on one floor may not import each other.
const RUNTIME: &[(&str, u32)] = &[
    ("data", 0),
    ("error", 0),
    ("collect", 1),
    ("model", 2),
    ("views", 3),
    ("formats", 3),
    ("files", 4),
    ("session", 4),
    ("exit", 5),
    ("expect", 5),
    ("history", 5),
    ("testing", 5),
    // The profile server for a running service (`http`, feature `http`) and the hook a call
    // site runs when it registers (the exit report, then `PROFKIT_HTTP`).
    ("http", 6),
    // A way of recording over collect, with the call sites' hook from http.
    ("tracing", 7),
];
const ROOT: u32 = 8;

const MACROS: &[(&str, u32)] = &[("parse", 0), ("expand", 1)];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module a file belongs to: its first path segment under `src` (`collect/local.rs` is
/// `collect`, `exit.rs` is `exit`, `lib.rs` is the root).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// The first segments of every `crate::` path in the code of `text` (comments and docs
/// skipped: a `doc = "..."` attribute, such as a link whose target depends on a feature, is
/// documentation too).
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in joined_uses(text) {
        let line = line.as_str();
        let code = line.split("//").next().unwrap_or("");
        let code = code.split("doc = \"").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let before = rest[..i].chars().last();
            rest = &rest[i + "crate::".len()..];
            // `$crate::` in a macro_rules body is the root's own path.
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let seg: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !seg.is_empty() {
                found.insert(seg);
            }
        }
        // `use crate::{a, b::c}`: each name in the group.
        if let Some(group) = code.trim().strip_prefix("use crate::{") {
            for seg in group.split(',') {
                let seg: String = seg
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !seg.is_empty() {
                    found.insert(seg);
                }
            }
        }
    }
    found
}

/// The lines of `text`, with a `use` statement that rustfmt spread over several lines joined
/// into one.
fn joined_uses(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("").trim();
        if open {
            if let Some(last) = out.last_mut() {
                last.push(' ');
                last.push_str(code);
            }
        } else {
            out.push(line.to_owned());
        }
        if !open && code.starts_with("use ") && !code.ends_with(';') {
            open = true;
        } else if open && code.ends_with(';') {
            open = false;
        }
    }
    out
}

fn check(src: &Path, floors: &[(&str, u32)], skip: &[&str]) -> Vec<String> {
    let floor_of = |m: &str| {
        floors
            .iter()
            .find(|(name, _)| *name == m)
            .map_or(ROOT, |(_, f)| *f)
    };
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    for file in files {
        let module = module_of(src, &file);
        if skip.contains(&module.as_str()) {
            continue;
        }
        let own = floor_of(&module);
        let text = fs::read_to_string(&file).unwrap();
        for used in crate_paths(&text) {
            if used == module || used == "self" {
                continue;
            }
            let theirs = floor_of(&used);
            if theirs >= own {
                wrong.push(format!(
                    "{} (floor {own}) imports crate::{used} (floor {theirs})",
                    file.display()
                ));
            }
        }
    }
    wrong
}

#[test]
fn every_import_of_the_runtime_points_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("profkit/src");
    // The CLI is a separate crate over the public API; lib.rs is the top.
    let wrong = check(&src, RUNTIME, &["bin", "lib"]);
    assert!(
        wrong.is_empty(),
        "imports that point up:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_macro_crate_parses_then_expands() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("profkit-macros/src");
    let wrong = check(&src, MACROS, &["lib"]);
    assert!(
        wrong.is_empty(),
        "imports that point up:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_check_sees_an_upward_import() {
    let paths = crate_paths("use crate::exit::install_once; // crate::views is a comment\n");
    assert_eq!(paths, BTreeSet::from(["exit".to_owned()]));
    let grouped = crate_paths("use crate::{model::Report, error::ReadError};\n");
    assert!(grouped.contains("model") && grouped.contains("error"));
    let spread = crate_paths("use crate::{\n    data::Tree,\n    views::SortKey,\n};\n");
    assert!(
        spread.contains("data") && spread.contains("views"),
        "{spread:?}"
    );
    assert!(crate_paths("$crate::__private::enter(x)").is_empty());
    assert!(crate_paths("/// [`report`](crate::report)").is_empty());
    let doc_link = "#[cfg_attr(feature = \"memory\", doc = \"[`Alloc`]: crate::Alloc\")]";
    assert!(crate_paths(doc_link).is_empty());
    assert_eq!(
        crate_paths("#[cfg_attr(test, allow(dead_code))] use crate::data::Tree;"),
        BTreeSet::from(["data".to_owned()])
    );
}

/// The command line is a shell over the library's public API: nothing of `__private` (what
/// generated code calls, free to change) in `profkit/src/bin`.
#[test]
fn the_command_line_uses_the_public_api_only() {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("profkit/src/bin");
    let mut files = Vec::new();
    rust_files(&bin, &mut files);
    assert!(!files.is_empty(), "no CLI sources under {}", bin.display());
    let private: Vec<String> = files
        .iter()
        .filter(|f| fs::read_to_string(f).unwrap().contains("__private"))
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        private.is_empty(),
        "the CLI reaches __private in {private:?}"
    );
}
