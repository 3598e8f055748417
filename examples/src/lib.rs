//! Nothing: the examples are the `[[example]]` targets of this package (`examples/*.rs`).
//!
//! This empty library exists so that the suite (the root package) can depend on the package
//! with every feature its examples require: `cargo test --workspace` and
//! `cargo clippy --workspace --all-targets` then build `perf_history`, `service` and
//! `tracing_service` too, while `cargo run --release --example quickstart` builds none of those
//! features.
