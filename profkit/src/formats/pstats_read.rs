//! Reading `.prof` files: profkit's own and Python's cProfile dumps.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::error::ReadError;
use crate::model::{EdgeStats, FunctionStats, Report, link_callees};

use super::io::read_bounded;
use super::marshal::{self, Kind, Value};

type Key = (Arc<str>, Arc<str>, u32);

fn fail<T>(at: &Value, message: impl Into<String>) -> Result<T, ReadError> {
    Err(ReadError::at(at.offset, message))
}

fn int(v: &Value, what: &str) -> Result<u64, ReadError> {
    match &v.kind {
        Kind::Int(i) if *i < 0 => fail(v, format!("{what} is negative: {i}")),
        Kind::Int(i) => u64::try_from(*i).or_else(|_| fail(v, format!("{what} is too large: {i}"))),
        Kind::Bool(b) => Ok(u64::from(*b)),
        other => fail(
            v,
            format!("{what}: expected an int, found {}", other.type_name()),
        ),
    }
}

fn nanos(v: &Value, what: &str) -> Result<u64, ReadError> {
    let seconds = match &v.kind {
        Kind::Float(f) => *f,
        Kind::Int(i) => *i as f64,
        other => {
            return fail(
                v,
                format!("{what}: expected a float, found {}", other.type_name()),
            );
        }
    };
    if !seconds.is_finite() || seconds < 0.0 {
        return fail(v, format!("{what} is not a duration: {seconds}"));
    }
    Ok((seconds * 1e9).round() as u64)
}

fn parse_key(v: &Value) -> Result<Key, ReadError> {
    let Kind::Tuple(items) = &v.kind else {
        return fail(
            v,
            format!(
                "a function key: expected a (file, line, name) tuple, found {}",
                v.kind.type_name()
            ),
        );
    };
    match items.as_slice() {
        [file, line, name] => {
            let text = |x: &Value, what: &str| match &x.kind {
                Kind::Str(s) => Ok(Arc::<str>::from(s.as_str())),
                other => fail(
                    x,
                    format!("{what}: expected a str, found {}", other.type_name()),
                ),
            };
            let line_no = int(line, "a line number")?;
            let line_no =
                u32::try_from(line_no).or_else(|_| fail(line, "a line number is too large"))?;
            Ok((
                text(file, "a file name")?,
                text(name, "a function name")?,
                line_no,
            ))
        }
        _ => fail(
            v,
            format!("a function key: expected 3 items, found {}", items.len()),
        ),
    }
}

/// The four numbers of an edge: `(nc, cc, tt, ct)`, or an old-style call count.
fn edge(v: &Value) -> Result<(u64, u64, u64, u64), ReadError> {
    match &v.kind {
        Kind::Tuple(items) => match items.as_slice() {
            [nc, cc, tt, ct] => Ok((
                int(nc, "an edge's call count")?,
                int(cc, "an edge's primitive call count")?,
                nanos(tt, "an edge's tottime")?,
                nanos(ct, "an edge's cumtime")?,
            )),
            _ => fail(
                v,
                format!(
                    "an edge: expected (nc, cc, tt, ct), found {} items",
                    items.len()
                ),
            ),
        },
        Kind::Int(_) => {
            let n = int(v, "an edge's call count")?;
            Ok((n, n, 0, 0))
        }
        other => fail(
            v,
            format!("an edge: expected a tuple, found {}", other.type_name()),
        ),
    }
}

