//! An HTTP client on gmp: hyper-util's pooled client with a gmp connector, and no tokio runtime.
//!
//! - [`Connector`] is a `tower::Service<Uri>` that hyper-util's
//!   [`legacy::Client`] dials with: it resolves the host
//!   through gmp ([`gmp_executor::net::lookup_host`]: the system resolver on gmp's blocking pool,
//!   so a slow DNS server never blocks a worker), connects a gmp
//!   [`TcpStream`], and bounds the whole dial (DNS included, as
//!   Go's `net.Dialer.Timeout`) by a connect timeout.
//! - [`TcpConn`], what it yields, implements hyper's `rt::Read`/`rt::Write` and hyper-util's
//!   [`Connection`], and puts a [`ConnectInfo`] (the connection's addresses) into each response's
//!   extensions.
//! - [`builder`] is hyper-util's client builder with gmp's executor (connection tasks are gmp
//!   tasks) and gmp's timer (pool idle eviction, HTTP/2 keep-alive); [`new`] builds a client
//!   with it and a default [`Connector`].
//!
//! HTTP/1 connections are pooled and reused (keep-alive); HTTP/2 runs with
//! `builder().http2_only(true)` (prior knowledge: with no TLS there is no ALPN to negotiate it).
//! `https` URIs need a TLS layer over this connector, which this module does not provide: by
//! default the connector refuses them with an error instead of speaking plain text to port 443.
//!
//! Like Go's `http.Client`, a response body must be read to its end or dropped: a response kept
//! alive and unread holds its connection, and the connection's gmp task, forever (the goroutines
//! chapter's Case 1; `#[gmp::test]`'s leak check reports that task, see `examples/http_leak.rs`).
//!
//! # Examples
//!
//! ```
//! use http_body_util::{BodyExt, Empty, Full};
//! use hyper::body::Bytes;
//! # use gmp_executor::net::TcpListener;
//!
//! # gmp_executor::Runtime::new().unwrap().block_on(async {
//! # let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//! # let addr = listener.local_addr().unwrap();
//! # gmp_executor::spawn(async move {
//! #     let (conn, _) = listener.accept().await.unwrap();
//! #     let svc = hyper::service::service_fn(|_req| async {
//! #         Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from("hi"))))
//! #     });
//! #     hyper::server::conn::http1::Builder::new().serve_connection(conn, svc).await.unwrap();
//! # }).detach();
//! // A local server listens on `addr`.
//! let client = gmp_http::client::new::<Empty<Bytes>>();
//! let uri = format!("http://{addr}/").parse().unwrap();
//! let res = client.get(uri).await.unwrap();
//! assert_eq!(res.status(), 200);
//! let body = res.into_body().collect().await.unwrap().to_bytes(); // read it to the end
//! assert_eq!(&body[..], b"hi");
//! # });
//! ```

use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use gmp_executor::hyper::{GmpExecutor, GmpTimer};
use gmp_executor::net::TcpStream;
use hyper::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::{self, connect::Connected, connect::Connection};

/// The connect timeout a [`Connector`] starts with: Go's `http.DefaultTransport` dial timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// hyper-util's client over gmp's connector: what [`new`] returns.
pub type Client<B> = legacy::Client<Connector, B>;

/// hyper-util's client builder, set up for gmp: connection tasks run as gmp tasks
/// ([`GmpExecutor`], spawning onto the runtime current when a connection is made), and the pool
/// and HTTP/2 timers are gmp's ([`GmpTimer`]).
///
/// Finish it with `.build(Connector::new())`, after any of hyper-util's options:
/// `http2_only(true)`, `pool_idle_timeout`, `pool_max_idle_per_host`, ...
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use gmp_http::client::{self, Connector};
///
/// let client: client::Client<http_body_util::Empty<hyper::body::Bytes>> = client::builder()
///     .pool_idle_timeout(Duration::from_secs(30))
///     .http2_only(true)
///     .build(Connector::new().connect_timeout(Duration::from_secs(5)));
/// # drop(client);
/// ```
pub fn builder() -> legacy::Builder {
    let mut b = legacy::Client::builder(GmpExecutor::new());
    b.timer(GmpTimer::new()).pool_timer(GmpTimer::new());
    b
}

/// A client from [`builder`] with a default [`Connector`]: HTTP/1 with a keep-alive pool,
/// a 30-second connect timeout. `B` is the request body type.
///
/// Build it anywhere; send requests from inside a gmp runtime (its connection tasks are spawned
/// onto the runtime current at each new connection).
///
/// # Examples
///
/// See the [module documentation](self).
pub fn new<B>() -> Client<B>
where
    B: hyper::body::Body + Send,
    B::Data: Send,
{
    builder().build(Connector::new())
}

