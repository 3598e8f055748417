//! The server: hyper 1's HTTP/1 connections on a one-thread tokio runtime, on a thread of its
//! own, with the limits that keep a bad client from costing the profiled program anything.

use std::convert::Infallible;
use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Notify, Semaphore};

use super::routes::{self, Reply};

/// Connections served at once; more are answered `503` and closed.
pub(crate) const MAX_CONNECTIONS: usize = 64;
/// A client has this long to send a request's headers (on a new or a kept-alive connection),
/// unless [`ServeOptions::header_timeout`] says otherwise.
pub(crate) const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The request line and headers must fit in this many bytes (hyper answers `431` beyond).
const MAX_HEADER_BYTES: usize = 16 * 1024;
/// No connection lives longer than the longest window and a margin to send it.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(routes::MAX_SECONDS + 300);
/// Threads that build reports (each request's reading and rendering) at most.
const REPORT_THREADS: usize = 2;

/// A running profile server, from [`serve`]: dropping it stops it (the port is free when the
/// drop returns).
///
/// ```
/// let server = profkit::serve("127.0.0.1:0").unwrap();
/// println!("go tool pprof http://{}/debug/pprof/profile?seconds=5", server.addr());
/// drop(server);
/// ```
pub struct Server {
    addr: SocketAddr,
    stop: Arc<Notify>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// The address it listens on (with the port the system chose for port 0).
    ///
    /// ```
    /// let server = profkit::serve("127.0.0.1:0").unwrap();
    /// assert!(server.addr().ip().is_loopback());
    /// assert_ne!(server.addr().port(), 0);
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Why [`serve`] did not start a server.
///
/// ```
/// let refused = profkit::serve_with_token("0.0.0.0:0", None).unwrap_err();
/// assert!(matches!(refused, profkit::ServeError::NotLoopback(_)));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeError {
    /// The address does not resolve to a socket address.
    Address(io::Error),
    /// The address is not a loopback address and no token was given
    /// (`PROFKIT_HTTP_TOKEN`): profiles name a program's functions, so they are not served
    /// to the network without one.
    NotLoopback(SocketAddr),
    /// Binding the address failed (a port in use, say).
    Bind(SocketAddr, io::Error),
    /// [`ServeOptions::header_timeout`] was zero: no client could send a request in time.
    ZeroTimeout,
    /// The server's thread or runtime could not start.
    Start(io::Error),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Address(e) => write!(f, "not an address to listen on: {e}"),
            ServeError::NotLoopback(addr) => write!(
                f,
                "refusing to serve profiles on {addr}, which is not a loopback address, without PROFKIT_HTTP_TOKEN (then every request needs `Authorization: Bearer <token>`)"
            ),
            ServeError::Bind(addr, e) => write!(f, "cannot listen on {addr}: {e}"),
            ServeError::Start(e) => write!(f, "cannot start the server: {e}"),
            ServeError::ZeroTimeout => write!(
                f,
                "a header timeout of zero would drop every client: give one of a second or more"
            ),
        }
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServeError::Address(e) | ServeError::Bind(_, e) | ServeError::Start(e) => Some(e),
            ServeError::NotLoopback(_) | ServeError::ZeroTimeout => None,
        }
    }
}

