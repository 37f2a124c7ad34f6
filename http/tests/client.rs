//! gmp-http's client: hyper-util's pooled client over gmp's connector, against local hyper
//! servers on gmp. Each server runs on its own gmp runtime on its own thread, so a test's leak
//! check (`#[gmp::test]`) sees only the client's tasks: the client must leave none behind.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gmp::hyper::{GmpExecutor, GmpTimer};
use gmp::net::TcpListener;
use gmp_http::client::{self, ConnectInfo, Connector};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Bytes;
use hyper::{Response, Version};

#[derive(Clone, Copy)]
enum Proto {
    Http1,
    Http2,
}

/// A hello server on `ip`, on a runtime of its own; returns its address and its count of
/// accepted connections.
fn hello_server(ip: &str, proto: Proto) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind((ip, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let accepts = Arc::new(AtomicUsize::new(0));
    let counter = accepts.clone();
    std::thread::spawn(move || {
        let rt = gmp::Builder::new().maxprocs(1).build().unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            loop {
                let (conn, _) = listener.accept().await.unwrap();
                counter.fetch_add(1, Ordering::SeqCst);
                gmp::spawn(async move {
                    let svc = hyper::service::service_fn(|req: hyper::Request<_>| async move {
                        let body = format!("hello {}", req.uri().path());
                        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(body))))
                    });
                    let _ = match proto {
                        Proto::Http1 => {
                            hyper::server::conn::http1::Builder::new()
                                .timer(GmpTimer::new())
                                .serve_connection(conn, svc)
                                .await
                        }
                        Proto::Http2 => {
                            hyper::server::conn::http2::Builder::new(GmpExecutor::new())
                                .timer(GmpTimer::new())
                                .serve_connection(conn, svc)
                                .await
                        }
                    };
                })
                .detach();
            }
        })
    });
    (addr, accepts)
}

/// The first `io::Error` in `err`'s source chain.
fn io_cause<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a io::Error> {
    let mut cause = err.source();
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            return Some(io);
        }
        cause = e.source();
    }
    None
}

fn uri(addr: SocketAddr, path: &str) -> hyper::Uri {
    format!("http://{addr}{path}").parse().unwrap()
}

#[gmp::test]
async fn http1_keep_alive_pool_reuses_one_connection() {
    let (addr, accepts) = hello_server("127.0.0.1", Proto::Http1);
    let client = client::new::<Empty<Bytes>>();
    let mut conns = Vec::new();
    for i in 0..5 {
        let res = client.get(uri(addr, &format!("/{i}"))).await.unwrap();
        assert_eq!(res.version(), Version::HTTP_11);
        conns.push(*res.extensions().get::<ConnectInfo>().unwrap());
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, format!("hello /{i}"));
        // hyper-util's connection task puts the connection back in the pool once it has seen
        // the body end, a moment after this task has: give it that moment, or on a loaded
        // machine the next request may find the pool empty and dial again.
        gmp::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        conns.iter().all(|c| *c == conns[0]),
        "one connection: {conns:?}"
    );
    assert_eq!(conns[0].remote_addr, addr);
    assert_eq!(
        accepts.load(Ordering::SeqCst),
        1,
        "the server accepted once"
    );
}

#[gmp::test]
async fn http2_multiplexes_concurrent_requests_on_one_connection() {
    let (addr, accepts) = hello_server("127.0.0.1", Proto::Http2);
    let client: client::Client<Empty<Bytes>> =
        client::builder().http2_only(true).build(Connector::new());
    let requests = (0..8).map(|i| {
        let client = client.clone();
        gmp::spawn(async move {
            let res = client.get(uri(addr, &format!("/{i}"))).await.unwrap();
            assert_eq!(res.version(), Version::HTTP_2);
            let info = *res.extensions().get::<ConnectInfo>().unwrap();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(body, format!("hello /{i}"));
            info
        })
    });
    let infos = futures::future::join_all(requests).await;
    let infos: Vec<ConnectInfo> = infos.into_iter().map(Result::unwrap).collect();
    assert!(infos.iter().all(|c| c.local_addr == infos[0].local_addr));
    // Concurrent first requests may race to dial before the first connection is up; hyper-util
    // then keeps one. Sequential requests afterwards all share it.
    let before = accepts.load(Ordering::SeqCst);
    assert!(before >= 1);
    for _ in 0..3 {
        let res = client.get(uri(addr, "/again")).await.unwrap();
        res.into_body().collect().await.unwrap();
    }
    assert_eq!(accepts.load(Ordering::SeqCst), before, "no new connection");
}

#[gmp::test]
async fn dns_of_localhost_through_gmp() {
    let (addr, _) = hello_server("127.0.0.1", Proto::Http1);
    let client = client::new::<Empty<Bytes>>();
    let res = client
        .get(
            format!("http://localhost:{}/dns", addr.port())
                .parse()
                .unwrap(),
        )
        .await
        .unwrap();
    let info = *res.extensions().get::<ConnectInfo>().unwrap();
    assert_eq!(info.remote_addr, addr);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, "hello /dns");
}

/// A loopback address that never answers a SYN: a listener whose accept queue (length 0, so
/// one connection) is full; Linux drops further SYNs instead of refusing them. Returns the
/// address and what must stay alive.
fn blackhole() -> (SocketAddr, std::net::TcpListener, Vec<std::net::TcpStream>) {
    use std::os::fd::AsRawFd;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // SAFETY: listen(2) on a listening socket owned by `listener` only changes its queue length.
    assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 0) }, 0);
    let addr = listener.local_addr().unwrap();
    let mut fill = Vec::new();
    for _ in 0..8 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => fill.push(s),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => return (addr, listener, fill),
            Err(e) => panic!("filling the accept queue: {e}"),
        }
    }
    panic!("the accept queue never filled: SYNs are not dropped here");
}

#[gmp::test]
async fn connect_timeout_to_a_blackhole() {
    let (addr, _listener, _fill) = blackhole();
    let timeout = Duration::from_millis(300);
    let client: client::Client<Empty<Bytes>> =
        client::builder().build(Connector::new().connect_timeout(timeout));
    let start = Instant::now();
    let err = client.get(uri(addr, "/")).await.unwrap_err();
    let took = start.elapsed();
    assert!(err.is_connect(), "{err:?}");
    let io = io_cause(&err).expect("an io::Error in the chain");
    assert_eq!(io.kind(), io::ErrorKind::TimedOut, "{io}");
    assert!(took >= timeout, "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[gmp::test]
async fn https_and_other_schemes_are_refused() {
    let client = client::new::<Empty<Bytes>>();
    for bad in ["https://localhost/", "ftp://localhost/"] {
        let err = client.get(bad.parse().unwrap()).await.unwrap_err();
        let io = io_cause(&err).expect("an io::Error in the chain");
        assert_eq!(io.kind(), io::ErrorKind::InvalidInput, "{bad}: {io}");
    }
}
