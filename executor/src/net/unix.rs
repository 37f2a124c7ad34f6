//! Unix domain stream sockets: [`UnixListener`] and [`UnixStream`].

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use super::split::{OwnedReadHalf, OwnedWriteHalf, split};
use crate::io::{Direction, PollEvented};

/// A Unix domain socket listening for connections (Go's `net.UnixListener`).
///
/// The socket file is not removed when the listener is dropped (as with the standard library).
///
/// # Examples
///
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use gmp_executor::net::{UnixListener, UnixStream};
///
/// # gmp_executor::Runtime::new().unwrap().block_on(async {
/// let path = std::env::temp_dir().join(format!("gmp-doc-{}.sock", std::process::id()));
/// let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path).unwrap();
/// let p = path.clone();
/// let client = gmp_executor::spawn(async move {
///     let mut c = UnixStream::connect(&p).await.unwrap();
///     c.write_all(b"hello").await.unwrap();
/// });
/// let (mut conn, _) = listener.accept().await.unwrap();
/// let mut got = String::new();
/// conn.read_to_string(&mut got).await.unwrap();
/// assert_eq!(got, "hello");
/// client.await.unwrap();
/// std::fs::remove_file(&path).unwrap();
/// # });
/// ```
pub struct UnixListener {
    io: PollEvented<mio::net::UnixListener>,
}

impl UnixListener {
    /// Creates a socket bound to `path` and listens on it, with the system's maximum queue of
    /// pending connections (as [`TcpListener::bind`](super::TcpListener::bind)).
    ///
    /// # Errors
    ///
    /// The OS's error (`AddrInUse` if the file exists, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let path = std::env::temp_dir().join(format!("gmp-doc-bind-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let l = gmp_executor::net::UnixListener::bind(&path).unwrap();
    /// assert_eq!(l.local_addr().unwrap().as_pathname(), Some(path.as_path()));
    /// std::fs::remove_file(&path).unwrap();
    /// # });
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let listener = mio::net::UnixListener::bind(path)?;
        super::set_listen_backlog(&listener)?;
        UnixListener::from_mio(listener)
    }

    fn from_mio(l: mio::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
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
    /// let path = std::env::temp_dir().join(format!("gmp-doc-std-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let std = std::os::unix::net::UnixListener::bind(&path).unwrap();
    /// let l = gmp_executor::net::UnixListener::from_std(std).unwrap();
    /// assert_eq!(l.local_addr().unwrap().as_pathname(), Some(path.as_path()));
    /// std::fs::remove_file(&path).unwrap();
    /// # });
    /// ```
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        UnixListener::from_mio(mio::net::UnixListener::from_std(listener))
    }

    /// Waits for and accepts a connection.
    ///
    /// # Errors
    ///
    /// The OS's accept error; the listener stays usable.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let path = std::env::temp_dir().join(format!("gmp-doc-accept1-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let l = gmp_executor::net::UnixListener::bind(&path).unwrap();
    /// let c = gmp_executor::net::UnixStream::connect(&path).await.unwrap();
    /// let (s, _peer) = l.accept().await.unwrap();
    /// assert_eq!(c.peer_addr().unwrap().as_pathname(), s.local_addr().unwrap().as_pathname());
    /// std::fs::remove_file(&path).unwrap();
    /// # });
    /// ```
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        std::future::poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for an incoming connection.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let path = std::env::temp_dir().join(format!("gmp-doc-poll-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let l = gmp_executor::net::UnixListener::bind(&path).unwrap();
    /// let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// assert!(l.poll_accept(&mut cx).is_pending());
    /// std::fs::remove_file(&path).unwrap();
    /// # });
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let Poll::Ready(accepted) = self.io.poll_io(cx, Direction::Read, |l| l.accept()) else {
            crate::runtime::waiting_on(cx, crate::runtime::WaitReason::IoAccept);
            return Poll::Pending;
        };
        let (stream, peer) = accepted?;
        Poll::Ready(UnixStream::from_mio(stream).map(|s| (s, peer)))
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
    /// let path = std::env::temp_dir().join(format!("gmp-doc-accept2-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let l = gmp_executor::net::UnixListener::bind(&path).unwrap();
    /// let c = gmp_executor::net::UnixStream::connect(&path).await.unwrap();
    /// let (s, _peer) = l.accept().await.unwrap();
    /// assert_eq!(c.peer_addr().unwrap().as_pathname(), s.local_addr().unwrap().as_pathname());
    /// std::fs::remove_file(&path).unwrap();
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UnixListener").field(self.io.get()).finish()
    }
}

