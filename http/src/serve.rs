//! [`serve`]: an accept loop and one gmp task per connection, for any tower service.
//!
//! # Design
//!
//! The serve future owns the listener and runs the accept loop; each accepted connection gets a
//! detached gmp task that drives hyper-util's auto connection (HTTP/1 or HTTP/2, picked from the
//! first bytes, with upgrades) and owns one permit of the connection limit. Three signals reach a
//! connection task, all gmp [`Context`]s, so nothing keeps a list of connections:
//!
//! - `drain`, a child of the user's shutdown context, cancelled when the accept loop ends for
//!   any reason: the task calls hyper's `graceful_shutdown` (HTTP/1 finishes the request in
//!   flight and closes, an idle keep-alive connection closes at once; HTTP/2 sends `GOAWAY` and
//!   finishes its open streams);
//! - `hard_stop`, cancelled when the shutdown timeout passes or the serve future is dropped:
//!   the task drops its connection (the socket closes, the request future is dropped);
//! - a first-request timer started at accept: if no request head has reached the service when
//!   it fires (protocol detection, a TLS handshake done lazily in the `Io`, HTTP/2's preface and
//!   first `HEADERS`, or the first HTTP/1 head), the connection is dropped. hyper's own HTTP/1
//!   `header_read_timeout` covers later requests on a keep-alive connection (its timer starts
//!   when hyper starts reading a head, idle time included).
//!
//! Every connection task watches the same two contexts; it polls each `Done` once (registering
//! its waker) and then only reads the context's flag, so a busy server takes no shared lock per
//! poll (`Watch`).
//!
//! Waiting for the connections to end is acquiring every permit of the limit's [`Semaphore`]:
//! a task returns its permit when it ends, and no permit is handed out after the loop stops.
//!
//! The accept loop acquires a permit *before* accepting, so at the limit new connections wait
//! in the kernel's backlog rather than being accepted and dropped (Go's `netutil.LimitListener`).
//! An accept error other than the few that mean the listener is unusable makes the loop sleep
//! (5 ms, doubling up to 1 s, reset by the next success, as Go's `http.Server` does): with
//! `EMFILE` the pending connection stays in the backlog and `accept` would fail again at once,
//! so retrying without a pause spins a core.
//!
//! Rejected: tracking connection `JoinHandle`s in a map to abort them (a lock on every accept
//! and every close, for what one context does); accepting at the limit and closing at once
//! (clients see resets instead of waiting); hyper-util's `GracefulShutdown` (a watch channel
//! per connection built on tokio's `sync`, where gmp's context already is the signal).

use std::error::Error as StdError;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use futures_util::future::{Either, select};
use gmp_executor::hyper::{GmpExecutor, GmpTimer};
use gmp_sync::context::{self, Context};
use gmp_sync::{OwnedSemaphorePermit, Semaphore};
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;

use crate::Listener;

/// Default [`Serve::header_read_timeout`]: 10 s.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`Serve::max_header_size`]: 64 KiB.
pub const DEFAULT_MAX_HEADER_SIZE: usize = 64 * 1024;
/// Default [`Serve::max_connections`]: 4096.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// Default [`Serve::shutdown_timeout`]: 30 s.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// The smallest header size limit: hyper's HTTP/1 read buffer cannot be smaller.
const MIN_HEADER_SIZE: usize = 8192;
/// First and last pause of the accept loop after an error.
const BACKOFF_MIN: Duration = Duration::from_millis(5);
const BACKOFF_MAX: Duration = Duration::from_secs(1);

