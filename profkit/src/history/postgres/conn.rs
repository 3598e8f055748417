//! Where a PostgreSQL history is and how to reach it: a libpq URL or `key=value` string read
//! by rust-postgres, completed the way libpq completes it (`PGHOST`, `PGPORT`, `PGUSER`,
//! `PGDATABASE`, the password from `PGPASSWORD` or `~/.pgpass`), a connect timeout that
//! covers the whole start-up (10 s unless `connect_timeout` says), TLS by rustls, and one-line
//! errors that name the server and never the password.

use std::str::FromStr;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use postgres::config::{Host, SslMode};
use postgres::error::SqlState;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::pgpass::{self, Wanted};
use crate::history::error::{HistoryError, HistoryErrorKind};

/// How long a connection may take when the string does not say (`connect_timeout`).
pub(super) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A parsed connection string, completed, with what to say about it.
#[derive(Debug)]
pub(super) struct Target {
    pub(super) config: postgres::Config,
    /// `postgres://USER@HOST:PORT/DB`: no password, ever.
    pub(super) label: String,
    pub(super) timeout: Duration,
    /// Why no password was found, when none was (said if the server then asks for one).
    password_note: Option<String>,
}

/// Whether `text` names a PostgreSQL server rather than a file: a `postgres://` or
/// `postgresql://` URL, or a libpq `key=value` string (`host=db port=5432 dbname=ci`).
pub(crate) fn is_postgres(text: &str) -> bool {
    let t = text.trim_start();
    if t.starts_with("postgres://") || t.starts_with("postgresql://") {
        return true;
    }
    const KEYS: [&str; 11] = [
        "host",
        "hostaddr",
        "port",
        "dbname",
        "user",
        "password",
        "sslmode",
        "connect_timeout",
        "application_name",
        "options",
        "target_session_attrs",
    ];
    t.split_once('=')
        .is_some_and(|(key, _)| KEYS.contains(&key.trim()))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Target {
    /// Reads `text` (a URL or `key=value` string) and fills in what it leaves out.
    pub(super) fn parse(text: &str) -> Result<Target, HistoryError> {
        let mut config = postgres::Config::from_str(text.trim()).map_err(|e| {
            // rust-postgres's messages name the option, never its value.
            HistoryError::invalid(format!(
                "not a PostgreSQL connection string (postgres://USER@HOST:PORT/DB, or \
                 key=value pairs): {e}"
            ))
        })?;
        if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
            let host = env("PGHOST").unwrap_or_else(|| "localhost".to_owned());
            config.host(&host);
        }
        if config.get_ports().is_empty() {
            let port = match env("PGPORT") {
                Some(p) => p.parse::<u16>().map_err(|_| {
                    HistoryError::invalid(format!("PGPORT={p:?} is not a port number"))
                })?,
                None => 5432,
            };
            config.port(port);
        }
        if config.get_user().is_none() {
            let user = env("PGUSER")
                .or_else(|| env("USER"))
                .unwrap_or_else(|| "postgres".to_owned());
            config.user(&user);
        }
        let user = config.get_user().unwrap_or_default().to_owned();
        if config.get_dbname().is_none() {
            config.dbname(&env("PGDATABASE").unwrap_or_else(|| user.clone()));
        }
        if config.get_application_name().is_none() {
            config.application_name("profkit");
        }
        let timeout = match config.get_connect_timeout() {
            // libpq: 0 waits forever; rust-postgres takes 0 as no timeout too.
            Some(t) if t.is_zero() => Duration::from_secs(u64::from(u32::MAX)),
            Some(t) => *t,
            None => DEFAULT_CONNECT_TIMEOUT,
        };
        config.connect_timeout(timeout);
        let host = match (config.get_hosts().first(), config.get_hostaddrs().first()) {
            (Some(Host::Tcp(h)), _) => h.clone(),
            (Some(Host::Unix(p)), _) => p.display().to_string(),
            (None, Some(addr)) => addr.to_string(),
            (None, None) => "localhost".to_owned(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let database = config.get_dbname().unwrap_or_default().to_owned();
        let shown_host = if host.contains(':') && !host.starts_with('/') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        let label = format!("postgres://{user}@{shown_host}:{port}/{database}");
        let mut password_note = None;
        if config.get_password().is_none() {
            if let Some(p) = env("PGPASSWORD") {
                config.password(p);
            } else if let Some(path) = pgpass::location() {
                let wanted = Wanted {
                    host: &host,
                    port,
                    database: &database,
                    user: &user,
                };
                match pgpass::lookup(&path, &wanted) {
                    Ok(p) => {
                        config.password(p);
                    }
                    Err(skipped) => password_note = skipped.note(),
                }
            }
        }
        Ok(Target {
            config,
            label,
            timeout,
            password_note,
        })
    }

    /// The error `kind` at this server.
    pub(super) fn error(&self, kind: HistoryErrorKind) -> HistoryError {
        HistoryError::at_server(&self.label, kind)
    }

    /// Connects within the timeout, which covers the TCP connection, TLS and authentication
    /// (rust-postgres's own `connect_timeout` covers only the first).
    pub(super) fn connect(&self) -> Result<postgres::Client, HistoryError> {
        let (tx, rx) = mpsc::channel();
        let config = self.config.clone();
        let tls = tls().map_err(|e| self.error(HistoryErrorKind::Access(format!("TLS: {e}"))))?;
        std::thread::Builder::new()
            .name("profkit-pg-connect".into())
            .spawn(move || {
                // The receiver is gone when the wait below timed out: the client is dropped.
                let _ = tx.send(config.connect(tls));
            })
            .map_err(|e| self.error(HistoryErrorKind::Access(format!("cannot start: {e}"))))?;
        let no_answer = || {
            self.error(HistoryErrorKind::Access(format!(
                "cannot connect: no answer within {} s (connect_timeout)",
                self.timeout.as_secs()
            )))
        };
        match rx.recv_timeout(self.timeout) {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(e)) => Err(self.connect_error(&e).unwrap_or_else(no_answer)),
            Err(_) => Err(no_answer()),
        }
    }

    /// The one-line error of a failed connection (`None`: it timed out).
    fn connect_error(&self, e: &postgres::Error) -> Option<HistoryError> {
        let access = |m: String| Some(self.error(HistoryErrorKind::Access(m)));
        if let Some(db) = e.as_db_error() {
            let mut message = db.message().to_owned();
            if *db.code() == SqlState::INVALID_PASSWORD {
                message.push_str(" (wrong password?)");
            }
            return access(message);
        }
        let text = std::error::Error::source(e).map_or_else(|| e.to_string(), |s| s.to_string());
        if text.contains("password missing") {
            let mut m = "the server asks for a password, and none was given (in the URL, \
                         PGPASSWORD or ~/.pgpass)"
                .to_owned();
            if let Some(note) = &self.password_note {
                m = format!("{m}; {note}");
            }
            return access(m);
        }
        if text.contains("timed out") {
            return None;
        }
        if self.config.get_ssl_mode() == SslMode::Require && text.contains("TLS") {
            return access(format!("cannot connect with TLS (sslmode=require): {text}"));
        }
        access(format!("cannot connect: {text}"))
    }
}

/// The TLS of every connection: used when the server offers it (`sslmode=prefer`, the
/// default) or required (`sslmode=require`). As libpq's `require`, it encrypts without
/// checking who signed the server's certificate (a CI server's is usually self-signed); the
/// handshake's signatures are checked.
fn tls() -> Result<MakeRustlsConnect, rustls::Error> {
    // ring rather than rustls's default aws-lc-rs, whose C build is much larger; rustls 0.23.48
    // deprecated ring's provider only for its lack of post-quantum key exchange.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// libpq's `sslmode=require`: any certificate, genuine signatures.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_key_value_strings_are_servers_and_paths_are_files() {
        for server in [
            "postgres://ci@db:5432/app",
            "postgresql:///app?host=/var/run/postgresql",
            "host=db port=5432 dbname=app",
            "  dbname=app",
        ] {
            assert!(is_postgres(server), "{server}");
        }
        for file in [
            "runs.db",
            "/tmp/runs.db",
            "a=b.db",
            "./host=x/runs.db",
            "C:\\runs.db",
        ] {
            assert!(!is_postgres(file), "{file}");
        }
    }

    #[test]
    fn the_label_names_the_server_and_never_the_password() {
        let t =
            Target::parse("postgres://ci:s3cret@db.example:6543/app?connect_timeout=3").unwrap();
        assert_eq!(t.label, "postgres://ci@db.example:6543/app");
        assert_eq!(t.timeout, Duration::from_secs(3));
        assert!(!format!("{:?}", t.config).contains("s3cret"));
        let t = Target::parse("host=db user=ci password=s3cret dbname=app").unwrap();
        assert_eq!(t.label, "postgres://ci@db:5432/app");
        assert_eq!(t.timeout, DEFAULT_CONNECT_TIMEOUT);
        for bad in [
            "postgres://ci:s3cret@db:notaport/app",
            "host=db password=s3cret sslmode=sometimes",
            "postgres://ci:s3cret@db/app?colour=blue",
        ] {
            let e = Target::parse(bad).unwrap_err().to_string();
            assert!(e.starts_with("not a PostgreSQL connection string"), "{e}");
            assert!(!e.contains("s3cret") && !e.contains('\n'), "{e}");
        }
    }
}
