//! TCP: [`TcpListener`] and [`TcpStream`].

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::task::{Context, Poll};

use super::split::{OwnedReadHalf, OwnedWriteHalf, split};
use super::{ToSocketAddrs, addr};
use crate::io::{Direction, PollEvented};

/// A TCP socket listening for connections (Go's `net.TCPListener`).
///
/// # Examples
///
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use gmp_executor::net::{TcpListener, TcpStream};
///
/// # gmp_executor::Runtime::new().unwrap().block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let addr = listener.local_addr().unwrap();
/// let server = gmp_executor::spawn(async move {
///     let (mut conn, _peer) = listener.accept().await.unwrap();
///     conn.write_all(b"hello").await.unwrap();
/// });
/// let mut conn = TcpStream::connect(addr).await.unwrap();
/// let mut got = String::new();
/// conn.read_to_string(&mut got).await.unwrap();
/// assert_eq!(got, "hello");
/// server.await.unwrap();
/// # });
/// ```
pub struct TcpListener {
    io: PollEvented<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` and listens (`SO_REUSEADDR` set, and the system's maximum queue of
    /// pending connections, `/proc/sys/net/core/somaxconn`, as Go does). With several
    /// addresses, the first that binds is used.
    ///
    /// # Errors
    ///
    /// The OS's error: `AddrInUse` for a port already listened on, `AddrNotAvailable`,
    /// `PermissionDenied`, ...
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let l = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let taken = l.local_addr().unwrap();
    /// let err = gmp_executor::net::TcpListener::bind(taken).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    /// # });
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        addr::each_addr(addr, |a| async move {
            let listener = mio::net::TcpListener::bind(a)?;
            super::set_listen_backlog(&listener)?;
            TcpListener::from_mio(listener)
        })
        .await
    }

    fn from_mio(l: mio::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            io: PollEvented::with_interest(l, mio::Interest::READABLE)?,
        })
    }

    /// Wraps a listener from the standard library (switched to non-blocking mode).
    ///
    /// # Errors
    ///
    /// Fails if the socket cannot be made non-blocking or registered with the reactor.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let std = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let l = gmp_executor::net::TcpListener::from_std(std).unwrap();
    /// assert!(l.local_addr().unwrap().port() > 0);
    /// # });
    /// ```
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        TcpListener::from_mio(mio::net::TcpListener::from_std(listener))
    }

    /// Waits for and accepts a connection; returns it with the peer's address. The new stream
    /// has `TCP_NODELAY` set, as in Go.
    ///
    /// # Errors
    ///
    /// The OS's accept error (`EMFILE` when out of descriptors, ...): the listener stays usable.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let l = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let c = gmp_executor::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// let (s, peer) = l.accept().await.unwrap();
    /// assert_eq!(peer, c.local_addr().unwrap());
    /// assert_eq!(s.local_addr().unwrap(), c.peer_addr().unwrap());
    /// # });
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        std::future::poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for an incoming connection (the poll form of [`accept`](Self::accept)).
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let l = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// assert!(l.poll_accept(&mut cx).is_pending());
    /// # });
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let Poll::Ready(accepted) = self.io.poll_io(cx, Direction::Read, |l| l.accept()) else {
            crate::runtime::waiting_on(cx, crate::runtime::WaitReason::IoAccept);
            return Poll::Pending;
        };
        let (stream, peer) = accepted?;
        let _ = stream.set_nodelay(true);
        Poll::Ready(TcpStream::from_mio(stream).map(|s| (s, peer)))
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// The OS's error.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let l = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// assert!(l.local_addr().unwrap().ip().is_loopback());
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpListener").field(self.io.get()).finish()
    }
}

