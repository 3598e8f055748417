//! The history's tests on both backends: a [`Backend`] gives each test a fresh history, a
//! SQLite one or a schema of its own on the PostgreSQL server of `PROFKIT_TEST_PG` (a URL of a
//! user who may create schemas and roles; `.ci/run` starts a throwaway cluster and sets it).
//! Without the variable the PostgreSQL half of each test says so on stderr and checks nothing;
//! with `PROFKIT_REQUIRE_PG=1` (or `CI`), as in `.ci/run`, that is a failure.

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use profkit::Report;
use profkit::history::{
    CheckOptions, HistoryError, PgStore, RunStore, Store, Trend, TrendOptions, Verdict, check,
    trend,
};

/// The server's URL, or `None` (said on stderr) on a machine without one; in CI, a failure.
pub(crate) fn server() -> Option<String> {
    if let Some(url) = std::env::var("PROFKIT_TEST_PG")
        .ok()
        .filter(|u| !u.is_empty())
    {
        return Some(url);
    }
    let required = std::env::var_os("PROFKIT_REQUIRE_PG").is_some_and(|v| v != "0")
        || std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
    assert!(
        !required,
        "PROFKIT_TEST_PG is not set, and this run requires PostgreSQL: .ci/run starts a \
         throwaway cluster (.ci/postgres) and sets it"
    );
    eprintln!(
        "NOTE: PROFKIT_TEST_PG is not set, so the history was not tested on PostgreSQL \
         (.ci/run starts a server: .ci/postgres start DIR prints its URL)"
    );
    None
}

/// A raw connection to the test server, as its superuser.
pub(crate) fn admin(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).expect("the test server answers")
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A schema name no other test uses: `t<pid>_<n>_<tag>`.
pub(crate) fn fresh_name(tag: &str) -> String {
    let tag: String = tag
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(30)
        .collect();
    format!(
        "t{}_{}_{tag}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A schema of the test server, dropped with everything in it when the test ends.
pub(crate) struct Schema {
    pub(crate) url: String,
    pub(crate) name: String,
}

impl Schema {
    pub(crate) fn fresh(url: &str, tag: &str) -> Schema {
        Schema {
            url: url.to_owned(),
            name: fresh_name(tag),
        }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name));
        }
    }
}

/// A history's place for `profkit history`, before anything is made there: a SQLite file in
/// a new scratch directory, or a fresh schema.
pub(crate) struct Place {
    at: At,
}

impl Place {
    /// What `--db` is given: the file, or the server's URL.
    pub(crate) fn db(&self) -> String {
        match &self.at {
            At::File(path) => path.display().to_string(),
            At::Schema(s) => s.url.clone(),
            At::Memory => unreachable!("a place is a file or a schema"),
        }
    }

    /// The schema, on PostgreSQL.
    pub(crate) fn schema(&self) -> Option<&str> {
        match &self.at {
            At::Schema(s) => Some(&s.name),
            _ => None,
        }
    }

    /// The history there, opened (it must exist).
    pub(crate) fn open(&self) -> Box<dyn RunStore> {
        match &self.at {
            At::File(path) => Box::new(Store::open_existing(path).unwrap()),
            At::Schema(s) => Box::new(PgStore::connect_existing(&s.url, &s.name).unwrap()),
            At::Memory => unreachable!("a place is a file or a schema"),
        }
    }

    /// Whether there is a history there yet.
    pub(crate) fn exists(&self) -> bool {
        match &self.at {
            At::File(path) => path.exists(),
            At::Schema(s) => PgStore::has_history(&s.url, &s.name).unwrap(),
            At::Memory => true,
        }
    }

    /// `args` for `profkit`, with `--schema` after each `--db`'s value on PostgreSQL.
    pub(crate) fn args<S: AsRef<str>>(&self, args: &[S]) -> Vec<String> {
        let mut out = Vec::new();
        let mut after_db = false;
        for a in args {
            out.push(a.as_ref().to_owned());
            if after_db && let Some(schema) = self.schema() {
                out.push("--schema".into());
                out.push(schema.to_owned());
            }
            after_db = a.as_ref() == "--db";
        }
        out
    }
}

