//! hyper 1.x on gmp (feature `hyper`): the runtime traits hyper asks of an executor.
//!
//! - [`GmpExecutor`] implements `hyper::rt::Executor`: hyper's background futures (HTTP/2
//!   streams, client connection tasks) become gmp tasks.
//! - [`GmpTimer`] implements `hyper::rt::Timer` with gmp's timer wheels ([`crate::time::Sleep`]
//!   implements `hyper::rt::Sleep`, so `reset` re-arms the same timer).
//! - [`crate::net::TcpStream`], [`crate::net::UnixStream`] and their
//!   owned halves implement `hyper::rt::Read` and `hyper::rt::Write` directly: no adapter type.
//!   Reads go straight into hyper's uninitialized buffer; writes are vectored.
//!
//! hyper itself depends on `tokio` with only its `sync` feature (the channels hyper's client
//! uses internally). No tokio runtime, reactor or timer is built or started.
//!
//! # Examples
//!
//! A hyper server and client on gmp:
//!
//! ```
//! use http_body_util::{BodyExt, Empty, Full};
//! use hyper::body::Bytes;
//! use gmp_executor::hyper::GmpTimer;
//! use gmp_executor::net::{TcpListener, TcpStream};
//!
//! # gmp_executor::Runtime::new().unwrap().block_on(async {
//! let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//! let addr = listener.local_addr().unwrap();
//! gmp_executor::spawn(async move {
//!     let (conn, _) = listener.accept().await.unwrap();
//!     let service = hyper::service::service_fn(|_req| async {
//!         Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from("hi"))))
//!     });
//!     hyper::server::conn::http1::Builder::new()
//!         .timer(GmpTimer::new())
//!         .serve_connection(conn, service)
//!         .await
//!         .unwrap();
//! })
//! .detach();
//!
//! let conn = TcpStream::connect(addr).await.unwrap();
//! let (mut sender, connection) = hyper::client::conn::http1::handshake(conn).await.unwrap();
//! gmp_executor::spawn(connection).detach();
//! let req = hyper::Request::get("/").body(Empty::<Bytes>::new()).unwrap();
//! let res = sender.send_request(req).await.unwrap();
//! let body = res.into_body().collect().await.unwrap().to_bytes();
//! assert_eq!(&body[..], b"hi");
//! # });
//! ```

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use ::hyper::rt;

use crate::net::stream::sealed::Stream;
use crate::net::{OwnedReadHalf, OwnedWriteHalf, SplitStream, TcpStream, UnixStream};
use crate::runtime::Handle;

/// `hyper::rt::Executor` for gmp: spawns each future hyper hands over as a detached gmp task.
///
/// [`new`](GmpExecutor::new) (or `default`) spawns onto the runtime current at each call (it
/// panics outside one, like [`spawn`](crate::spawn)); [`with_handle`](GmpExecutor::with_handle)
/// spawns onto a given runtime from anywhere.
///
/// # Examples
///
/// ```
/// use hyper::rt::Executor;
/// let rt = gmp_executor::Runtime::new().unwrap();
/// let exec = gmp_executor::hyper::GmpExecutor::with_handle(rt.handle().clone());
/// let (tx, rx) = futures::channel::oneshot::channel();
/// exec.execute(async move { tx.send(7).unwrap() });
/// assert_eq!(rt.block_on(rx).unwrap(), 7);
/// ```
#[derive(Clone, Debug, Default)]
pub struct GmpExecutor {
    handle: Option<Handle>,
}

impl GmpExecutor {
    /// An executor spawning onto the current runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use hyper::rt::Executor;
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let exec = gmp_executor::hyper::GmpExecutor::new();
    /// let (tx, rx) = futures::channel::oneshot::channel();
    /// exec.execute(async move { tx.send("ran").unwrap() });
    /// assert_eq!(rx.await.unwrap(), "ran");
    /// # });
    /// ```
    pub fn new() -> GmpExecutor {
        GmpExecutor::default()
    }

