//! Networking: Go's `net` package for gmp's goroutines.
//!
//! [`TcpListener`], [`TcpStream`], [`UdpSocket`], [`UnixListener`] and [`UnixStream`] are
//! non-blocking sockets registered with the runtime's I/O reactor. A task that would block on one
//! is parked until the reactor reports readiness, as Go parks a goroutine in its netpoller; the
//! worker thread meanwhile runs other tasks.
//!
//! The stream types implement [`futures::io::AsyncRead`](futures_util::io::AsyncRead) and
//! [`AsyncWrite`](futures_util::io::AsyncWrite), so `futures::io` utilities, codecs and protocol
//! crates built on those traits work unchanged. With the `hyper` feature they also implement
//! hyper 1.x's `rt::Read` and `rt::Write` (see [`crate::hyper`]).
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
//! Only Unix platforms are supported (the reactor is mio's epoll/kqueue backend).

mod addr;
mod split;
pub(crate) mod stream;
mod tcp;
mod udp;
mod unix;

pub use addr::{ToSocketAddrs, lookup_host};
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use stream::SplitStream;
pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixListener, UnixStream};