/// Where a test's history is kept.
pub(crate) enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    /// PostgreSQL, when there is a server (see [`server`]).
    pub(crate) fn postgres() -> Option<Backend> {
        server().map(Backend::Postgres)
    }

    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self, Backend::Postgres(_))
    }

    /// A new, empty history: SQLite in memory, or a fresh schema.
    pub(crate) fn fresh(&self, tag: &str) -> Hist {
        match self {
            Backend::Sqlite => Hist {
                store: Box::new(Store::in_memory().unwrap()),
                at: At::Memory,
            },
            Backend::Postgres(url) => Backend::on_schema(Schema::fresh(url, tag)),
        }
    }

    /// A new, empty history that can be opened again: a SQLite file, or a fresh schema.
    pub(crate) fn fresh_reopenable(&self, tag: &str) -> Hist {
        match self {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!(
                    "profkit-history-{}-{}",
                    std::process::id(),
                    fresh_name(tag)
                ));
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir).unwrap();
                let path = dir.join("runs.db");
                Hist {
                    store: Box::new(Store::open(&path).unwrap()),
                    at: At::File(path),
                }
            }
            Backend::Postgres(url) => Backend::on_schema(Schema::fresh(url, tag)),
        }
    }

    /// A place for a history, nothing made there yet.
    pub(crate) fn place(&self, tag: &str) -> Place {
        match self {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!(
                    "profkit-history-{}-{}",
                    std::process::id(),
                    fresh_name(tag)
                ));
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir).unwrap();
                Place {
                    at: At::File(dir.join("runs.db")),
                }
            }
            Backend::Postgres(url) => Place {
                at: At::Schema(Schema::fresh(url, tag)),
            },
        }
    }

    fn on_schema(schema: Schema) -> Hist {
        let store = PgStore::connect_to_schema(&schema.url, &schema.name).unwrap();
        Hist {
            store: Box::new(store),
            at: At::Schema(schema),
        }
    }
}

enum At {
    Memory,
    File(PathBuf),
    Schema(Schema),
}

/// A history of either backend: the [`RunStore`] (by `Deref`), with `check` and `trend`.
pub(crate) struct Hist {
    // Dropped before `at`: the connection ends before its schema is dropped.
    store: Box<dyn RunStore>,
    at: At,
}

impl Hist {
    pub(crate) fn check(
        &self,
        report: &Report,
        options: &CheckOptions,
    ) -> Result<Verdict, HistoryError> {
        check(&*self.store, report, options)
    }

    pub(crate) fn trend(&self, options: &TrendOptions) -> Result<Trend, HistoryError> {
        trend(&*self.store, options)
    }

    /// The same history, opened again (a second connection, or the file opened anew).
    pub(crate) fn reopen(&self) -> Box<dyn RunStore> {
        match &self.at {
            At::Memory => panic!("an in-memory history cannot be opened again"),
            At::File(path) => Box::new(Store::open_existing(path).unwrap()),
            At::Schema(s) => Box::new(PgStore::connect_existing(&s.url, &s.name).unwrap()),
        }
    }

    /// What `profkit history` is given: `--db` and, on PostgreSQL, `--schema`.
    pub(crate) fn cli_args(&self) -> Vec<String> {
        match &self.at {
            At::Memory => panic!("an in-memory history has no --db"),
            At::File(path) => vec!["--db".into(), path.display().to_string()],
            At::Schema(s) => vec![
                "--db".into(),
                s.url.clone(),
                "--schema".into(),
                s.name.clone(),
            ],
        }
    }
}

impl Deref for Hist {
    type Target = dyn RunStore;
    fn deref(&self) -> &(dyn RunStore + 'static) {
        &*self.store
    }
}

impl DerefMut for Hist {
    fn deref_mut(&mut self) -> &mut (dyn RunStore + 'static) {
        &mut *self.store
    }
}

/// One test body run on SQLite and, when there is a server, on PostgreSQL: a module with two
/// tests, `sqlite` and `postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($(#[$meta:meta])* fn $name:ident($backend:ident: &Backend) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn body($backend: &$crate::common::pg::Backend) $body

            #[test]
            fn sqlite() {
                body(&$crate::common::pg::Backend::Sqlite);
            }

            #[test]
            fn postgres() {
                if let Some(b) = $crate::common::pg::Backend::postgres() {
                    body(&b);
                }
            }
        }
    };
}
