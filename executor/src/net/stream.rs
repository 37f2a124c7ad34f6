//! What the stream sockets ([`TcpStream`](super::TcpStream), [`UnixStream`](super::UnixStream))
//! share: the wait for a non-blocking connect, the read/write poll functions, the sealed
//! [`SplitStream`] trait behind the owned halves, and the macro stamping the `futures::io`
//! trait impls.

use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::task::{Context, Poll};

use crate::io::{Direction, PollEvented};

/// Waits for the non-blocking connect of `io`'s socket to complete. It completes when the
/// socket becomes writable; then `SO_ERROR` (`take_error`) says whether it succeeded, and a
/// spurious wake-up shows as `NotConnected` from `peer_addr` (the socket waits again).
pub(crate) async fn wait_connected<S: mio::event::Source, A>(
    io: &PollEvented<S>,
    take_error: impl Fn(&S) -> io::Result<Option<io::Error>>,
    peer_addr: impl Fn(&S) -> io::Result<A>,
) -> io::Result<()> {
    std::future::poll_fn(|cx| {
        loop {
            let ev = std::task::ready!(io.poll_ready(cx, Direction::Write))?;
            if let Some(e) = take_error(io.get())? {
                return Poll::Ready(Err(e));
            }
            match peer_addr(io.get()) {
                Ok(_) => return Poll::Ready(Ok(())),
                Err(e) if e.kind() == io::ErrorKind::NotConnected && !ev.is_error() => {
                    io.clear_readiness(ev)
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    })
    .await
}

/// A stream socket that splits into [`OwnedReadHalf`](super::OwnedReadHalf) and
/// [`OwnedWriteHalf`](super::OwnedWriteHalf): [`TcpStream`](super::TcpStream) and
/// [`UnixStream`](super::UnixStream). Sealed.
///
/// # Examples
///
/// ```
/// fn halves<S: gmp_executor::net::SplitStream>(
///     read: gmp_executor::net::OwnedReadHalf<S>,
///     write: gmp_executor::net::OwnedWriteHalf<S>,
/// ) -> S {
///     read.reunite(write).unwrap()
/// }
/// ```
pub trait SplitStream: sealed::Stream {}

#[allow(unreachable_pub)]
pub(crate) mod sealed {
    use super::*;

    /// The operations the owned halves delegate to.
    pub trait Stream: Send + Sync + Sized + 'static {
        fn poll_read_priv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
        fn poll_write_priv(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
        fn poll_write_vectored_priv(
            &self,
            cx: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>>;
        fn shutdown_priv(&self, how: Shutdown) -> io::Result<()>;
        /// Reads into `len` possibly uninitialized bytes at `ptr` (hyper's `ReadBufCursor`, tokio's
        /// `ReadBuf`).
        ///
        /// # Safety
        ///
        /// `ptr` must be valid for writes of `len` bytes for the duration of the call.
        #[cfg(any(feature = "hyper", feature = "tokio-io"))]
        unsafe fn poll_read_uninit_priv(
            &self,
            cx: &mut Context<'_>,
            ptr: *mut u8,
            len: usize,
        ) -> Poll<io::Result<usize>>;
    }
}

pub(crate) fn poll_read<S>(
    io: &PollEvented<S>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>>
where
    S: mio::event::Source,
    for<'a> &'a S: Read,
{
    let len = buf.len();
    io.poll_transfer(cx, Direction::Read, len, |mut s| s.read(buf))
}

pub(crate) fn poll_write<S>(
    io: &PollEvented<S>,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>>
where
    S: mio::event::Source,
    for<'a> &'a S: Write,
{
    io.poll_transfer(cx, Direction::Write, buf.len(), |mut s| s.write(buf))
}

pub(crate) fn poll_write_vectored<S>(
    io: &PollEvented<S>,
    cx: &mut Context<'_>,
    bufs: &[IoSlice<'_>],
) -> Poll<io::Result<usize>>
where
    S: mio::event::Source,
    for<'a> &'a S: Write,
{
    let len = bufs.iter().map(|b| b.len()).sum();
    io.poll_transfer(cx, Direction::Write, len, |mut s| s.write_vectored(bufs))
}

/// `read(2)` into possibly uninitialized memory, through a raw pointer (no `&mut [u8]` is ever
/// made over bytes that may be uninitialized).
///
/// # Safety
///
/// `ptr` must be valid for writes of `len` bytes for the duration of the call.
#[cfg(any(feature = "hyper", feature = "tokio-io"))]
pub(crate) unsafe fn poll_read_uninit<S>(
    io: &PollEvented<S>,
    cx: &mut Context<'_>,
    ptr: *mut u8,
    len: usize,
) -> Poll<io::Result<usize>>
where
    S: mio::event::Source + std::os::fd::AsRawFd,
{
    io.poll_transfer(cx, Direction::Read, len, |s| {
        // SAFETY: the caller guarantees `ptr` is valid for `len` bytes of writes; read(2) writes
        // at most `len` bytes there and reads nothing from it.
        let n = unsafe { libc::read(s.as_raw_fd(), ptr.cast(), len) };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    })
}
/// `futures-io` `AsyncRead` + `AsyncWrite` for `$t`, a stream type or a shared reference to one
/// (reads and writes need only `&self`, as with `std::net::TcpStream`).
macro_rules! futures_io_impls {
    ($t:ty) => {
        impl futures_util::io::AsyncRead for $t {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::stream::poll_read(&self.io, cx, buf)
            }
        }

        impl futures_util::io::AsyncWrite for $t {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::stream::poll_write(&self.io, cx, buf)
            }
            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::stream::poll_write_vectored(&self.io, cx, bufs)
            }
            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }
            /// Shuts down the writing half (the peer reads EOF); the socket stays open for
            /// reading.
            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.io.get().shutdown(std::net::Shutdown::Write))
            }
        }
    };
}
pub(crate) use futures_io_impls;

/// Implements the sealed `Stream` trait, `SplitStream`, and `futures::io::{AsyncRead,
/// AsyncWrite}` for `$ty` and `&$ty`, delegating to its `io: PollEvented<_>` field.
macro_rules! stream_impls {
    ($ty:ident) => {
        impl $crate::net::stream::sealed::Stream for $ty {
            fn poll_read_priv(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::stream::poll_read(&self.io, cx, buf)
            }
            fn poll_write_priv(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::stream::poll_write(&self.io, cx, buf)
            }
            fn poll_write_vectored_priv(
                &self,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::stream::poll_write_vectored(&self.io, cx, bufs)
            }
            fn shutdown_priv(&self, how: std::net::Shutdown) -> std::io::Result<()> {
                self.io.get().shutdown(how)
            }
            #[cfg(any(feature = "hyper", feature = "tokio-io"))]
            unsafe fn poll_read_uninit_priv(
                &self,
                cx: &mut std::task::Context<'_>,
                ptr: *mut u8,
                len: usize,
            ) -> std::task::Poll<std::io::Result<usize>> {
                // SAFETY: forwarded contract: `ptr` is valid for `len` bytes of writes.
                unsafe { $crate::net::stream::poll_read_uninit(&self.io, cx, ptr, len) }
            }
        }

        impl $crate::net::SplitStream for $ty {}

        $crate::net::stream::futures_io_impls!($ty);
        $crate::net::stream::futures_io_impls!(&$ty);
    };
}

pub(crate) use stream_impls;