/// A Unix domain stream connection: `futures::io::AsyncRead` + `AsyncWrite` (also on
/// `&UnixStream`), splits into owned halves.
///
/// # Examples
///
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// # gmp_executor::Runtime::new().unwrap().block_on(async {
/// let (mut a, mut b) = gmp_executor::net::UnixStream::pair().unwrap();
/// a.write_all(b"ping").await.unwrap();
/// let mut buf = [0; 4];
/// b.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"ping");
/// # });
/// ```
pub struct UnixStream {
    pub(crate) io: PollEvented<mio::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`.
    ///
    /// # Errors
    ///
    /// The OS's error: `NotFound` without a socket file, `ConnectionRefused` when nothing
    /// listens on it.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let path = std::env::temp_dir().join(format!("gmp-doc-accept3-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let l = gmp_executor::net::UnixListener::bind(&path).unwrap();
    /// let c = gmp_executor::net::UnixStream::connect(&path).await.unwrap();
    /// let (s, _peer) = l.accept().await.unwrap();
    /// assert_eq!(c.peer_addr().unwrap().as_pathname(), s.local_addr().unwrap().as_pathname());
    /// std::fs::remove_file(&path).unwrap();
    /// # });
    /// ```
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let stream = UnixStream::from_mio(mio::net::UnixStream::connect(path)?)?;
        super::stream::wait_connected(&stream.io, |s| s.take_error(), |s| s.peer_addr()).await?;
        Ok(stream)
    }

    /// A connected pair of sockets (`socketpair(2)`).
    ///
    /// # Errors
    ///
    /// The OS's error.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::io::{AsyncReadExt, AsyncWriteExt};
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let (mut a, mut b) = gmp_executor::net::UnixStream::pair().unwrap();
    /// b.write_all(b"pong").await.unwrap();
    /// let mut buf = [0; 4];
    /// a.read_exact(&mut buf).await.unwrap();
    /// assert_eq!(&buf, b"pong");
    /// # });
    /// ```
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::from_mio(a)?, UnixStream::from_mio(b)?))
    }

    fn from_mio(s: mio::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
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
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let a = gmp_executor::net::UnixStream::from_std(a).unwrap();
    /// assert!(a.peer_addr().is_ok());
    /// # });
    /// ```
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::from_mio(mio::net::UnixStream::from_std(stream))
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
    /// let (a, _b) = gmp_executor::net::UnixStream::pair().unwrap();
    /// assert!(a.local_addr().unwrap().is_unnamed());
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// The OS's error.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = gmp_executor::net::UnixStream::pair().unwrap();
    /// assert!(a.peer_addr().unwrap().is_unnamed());
    /// # });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().peer_addr()
    }

    /// Shuts down reading, writing or both.
    ///
    /// # Errors
    ///
    /// The OS's error.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::io::AsyncReadExt;
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let (a, mut b) = gmp_executor::net::UnixStream::pair().unwrap();
    /// a.shutdown(std::net::Shutdown::Write).unwrap();
    /// assert_eq!(b.read(&mut [0; 4]).await.unwrap(), 0);
    /// # });
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get().shutdown(how)
    }

    /// Splits the stream into owned read and write halves (see
    /// [`TcpStream::into_split`](super::TcpStream::into_split)).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::io::{AsyncReadExt, AsyncWriteExt};
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let (a, mut b) = gmp_executor::net::UnixStream::pair().unwrap();
    /// let (mut rd, mut wr) = a.into_split();
    /// let t = gmp_executor::spawn(async move { wr.write_all(b"from a task").await.unwrap() });
    /// let mut buf = [0; 11];
    /// b.read_exact(&mut buf).await.unwrap();
    /// b.write_all(b"ok").await.unwrap();
    /// rd.read_exact(&mut buf[..2]).await.unwrap();
    /// t.await.unwrap();
    /// # });
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf<UnixStream>, OwnedWriteHalf<UnixStream>) {
        split(self)
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UnixStream").field(self.io.get()).finish()
    }
}

super::stream::stream_impls!(UnixStream);
