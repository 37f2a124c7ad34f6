//! [`FuturesIo`]: futures-io's `AsyncRead`/`AsyncWrite` over hyper's `rt::Read`/`rt::Write`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Wraps a hyper I/O object (`hyper::rt::Read + hyper::rt::Write`), such as the
/// [`hyper::upgrade::Upgraded`] connection of a websocket, so that crates written against
/// futures-io (async-tungstenite, asynchronous-codec, futures' `AsyncReadExt`) can use it.
///
/// gmp's own sockets implement both trait families already; this is for what hyper hands back.
///
/// # Examples
///
/// ```
/// use futures_util::{AsyncReadExt, AsyncWriteExt};
/// use gmp_executor::net::UnixStream;
/// use gmp_http::FuturesIo;
///
/// # gmp_executor::Runtime::new().unwrap().block_on(async {
/// let (a, b) = UnixStream::pair().unwrap();
/// // `a` stands for any `hyper::rt::Read + Write`, e.g. `hyper::upgrade::Upgraded`.
/// let mut a = FuturesIo::new(a);
/// let mut b = FuturesIo::new(b);
/// a.write_all(b"ping").await.unwrap();
/// let mut buf = [0; 4];
/// b.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"ping");
/// # });
/// ```
#[derive(Debug)]
pub struct FuturesIo<T> {
    inner: T,
}

impl<T> FuturesIo<T> {
    /// Wraps `inner`.
    ///
    /// # Examples
    ///
    /// See [`FuturesIo`].
    pub fn new(inner: T) -> FuturesIo<T> {
        FuturesIo { inner }
    }

    /// The wrapped object.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// assert!(gmp_http::FuturesIo::new(a).into_inner().peer_addr().is_ok());
    /// ```
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: hyper::rt::Read + Unpin> futures_io::AsyncRead for FuturesIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut rb = hyper::rt::ReadBuf::new(buf);
        ready!(Pin::new(&mut self.inner).poll_read(cx, rb.unfilled()))?;
        Poll::Ready(Ok(rb.filled().len()))
    }
}

impl<T: hyper::rt::Write + Unpin> futures_io::AsyncWrite for FuturesIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
