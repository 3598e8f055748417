//! What each path answers: a request's method, path, query and credentials checked into an
//! [`Ask`], then answered from the process's reports by [`answer`]. No I/O here: the server
//! (`server.rs`) waits out a window between the two reports and writes the [`Reply`].

use std::time::Duration;

use crate::files::{Format, text_report};
use crate::model::Report;
use crate::views::SortKey;

/// The longest window a request may ask for (`seconds=`), an hour.
pub(crate) const MAX_SECONDS: u64 = 3600;
/// The window of `/debug/pprof/profile` without `seconds=`, as Go's.
const DEFAULT_PROFILE_SECONDS: u64 = 30;

/// What to send back.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    fn ok(content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            status: 200,
            content_type,
            headers: Vec::new(),
            body,
        }
    }

    /// A plain-text error: one line.
    pub(crate) fn error(status: u16, line: impl Into<String>) -> Reply {
        let mut body = line.into();
        body.push('\n');
        Reply {
            status,
            content_type: TEXT,
            headers: Vec::new(),
            body: body.into_bytes(),
        }
    }

    fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

const TEXT: &str = "text/plain; charset=utf-8";
const BINARY: &str = "application/octet-stream";

/// The endpoints.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Endpoint {
    /// `/debug/pprof/profile`: the gzipped pprof of a window.
    Profile,
    /// `/debug/pprof/heap` and `/debug/pprof/allocs`: the pprof with the memory sample types.
    Heap,
    /// `/debug/profkit/report`: any format profkit writes.
    Report {
        format: Format,
        sort: SortKey,
        limit: Option<usize>,
    },
    /// `/debug/profkit/top`: the top table as JSON, what the page refreshes from.
    Top { limit: usize },
    /// `/debug/profkit/threads`: every live thread's open profiled calls.
    Threads,
    /// `/metrics`: Prometheus' text exposition.
    Metrics,
    /// `/` and `/debug/pprof/`: the page.
    Page,
}

/// A request that passed every check: what to answer, and over which window.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Ask {
    pub(crate) endpoint: Endpoint,
    /// `Some(n)`: the window of the last `n` seconds (from now on); `None`: the whole run.
    pub(crate) seconds: Option<u64>,
}

/// Checks a request, in this order: credentials (401), method (405), path (404), parameters
/// (400).
pub(crate) fn parse(
    method: &str,
    path: &str,
    query: Option<&str>,
    authorization: Option<&[u8]>,
    token: Option<&str>,
) -> Result<Ask, Reply> {
    if let Some(token) = token
        && !bearer_matches(authorization, token)
    {
        return Err(Reply::error(
            401,
            "profkit: this server needs `Authorization: Bearer <PROFKIT_HTTP_TOKEN>`",
        )
        .with_header("www-authenticate", "Bearer realm=\"profkit\""));
    }
    if method != "GET" && method != "HEAD" {
        return Err(Reply::error(
            405,
            format!("profkit: {method} is not served: GET or HEAD only"),
        )
        .with_header("allow", "GET, HEAD"));
    }
    let params = Params::parse(query.unwrap_or(""));
    let path = path.strip_suffix('/').unwrap_or(path);
    let (endpoint, seconds) = match path {
        "" | "/debug/pprof" | "/debug/profkit" => (Endpoint::Page, None),
        "/debug/pprof/profile" => (
            Endpoint::Profile,
            Some(params.seconds()?.unwrap_or(DEFAULT_PROFILE_SECONDS)),
        ),
        "/debug/pprof/heap" | "/debug/pprof/allocs" => {
            if !memory_installed() {
                return Err(Reply::error(
                    404,
                    "profkit: no memory profile: build with profkit's cargo feature `memory` and install `#[global_allocator] static ALLOC: profkit::Alloc = profkit::Alloc::system();`",
                ));
            }
            (Endpoint::Heap, params.seconds()?)
        }
        "/debug/profkit/report" => {
            let format = match params.get("format") {
                None | Some("text") => Format::Text,
                Some("prof") => Format::Pstats,
                Some(f) => Format::from_extension(f).ok_or_else(|| {
                    Reply::error(
                        400,
                        format!("profkit: format={f}: one of text, json, prof, folded, svg, pprof"),
                    )
                })?,
            };
            let sort = match params.get("sort") {
                None => SortKey::Cumulative,
                Some(s) => s
                    .parse()
                    .map_err(|e| Reply::error(400, format!("profkit: sort={s}: {e}")))?,
            };
            let limit = params.limit()?;
            (
                Endpoint::Report {
                    format,
                    sort,
                    limit,
                },
                params.seconds()?,
            )
        }
        "/debug/profkit/top" => (
            Endpoint::Top {
                limit: params.limit()?.unwrap_or(50),
            },
            params.seconds()?,
        ),
        "/debug/profkit/threads" => (Endpoint::Threads, None),
        "/metrics" => (Endpoint::Metrics, None),
        _ => {
            return Err(Reply::error(
                404,
                format!("profkit: no such page: {path} (see /debug/pprof/ for the list)"),
            ));
        }
    };
    Ok(Ask { endpoint, seconds })
}

