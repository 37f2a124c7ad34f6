//! tokio's `io::AsyncRead` and `io::AsyncWrite` for gmp's stream sockets (feature `tokio-io`).
//!
//! Design: the impls delegate to the same sealed `Stream` poll functions as the `futures::io`
//! and hyper impls (`super::stream`), so readiness, the coop budget and the split halves behave
//! identically whichever trait a caller uses. tokio is a dependency with no features: its I/O
//! traits and `ReadBuf` need no runtime; gmp's reactor drives the socket.
//!
//! Reads go into the unfilled, possibly uninitialized part of tokio's `ReadBuf` with `read(2)`
//! through a raw pointer (as the hyper impl does), so a codec's fresh `BytesMut` capacity is not
//! zeroed first. Writes are vectored (`writev(2)`); `poll_flush` has nothing to flush;
//! `poll_shutdown` shuts down the writing direction (the peer reads end-of-file) and leaves the
//! socket open for reading, like tokio's own `TcpStream`.
//!
//! Rejected: a wrapper type (`Compat<TcpStream>`, as tokio-util does for futures-io). It is one
//! more name for users to learn and stops methods like `peer_addr` from being reached directly;
//! since gmp owns both the types and the feature, the traits are implemented on the types.
//! Rejected too: filling tokio's buffer through `ReadBuf::initialize_unfilled` (safe, but it
//! zeroes every fresh buffer before each read).

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::stream::sealed::Stream;
use super::{OwnedReadHalf, OwnedWriteHalf, SplitStream, TcpStream, UnixStream};

/// Reads with `read(2)` into the unfilled part of `buf`.
fn poll_read_buf<S: Stream>(
    stream: &S,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    // SAFETY: the slice is only written to, by read(2) through a raw pointer; no initialized
    // byte is de-initialized.
    let unfilled = unsafe { buf.unfilled_mut() };
    let (ptr, len) = (unfilled.as_mut_ptr().cast::<u8>(), unfilled.len());
    // SAFETY: `ptr` points into `buf`'s unfilled part, valid for `len` bytes of writes while
    // `buf` is borrowed.
    let n = ready!(unsafe { stream.poll_read_uninit_priv(cx, ptr, len) })?;
    // SAFETY: read(2) initialized the first `n` (<= `len`) bytes of the unfilled part.
    unsafe { buf.assume_init(n) };
    buf.advance(n);
    Poll::Ready(Ok(()))
}

/// `AsyncWrite` for a type whose stream is `$stream(self)`.
macro_rules! tokio_write_impl {
    (impl$(<$g:ident: $b:path>)? for $ty:ty, |$s:ident| $stream:expr) => {
        impl$(<$g: $b>)? AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                let $s = &*self;
                $stream.poll_write_priv(cx, buf)
            }
            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                let $s = &*self;
                $stream.poll_write_vectored_priv(cx, bufs)
            }
            fn is_write_vectored(&self) -> bool {
                true
            }
            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
            fn poll_shutdown(
                self: Pin<&mut Self>,
                _cx: &mut Context<'_>,
            ) -> Poll<io::Result<()>> {
                let $s = &*self;
                Poll::Ready($stream.shutdown_priv(std::net::Shutdown::Write))
            }
        }
    };
}

/// `AsyncRead` for a type whose stream is `$stream(self)`.
macro_rules! tokio_read_impl {
    (impl$(<$g:ident: $b:path>)? for $ty:ty, |$s:ident| $stream:expr) => {
        impl$(<$g: $b>)? AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                let $s = &*self;
                poll_read_buf($stream, cx, buf)
            }
        }
    };
}

tokio_read_impl!(impl for TcpStream, |s| s);
tokio_write_impl!(impl for TcpStream, |s| s);
tokio_read_impl!(impl for UnixStream, |s| s);
tokio_write_impl!(impl for UnixStream, |s| s);
tokio_read_impl!(impl<S: SplitStream> for OwnedReadHalf<S>, |s| AsRef::<S>::as_ref(s));
tokio_write_impl!(impl<S: SplitStream> for OwnedWriteHalf<S>, |s| AsRef::<S>::as_ref(s));