/// Serves `service` on every connection `listener` accepts: axum's `serve`, on gmp.
///
/// Await the returned [`Serve`] (after setting options on it) inside a gmp runtime; it panics
/// outside one, as [`gmp_executor::spawn`] does. `service` is any tower service taking
/// `Request<hyper::body::Incoming>`, an axum `Router` for instance; it is cloned for each
/// connection. HTTP/1 and HTTP/2 (with prior knowledge, `h2c`) are told apart from the first
/// bytes; upgrades (websockets) work through [`hyper::upgrade::on`].
///
/// The defaults hold against slow and greedy clients; see [`Serve`]'s methods to change them:
///
/// | limit | default |
/// | --- | --- |
/// | time to receive a request head ([`header_read_timeout`](Serve::header_read_timeout)) | 10 s |
/// | size of a request head ([`max_header_size`](Serve::max_header_size)) | 64 KiB |
/// | open connections ([`max_connections`](Serve::max_connections)) | 4096 |
/// | graceful shutdown ([`shutdown_timeout`](Serve::shutdown_timeout)) | 30 s |
///
/// Without [`with_graceful_shutdown`](Serve::with_graceful_shutdown) the future runs until the
/// listener fails for good (`EBADF`, `EINVAL`, `ENOTSOCK`), then drains like a shutdown and
/// returns the error. Dropping the future closes the listener and drops every connection at once.
///
/// # Examples
///
/// An axum `Router` (axum built without its `tokio` feature), stopped by a context:
///
/// ```
/// use std::future::IntoFuture;
/// use gmp_executor::net::TcpListener;
/// use gmp_sync::context;
///
/// # gmp_executor::Runtime::new().unwrap().block_on(async {
/// let app = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
/// let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let (ctx, stop) = context::with_cancel(&context::Context::background());
/// let server = gmp_http::serve(listener, app)
///     .with_graceful_shutdown(ctx)
///     .header_read_timeout(std::time::Duration::from_secs(5));
/// let server = gmp_executor::spawn(server.into_future());
/// stop.cancel(); // on SIGINT, for instance: see examples/axum_service.rs
/// server.await.unwrap().unwrap();
/// # });
/// ```
pub fn serve<L, S>(listener: L, service: S) -> Serve<L, S>
where
    L: Listener,
{
    Serve {
        listener,
        service,
        config: Config {
            shutdown: None,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_header_size: DEFAULT_MAX_HEADER_SIZE,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        },
    }
}

/// A server being set up; `.await` it to run it. Made by [`serve`].
///
/// # Examples
///
/// See [`serve`].
#[must_use = "a server does nothing until it is `.await`ed"]
pub struct Serve<L, S> {
    listener: L,
    service: S,
    config: Config,
}

#[derive(Clone, Debug)]
struct Config {
    shutdown: Option<Context>,
    shutdown_timeout: Duration,
    header_read_timeout: Duration,
    max_header_size: usize,
    max_connections: usize,
}

impl<L: Listener, S> fmt::Debug for Serve<L, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serve")
            .field("local_addr", &self.listener.local_addr().ok())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<L: Listener, S> Serve<L, S> {
    /// Shuts the server down gracefully when `ctx` is done: the listener is closed (new
    /// connections are refused), requests in flight finish and their connections close, idle
    /// connections close at once; after [`shutdown_timeout`](Serve::shutdown_timeout) the
    /// connections still open are dropped. The future then returns `Ok(())`.
    ///
    /// Connections already upgraded (websockets) run in tasks of their own that the service
    /// spawned: the server does not see them; give them `ctx` too.
    ///
    /// # Examples
    ///
    /// See [`serve`].
    pub fn with_graceful_shutdown(mut self, ctx: Context) -> Self {
        self.config.shutdown = Some(ctx);
        self
    }

    /// How long a graceful shutdown waits for connections to finish before dropping them.
    /// Default: 30 s ([`DEFAULT_SHUTDOWN_TIMEOUT`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// # let listener = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let app = ();
    /// let server = gmp_http::serve(listener, app).shutdown_timeout(std::time::Duration::from_secs(5));
    /// # drop(server);
    /// # });
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.config.shutdown_timeout = timeout;
        self
    }

    /// How long a client may take to send a request head: from accept to the first request's
    /// head (protocol detection, the first HTTP/1 head, HTTP/2's preface and first `HEADERS`,
    /// a lazy TLS handshake) and, on HTTP/1, from the start of each later head. A connection that
    /// takes longer is dropped (slow-loris clients). Default: 10 s
    /// ([`DEFAULT_HEADER_READ_TIMEOUT`]).
    ///
    /// hyper's HTTP/1 timer starts as soon as it waits for the next head, so this is also how
    /// long an idle HTTP/1 keep-alive connection stays open. An HTTP/2 connection that has sent
    /// its first request is not timed: it stays until the client closes it or the server shuts
    /// down, within [`max_connections`](Serve::max_connections).
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// # let listener = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let app = ();
    /// let server = gmp_http::serve(listener, app).header_read_timeout(std::time::Duration::from_secs(2));
    /// # drop(server);
    /// # });
    /// ```
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.config.header_read_timeout = timeout;
        self
    }

    /// The largest request head accepted, in bytes: HTTP/1 answers a larger one with
    /// `431 Request Header Fields Too Large` and closes; HTTP/2 advertises it as
    /// `SETTINGS_MAX_HEADER_LIST_SIZE`. Default: 64 KiB ([`DEFAULT_MAX_HEADER_SIZE`]).
    ///
    /// # Panics
    ///
    /// If `bytes` is below 8192, the smallest read buffer hyper's HTTP/1 accepts.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// # let listener = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let app = ();
    /// let server = gmp_http::serve(listener, app).max_header_size(16 * 1024);
    /// # drop(server);
    /// # });
    /// ```
    pub fn max_header_size(mut self, bytes: usize) -> Self {
        assert!(
            bytes >= MIN_HEADER_SIZE,
            "max_header_size must be at least {MIN_HEADER_SIZE} bytes, got {bytes}"
        );
        self.config.max_header_size = bytes;
        self
    }

    /// The most connections open at once; at the limit the server stops accepting, and new
    /// clients wait in the kernel's backlog until a connection closes. Default: 4096
    /// ([`DEFAULT_MAX_CONNECTIONS`]).
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// # let listener = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let app = ();
    /// let server = gmp_http::serve(listener, app).max_connections(256);
    /// # drop(server);
    /// # });
    /// ```
    pub fn max_connections(mut self, n: usize) -> Self {
        assert!(n > 0, "max_connections must be at least 1");
        self.config.max_connections = n;
        self
    }

    /// The listener's address (handy with port 0).
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let listener = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let server = gmp_http::serve(listener, ());
    /// assert_ne!(server.local_addr().unwrap().port(), 0);
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<L::Addr> {
        self.listener.local_addr()
    }
}

