//! Networking: Go's `net` package for gmp's goroutines.
//!
//! [`TcpListener`], [`TcpStream`], [`UdpSocket`], [`UnixListener`] and [`UnixStream`] are
//! non-blocking sockets registered with the runtime's I/O reactor. A task that would block on one
//! is parked until the reactor reports readiness, as Go parks a goroutine in its netpoller; the
//! worker thread meanwhile runs other tasks.
//!
//! Layer: beside `runtime`, at the top. Sockets register with the thread's reactor (`io`);
//! name resolution runs on the runtime's blocking pool through a `Handle`.
//!
//! The stream types implement [`futures::io::AsyncRead`](futures_util::io::AsyncRead) and
//! [`AsyncWrite`](futures_util::io::AsyncWrite), so `futures::io` utilities, codecs and protocol
//! crates built on those traits work unchanged. With the `hyper` feature they also implement
//! hyper 1.x's `rt::Read` and `rt::Write` (see [`crate::hyper`]). With the `tokio-io` feature
//! they, and their owned halves, implement tokio's `io::AsyncRead` and `io::AsyncWrite`
//! (reads into tokio's uninitialized `ReadBuf`, vectored writes, `poll_shutdown` shuts down the
//! writing direction), so crates written against tokio's I/O traits (tokio-rustls, tokio-util's
//! codecs, `tokio::io::copy`) run on gmp's sockets. tokio is then a dependency with no features:
//! no tokio runtime, reactor or timer exists, and none is needed.
//!
//! Errors are the OS's [`std::io::Error`]s, returned, never panics: a refused connection, a
//! reset peer, an address in use each fail the one operation, and the runtime keeps serving
//! every other task.
//!
//! # Examples
//!
//! An echo server and a client, on one runtime:
//!
//! ```
//! use futures::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
//! use gmp_executor::net::{TcpListener, TcpStream};
//!
//! # gmp_executor::Runtime::new().unwrap().block_on(async {
//! let listener = TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! gmp_executor::spawn(async move {
//!     loop {
//!         let (conn, _) = listener.accept().await.unwrap();
//!         gmp_executor::spawn(async move {
//!             let (rd, mut wr) = conn.into_split();
//!             futures::io::copy(rd, &mut wr).await.ok();
//!         })
//!         .detach();
//!     }
//! })
//! .detach();
//!
//! let conn = TcpStream::connect(addr).await?;
//! let (rd, mut wr) = conn.into_split();
//! wr.write_all(b"hello\nworld\n").await?;
//! let mut lines = BufReader::new(rd).lines();
//! use futures::StreamExt;
//! assert_eq!(lines.next().await.unwrap()?, "hello");
//! assert_eq!(lines.next().await.unwrap()?, "world");
//! # std::io::Result::Ok(())
//! # }).unwrap();
//! ```
//!
//! With the `tokio-io` feature, tokio's `AsyncReadExt`/`AsyncWriteExt` (and tokio-rustls,
//! tokio-util's codecs) on a gmp socket, no tokio runtime:
//!
//! ```
//! # #[cfg(feature = "tokio-io")]
//! # gmp_executor::Runtime::new().unwrap().block_on(async {
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! let (mut a, mut b) = gmp_executor::net::UnixStream::pair()?;
//! a.write_all(b"ping").await?;
//! AsyncWriteExt::shutdown(&mut a).await?; // the peer reads EOF
//! let mut got = String::new();
//! b.read_to_string(&mut got).await?;
//! assert_eq!(got, "ping");
//! # std::io::Result::Ok(())
//! # }).unwrap();
//! ```
//!
//! # Design
//!
//! Each socket owns a `PollEvented`: the mio socket plus its registration with a reactor (the
//! current runtime's when created inside one; outside any runtime, a global `gmp-io` thread's,
//! started on first use, so sockets work under any executor). Every operation:
//!
//! 1. spends one unit of the task's [coop budget](crate::coop) (a task reading a socket that is
//!    always ready still yields to its peers);
//! 2. waits for the reactor to report readiness in its direction (read or write), registering
//!    the task's waker;
//! 3. makes the non-blocking syscall; on `WouldBlock` it clears the readiness it acted on
//!    (unless an event arrived meanwhile: a sequence number guards that ABA) and waits again.
//!    A short read or write (fewer bytes than asked) clears readiness at once, saving the syscall
//!    that would return `WouldBlock`.
//!
//! Reads and writes wait on separate directions, with a list of wakers each, so a stream can be
//! read by one task and written by another ([`TcpStream::into_split`], or `&TcpStream`).
//!
//! Dropping a socket deregisters it, then closes it. When its runtime shuts down, tasks waiting
//! on it are woken and its operations fail with an error.
//!
//! Listeners that gmp creates listen with the system's maximum queue of pending connections,
//! as Go's do: `/proc/sys/net/core/somaxconn`, read once, or 4096 where it cannot be read (the
//! kernel lowers it to its own limit). A shorter queue makes the kernel drop the connections
//! that overflow it in a burst, and their clients wait a second for the SYN retry.
//!
//! Only Unix platforms are supported (the reactor is mio's epoll/kqueue backend).

mod addr;
mod split;
pub(crate) mod stream;
mod tcp;
#[cfg(feature = "tokio-io")]
mod tokio_io;
mod udp;
mod unix;

pub use addr::{ToSocketAddrs, lookup_host};
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use stream::SplitStream;
pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixListener, UnixStream};

use std::io;
use std::os::fd::AsRawFd;
use std::sync::OnceLock;

/// The listen queue for the listeners gmp creates: Go's `maxListenerBacklog`.
fn listen_backlog() -> libc::c_int {
    static BACKLOG: OnceLock<libc::c_int> = OnceLock::new();
    *BACKLOG.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
            .filter(|&n| n > 0)
            .map_or(4096, |n| {
                libc::c_int::try_from(n).unwrap_or(libc::c_int::MAX)
            })
    })
}

/// Sets the queue of a listening socket to [`listen_backlog`]. mio's `bind` listens with 128
/// (TCP); calling `listen` again on a listening socket only changes its queue (Linux, the
/// BSDs and macOS), which saves building the socket by hand.
fn set_listen_backlog(listener: &impl AsRawFd) -> io::Result<()> {
    // SAFETY: `listen` reads no memory; the descriptor is open, owned by `listener`, which is
    // borrowed for the call.
    if unsafe { libc::listen(listener.as_raw_fd(), listen_backlog()) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