/// Serves the process's profiles on `addr` (cargo feature `http`), from a thread of its own,
/// until the [`Server`] is dropped: `/debug/pprof/profile?seconds=N` (pprof, for `go tool
/// pprof`, Parca, Alloy), `/debug/pprof/heap` and `/debug/pprof/allocs` (with the allocator
/// wrapper), `/debug/profkit/report?seconds=N&format=..&sort=..&limit=..`,
/// `/debug/profkit/threads`, `/metrics` (Prometheus) and a page at `/` and `/debug/pprof/`.
///
/// A non-loopback address needs a token: `PROFKIT_HTTP_TOKEN` from the environment (see
/// [`serve_with_token`]).
///
/// # Errors
/// A [`ServeError`] when the address does not resolve, is not loopback and there is no
/// token, or cannot be bound.
///
/// ```
/// #[profkit::profile]
/// fn work() {}
///
/// work();
/// let server = profkit::serve("127.0.0.1:0").unwrap();
/// let url = format!("http://{}/metrics", server.addr());
/// assert!(url.starts_with("http://127.0.0.1:"));
/// ```
pub fn serve(addr: impl ToSocketAddrs) -> Result<Server, ServeError> {
    let token = std::env::var("PROFKIT_HTTP_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    serve_with_token(addr, token.as_deref())
}

/// [`serve`] with the token given here rather than read from `PROFKIT_HTTP_TOKEN`: with
/// `Some(token)`, every request must carry `Authorization: Bearer <token>` (`401`
/// otherwise), and a non-loopback address is allowed.
///
/// # Errors
/// As [`serve`].
///
/// ```
/// let server = profkit::serve_with_token("127.0.0.1:0", Some("s3cret")).unwrap();
/// assert!(server.addr().ip().is_loopback());
/// ```
pub fn serve_with_token(
    addr: impl ToSocketAddrs,
    token: Option<&str>,
) -> Result<Server, ServeError> {
    ServeOptions {
        token: token.map(str::to_owned),
        ..ServeOptions::new()
    }
    .serve(addr)
}

/// The server's settings beyond its address, for when [`serve`]'s defaults do not fit: the
/// token, and how long a client may take to send a request's headers.
///
/// ```
/// use std::time::Duration;
///
/// let server = profkit::ServeOptions::new()
///     .token("s3cret")
///     .header_timeout(Duration::from_secs(2))
///     .serve("127.0.0.1:0")
///     .unwrap();
/// assert!(server.addr().ip().is_loopback());
/// ```
#[derive(Clone)]
pub struct ServeOptions {
    token: Option<String>,
    header_timeout: Duration,
}

impl fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is a secret: only whether there is one.
        f.debug_struct("ServeOptions")
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("header_timeout", &self.header_timeout)
            .finish()
    }
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions::new()
    }
}

impl ServeOptions {
    /// No token (loopback addresses only, whatever `PROFKIT_HTTP_TOKEN` says) and a header
    /// timeout of 10 seconds.
    ///
    /// ```
    /// let options = profkit::ServeOptions::new();
    /// assert!(format!("{options:?}").contains("header_timeout: 10s"));
    /// ```
    pub fn new() -> Self {
        ServeOptions {
            token: None,
            header_timeout: HEADER_TIMEOUT,
        }
    }

    /// Every request must carry `Authorization: Bearer <token>` (`401` otherwise), and a
    /// non-loopback address is allowed.
    ///
    /// ```
    /// let server = profkit::ServeOptions::new().token("s3cret").serve("127.0.0.1:0").unwrap();
    /// # drop(server);
    /// ```
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// How long a client has to send a request's line and headers, on a new connection or
    /// between requests on a kept-alive one (10 seconds unless set): a client that says
    /// nothing, or sends its headers too slowly, is disconnected when it runs out, and holds
    /// none of the server's connections after that. A `seconds=N` window is not affected:
    /// the timeout ends when the headers are in.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let server = profkit::ServeOptions::new()
    ///     .header_timeout(Duration::from_secs(1))
    ///     .serve("127.0.0.1:0")
    ///     .unwrap();
    /// # drop(server);
    /// ```
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// Starts the server on `addr` with these settings; see [`serve`] for what it serves.
    ///
    /// # Errors
    /// As [`serve`], and [`ServeError::ZeroTimeout`] for a header timeout of zero.
    ///
    /// ```
    /// let refused = profkit::ServeOptions::new()
    ///     .header_timeout(std::time::Duration::ZERO)
    ///     .serve("127.0.0.1:0")
    ///     .unwrap_err();
    /// assert!(matches!(refused, profkit::ServeError::ZeroTimeout));
    /// ```
    pub fn serve(&self, addr: impl ToSocketAddrs) -> Result<Server, ServeError> {
        start(addr, self)
    }
}

