//! Code that `#[profile]` generates passes `cargo clippy -- -D warnings` in a crate whose
//! `rust-version` is 1.70: it calls nothing from std newer than that (clippy's
//! `incompatible_msrv` lint checks every std item a crate calls against its `rust-version`,
//! also inside macro expansions). A scratch crate under `target/` depends on profkit by path;
//! its build directory is kept between runs, so only the first run compiles profkit.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Every form of the attribute: free, generic, `async`, methods, trait impls, default trait
/// methods, a whole `mod`, `name = ..`, and the two scope macros.
const LIB_RS: &str = r#"
#![allow(dead_code)]
use profkit::profile;

#[profile]
pub fn free(x: u32) -> u32 { x + 1 }

#[profile]
pub fn generic<T: Default>() -> T { T::default() }

#[profile]
pub async fn asynchronous() -> u32 { 1 }

#[profile(name = "custom::name")]
pub fn renamed() {}

pub struct Db<T>(pub T);

#[profile]
impl<T: Copy> Db<T> {
    pub fn get(&self) -> T { self.0 }
}

#[profile]
pub trait Store {
    fn load(&self) -> u32;
    fn twice(&self) -> u32 { self.load() * 2 }
}

#[profile]
impl<T> Store for Db<T> {
    fn load(&self) -> u32 { 3 }
}

#[profile]
pub mod inner {
    pub fn leaf() -> u32 {
        profkit::profile_scope!("inner::scope");
        2
    }
    pub async fn later() -> u32 {
        profkit::profile_async!("inner::block", async { 4 }).await
    }
}

/// The control: a std function newer than 1.70, which the lint must catch.
#[cfg(feature = "control")]
pub fn newer() -> &'static str {
    core::any::type_name_of_val(&1u8)
}
"#;

fn scratch_crate() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("msrv-1.70");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = format!(
        r#"[package]
name = "msrv-probe"
version = "0.0.0"
edition = "2021"
rust-version = "1.70"
publish = false

[features]
control = []

[dependencies]
profkit = {{ path = {:?}, default-features = false, features = ["enable"] }}

# Its own workspace, not a member of profkit's.
[workspace]
"#,
        root.join("profkit").display().to_string()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(dir.join("src/lib.rs"), LIB_RS).unwrap();
    // The workspace's versions of profkit's dependencies, already downloaded and built once.
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    dir
}

fn clippy(dir: &Path, features: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO"))
        .current_dir(dir)
        .args(["clippy", "--offline", "--quiet", "--features"])
        .arg(features.join(","))
        .args(["--", "-D", "warnings"])
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("cargo runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn generated_code_passes_clippy_under_rust_version_1_70() {
    let dir = scratch_crate();
    let (ok, stderr) = clippy(&dir, &[]);
    assert!(ok, "clippy -D warnings failed on generated code:\n{stderr}");

    // The lint is on in this set-up: a direct call of a 1.76 function is refused.
    let (ok, stderr) = clippy(&dir, &["control"]);
    assert!(!ok, "the control passed clippy:\n{stderr}");
    assert!(
        stderr.contains("incompatible_msrv") && stderr.contains("type_name_of_val"),
        "{stderr}"
    );
}