/// Whether the allocator wrapper records allocations in this process.
fn memory_installed() -> bool {
    crate::collect::memory::installed()
}

/// `Authorization: Bearer <token>`, compared without stopping at the first difference.
fn bearer_matches(authorization: Option<&[u8]>, token: &str) -> bool {
    let Some(given) = authorization.and_then(|a| a.strip_prefix(b"Bearer ")) else {
        return false;
    };
    let want = token.as_bytes();
    let mut diff = u8::from(given.len() != want.len());
    for (i, w) in want.iter().enumerate() {
        diff |= given.get(i).copied().unwrap_or(0) ^ w;
    }
    diff == 0
}

/// A query string's parameters, percent-decoded.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(query: &str) -> Params {
        Params(
            query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (decode(k), decode(v))
                })
                .collect(),
        )
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `seconds=`: 1..=3600.
    fn seconds(&self) -> Result<Option<u64>, Reply> {
        let Some(s) = self.get("seconds") else {
            return Ok(None);
        };
        match s.parse::<u64>() {
            Ok(n) if (1..=MAX_SECONDS).contains(&n) => Ok(Some(n)),
            _ => Err(Reply::error(
                400,
                format!("profkit: seconds={s}: a whole number of seconds from 1 to {MAX_SECONDS}"),
            )),
        }
    }

    /// `limit=`: a row count.
    fn limit(&self) -> Result<Option<usize>, Reply> {
        let Some(s) = self.get("limit") else {
            return Ok(None);
        };
        s.parse::<usize>()
            .map(Some)
            .map_err(|_| Reply::error(400, format!("profkit: limit={s}: a row count")))
    }
}

/// `%41` and `+` decoded; an invalid escape is kept as it is.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(digit: Option<&u8>) -> Option<u8> {
    char::from(*digit?)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// The answer to `ask`, from the process's report now, less `earlier` for a window.
pub(crate) fn answer(ask: &Ask, earlier: Option<&Report>) -> Reply {
    if ask.endpoint == Endpoint::Threads {
        return Reply::ok(TEXT, super::threads::render().into_bytes());
    }
    let now = crate::session::report();
    let report = match earlier {
        Some(earlier) => match now.since(earlier) {
            Ok(window) => window,
            Err(e) => {
                return Reply::error(
                    503,
                    format!("profkit: no window: {e} (was the profile reset meanwhile?)"),
                );
            }
        },
        None => now,
    };
    render(&ask.endpoint, &report, ask.seconds)
}

/// `endpoint`'s answer from `report`.
pub(crate) fn render(endpoint: &Endpoint, report: &Report, seconds: Option<u64>) -> Reply {
    let failed = |e: std::io::Error| Reply::error(500, format!("profkit: {e}"));
    match endpoint {
        Endpoint::Profile | Endpoint::Heap => match report.to_pprof() {
            Ok(bytes) => Reply::ok(BINARY, bytes).with_header(
                "content-disposition",
                "attachment; filename=\"profile.pb.gz\"",
            ),
            Err(e) => failed(e),
        },
        Endpoint::Report {
            format,
            sort,
            limit,
        } => {
            let bytes = format.render(report, || text_report(report, *sort, *limit));
            match bytes {
                Ok(bytes) => Reply::ok(content_type(*format), bytes),
                Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {
                    Reply::error(404, format!("profkit: {e}"))
                }
                Err(e) => failed(e),
            }
        }
        Endpoint::Top { limit } => Reply::ok(
            "application/json",
            super::page::top_json(report, *limit, seconds).into_bytes(),
        ),
        Endpoint::Metrics => Reply::ok(
            "text/plain; version=0.0.4; charset=utf-8",
            super::metrics::render(report).into_bytes(),
        ),
        Endpoint::Page => Reply::ok(
            "text/html; charset=utf-8",
            super::page::render(report).into_bytes(),
        ),
        Endpoint::Threads => Reply::ok(TEXT, super::threads::render().into_bytes()),
    }
}

