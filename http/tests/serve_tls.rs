//! HTTPS with `serve`: a TLS [`Listener`](gmp_http::Listener) built on tokio-rustls (rustls's
//! `ring` provider, a certificate made here by rcgen) over gmp's `TcpStream` through tokio's I/O
//! traits (gmp-executor feature `tokio-io`); HTTP/1 and HTTP/2 (ALPN) clients over TLS. The
//! handshake runs lazily in the connection's task, so a client that never sends its hello is
//! cut off by the header timeout and does not hold up the accept loop.

mod common;

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use common::*;
use futures::AsyncReadExt;
use gmp_executor::net::{TcpListener, TcpStream};
use http_body_util::BodyExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::rustls::{self, pki_types};
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// tokio's I/O traits seen as hyper's (what hyper-util's `TokioIo` does, without its `tokio`
/// feature). Reads go through a stack buffer: a test, not a hot path.
struct Hyperized<T>(T);

fn poll_read_tokio<T: AsyncRead + Unpin>(
    io: &mut T,
    cx: &mut Context<'_>,
    mut buf: hyper::rt::ReadBufCursor<'_>,
) -> Poll<io::Result<()>> {
    let mut tmp = [0u8; 16 * 1024];
    let n = buf.remaining().min(tmp.len());
    let mut rb = tokio::io::ReadBuf::new(&mut tmp[..n]);
    ready!(Pin::new(io).poll_read(cx, &mut rb))?;
    buf.put_slice(rb.filled());
    Poll::Ready(Ok(()))
}

impl<T: AsyncRead + Unpin> hyper::rt::Read for Hyperized<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        poll_read_tokio(&mut self.0, cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for Hyperized<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// A TLS listener: `accept` hands out the TCP connection with its handshake still to do.
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

/// A server-side TLS connection whose handshake runs on first use, in the connection's task.
enum LazyTls {
    Handshaking(Box<tokio_rustls::Accept<TcpStream>>),
    Ready(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    Failed,
}

impl LazyTls {
    fn poll_stream(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<&mut tokio_rustls::server::TlsStream<TcpStream>>> {
        if let LazyTls::Handshaking(accept) = self {
            match ready!(Pin::new(&mut **accept).poll(cx)) {
                Ok(stream) => *self = LazyTls::Ready(Box::new(stream)),
                Err(e) => {
                    *self = LazyTls::Failed;
                    return Poll::Ready(Err(e));
                }
            }
        }
        match self {
            LazyTls::Ready(s) => Poll::Ready(Ok(s)),
            _ => Poll::Ready(Err(io::Error::other("TLS handshake failed"))),
        }
    }
}

use std::future::Future;

impl hyper::rt::Read for LazyTls {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let s = ready!(self.get_mut().poll_stream(cx))?;
        poll_read_tokio(s, cx, buf)
    }
}

impl hyper::rt::Write for LazyTls {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let s = ready!(self.get_mut().poll_stream(cx))?;
        Pin::new(s).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let s = ready!(self.get_mut().poll_stream(cx))?;
        Pin::new(s).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let s = ready!(self.get_mut().poll_stream(cx))?;
        Pin::new(s).poll_shutdown(cx)
    }
}

impl gmp_http::Listener for TlsListener {
    type Io = LazyTls;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> io::Result<(LazyTls, std::net::SocketAddr)> {
        let (tcp, addr) = self.tcp.accept().await?;
        Ok((
            LazyTls::Handshaking(Box::new(self.acceptor.accept(tcp))),
            addr,
        ))
    }

    fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.tcp.local_addr()
    }
}

/// A server config (ALPN h2, http/1.1) and a client config per ALPN protocol, trusting one
/// self-signed certificate for `localhost`.
fn tls_configs() -> (TlsAcceptor, TlsConnector, TlsConnector) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = certified.cert.der().clone();
    let key = pki_types::PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
    // rustls's `ring` provider (no aws-lc); deprecated upstream only for lacking post-quantum
    // key exchange.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key.into())
        .unwrap();
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = |alpn: &[u8]| {
        let mut c = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots.clone())
            .with_no_client_auth();
        c.alpn_protocols = vec![alpn.to_vec()];
        TlsConnector::from(Arc::new(c))
    };
    (
        TlsAcceptor::from(Arc::new(server)),
        client(b"http/1.1"),
        client(b"h2"),
    )
}

async fn tls_connect(
    connector: &TlsConnector,
    addr: std::net::SocketAddr,
) -> Hyperized<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = pki_types::ServerName::try_from("localhost").unwrap();
    Hyperized(connector.connect(name, tcp).await.unwrap())
}

#[test]
fn https_http1_and_http2_through_serve() {
    run(async {
        let (acceptor, h1_connector, h2_connector) = tls_configs();
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let (server, stop) = start(gmp_http::serve(TlsListener { tcp, acceptor }, app()));

        // HTTP/1.1 over TLS, keep-alive, JSON both ways.
        let io = tls_connect(&h1_connector, addr).await;
        assert_eq!(io.0.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
        let (mut c, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
        gmp_executor::spawn(conn).detach();
        assert_eq!(
            send1(&mut c, request("GET", "/users/11", "")).await,
            (200, "user 11".into())
        );
        let (status, body) = send1(
            &mut c,
            request("POST", "/orders", r#"{"item":"tls","qty":21}"#),
        )
        .await;
        assert_eq!((status, body.as_str()), (200, r#"{"item":"TLS","qty":42}"#));

        // HTTP/2 over TLS (ALPN h2).
        let io = tls_connect(&h2_connector, addr).await;
        assert_eq!(io.0.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        let mut c2 = h2_over(io).await;
        let res = c2
            .send_request(request("GET", "https://localhost/users/12", ""))
            .await
            .unwrap();
        assert_eq!(res.version(), hyper::Version::HTTP_2);
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"user 12");

        shut_down(server, stop).await;
    });
}

#[test]
fn stalled_tls_handshake_is_cut_off_and_does_not_block_accepts() {
    run(async {
        let (acceptor, h1_connector, _) = tls_configs();
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let server = gmp_http::serve(TlsListener { tcp, acceptor }, app())
            .header_read_timeout(Duration::from_millis(500));
        let (server, stop) = start(server);

        // Connects and never sends a ClientHello.
        let mut stalled = TcpStream::connect(addr).await.unwrap();
        // Others complete their handshakes meanwhile.
        for i in 0..3 {
            let io = tls_connect(&h1_connector, addr).await;
            let (mut c, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
            gmp_executor::spawn(conn).detach();
            let path = format!("/users/{i}");
            assert_eq!(
                send1(&mut c, request("GET", &path, "")).await,
                (200, format!("user {i}"))
            );
        }
        let mut buf = [0u8; 8];
        let n = within(
            Duration::from_secs(5),
            "stalled handshake cut",
            stalled.read(&mut buf),
        )
        .await;
        assert!(matches!(n, Ok(0) | Err(_)), "stalled client got {n:?}");

        shut_down(server, stop).await;
    });
}
