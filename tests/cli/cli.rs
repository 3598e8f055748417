//! The `profkit` command line, run as a program over real files.

#[test]
fn binary_exists() {
    assert!(std::path::Path::new(env!("CARGO_BIN_EXE_profkit")).exists());
}
