//! The [`Listener`] trait: where [`serve`](crate::serve()) gets its connections.

use std::fmt;
use std::future::Future;
use std::io;

use std::os::unix::net::SocketAddr as UnixAddr;

use gmp_executor::net::{TcpListener, TcpStream, UnixListener, UnixStream};

/// A source of connections for [`serve`](crate::serve()): gmp's [`TcpListener`] and
/// [`UnixListener`], or your own (a TLS listener, a test double).
///
/// `accept` runs in the accept loop, one call at a time, so it must not wait on a client: do a
/// handshake (TLS, PROXY protocol) lazily inside [`Io`](Listener::Io)'s first read or write,
/// which runs in the connection's own task under the header-read timeout. An error from
/// `accept` makes the loop back off (5 ms, doubling up to 1 s) and call it again, except the
/// errors that say the listener itself is unusable (`EBADF`, `EINVAL`, `ENOTSOCK`), which end
/// `serve` with that error.
///
/// # Examples
///
/// A listener that counts its connections:
///
/// ```
/// use std::io;
/// use gmp_executor::net::{TcpListener, TcpStream};
///
/// struct Counting {
///     inner: TcpListener,
///     accepted: u64,
/// }
///
/// impl gmp_http::Listener for Counting {
///     type Io = TcpStream;
///     type Addr = std::net::SocketAddr;
///
///     async fn accept(&mut self) -> io::Result<(TcpStream, std::net::SocketAddr)> {
///         let conn = self.inner.accept().await?;
///         self.accepted += 1;
///         Ok(conn)
///     }
///
///     fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
///         self.inner.local_addr()
///     }
/// }
/// ```
pub trait Listener: Send + 'static {
    /// A connection: what hyper reads requests from and writes responses to.
    type Io: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static;
    /// The peer's address, logged with connection errors.
    type Addr: fmt::Debug + Send + 'static;

    /// Waits for the next connection.
    fn accept(&mut self) -> impl Future<Output = io::Result<(Self::Io, Self::Addr)>> + Send;

    /// The address this listener is bound to.
    fn local_addr(&self) -> io::Result<Self::Addr>;
}

impl Listener for TcpListener {
    type Io = TcpStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> io::Result<(TcpStream, std::net::SocketAddr)> {
        let (conn, addr) = TcpListener::accept(self).await?;
        // Responses are written whole by hyper (vectored writes): Nagle would only delay them.
        if let Err(e) = conn.set_nodelay(true) {
            tracing::debug!(error = %e, "set_nodelay failed");
        }
        Ok((conn, addr))
    }

    fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        TcpListener::local_addr(self)
    }
}

impl Listener for UnixListener {
    type Io = UnixStream;
    type Addr = UnixAddr;

    async fn accept(&mut self) -> io::Result<(UnixStream, UnixAddr)> {
        UnixListener::accept(self).await
    }

    fn local_addr(&self) -> io::Result<UnixAddr> {
        UnixListener::local_addr(self)
    }
}