/// Dials TCP connections for hyper-util's client: DNS through gmp, a gmp [`TcpStream`] with
/// `TCP_NODELAY` set, the whole dial bounded by a connect timeout.
///
/// A `tower::Service<Uri>` whose response is a [`TcpConn`]. The port is the URI's, or 80 for
/// `http` (443 for `https` when [`enforce_http`](Connector::enforce_http) is off). A host
/// resolving to several addresses is tried address after address until one connects, within
/// the one timeout.
///
/// # Errors
///
/// The call fails with an [`io::Error`]: `InvalidInput` for a URI with no host or a scheme
/// other than `http` (while `enforce_http` is on), `TimedOut` when the dial outlasts the
/// connect timeout, or the resolver's or `connect(2)`'s error. hyper-util's client returns it
/// inside its `Error` (`is_connect()` is true; the `io::Error` is in its `source()` chain).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let connector = gmp_http::client::Connector::new()
///     .connect_timeout(Duration::from_secs(3))
///     .nodelay(false);
/// let client: gmp_http::client::Client<http_body_util::Empty<hyper::body::Bytes>> =
///     gmp_http::client::builder().build(connector);
/// # drop(client);
/// ```
#[derive(Clone, Debug)]
pub struct Connector {
    connect_timeout: Option<Duration>,
    nodelay: bool,
    enforce_http: bool,
}

impl Default for Connector {
    fn default() -> Self {
        Connector::new()
    }
}

impl Connector {
    /// A connector with a [`DEFAULT_CONNECT_TIMEOUT`], `TCP_NODELAY` on, `http` URIs only.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = gmp_http::client::Connector::new();
    /// ```
    pub fn new() -> Connector {
        Connector {
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            nodelay: true,
            enforce_http: true,
        }
    }

    /// Bounds each dial (DNS lookup and every address tried) by `timeout`.
    ///
    /// # Panics
    ///
    /// If `timeout` is zero (no dial could succeed); use [`no_connect_timeout`](Self::no_connect_timeout) for none.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = gmp_http::client::Connector::new().connect_timeout(std::time::Duration::from_millis(500));
    /// ```
    #[track_caller]
    pub fn connect_timeout(mut self, timeout: Duration) -> Connector {
        assert!(
            !timeout.is_zero(),
            "a zero connect timeout fails every dial; use no_connect_timeout() for none"
        );
        self.connect_timeout = Some(timeout);
        self
    }

    /// Dials with no timeout: a dial to an address that never answers waits for the kernel's
    /// SYN retries (minutes on Linux).
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = gmp_http::client::Connector::new().no_connect_timeout();
    /// ```
    pub fn no_connect_timeout(mut self) -> Connector {
        self.connect_timeout = None;
        self
    }

    /// Sets `TCP_NODELAY` on new connections (default on: a request's last segment is not held
    /// back by Nagle's algorithm, as in Go).
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = gmp_http::client::Connector::new().nodelay(false);
    /// ```
    pub fn nodelay(mut self, nodelay: bool) -> Connector {
        self.nodelay = nodelay;
        self
    }

    /// Whether URIs other than `http` are refused (default `true`). Turn it off only under a TLS
    /// layer that wraps this connector's [`TcpConn`] for `https`.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = gmp_http::client::Connector::new().enforce_http(false);
    /// ```
    pub fn enforce_http(mut self, enforce: bool) -> Connector {
        self.enforce_http = enforce;
        self
    }

    /// Dials `uri`'s host and port.
    async fn dial(self, uri: Uri) -> io::Result<TcpConn> {
        let (host, port) = self.host_port(&uri)?;
        let dial = async {
            let stream = TcpStream::connect((host, port)).await?;
            if self.nodelay {
                stream.set_nodelay(true)?;
            }
            TcpConn::new(stream)
        };
        match self.connect_timeout {
            None => dial.await,
            Some(d) => match gmp_executor::time::timeout(d, dial).await {
                Ok(r) => r,
                Err(_) => Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("connect to {host}:{port} timed out after {d:?}"),
                )),
            },
        }
    }

    /// The host (IPv6 literals without their brackets) and port to dial for `uri`.
    fn host_port<'u>(&self, uri: &'u Uri) -> io::Result<(&'u str, u16)> {
        let invalid = |msg: String| io::Error::new(io::ErrorKind::InvalidInput, msg);
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") if !self.enforce_http => true,
            Some(other) => {
                return Err(invalid(format!(
                    "unsupported scheme {other:?} in {uri} (the connector speaks plain http)"
                )));
            }
            None => return Err(invalid(format!("no scheme in {uri}"))),
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| invalid(format!("no host in {uri}")))?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        Ok((host, port))
    }
}