fn content_type(format: Format) -> &'static str {
    match format {
        Format::Json => "application/json",
        Format::Svg => "image/svg+xml",
        Format::Text | Format::Folded => TEXT,
        _ => BINARY,
    }
}

/// How long a window of `seconds` waits.
pub(crate) fn window(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(r: Result<Ask, Reply>) -> u16 {
        r.map(|_| 200).unwrap_or_else(|e| e.status)
    }

    #[test]
    fn checks_come_in_order() {
        let ask = |m: &str, p: &str, q: Option<&str>| parse(m, p, q, None, None);
        assert_eq!(status(ask("POST", "/nowhere", None)), 405);
        assert_eq!(status(ask("GET", "/nowhere", None)), 404);
        assert_eq!(status(ask("GET", "/metrics", None)), 200);
        assert_eq!(status(ask("HEAD", "/debug/pprof/", None)), 200);
        assert_eq!(status(ask("GET", "/", None)), 200);
        for bad in [
            "seconds=0",
            "seconds=3601",
            "seconds=-1",
            "seconds=x",
            "seconds=",
        ] {
            assert_eq!(
                status(ask("GET", "/debug/pprof/profile", Some(bad))),
                400,
                "{bad}"
            );
        }
        let ok = ask("GET", "/debug/pprof/profile", Some("seconds=3600")).unwrap();
        assert_eq!(ok.seconds, Some(3600));
        let default = ask("GET", "/debug/pprof/profile", None).unwrap();
        assert_eq!(default.seconds, Some(30));
        assert_eq!(
            status(ask("GET", "/debug/profkit/report", Some("format=png"))),
            400
        );
        assert_eq!(
            status(ask("GET", "/debug/profkit/report", Some("sort=nope"))),
            400
        );
        assert_eq!(
            status(ask("GET", "/debug/profkit/report", Some("limit=x"))),
            400
        );
        let report = ask(
            "GET",
            "/debug/profkit/report",
            Some("format=prof&sort=tottime&limit=3&seconds=2"),
        )
        .unwrap();
        assert_eq!(
            report,
            Ask {
                endpoint: Endpoint::Report {
                    format: Format::Pstats,
                    sort: SortKey::TotTime,
                    limit: Some(3)
                },
                seconds: Some(2)
            }
        );
    }

    #[test]
    fn a_token_is_needed_before_anything_else() {
        let t = Some("s3cret");
        assert_eq!(status(parse("GET", "/metrics", None, None, t)), 401);
        assert_eq!(status(parse("POST", "/x", None, None, t)), 401);
        assert_eq!(
            status(parse("GET", "/metrics", None, Some(b"Bearer s3cre"), t)),
            401
        );
        assert_eq!(
            status(parse("GET", "/metrics", None, Some(b"Bearer s3cret!"), t)),
            401
        );
        assert_eq!(
            status(parse("GET", "/metrics", None, Some(b"Basic s3cret"), t)),
            401
        );
        assert_eq!(
            status(parse("GET", "/metrics", None, Some(b"Bearer s3cret"), t)),
            200
        );
    }

    #[test]
    fn queries_are_percent_decoded() {
        assert_eq!(decode("a%20b+c%zz%4"), "a b c%zz%4");
        assert_eq!(decode("%é%"), "%é%");
        let p = Params::parse("format=json&&seconds=%35");
        assert_eq!(
            (p.get("format"), p.get("seconds")),
            (Some("json"), Some("5"))
        );
    }
}