fn start(addr: impl ToSocketAddrs, options: &ServeOptions) -> Result<Server, ServeError> {
    let token = options.token.as_deref();
    if options.header_timeout.is_zero() {
        return Err(ServeError::ZeroTimeout);
    }
    let addr = addr
        .to_socket_addrs()
        .map_err(ServeError::Address)?
        .next()
        .ok_or_else(|| ServeError::Address(io::Error::other("resolves to no address")))?;
    if token.is_none() && !addr.ip().is_loopback() {
        return Err(ServeError::NotLoopback(addr));
    }
    let listener = TcpListener::bind(addr).map_err(|e| ServeError::Bind(addr, e))?;
    let bound = listener.local_addr().map_err(ServeError::Start)?;
    listener.set_nonblocking(true).map_err(ServeError::Start)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .max_blocking_threads(REPORT_THREADS)
        .thread_name("profkit-http-report")
        .build()
        .map_err(ServeError::Start)?;
    let stop = Arc::new(Notify::new());
    let state = Arc::new(State {
        token: token.map(str::to_owned),
        header_timeout: options.header_timeout,
    });
    let stopped = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("profkit-http".to_owned())
        .spawn(move || {
            runtime.block_on(accept(listener, state, stopped));
            runtime.shutdown_timeout(Duration::from_millis(200));
        })
        .map_err(ServeError::Start)?;
    Ok(Server {
        addr: bound,
        stop,
        thread: Some(thread),
    })
}

struct State {
    token: Option<String>,
    header_timeout: Duration,
}

/// What a client past the connection limit reads before its connection closes.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 35\r\nconnection: close\r\n\r\nprofkit: too many connections now\r\n";

async fn accept(listener: TcpListener, state: Arc<State>, stop: Arc<Notify>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let accepted = tokio::select! {
            () = stop.notified() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors, say: wait a little rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            let _ = stream.try_write(BUSY);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        let header_timeout = state.header_timeout;
        tokio::spawn(async move {
            let _slot = slot;
            let service = service_fn(move |request| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(respond(request, &state).await) }
            });
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .max_buf_size(MAX_HEADER_BYTES);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(CONNECTION_LIFETIME, connection).await;
        });
    }
}

async fn respond(request: Request<Incoming>, state: &State) -> Response<Full<Bytes>> {
    let authorization = request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    let asked = routes::parse(
        request.method().as_str(),
        request.uri().path(),
        request.uri().query(),
        authorization,
        state.token.as_deref(),
    );
    let reply = match asked {
        Err(reply) => reply,
        Ok(ask) => {
            let earlier = match ask.seconds {
                Some(seconds) => {
                    let Some(earlier) = blocking(crate::session::report).await else {
                        return into_response(Reply::error(500, "profkit: the report failed"));
                    };
                    tokio::time::sleep(routes::window(seconds)).await;
                    Some(earlier)
                }
                None => None,
            };
            blocking(move || routes::answer(&ask, earlier.as_ref()))
                .await
                .unwrap_or_else(|| Reply::error(500, "profkit: the report failed"))
        }
    };
    into_response(reply)
}

/// Runs `f` on a report thread, off the connections' thread; `None` if it panicked.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}

fn into_response(reply: Reply) -> Response<Full<Bytes>> {
    let mut builder = Response::builder()
        .status(reply.status)
        .header(hyper::header::CONTENT_TYPE, reply.content_type)
        .header(hyper::header::CACHE_CONTROL, "no-store");
    for (name, value) in reply.headers {
        builder = builder.header(name, value);
    }
    builder
        .body(Full::new(Bytes::from(reply.body)))
        .unwrap_or_else(|_| {
            let mut fallback =
                Response::new(Full::new(Bytes::from_static(b"profkit: bad reply\n")));
            *fallback.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            fallback
        })
}