    /// An executor spawning onto `handle`'s runtime.
    ///
    /// # Examples
    ///
    /// See [`GmpExecutor`].
    pub fn with_handle(handle: Handle) -> GmpExecutor {
        GmpExecutor {
            handle: Some(handle),
        }
    }
}

impl<F> rt::Executor<F> for GmpExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    #[track_caller]
    fn execute(&self, fut: F) {
        match &self.handle {
            Some(h) => h.spawn(fut).detach(),
            None => crate::spawn(fut).detach(),
        }
    }
}

/// `hyper::rt::Timer` for gmp: hyper's timeouts (header read timeout, keep-alive) become gmp
/// timers. Works inside and outside a runtime, like [`crate::time::sleep`].
///
/// # Examples
///
/// ```
/// use hyper::rt::Timer;
/// # futures::executor::block_on(async {
/// let timer = gmp_executor::hyper::GmpTimer::new();
/// let start = std::time::Instant::now();
/// timer.sleep(std::time::Duration::from_millis(2)).await;
/// assert!(start.elapsed() >= std::time::Duration::from_millis(2));
/// # });
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct GmpTimer(());

impl GmpTimer {
    /// The timer.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = hyper::server::conn::http1::Builder::new()
    ///     .timer(gmp_executor::hyper::GmpTimer::new())
    ///     .header_read_timeout(std::time::Duration::from_secs(5))
    ///     .clone();
    /// # drop(b);
    /// ```
    pub fn new() -> GmpTimer {
        GmpTimer(())
    }
}

impl rt::Timer for GmpTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn rt::Sleep>> {
        Box::pin(crate::time::sleep(duration))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn rt::Sleep>> {
        Box::pin(crate::time::sleep_until(deadline))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<crate::time::Sleep>() {
            Some(s) => s.get_mut().reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

impl rt::Sleep for crate::time::Sleep {}

/// Reads into hyper's cursor with `read(2)` on its unfilled, possibly uninitialized part.
fn poll_read_cursor<S: Stream>(
    stream: &S,
    cx: &mut Context<'_>,
    mut buf: rt::ReadBufCursor<'_>,
) -> Poll<io::Result<()>> {
    // SAFETY: the slice is only written to, by read(2) through a raw pointer; no initialized
    // byte is de-initialized.
    let unfilled = unsafe { buf.as_mut() };
    let (ptr, len) = (unfilled.as_mut_ptr().cast::<u8>(), unfilled.len());
    // SAFETY: `ptr` points into hyper's buffer, valid for `len` bytes while `buf` is borrowed.
    let n = ready!(unsafe { stream.poll_read_uninit_priv(cx, ptr, len) })?;
    // SAFETY: read(2) initialized the first `n` bytes of the unfilled part (n <= len).
    unsafe { buf.advance(n) };
    Poll::Ready(Ok(()))
}

macro_rules! hyper_impls {
    ($ty:ty) => {
        impl rt::Read for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: rt::ReadBufCursor<'_>,
            ) -> Poll<io::Result<()>> {
                poll_read_cursor(&*self, cx, buf)
            }
        }

        impl rt::Write for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.poll_write_priv(cx, buf)
            }
            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.poll_write_vectored_priv(cx, bufs)
            }
            fn is_write_vectored(&self) -> bool {
                true
            }
            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
            fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(self.shutdown_priv(std::net::Shutdown::Write))
            }
        }
    };
}

hyper_impls!(TcpStream);
hyper_impls!(UnixStream);

impl<S: SplitStream> rt::Read for OwnedReadHalf<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        poll_read_cursor(AsRef::<S>::as_ref(&*self), cx, buf)
    }
}

impl<S: SplitStream> rt::Write for OwnedWriteHalf<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        AsRef::<S>::as_ref(&*self).poll_write_priv(cx, buf)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        AsRef::<S>::as_ref(&*self).poll_write_vectored_priv(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        true
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(AsRef::<S>::as_ref(&*self).shutdown_priv(std::net::Shutdown::Write))
    }
}