impl tower_service::Service<Uri> for Connector {
    type Response = TcpConn;
    type Error = io::Error;
    type Future = Connecting;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Connecting {
        Connecting(Box::pin(self.clone().dial(uri)))
    }
}

/// The future of one dial by a [`Connector`].
///
/// # Examples
///
/// ```
/// use tower_service::Service;
/// # gmp_executor::Runtime::new().unwrap().block_on(async {
/// let listener = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let uri = format!("http://{}/", listener.local_addr().unwrap()).parse().unwrap();
/// let dial: gmp_http::client::Connecting = gmp_http::client::Connector::new().call(uri);
/// let conn = dial.await.unwrap();
/// assert_eq!(conn.info().remote_addr, listener.local_addr().unwrap());
/// # });
/// ```
#[must_use = "a dial does nothing unless polled"]
pub struct Connecting(Pin<Box<dyn Future<Output = io::Result<TcpConn>> + Send>>);

impl Future for Connecting {
    type Output = io::Result<TcpConn>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<TcpConn>> {
        self.0.as_mut().poll(cx)
    }
}

impl fmt::Debug for Connecting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Connecting(..)")
    }
}

/// The addresses of the connection that carried a response: in each response's extensions
/// (`res.extensions().get::<ConnectInfo>()`), as hyper-util's `HttpInfo` is.
///
/// # Examples
///
/// ```
/// # use http_body_util::{Empty, Full};
/// # use hyper::body::Bytes;
/// # gmp_executor::Runtime::new().unwrap().block_on(async {
/// # let listener = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// # let addr = listener.local_addr().unwrap();
/// # gmp_executor::spawn(async move {
/// #     let (conn, _) = listener.accept().await.unwrap();
/// #     let svc = hyper::service::service_fn(|_req| async {
/// #         Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::new())))
/// #     });
/// #     hyper::server::conn::http1::Builder::new().serve_connection(conn, svc).await.unwrap();
/// # }).detach();
/// let client = gmp_http::client::new::<Empty<Bytes>>();
/// let res = client.get(format!("http://{addr}/").parse().unwrap()).await.unwrap();
/// let info = res.extensions().get::<gmp_http::client::ConnectInfo>().unwrap();
/// assert_eq!(info.remote_addr, addr);
/// # });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectInfo {
    /// The server's address.
    pub remote_addr: SocketAddr,
    /// This end's address (tells one pooled connection from another).
    pub local_addr: SocketAddr,
}

/// A connection dialed by a [`Connector`]: a gmp [`TcpStream`] that hyper-util's client reads
/// and writes (hyper's `rt::Read`/`rt::Write`) and asks for its [`Connection`] metadata.
///
/// # Examples
///
/// See [`Connecting`].
#[derive(Debug)]
pub struct TcpConn {
    stream: TcpStream,
    info: ConnectInfo,
}

impl TcpConn {
    fn new(stream: TcpStream) -> io::Result<TcpConn> {
        let info = ConnectInfo {
            remote_addr: stream.peer_addr()?,
            local_addr: stream.local_addr()?,
        };
        Ok(TcpConn { stream, info })
    }

    /// The connection's addresses.
    ///
    /// # Examples
    ///
    /// See [`Connecting`].
    pub fn info(&self) -> ConnectInfo {
        self.info
    }

    /// The socket.
    ///
    /// # Examples
    ///
    /// ```
    /// # use tower_service::Service;
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// # let listener = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let uri = format!("http://{}/", listener.local_addr().unwrap()).parse().unwrap();
    /// let conn = gmp_http::client::Connector::new().call(uri).await.unwrap();
    /// assert!(conn.get_ref().nodelay().unwrap());
    /// let _stream: gmp_executor::net::TcpStream = conn.into_inner();
    /// # });
    /// ```
    pub fn get_ref(&self) -> &TcpStream {
        &self.stream
    }

    /// The socket, unwrapped.
    ///
    /// # Examples
    ///
    /// See [`get_ref`](Self::get_ref).
    pub fn into_inner(self) -> TcpStream {
        self.stream
    }
}

impl Connection for TcpConn {
    fn connected(&self) -> Connected {
        Connected::new().extra(self.info)
    }
}

impl Read for TcpConn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl Write for TcpConn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        Write::is_write_vectored(&self.stream)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
