//! Profiling a running service over HTTP (cargo feature `http`): pprof-compatible endpoints,
//! Prometheus `/metrics` and a live page, served by [`serve`] or `PROFKIT_HTTP`.
//!
//! This floor sits above `exit`: the hook every call site runs when it registers is
//! [`install_once`] here, which installs the exit report and then starts the server that
//! `PROFKIT_HTTP` names.

use std::ffi::OsString;
use std::io::{self, Write as _};
use std::sync::Once;

#[cfg(feature = "http")]
mod metrics;
#[cfg(feature = "http")]
mod page;
#[cfg(feature = "http")]
mod routes;
#[cfg(feature = "http")]
mod server;
#[cfg(feature = "http")]
mod threads;

#[cfg(feature = "http")]
pub use server::{ServeError, ServeOptions, Server, serve, serve_with_token};

/// What a call site runs when it registers (its first call): the exit report's set-up, then
/// the server `PROFKIT_HTTP` asks for, once per process.
pub(crate) fn install_once() {
    crate::exit::install_once();
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Some(line) = start_from_env(std::env::var_os("PROFKIT_HTTP")) {
            let _ = writeln!(io::stderr(), "{line}");
        }
    });
}

/// Starts the server `PROFKIT_HTTP` names (kept running for the life of the process);
/// returns the one line to print when it cannot, or when it started.
fn start_from_env(value: Option<OsString>) -> Option<String> {
    let value = value?;
    let addr = value.to_string_lossy().trim().to_owned();
    if addr.is_empty() {
        return None;
    }
    start(&addr)
}

#[cfg(feature = "http")]
fn start(addr: &str) -> Option<String> {
    match serve(addr) {
        Ok(server) => {
            let line = format!(
                "profkit: serving profiles on http://{}/debug/pprof/",
                server.addr()
            );
            // The server lives as long as the process: nothing stops it but exit.
            std::mem::forget(server);
            Some(line)
        }
        Err(e) => Some(format!("profkit: PROFKIT_HTTP={addr}: {e}")),
    }
}

#[cfg(not(feature = "http"))]
fn start(addr: &str) -> Option<String> {
    Some(format!(
        "profkit: PROFKIT_HTTP={addr} is ignored: this program was built without profkit's cargo feature `http`"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_or_empty_starts_nothing() {
        assert_eq!(start_from_env(None), None);
        assert_eq!(start_from_env(Some(" ".into())), None);
    }

    #[cfg(not(feature = "http"))]
    #[test]
    fn without_the_feature_one_line_names_it() {
        let line = start_from_env(Some("127.0.0.1:6060".into())).unwrap();
        assert!(line.contains("cargo feature `http`"), "{line}");
        assert!(!line.contains('\n'));
    }

    #[cfg(feature = "http")]
    #[test]
    fn a_bad_address_is_one_line() {
        let line = start_from_env(Some("not an address".into())).unwrap();
        assert!(
            line.starts_with("profkit: PROFKIT_HTTP=not an address: "),
            "{line}"
        );
        assert!(!line.contains('\n'));
    }
}
