//! Generated code causes no warning under the strictest lints a user may set (CI runs clippy
//! on this file with `-D warnings`), and resolves in a crate that shadows `core`, `Result` and
//! `profkit` with items of its own.

#![deny(warnings, clippy::all, clippy::pedantic)]
#![allow(dead_code)]

/// A user module named like the standard library's.
mod core {}

/// A user module named like the crate the macro expands to.
mod profkit {}

/// A user `Result` alias with one parameter.
type Result<T> = std::result::Result<T, String>;

/// A user `Option` and `Box` that are not the prelude's.
struct Option;
struct Box;

#[::profkit::profile]
fn plain(x: u32) -> u32 {
    x + 1
}

#[::profkit::profile]
fn fallible(x: u32) -> Result<u32> {
    if x > 5 { Err("big".into()) } else { Ok(x) }
}

#[::profkit::profile]
async fn asynchronous(x: u32) -> Result<u32> {
    fallible(x)
}

struct S(u32);

#[::profkit::profile]
impl S {
    fn method(&self) -> u32 {
        plain(self.0)
    }
}

#[::profkit::profile]
mod nested {
    pub fn inside() -> u32 {
        2
    }
}

#[test]
fn instrumented_code_compiles_and_runs_under_shadowed_names_and_pedantic_lints() {
    let (v, report) = ::profkit::record(|| {
        ::profkit::profile_scope!("scope");
        S(1).method() + nested::inside() + fallible(3).unwrap_or(0)
    });
    assert_eq!(v, 2 + 2 + 3);
    assert_eq!(report.function("hygiene::plain").unwrap().ncalls(), 1);
    let _future = asynchronous(1);
}
