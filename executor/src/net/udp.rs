//! UDP: [`UdpSocket`].

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use super::{ToSocketAddrs, addr};
use crate::io::{Direction, PollEvented};

/// A UDP socket (Go's `net.UDPConn`). Every method takes `&self`: share it between a sending
/// and a receiving task with an `Arc`.
///
/// # Examples
///
/// ```
/// use gmp_executor::net::UdpSocket;
/// # gmp_executor::Runtime::new().unwrap().block_on(async {
/// let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
/// let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
/// a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
/// let mut buf = [0; 16];
/// let (n, from) = b.recv_from(&mut buf).await.unwrap();
/// assert_eq!(&buf[..n], b"ping");
/// assert_eq!(from, a.local_addr().unwrap());
/// # });
/// ```
pub struct UdpSocket {
    io: PollEvented<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds a socket to `addr` (the first address that binds).
    ///
    /// # Errors
    ///
    /// The OS's error (`AddrInUse`, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let s = gmp_executor::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert_ne!(s.local_addr().unwrap().port(), 0);
    /// # });
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        addr::each_addr(addr, |a| async move {
            UdpSocket::from_mio(mio::net::UdpSocket::bind(a)?)
        })
        .await
    }

    fn from_mio(s: mio::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            io: PollEvented::new(s)?,
        })
    }

    /// Wraps a socket from the standard library (switched to non-blocking mode).
    ///
    /// # Errors
    ///
    /// Fails if the socket cannot be made non-blocking or registered with the reactor.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let std = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let s = gmp_executor::net::UdpSocket::from_std(std).unwrap();
    /// assert!(s.local_addr().unwrap().port() > 0);
    /// # });
    /// ```
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        UdpSocket::from_mio(mio::net::UdpSocket::from_std(socket))
    }

    /// Sets the default destination for [`send`](Self::send) and the only source
    /// [`recv`](Self::recv) accepts.
    ///
    /// # Errors
    ///
    /// The OS's error, or a resolution error.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let a = gmp_executor::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let b = gmp_executor::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.connect(b.local_addr().unwrap()).await.unwrap();
    /// b.connect(a.local_addr().unwrap()).await.unwrap();
    /// a.send(b"hi").await.unwrap();
    /// let mut buf = [0; 8];
    /// assert_eq!(b.recv(&mut buf).await.unwrap(), 2);
    /// assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
    /// # });
    /// ```
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        addr::each_addr(addr, |a| async move { self.io.get().connect(a) }).await
    }

    /// Sends `buf` as one datagram to `target`; returns the bytes sent.
    ///
    /// # Errors
    ///
    /// The OS's error (`MessageTooLong` style errors for oversized datagrams, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let s = gmp_executor::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert_eq!(s.send_to(b"to me", s.local_addr().unwrap()).await.unwrap(), 5);
    /// let mut buf = [0; 8];
    /// assert_eq!(s.recv_from(&mut buf).await.unwrap(), (5, s.local_addr().unwrap()));
    /// # });
    /// ```
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        addr::each_addr(target, |a| async move {
            self.io.io(Direction::Write, |s| s.send_to(buf, a)).await
        })
        .await
    }

    /// Polls sending `buf` to `target` (the poll form of [`send_to`](Self::send_to)).
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let a = gmp_executor::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let to = a.local_addr().unwrap();
    /// let n = std::future::poll_fn(|cx| a.poll_send_to(cx, b"x", to)).await.unwrap();
    /// assert_eq!(n, 1);
    /// # });
    /// ```
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.io
            .poll_io(cx, Direction::Write, |s| s.send_to(buf, target))
    }

    /// Receives one datagram into `buf` (excess bytes of a longer datagram are dropped);
    /// returns its length and sender.
    ///
    /// # Errors
    ///
    /// The OS's error.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let s = gmp_executor::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert_eq!(s.send_to(b"to me", s.local_addr().unwrap()).await.unwrap(), 5);
    /// let mut buf = [0; 8];
    /// assert_eq!(s.recv_from(&mut buf).await.unwrap(), (5, s.local_addr().unwrap()));
    /// # });
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        std::future::poll_fn(|cx| self.poll_recv_from(cx, buf)).await
    }

    /// Polls receiving a datagram (the poll form of [`recv_from`](Self::recv_from)).
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let a = gmp_executor::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// assert!(a.poll_recv_from(&mut cx, &mut [0; 8]).is_pending());
    /// # });
    /// ```
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_io(cx, Direction::Read, |s| s.recv_from(buf))
    }

    /// Sends `buf` to the connected peer.
    ///
    /// # Errors
    ///
    /// The OS's error (`NotConnected` without [`connect`](Self::connect); `ConnectionRefused`
    /// after an ICMP port-unreachable from the peer).
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let s = gmp_executor::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// s.connect(s.local_addr().unwrap()).await.unwrap();
    /// assert_eq!(s.send(b"echo").await.unwrap(), 4);
    /// let mut buf = [0; 8];
    /// assert_eq!(s.recv(&mut buf).await.unwrap(), 4);
    /// # });
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.io(Direction::Write, |s| s.send(buf)).await
    }

    /// Receives a datagram from the connected peer.
    ///
    /// # Errors
    ///
    /// The OS's error.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let s = gmp_executor::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// s.connect(s.local_addr().unwrap()).await.unwrap();
    /// assert_eq!(s.send(b"echo").await.unwrap(), 4);
    /// let mut buf = [0; 8];
    /// assert_eq!(s.recv(&mut buf).await.unwrap(), 4);
    /// # });
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.io(Direction::Read, |s| s.recv(buf)).await
    }

    /// Receives a datagram without removing it from the queue.
    ///
    /// # Errors
    ///
    /// The OS's error.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let a = gmp_executor::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.send_to(b"once", a.local_addr().unwrap()).await.unwrap();
    /// let mut buf = [0; 8];
    /// assert_eq!(a.peek_from(&mut buf).await.unwrap().0, 4);
    /// assert_eq!(a.recv_from(&mut buf).await.unwrap().0, 4);
    /// # });
    /// ```
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.io(Direction::Read, |s| s.peek_from(buf)).await
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
    /// let s = gmp_executor::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert!(s.local_addr().unwrap().ip().is_loopback());
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` without [`connect`](Self::connect).
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let s = gmp_executor::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert_eq!(s.peer_addr().unwrap_err().kind(), std::io::ErrorKind::NotConnected);
    /// s.connect("127.0.0.1:9").await.unwrap();
    /// assert_eq!(s.peer_addr().unwrap().port(), 9);
    /// # });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().peer_addr()
    }

    /// Sets `SO_BROADCAST`.
    ///
    /// # Errors
    ///
    /// The OS's error.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let a = gmp_executor::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.set_broadcast(true).unwrap();
    /// assert!(a.broadcast().unwrap());
    /// # });
    /// ```
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get().set_broadcast(on)
    }

    /// Whether `SO_BROADCAST` is set.
    ///
    /// # Errors
    ///
    /// The OS's error.
    ///
    /// # Examples
    ///
    /// ```
    /// # gmp_executor::Runtime::new().unwrap().block_on(async {
    /// let s = gmp_executor::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert!(!s.broadcast().unwrap());
    /// # });
    /// ```
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.get().broadcast()
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
    /// let a = gmp_executor::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert!(a.take_error().unwrap().is_none());
    /// # });
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get().take_error()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UdpSocket").field(self.io.get()).finish()
    }
}