impl Report {
    /// Reads a pstats `.prof` file: one profkit wrote, or a dump of Python's cProfile
    /// (`cProfile.run(..., filename)`, `Profile.dump_stats`, `python -m cProfile -o`).
    ///
    /// A pstats file holds functions and caller edges only: the report has no call tree (the
    /// tree view and folded stacks are empty), no latency distributions and no threads.
    ///
    /// # Errors
    /// [`ReadError`] names the file and, for a malformed file, the byte offset and what was
    /// expected there. Files over 1 GiB are refused before they are read.
    ///
    /// ```
    /// # #[profkit::profile] fn fib(n: u32) -> u32 { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }
    /// let (_, report) = profkit::record(|| fib(10));
    /// let path = std::env::temp_dir().join(format!("profkit-doc-read-{}.prof", std::process::id()));
    /// report.write_pstats(&path).unwrap();
    /// let back = profkit::Report::read_pstats(&path).unwrap();
    /// assert_eq!(back.function("fib").unwrap().ncalls(), 177);
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn read_pstats(path: impl AsRef<Path>) -> Result<Report, ReadError> {
        let path = path.as_ref();
        let bytes = read_bounded(path)?;
        Report::from_pstats_bytes(&bytes).map_err(|e| e.in_file(path))
    }

    /// Reads a pstats file's bytes (see [`Report::read_pstats`]).
    ///
    /// # Errors
    /// [`ReadError`] with the byte offset and what was expected there.
    ///
    /// ```
    /// let err = profkit::Report::from_pstats_bytes(b"not a profile").unwrap_err();
    /// assert!(err.to_string().starts_with("at byte 0: "));
    /// ```
    pub fn from_pstats_bytes(bytes: &[u8]) -> Result<Report, ReadError> {
        if bytes.is_empty() {
            return Err(ReadError::at(
                0,
                "the file is empty: a pstats file is a marshalled dict",
            ));
        }
        let top = marshal::decode(bytes).map_err(|e| ReadError::at(e.offset, e.message))?;
        let Kind::Dict(entries) = &top.kind else {
            return fail(
                &top,
                format!(
                    "expected a dict of functions (a pstats file), found {}",
                    top.kind.type_name()
                ),
            );
        };
        let mut functions: BTreeMap<Key, FunctionStats> = BTreeMap::new();
        for (k, v) in entries {
            let key = parse_key(k)?;
            let Kind::Tuple(items) = &v.kind else {
                return fail(
                    v,
                    format!(
                        "a function's entry: expected (cc, nc, tt, ct, callers), found {}",
                        v.kind.type_name()
                    ),
                );
            };
            let [cc, nc, tt, ct, callers] = items.as_slice() else {
                return fail(
                    v,
                    format!(
                        "a function's entry: expected 5 items, found {}",
                        items.len()
                    ),
                );
            };
            let Kind::Dict(caller_entries) = &callers.kind else {
                return fail(
                    callers,
                    format!(
                        "a function's callers: expected a dict, found {}",
                        callers.kind.type_name()
                    ),
                );
            };
            // A caller key given twice: the last one counts, as in Python's dict.
            let mut edges: BTreeMap<Key, EdgeStats> = BTreeMap::new();
            for (ck, cv) in caller_entries {
                let (file, name, line) = parse_key(ck)?;
                let (enc, ecc, ett, ect) = edge(cv)?;
                edges.insert(
                    (file.clone(), name.clone(), line),
                    EdgeStats {
                        name,
                        file,
                        line,
                        ncalls: enc,
                        primitive_calls: ecc,
                        tottime_ns: ett,
                        cumtime_ns: ect,
                        cpu: None,
                    },
                );
            }
            let edges: Vec<EdgeStats> = edges.into_values().collect();
            let f = FunctionStats {
                site: u32::MAX,
                name: key.1.clone(),
                file: key.0.clone(),
                line: key.2,
                ncalls: int(nc, "a call count")?,
                primitive_calls: int(cc, "a primitive call count")?,
                tottime_ns: nanos(tt, "tottime")?,
                cumtime_ns: nanos(ct, "cumtime")?,
                callers: edges,
                callees: Vec::new(),
                futures: None,
                latency: None,
                memory: None,
                cpu: None,
                scaling: None,
            };
            // A key that appears twice: pstats keeps the last one, and so does this.
            functions.insert(key, f);
        }
        let mut functions: Vec<FunctionStats> = functions.into_values().collect();
        for f in &mut functions {
            f.callers.sort_by(|a, b| a.key().cmp(&b.key()));
        }
        link_callees(&mut functions);
        functions.sort_by(|a, b| a.key().cmp(&b.key()));
        Ok(Report::from_functions(functions))
    }
}