/// The running server: [`Serve`]'s future. Resolves when the server has shut down.
///
/// # Examples
///
/// See [`serve`]; `.await` on a [`Serve`] makes one.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ServeFuture {
    inner: Pin<Box<dyn Future<Output = io::Result<()>> + Send>>,
}

impl fmt::Debug for ServeFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServeFuture").finish_non_exhaustive()
    }
}

impl Future for ServeFuture {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        self.inner.as_mut().poll(cx)
    }
}

impl<L, S, B> IntoFuture for Serve<L, S>
where
    L: Listener,
    S: tower_service::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn StdError + Send + Sync>>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    type Output = io::Result<()>;
    type IntoFuture = ServeFuture;

    fn into_future(self) -> ServeFuture {
        ServeFuture {
            inner: Box::pin(run(self)),
        }
    }
}

async fn run<L, S, B>(serve: Serve<L, S>) -> io::Result<()>
where
    L: Listener,
    S: tower_service::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn StdError + Send + Sync>>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    let Serve {
        mut listener,
        service,
        config,
    } = serve;
    let builder = Arc::new(http_builder(&config));
    let limit = Arc::new(Semaphore::new(config.max_connections));
    let shutdown = config.shutdown.clone().unwrap_or_default();
    let (drain, start_drain) = context::with_cancel(&shutdown);
    let (hard_stop, stop_all) = context::with_cancel(&Context::background());
    // Dropping the serve future drops every connection.
    let stop_all = stop_all.guard();
    let mut backoff = BACKOFF_MIN;
    let mut stop = shutdown.done();

    let result = loop {
        let permit = match select(&mut stop, limit.clone().acquire_owned(1)).await {
            Either::Left(_) => break Ok(()),
            Either::Right((permit, _)) => permit,
        };
        let accepted = match select(&mut stop, pin!(listener.accept())).await {
            Either::Left(_) => break Ok(()),
            Either::Right((accepted, _)) => accepted,
        };
        match accepted {
            Ok((io, addr)) => {
                backoff = BACKOFF_MIN;
                let conn = Conn {
                    builder: builder.clone(),
                    header_read_timeout: config.header_read_timeout,
                    drain: drain.clone(),
                    hard_stop: hard_stop.clone(),
                    _permit: permit,
                };
                gmp_executor::spawn(conn.run(io, addr, service.clone())).detach();
            }
            Err(e) if is_fatal(&e) => {
                tracing::error!(error = %e, "accept failed for good; the server stops");
                break Err(e);
            }
            Err(e) => {
                if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) {
                    tracing::error!(error = %e, pause = ?backoff, "accept: out of file descriptors; pausing");
                } else {
                    tracing::warn!(error = %e, pause = ?backoff, "accept failed; pausing");
                }
                drop(permit);
                let pause = pin!(gmp_executor::time::sleep(backoff));
                if let Either::Left(_) = select(&mut stop, pause).await {
                    break Ok(());
                }
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    };

    // Stop accepting: the kernel refuses new connections from here on.
    drop(listener);
    start_drain.cancel();
    let all = config.max_connections;
    let open = all - limit.available_permits();
    if open > 0 {
        tracing::info!(open, timeout = ?config.shutdown_timeout, "draining connections");
        let drained =
            gmp_executor::time::timeout(config.shutdown_timeout, limit.acquire(all)).await;
        if drained.is_err() {
            let left = all - limit.available_permits();
            tracing::warn!(
                left,
                "shutdown timeout passed; dropping the connections still open"
            );
            drop(stop_all);
            // They notice `hard_stop` at their next poll and return their permits.
            drop(limit.acquire(all).await);
        }
    }
    result
}

