//! `~/.pgpass` as libpq reads it: `host:port:database:user:password` lines, `*` matching any
//! value in the first four fields, `\:` and `\\` escapes, `#` comments, the first matching line
//! wins; a file that the group or others may read is ignored (libpq's rule, `chmod 0600`).

use std::path::{Path, PathBuf};

/// What a connection is looked up by.
pub(super) struct Wanted<'a> {
    pub(super) host: &'a str,
    pub(super) port: u16,
    pub(super) database: &'a str,
    pub(super) user: &'a str,
}

/// Why a password file gave no password (said when the server then asks for one).
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Skipped {
    /// There is no file there.
    Missing,
    /// The group or others may read it: libpq ignores it, and so does profkit.
    Loose(PathBuf, u32),
    /// It has no line for this connection.
    NoLine(PathBuf),
    /// It could not be read.
    Unreadable(PathBuf, String),
}

impl Skipped {
    /// A clause for an authentication error, or `None` when there is nothing worth saying.
    pub(super) fn note(&self) -> Option<String> {
        match self {
            Skipped::Missing => None,
            Skipped::Loose(path, mode) => Some(format!(
                "{} was ignored: its mode {mode:04o} lets others read it (chmod 0600)",
                path.display()
            )),
            Skipped::NoLine(path) => Some(format!(
                "{} has no line for this host, port, database and user",
                path.display()
            )),
            Skipped::Unreadable(path, why) => {
                Some(format!("{} could not be read: {why}", path.display()))
            }
        }
    }
}

/// The password file: `$PGPASSFILE`, else `~/.pgpass`.
pub(super) fn location() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PGPASSFILE").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| Path::new(&h).join(".pgpass"))
}

/// The password for `wanted` from the file at `path`.
pub(super) fn lookup(path: &Path, wanted: &Wanted<'_>) -> Result<String, Skipped> {
    let meta = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m,
        Ok(_) | Err(_) => return Err(Skipped::Missing),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Skipped::Loose(path.to_owned(), mode));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    let text = std::fs::read_to_string(path)
        .map_err(|e| Skipped::Unreadable(path.to_owned(), e.to_string()))?;
    find(&text, wanted).ok_or_else(|| Skipped::NoLine(path.to_owned()))
}

/// The password of the first line of `text` that matches `wanted`.
pub(super) fn find(text: &str, wanted: &Wanted<'_>) -> Option<String> {
    // A Unix-domain socket (a directory) is `localhost` in the file, as libpq has it.
    let host = if wanted.host.is_empty() || wanted.host.starts_with('/') {
        "localhost"
    } else {
        wanted.host
    };
    let port = wanted.port.to_string();
    let want = [host, port.as_str(), wanted.database, wanted.user];
    text.lines()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .find_map(|line| {
            let fields = split(line);
            if fields.len() < 5 {
                return None;
            }
            let matches = fields[..4]
                .iter()
                .zip(want)
                .all(|((text, literal), want)| (!literal && text == "*") || text == want);
            // A password with unescaped colons keeps them (libpq takes the rest of the line).
            matches.then(|| {
                fields[4..]
                    .iter()
                    .map(|(t, _)| t.as_str())
                    .collect::<Vec<_>>()
                    .join(":")
            })
        })
}

/// The fields of a line, unescaped, each with whether it was written escaped (an escaped `*`
/// is a literal star, not the wildcard).
fn split(line: &str) -> Vec<(String, bool)> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut escaped_star = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next) => {
                    if next == '*' && field.is_empty() {
                        escaped_star = true;
                    }
                    field.push(next);
                }
                None => field.push('\\'),
            },
            ':' => {
                fields.push((std::mem::take(&mut field), escaped_star));
                escaped_star = false;
            }
            c => field.push(c),
        }
    }
    fields.push((field, escaped_star));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted<'a>(host: &'a str, port: u16, database: &'a str, user: &'a str) -> Wanted<'a> {
        Wanted {
            host,
            port,
            database,
            user,
        }
    }

    #[test]
    fn the_first_matching_line_wins_with_wildcards_and_escapes() {
        let text = "# comment\n\
                    db.example:5432:app:ci:first\n\
                    *:5433:*:ci:any-db\n\
                    db.example:*:*:*:fallback\n\
                    a\\:b:5432:x\\\\y:u:pa\\:ss\\\\word\n\
                    localhost:5432:*:me:sock:et\n";
        assert_eq!(
            find(text, &wanted("db.example", 5432, "app", "ci")).as_deref(),
            Some("first")
        );
        assert_eq!(
            find(text, &wanted("other", 5433, "whatever", "ci")).as_deref(),
            Some("any-db")
        );
        assert_eq!(
            find(text, &wanted("db.example", 6000, "app", "root")).as_deref(),
            Some("fallback")
        );
        assert_eq!(
            find(text, &wanted("a:b", 5432, "x\\y", "u")).as_deref(),
            Some("pa:ss\\word")
        );
        // A socket directory is `localhost`; an unescaped colon in the password is kept.
        assert_eq!(
            find(text, &wanted("/var/run/postgresql", 5432, "d", "me")).as_deref(),
            Some("sock:et")
        );
        assert_eq!(find(text, &wanted("nowhere", 5432, "app", "ci")), None);
        // An escaped star is a star, not the wildcard.
        assert_eq!(find("\\*:1:d:u:p\n", &wanted("h", 1, "d", "u")), None);
        assert_eq!(
            find("\\*:1:d:u:p\n", &wanted("*", 1, "d", "u")).as_deref(),
            Some("p")
        );
        // Too few fields: not a line.
        assert_eq!(find("h:1:d:u\n", &wanted("h", 1, "d", "u")), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_may_read_is_ignored_like_libpq_does() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("profkit-pgpass-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("pgpass");
        std::fs::write(&path, "*:*:*:*:secret\n").unwrap();
        let w = wanted("h", 5432, "d", "u");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = lookup(&path, &w).unwrap_err();
        assert_eq!(e, Skipped::Loose(path.clone(), 0o644));
        let note = e.note().unwrap();
        assert!(
            note.ends_with("mode 0644 lets others read it (chmod 0600)"),
            "{note}"
        );
        assert!(!note.contains("secret"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(lookup(&path, &w).unwrap(), "secret");
        std::fs::write(&path, "other:*:*:*:secret\n").unwrap();
        assert_eq!(lookup(&path, &w), Err(Skipped::NoLine(path.clone())));
        assert_eq!(lookup(&dir.join("none"), &w), Err(Skipped::Missing));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
