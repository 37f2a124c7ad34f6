//! Socket address resolution: [`ToSocketAddrs`] and [`lookup_host`].

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Things that resolve to socket addresses: the types `std::net::ToSocketAddrs` accepts
/// (`SocketAddr`, `(IpAddr, u16)`, `"host:port"`, `("host", port)`, `&[SocketAddr]`, ...).
///
/// Literal addresses resolve at once. A host name is looked up with the system resolver on the
/// blocking pool when called inside a gmp runtime (a DNS query does not block a worker, as in Go,
/// whose resolver never blocks a P), and on the calling thread otherwise.
///
/// The trait is sealed: its method is private to gmp.
///
/// # Examples
///
/// ```
/// # gmp_executor::Runtime::new().unwrap().block_on(async {
/// use gmp_executor::net::lookup_host;
/// let addrs = lookup_host("127.0.0.1:80").await.unwrap();
/// assert_eq!(addrs, ["127.0.0.1:80".parse().unwrap()]);
/// let addrs = lookup_host(("::1".parse::<std::net::IpAddr>().unwrap(), 8080)).await.unwrap();
/// assert_eq!(addrs[0].port(), 8080);
/// # });
/// ```
pub trait ToSocketAddrs: sealed::Resolve {}

// A sealed trait must be `pub` to appear in a public bound, yet stay unnameable outside.
#[allow(unreachable_pub, missing_debug_implementations)]
pub(crate) mod sealed {
    use super::*;

    /// A resolution that is either done or needs the system resolver.
    pub enum Resolution {
        Done(io::Result<Vec<SocketAddr>>),
        Lookup(Box<dyn FnOnce() -> io::Result<Vec<SocketAddr>> + Send>),
    }

    pub trait Resolve {
        /// Resolves without blocking, or says which blocking lookup to run.
        fn resolution(&self) -> Resolution;
    }
}

use sealed::{Resolution, Resolve};

fn done(addrs: impl IntoIterator<Item = SocketAddr>) -> Resolution {
    Resolution::Done(Ok(addrs.into_iter().collect()))
}

fn lookup<A>(a: A) -> Resolution
where
    A: std::net::ToSocketAddrs + Send + 'static,
{
    Resolution::Lookup(Box::new(move || a.to_socket_addrs().map(Iterator::collect)))
}

macro_rules! literal {
    ($($ty:ty => |$a:ident| $e:expr;)*) => {$(
        impl ToSocketAddrs for $ty {}
        impl Resolve for $ty {
            fn resolution(&self) -> Resolution {
                let $a = self;
                done([$e])
            }
        }
    )*};
}

literal! {
    SocketAddr => |a| *a;
    SocketAddrV4 => |a| SocketAddr::V4(*a);
    SocketAddrV6 => |a| SocketAddr::V6(*a);
    (IpAddr, u16) => |a| SocketAddr::new(a.0, a.1);
    (Ipv4Addr, u16) => |a| SocketAddr::new(IpAddr::V4(a.0), a.1);
    (Ipv6Addr, u16) => |a| SocketAddr::new(IpAddr::V6(a.0), a.1);
}

impl ToSocketAddrs for [SocketAddr] {}
impl Resolve for [SocketAddr] {
    fn resolution(&self) -> Resolution {
        done(self.iter().copied())
    }
}

impl ToSocketAddrs for str {}
impl Resolve for str {
    fn resolution(&self) -> Resolution {
        match self.parse::<SocketAddr>() {
            Ok(a) => done([a]),
            Err(_) => lookup(self.to_owned()),
        }
    }
}

impl ToSocketAddrs for String {}
impl Resolve for String {
    fn resolution(&self) -> Resolution {
        self.as_str().resolution()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl Resolve for (&str, u16) {
    fn resolution(&self) -> Resolution {
        match self.0.parse::<IpAddr>() {
            Ok(ip) => done([SocketAddr::new(ip, self.1)]),
            Err(_) => lookup((self.0.to_owned(), self.1)),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl Resolve for (String, u16) {
    fn resolution(&self) -> Resolution {
        (self.0.as_str(), self.1).resolution()
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: Resolve + ?Sized> Resolve for &T {
    fn resolution(&self) -> Resolution {
        (**self).resolution()
    }
}

/// Resolves `addr` to its socket addresses (Go's `net.LookupHost` plus the port).
///
/// # Errors
///
/// The system resolver's error for a name that does not resolve.
///
/// # Examples
///
/// ```
/// # gmp_executor::Runtime::new().unwrap().block_on(async {
/// let addrs = gmp_executor::net::lookup_host("localhost:8080").await.unwrap();
/// assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 8080));
/// # });
/// ```
pub async fn lookup_host(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    match addr.resolution() {
        Resolution::Done(r) => r,
        Resolution::Lookup(f) => match crate::runtime::Handle::try_current() {
            Ok(h) => h.spawn_blocking(f).await.map_err(io::Error::other)?,
            Err(_) => f(),
        },
    }
}

/// Calls `op` with each address `addr` resolves to until one succeeds; the last error if none
/// does.
pub(crate) async fn each_addr<T, F, Fut>(addr: impl ToSocketAddrs, mut op: F) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    let mut last = None;
    for a in lookup_host(addr).await? {
        match op(a).await {
            Ok(t) => return Ok(t),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    }))
}