/// Errors after which the listener cannot accept again.
fn is_fatal(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EBADF | libc::EINVAL | libc::ENOTSOCK | libc::EOPNOTSUPP | libc::EFAULT)
    )
}

fn http_builder(config: &Config) -> auto::Builder<GmpExecutor> {
    let mut builder = auto::Builder::new(GmpExecutor::new());
    builder
        .http1()
        .timer(GmpTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .max_buf_size(config.max_header_size);
    builder
        .http2()
        .timer(GmpTimer::new())
        .max_header_list_size(u32::try_from(config.max_header_size).unwrap_or(u32::MAX));
    builder
}

/// What a connection task needs besides its socket and service.
struct Conn {
    builder: Arc<auto::Builder<GmpExecutor>>,
    header_read_timeout: Duration,
    drain: Context,
    hard_stop: Context,
    /// Returned to the connection limit when the task ends.
    _permit: OwnedSemaphorePermit,
}

impl Conn {
    async fn run<I, A, S, B>(self, io: I, addr: A, service: S)
    where
        I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
        A: fmt::Debug,
        S: tower_service::Service<Request<Incoming>, Response = Response<B>>
            + Clone
            + Send
            + 'static,
        S::Future: Send + 'static,
        S::Error: Into<Box<dyn StdError + Send + Sync>>,
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
    {
        let seen = Arc::new(AtomicBool::new(false));
        let service = FirstRequest {
            inner: TowerToHyperService::new(service),
            seen: seen.clone(),
        };
        let mut conn = pin!(self.builder.serve_connection_with_upgrades(io, service));
        let mut first_request = Some(Box::pin(gmp_executor::time::sleep(
            self.header_read_timeout,
        )));
        let mut drain = Watch::new(&self.drain);
        let mut hard_stop = Watch::new(&self.hard_stop);
        let mut draining = false;
        let ended = std::future::poll_fn(|cx| {
            if !draining && drain.is_done(cx) {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
            if let Poll::Ready(res) = conn.as_mut().poll(cx) {
                return Poll::Ready(res.map_err(|e| e.to_string()));
            }
            if hard_stop.is_done(cx) {
                return Poll::Ready(Err("dropped at the shutdown deadline".into()));
            }
            if let Some(t) = &mut first_request {
                if t.as_mut().poll(cx).is_ready() {
                    // Relaxed: a flag read by the task that set it (hyper calls the service from
                    // the connection future this task polls), or a late read that only keeps
                    // the connection; it orders no other memory.
                    if !seen.load(Ordering::Relaxed) {
                        return Poll::Ready(Err(
                            "no request head within header_read_timeout".into()
                        ));
                    }
                    first_request = None;
                }
            }
            Poll::Pending
        })
        .await;
        if let Err(error) = ended {
            tracing::debug!(?addr, %error, "connection ended");
        }
    }
}

/// Watches a context from a connection task, cheaply: the first check polls a [`context::Done`]
/// (registering the task's waker with the context), later ones read the context's flag, sparing
/// the lock of a context every connection shares on each poll of each connection. The waker
/// registered stays right: a connection future is only polled by its own gmp task, whose wakers
/// all wake that task.
struct Watch {
    ctx: Context,
    done: context::Done,
    registered: bool,
}

impl Watch {
    fn new(ctx: &Context) -> Watch {
        Watch {
            ctx: ctx.clone(),
            done: ctx.done(),
            registered: false,
        }
    }

    fn is_done(&mut self, cx: &mut TaskContext<'_>) -> bool {
        if self.registered {
            return self.ctx.is_done();
        }
        // `charged`: the poll must not return `Pending` for coop budget without registering.
        let ready = gmp_executor::coop::charged(|| Pin::new(&mut self.done).poll(cx)).is_ready();
        self.registered = !ready;
        ready
    }
}

/// The service as hyper sees it: marks that a request head arrived, then calls the tower service.
struct FirstRequest<S> {
    inner: TowerToHyperService<S>,
    seen: Arc<AtomicBool>,
}

impl<S, R> hyper::service::Service<R> for FirstRequest<S>
where
    TowerToHyperService<S>: hyper::service::Service<R>,
{
    type Response = <TowerToHyperService<S> as hyper::service::Service<R>>::Response;
    type Error = <TowerToHyperService<S> as hyper::service::Service<R>>::Error;
    type Future = <TowerToHyperService<S> as hyper::service::Service<R>>::Future;

    fn call(&self, req: R) -> Self::Future {
        // Relaxed: see the load in `Conn::run`.
        self.seen.store(true, Ordering::Relaxed);
        self.inner.call(req)
    }
}