/// A TCP connection (Go's `net.TCPConn`): implements `futures::io::AsyncRead` and
/// `AsyncWrite` (also on `&TcpStream`, so two tasks can read and write one stream), and splits
/// into owned halves.
///
/// `TCP_NODELAY` is set on every stream gmp creates (Go's default): small writes go out at once.
///
/// # Examples
///
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// # gmp_executor::Runtime::new().unwrap().block_on(async {
/// let l = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let mut c = gmp_executor::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
/// let (mut s, _) = l.accept().await.unwrap();
/// c.write_all(b"ping").await.unwrap();
/// let mut buf = [0; 4];
/// s.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"ping");
/// # });
/// ```
pub struct TcpStream {
    pub(crate) io: PollEvented<mio::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr` (Go's `net.Dial("tcp", addr)`), trying each address it resolves to.
    ///
    /// # Errors
    ///
    /// The OS's error for the last address tried: `ConnectionRefused` when nothing listens,
    /// `TimedOut`, `HostUnreachable`, ...
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// // Bind then drop a listener: nothing listens on that port any more.
    /// let addr = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap()
    ///     .local_addr().unwrap();
    /// let err = gmp_executor::net::TcpStream::connect(addr).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    /// # });
    /// ```
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        addr::each_addr(addr, TcpStream::connect_addr).await
    }

    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::from_mio(mio::net::TcpStream::connect(addr)?)?;
        super::stream::wait_connected(&stream.io, |s| s.take_error(), |s| s.peer_addr()).await?;
        let _ = stream.set_nodelay(true);
        Ok(stream)
    }

    fn from_mio(s: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: PollEvented::new(s)?,
        })
    }

    /// Wraps a connected stream from the standard library (switched to non-blocking mode).
    ///
    /// # Errors
    ///
    /// Fails if the socket cannot be made non-blocking or registered with the reactor.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let std = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    /// let s = gmp_executor::net::TcpStream::from_std(std).unwrap();
    /// assert_eq!(s.peer_addr().unwrap(), l.local_addr().unwrap());
    /// # });
    /// ```
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_mio(mio::net::TcpStream::from_std(stream))
    }

    /// The remote address.
    ///
    /// # Errors
    ///
    /// The OS's error (`NotConnected` once the peer is gone on some systems).
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let l = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let c = gmp_executor::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// assert_eq!(c.peer_addr().unwrap(), l.local_addr().unwrap());
    /// # });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().peer_addr()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The OS's error.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let l = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let s = gmp_executor::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// assert!(s.local_addr().unwrap().ip().is_loopback());
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }

    /// Sets `TCP_NODELAY` (on by default for streams gmp creates).
    ///
    /// # Errors
    ///
    /// The OS's error.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let l = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let s = gmp_executor::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// assert!(s.nodelay().unwrap());
    /// s.set_nodelay(false).unwrap();
    /// assert!(!s.nodelay().unwrap());
    /// # });
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    ///
    /// The OS's error.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let l = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let c = gmp_executor::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// assert!(c.nodelay().unwrap(), "on by default, as in Go");
    /// # });
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get().nodelay()
    }

    /// Shuts down reading, writing or both (Go's `CloseRead`/`CloseWrite`). Shutting down
    /// writing makes the peer read end-of-file.
    ///
    /// # Errors
    ///
    /// The OS's error (`NotConnected` if the peer already reset the connection).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::io::AsyncReadExt;
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let l = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let c = gmp_executor::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// let (mut s, _) = l.accept().await.unwrap();
    /// c.shutdown(std::net::Shutdown::Write).unwrap();
    /// assert_eq!(s.read(&mut [0; 8]).await.unwrap(), 0);
    /// # });
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get().shutdown(how)
    }

    /// The pending socket error (`SO_ERROR`), clearing it.
    ///
    /// # Errors
    ///
    /// The OS's error reading the option.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let l = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let s = gmp_executor::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// assert!(s.take_error().unwrap().is_none());
    /// # });
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get().take_error()
    }

    /// Waits until the stream may be readable (data, end-of-file or an error to report).
    ///
    /// # Errors
    ///
    /// An error only if the runtime that owns the stream has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::io::AsyncWriteExt;
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let l = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut c = gmp_executor::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// let (s, _) = l.accept().await.unwrap();
    /// c.write_all(b"x").await.unwrap();
    /// s.readable().await.unwrap();
    /// let mut buf = [0; 4];
    /// assert_eq!(s.try_read(&mut buf).unwrap(), 1);
    /// # });
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        std::future::poll_fn(|cx| self.io.poll_ready(cx, Direction::Read).map_ok(|_| ())).await
    }

    /// Waits until the stream may be writable.
    ///
    /// # Errors
    ///
    /// An error only if the runtime that owns the stream has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let l = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let c = gmp_executor::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// c.writable().await.unwrap();
    /// assert_eq!(c.try_write(b"abc").unwrap(), 3);
    /// # });
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        std::future::poll_fn(|cx| self.io.poll_ready(cx, Direction::Write).map_ok(|_| ())).await
    }

    /// Reads without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` if no data is available yet (the readiness is then cleared, so
    /// [`readable`](Self::readable) waits for new data), or the OS's error.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let l = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let c = gmp_executor::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// let err = c.try_read(&mut [0; 8]).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    /// # });
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_io(Direction::Read, |mut s| io::Read::read(&mut s, buf))
    }

    /// Writes without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` if the send buffer is full, or the OS's error.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let l = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let c = gmp_executor::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// let (s, _) = l.accept().await.unwrap();
    /// c.writable().await.unwrap();
    /// assert_eq!(c.try_write(b"hi").unwrap(), 2);
    /// s.readable().await.unwrap();
    /// assert_eq!(s.try_read(&mut [0; 8]).unwrap(), 2);
    /// # });
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.try_io(Direction::Write, |mut s| io::Write::write(&mut s, buf))
    }

    fn try_io<R>(
        &self,
        dir: Direction,
        op: impl FnOnce(&mio::net::TcpStream) -> io::Result<R>,
    ) -> io::Result<R> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let ev = match self.io.poll_ready(&mut cx, dir) {
            Poll::Ready(ev) => ev?,
            Poll::Pending => return Err(io::ErrorKind::WouldBlock.into()),
        };
        let r = op(self.io.get());
        if matches!(&r, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.io.clear_readiness(ev);
        }
        r
    }

    /// Splits the stream into a read half and a write half that can move to different tasks.
    /// Dropping the write half shuts down writing; [`OwnedReadHalf::reunite`] puts them back.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::io::{AsyncReadExt, AsyncWriteExt};
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let l = gmp_executor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let c = gmp_executor::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// let (mut s, _) = l.accept().await.unwrap();
    /// let (mut rd, mut wr) = c.into_split();
    /// let writer = gmp_executor::spawn(async move { wr.write_all(b"ping").await.unwrap() });
    /// let mut buf = [0; 4];
    /// s.read_exact(&mut buf).await.unwrap();
    /// s.write_all(b"pong").await.unwrap();
    /// rd.read_exact(&mut buf).await.unwrap();
    /// assert_eq!(&buf, b"pong");
    /// writer.await.unwrap();
    /// # });
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf<TcpStream>, OwnedWriteHalf<TcpStream>) {
        split(self)
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpStream").field(self.io.get()).finish()
    }
}

super::stream::stream_impls!(TcpStream);
