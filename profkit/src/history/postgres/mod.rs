//! [`PgStore`]: the history on a PostgreSQL server, for many CI runners writing one history.
//! All of its SQL is here, as all of SQLite's is in `sqlite`: the same tables in a schema of
//! their own, one transaction per run, reads on one snapshot.
//!
//! - `conn`: the connection string, the password (`PGPASSWORD`, `~/.pgpass`), TLS, the
//!   connect timeout and the errors of connecting.
//! - `pgpass`: libpq's password file.
//! - `schema`: the tables, their migrations (the same steps as SQLite's) under an advisory
//!   lock, the checks on a schema.
//! - `run_store`: [`RunStore`] on PostgreSQL.

mod conn;
mod pgpass;
mod run_store;
mod schema;

use parking_lot::Mutex;
use postgres::error::SqlState;

use crate::model::Report;

use super::error::{HistoryError, HistoryErrorKind};
use super::store::{RunFilter, RunId, RunInfo, RunMeta, RunStore};

pub(crate) use conn::is_postgres;

/// The PostgreSQL schema a history lives in when none is named.
///
/// ```
/// assert_eq!(profkit::history::DEFAULT_SCHEMA, "profkit");
/// ```
pub const DEFAULT_SCHEMA: &str = "profkit";

/// A history of runs on a PostgreSQL server (feature `history-postgres`): what
/// [`Store`](super::Store) is for one machine, for a fleet of CI runners that record into one
/// history and check against it at once.
///
/// The tables live in a schema of their own ([`DEFAULT_SCHEMA`] unless named), created and
/// migrated on first use under an advisory lock. Each run is recorded in one transaction (a
/// connection lost in the middle leaves nothing of it); [`check`](super::check) and
/// [`trend`](super::trend) read on one snapshot. The password comes from the connection
/// string, `PGPASSWORD` or `~/.pgpass`, and is never shown: not by `Debug`, not in errors.
///
/// ```no_run
/// # #[profkit::profile] fn parse() {}
/// use profkit::history::{CheckOptions, PgStore, RunMeta};
///
/// let mut store = PgStore::connect("postgres://ci@db.internal:5432/perf").unwrap();
/// let (_, report) = profkit::record(parse);
/// store.record(&report, &RunMeta::new("4f2a9c1").machine("ci")).unwrap();
/// let verdict = store.check(&report, &CheckOptions::new().machine("ci")).unwrap();
/// println!("{}", verdict.to_text());
/// ```
pub struct PgStore {
    client: Mutex<postgres::Client>,
    schema: String,
    label: String,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("server", &self.label)
            .field("schema", &self.schema)
            .finish()
    }
}

/// `name` as a quoted SQL identifier.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Refuses a schema name that is not a plain identifier (letters, digits, `_`; at most 63
/// bytes, PostgreSQL's limit).
fn check_schema_name(schema: &str) -> Result<(), HistoryError> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !schema.starts_with(|c: char| c.is_ascii_digit())
        && !schema.starts_with("pg_");
    if ok {
        Ok(())
    } else {
        Err(HistoryError::invalid(format!(
            "the schema name {schema:?} is not one profkit uses: letters, digits and _, not \
             starting with a digit or pg_, at most 63"
        )))
    }
}

impl PgStore {
    /// Connects to the server of `target` (a libpq URL `postgres://USER@HOST:PORT/DB?...` or
    /// `key=value` string) and opens the history in schema [`DEFAULT_SCHEMA`], creating or
    /// migrating it.
    ///
    /// # Errors
    /// One line each: a malformed string, a server not there (with its host and port, within
    /// `connect_timeout`, 10 s by default), a wrong password, a database without the right to
    /// create the schema, another program's schema, a newer one.
    ///
    /// ```
    /// let err = profkit::history::PgStore::connect("postgres://ci@db:port/app").unwrap_err();
    /// assert!(err.to_string().starts_with("not a PostgreSQL connection string"), "{err}");
    /// ```
    pub fn connect(target: &str) -> Result<PgStore, HistoryError> {
        PgStore::connect_to_schema(target, DEFAULT_SCHEMA)
    }

    /// As [`PgStore::connect`], with the history in `schema`.
    ///
    /// # Errors
    /// As [`PgStore::connect`]; a schema name that is not a plain identifier.
    ///
    /// ```
    /// let err = profkit::history::PgStore::connect_to_schema("host=db", "a b").unwrap_err();
    /// assert!(err.to_string().contains("not one profkit uses"), "{err}");
    /// ```
    pub fn connect_to_schema(target: &str, schema: &str) -> Result<PgStore, HistoryError> {
        let mut store = PgStore::open_unmigrated(target, schema)?;
        store.migrate()?;
        Ok(store)
    }

