//! Owned read and write halves of a stream socket, usable from two tasks at once.
//!
//! Both halves share the socket through an `Arc`; reads and writes wait on separate readiness
//! directions of the same registration, so a task blocked reading never delays the one writing.

use std::fmt;
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::io::{AsyncRead, AsyncWrite};

use super::SplitStream;

/// The reading half of a stream socket, from `into_split` on
/// [`TcpStream`](super::TcpStream::into_split) or [`UnixStream`](super::UnixStream::into_split).
///
/// # Examples
///
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// # gmp_executor::Runtime::new().unwrap().block_on(async {
/// let (a, b) = gmp_executor::net::UnixStream::pair().unwrap();
/// let (mut read, _write) = a.into_split();
/// let mut b = b;
/// b.write_all(b"hi").await.unwrap();
/// let mut buf = [0; 2];
/// read.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"hi");
/// # });
/// ```
pub struct OwnedReadHalf<S> {
    inner: Arc<S>,
}

/// The writing half of a stream socket, from `into_split`.
///
/// Dropping it (or closing it with `AsyncWriteExt::close`) shuts down the writing direction of
/// the socket, so the peer reads end-of-file, unless [`forget`](OwnedWriteHalf::forget) is
/// called first.
///
/// # Examples
///
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// # gmp_executor::Runtime::new().unwrap().block_on(async {
/// let (a, mut b) = gmp_executor::net::UnixStream::pair().unwrap();
/// let (_read, mut write) = a.into_split();
/// write.write_all(b"bye").await.unwrap();
/// drop(write); // shuts down writing: b reads the bytes, then EOF
/// let mut got = Vec::new();
/// b.read_to_end(&mut got).await.unwrap();
/// assert_eq!(got, b"bye");
/// # });
/// ```
pub struct OwnedWriteHalf<S: SplitStream> {
    inner: Arc<S>,
    shutdown_on_drop: bool,
}

/// Error from [`OwnedReadHalf::reunite`]: the halves came from different sockets. Gives both
/// back.
///
/// # Examples
///
/// ```
/// # gmp_executor::Runtime::new().unwrap().block_on(async {
/// let (a, b) = gmp_executor::net::UnixStream::pair().unwrap();
/// let (ra, wa) = a.into_split();
/// let (rb, wb) = b.into_split();
/// let err = ra.reunite(wb).unwrap_err();
/// let (ra, _wb) = (err.0, err.1);
/// assert!(ra.reunite(wa).is_ok());
/// # drop(rb);
/// # });
/// ```
pub struct ReuniteError<S: SplitStream>(pub OwnedReadHalf<S>, pub OwnedWriteHalf<S>);

pub(crate) fn split<S: SplitStream>(stream: S) -> (OwnedReadHalf<S>, OwnedWriteHalf<S>) {
    let inner = Arc::new(stream);
    (
        OwnedReadHalf {
            inner: inner.clone(),
        },
        OwnedWriteHalf {
            inner,
            shutdown_on_drop: true,
        },
    )
}

impl<S: SplitStream> OwnedReadHalf<S> {
    /// Puts the halves back together into the socket.
    ///
    /// # Errors
    ///
    /// [`ReuniteError`] (with both halves) if they are not halves of the same socket.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = gmp_executor::net::UnixStream::pair().unwrap();
    /// let (r, w) = a.into_split();
    /// let a: gmp_executor::net::UnixStream = r.reunite(w).unwrap();
    /// # drop(a);
    /// # });
    /// ```
    pub fn reunite(self, mut other: OwnedWriteHalf<S>) -> Result<S, ReuniteError<S>> {
        if !Arc::ptr_eq(&self.inner, &other.inner) {
            return Err(ReuniteError(self, other));
        }
        other.shutdown_on_drop = false;
        let inner = other.inner.clone();
        drop(other);
        drop(self);
        Ok(Arc::try_unwrap(inner).unwrap_or_else(|_| unreachable!("both halves were given back")))
    }
}

/// The socket both halves share (to read its addresses or options):
/// `read.as_ref().peer_addr()`.
impl<S: SplitStream> AsRef<S> for OwnedReadHalf<S> {
    fn as_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: SplitStream> OwnedWriteHalf<S> {
    /// Drops the half without shutting down the writing direction.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = gmp_executor::net::UnixStream::pair().unwrap();
    /// let (_r, w) = a.into_split();
    /// w.forget();
    /// # });
    /// ```
    pub fn forget(mut self) {
        self.shutdown_on_drop = false;
    }
}

/// The socket both halves share.
impl<S: SplitStream> AsRef<S> for OwnedWriteHalf<S> {
    fn as_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: SplitStream> Drop for OwnedWriteHalf<S> {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            let _ = self.inner.shutdown_priv(Shutdown::Write);
        }
    }
}

impl<S: SplitStream> AsyncRead for OwnedReadHalf<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_read_priv(cx, buf)
    }
}

impl<S: SplitStream> AsyncWrite for OwnedWriteHalf<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_write_priv(cx, buf)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_write_vectored_priv(cx, bufs)
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.inner.shutdown_priv(Shutdown::Write))
    }
}

impl<S: SplitStream + fmt::Debug> fmt::Debug for OwnedReadHalf<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OwnedReadHalf").field(&self.inner).finish()
    }
}

impl<S: SplitStream + fmt::Debug> fmt::Debug for OwnedWriteHalf<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OwnedWriteHalf").field(&self.inner).finish()
    }
}

impl<S: SplitStream> fmt::Debug for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReuniteError(..)")
    }
}

impl<S: SplitStream> fmt::Display for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same socket")
    }
}

impl<S: SplitStream> std::error::Error for ReuniteError<S> {}
