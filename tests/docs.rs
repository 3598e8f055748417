//! The documentation's facts that code can keep true: the schema versions and the minimum Rust
//! version the README quotes are the ones the code and the manifest have, and every link into
//! the repository from its markdown files (with its `#anchor`) leads somewhere.
//!
//! The README is also profkit's page on crates.io, which resolves a relative link against the
//! crate's folder (`profkit/`), not the repository's root: the README links to files with the
//! repository's `blob/HEAD/` URL, which is checked here as the local path it names.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The markdown files a reader of the repository (or of a package) opens.
const DOCS: &[&str] = &[
    "README.md",
    "CONTRIBUTING.md",
    "CHANGELOG.md",
    "ARCHITECTURE.md",
    "profkit-macros/README.md",
];

/// The READMEs that are also crate pages on crates.io.
const CRATE_READMES: &[&str] = &["README.md", "profkit-macros/README.md"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    let path = root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The number that follows `prefix` in `text`, wherever `prefix` occurs (at least once).
fn numbers_after(text: &str, prefix: &str) -> Vec<u64> {
    let found: Vec<u64> = text
        .match_indices(prefix)
        .map(|(at, _)| {
            let digits: String = text[at + prefix.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits
                .parse()
                .unwrap_or_else(|_| panic!("no number after {prefix:?}"))
        })
        .collect();
    assert!(!found.is_empty(), "the text no longer says {prefix:?}");
    found
}

#[test]
fn readme_quotes_the_history_schema_version_this_profkit_reads() {
    let readme = read("README.md");
    let version = u64::try_from(profkit::history::SCHEMA_VERSION).unwrap();
    for quoted in numbers_after(&readme, "this profkit reads up to ") {
        assert_eq!(
            quoted, version,
            "README.md quotes history schema version {quoted}; profkit::history::SCHEMA_VERSION is {version}"
        );
    }
}

#[test]
fn readme_quotes_the_json_schema_version_profkit_writes() {
    let json = profkit::Report::default().to_json();
    let written = numbers_after(&json, "\"version\":")[0];
    let readme = read("README.md");
    for quoted in numbers_after(&readme, "\"format\": \"profkit\", \"version\": ") {
        assert_eq!(
            quoted, written,
            "README.md quotes JSON schema version {quoted}; profkit writes version {written}"
        );
    }
}

#[test]
fn readme_states_the_rust_version_of_the_manifest() {
    let manifest = read("Cargo.toml");
    let line = manifest
        .lines()
        .find(|l| l.starts_with("rust-version = "))
        .expect("the workspace states its rust-version");
    let msrv = line.trim_start_matches("rust-version = ").trim_matches('"');
    let readme = read("README.md");
    assert!(
        readme.contains(&format!("Rust {msrv} or newer")),
        "README.md should say \"Rust {msrv} or newer\" (the workspace's rust-version)"
    );
}

/// Lines outside fenced code blocks, with their numbers.
fn prose(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            lines.push((i + 1, line));
        }
    }
    lines
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens, and
/// `-1`, `-2` .. after a repeated one.
fn anchors(text: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    for (_, line) in prose(text) {
        let trimmed = line.trim_start_matches('#');
        if trimmed.len() == line.len() || !trimmed.starts_with(' ') {
            continue;
        }
        let slug: String = trimmed
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut unique = slug.clone();
        let mut n = 0;
        while !seen.insert(unique.clone()) {
            n += 1;
            unique = format!("{slug}-{n}");
        }
    }
    seen
}

/// The targets of the inline links `[text](target)` of a line.
fn link_targets(line: &str) -> Vec<&str> {
    let mut targets = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        match after.find(')') {
            Some(end) => {
                targets.push(&after[..end]);
                rest = &after[end..];
            }
            None => break,
        }
    }
    targets
}

/// The workspace's `repository` URL followed by `/blob/HEAD/`: links to files of the repository
/// that work on GitHub, crates.io and docs.rs alike.
fn blob_url() -> String {
    let manifest = read("Cargo.toml");
    let line = manifest
        .lines()
        .find(|l| l.starts_with("repository = "))
        .expect("the workspace states its repository");
    let url = line.trim_start_matches("repository = ").trim_matches('"');
    format!("{url}/blob/HEAD/")
}

/// Every link of the markdown file `doc` into the repository that leads nowhere, as
/// `doc:line: target: why`; in a crate's README also every relative link to a file (crates.io
/// would resolve it against the crate's folder).
fn broken_links(doc: &str) -> Vec<String> {
    let text = read(doc);
    let dir = Path::new(doc).parent().unwrap_or(Path::new(""));
    let blob = blob_url();
    let mut broken = Vec::new();
    for (number, line) in prose(&text) {
        for target in link_targets(line) {
            let (file_part, in_repository_root) = match target.strip_prefix(&blob) {
                Some(rest) => (rest, true),
                None if target.contains("://") || target.starts_with("mailto:") => continue,
                None => (target, false),
            };
            let (path, anchor) = file_part.split_once('#').unwrap_or((file_part, ""));
            if CRATE_READMES.contains(&doc) && !path.is_empty() && !in_repository_root {
                broken.push(format!(
                    "{doc}:{number}: {target}: a relative link to a file; crates.io resolves it \
                     against the crate's folder: write {blob}{target}"
                ));
                continue;
            }
            let file = if path.is_empty() {
                PathBuf::from(doc)
            } else if in_repository_root {
                PathBuf::from(path)
            } else {
                dir.join(path)
            };
            let full = root().join(&file);
            let fault = if !full.exists() {
                Some("no such file".to_owned())
            } else if !anchor.is_empty() {
                let in_file = std::fs::read_to_string(&full).unwrap_or_default();
                (!anchors(&in_file).contains(anchor))
                    .then(|| format!("no heading with anchor #{anchor}"))
            } else {
                None
            };
            if let Some(fault) = fault {
                broken.push(format!("{doc}:{number}: {target}: {fault}"));
            }
        }
    }
    broken
}

#[test]
fn every_relative_link_in_the_markdown_files_resolves() {
    let broken: Vec<String> = DOCS.iter().flat_map(|doc| broken_links(doc)).collect();
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_link_checker_sees_a_broken_link_and_a_broken_anchor() {
    assert_eq!(
        link_targets("see [a](no/such/file.rs) and [`b`](#nowhere), [c](https://x.org)"),
        ["no/such/file.rs", "#nowhere", "https://x.org"]
    );
    let headings = anchors(
        "# profkit\n## What a `.prof` file lacks\n```\n## not a heading\n```\n## Use\n## Use\n",
    );
    let expected: HashSet<String> = ["profkit", "what-a-prof-file-lacks", "use", "use-1"]
        .map(String::from)
        .into();
    assert_eq!(headings, expected);
}