    /// As [`PgStore::connect_to_schema`], but the schema must be there already (a listing
    /// should not leave an empty schema behind a mistyped name).
    ///
    /// # Errors
    /// As [`PgStore::connect`]; a schema that does not exist is an
    /// [`Access`](HistoryErrorKind::Access) error.
    pub fn connect_existing(target: &str, schema: &str) -> Result<PgStore, HistoryError> {
        let mut store = PgStore::open_unmigrated(target, schema)?;
        if !store.exists()? {
            return Err(store.error(HistoryErrorKind::Access(format!(
                "no history in schema {schema:?} (nothing recorded there yet)"
            ))));
        }
        store.migrate()?;
        Ok(store)
    }

    /// Whether the server of `target` has a history in `schema` yet.
    ///
    /// # Errors
    /// As [`PgStore::connect`].
    pub fn has_history(target: &str, schema: &str) -> Result<bool, HistoryError> {
        PgStore::open_unmigrated(target, schema)?.exists()
    }

    /// The server `target` names, as [`PgStore::server`] gives it, without connecting.
    ///
    /// # Errors
    /// A malformed connection string.
    ///
    /// ```
    /// use profkit::history::PgStore;
    /// let server = PgStore::server_of("postgres://ci:secret@db:5433/perf").unwrap();
    /// assert_eq!(server, "postgres://ci@db:5433/perf");
    /// ```
    pub fn server_of(target: &str) -> Result<String, HistoryError> {
        Ok(conn::Target::parse(target)?.label)
    }

    fn open_unmigrated(target: &str, schema: &str) -> Result<PgStore, HistoryError> {
        check_schema_name(schema)?;
        let target = conn::Target::parse(target)?;
        let client = target.connect()?;
        Ok(PgStore {
            client: Mutex::new(client),
            schema: schema.to_owned(),
            label: target.label,
        })
    }

    /// The server, as `postgres://USER@HOST:PORT/DB` (never with the password).
    pub fn server(&self) -> &str {
        &self.label
    }

    /// The schema the history lives in.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The schema version (after opening: [`SCHEMA_VERSION`](super::SCHEMA_VERSION), the same
    /// numbers as SQLite's).
    ///
    /// # Errors
    /// The server's reason.
    pub fn schema_version(&self) -> Result<i64, HistoryError> {
        self.version()
    }

    fn error(&self, kind: HistoryErrorKind) -> HistoryError {
        HistoryError::at_server(&self.label, kind)
    }

    /// The one-line error of a statement.
    fn sql_error(&self, e: postgres::Error) -> HistoryError {
        let kind = match e.as_db_error() {
            Some(db) => {
                let code = db.code();
                if [
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CRASH_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                ]
                .contains(code)
                {
                    HistoryErrorKind::Access(format!(
                        "the server ended the connection: {}",
                        db.message()
                    ))
                } else if *code == SqlState::DATA_CORRUPTED || *code == SqlState::INDEX_CORRUPTED {
                    HistoryErrorKind::Corrupt(db.message().to_owned())
                } else {
                    HistoryErrorKind::Access(db.message().to_owned())
                }
            }
            None if e.is_closed() => {
                HistoryErrorKind::Access("the connection to the server was lost".to_owned())
            }
            None => HistoryErrorKind::Access(e.to_string()),
        };
        self.error(kind)
    }

    /// Stores `report` as one run: see [`RunStore::record`].
    ///
    /// # Errors
    /// As [`RunStore::record`].
    pub fn record(&mut self, report: &Report, meta: &RunMeta) -> Result<RunInfo, HistoryError> {
        RunStore::record(self, report, meta)
    }

    /// The runs that match `filter`, newest first: see [`RunStore::runs`].
    ///
    /// # Errors
    /// As [`RunStore::runs`].
    pub fn runs(&self, filter: &RunFilter) -> Result<Vec<RunInfo>, HistoryError> {
        RunStore::runs(self, filter)
    }

    /// The whole profile of a run: see [`RunStore::profile`].
    ///
    /// # Errors
    /// As [`RunStore::profile`].
    pub fn profile(&self, run: RunId) -> Result<Report, HistoryError> {
        RunStore::profile(self, run)
    }

    /// Judges `report` against this history, on one snapshot: see [`check`](super::check).
    ///
    /// # Errors
    /// As [`check`](super::check).
    pub fn check(
        &self,
        report: &Report,
        options: &super::CheckOptions,
    ) -> Result<super::Verdict, HistoryError> {
        super::check(self, report, options)
    }
}
