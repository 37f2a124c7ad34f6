//! hyper 1.x on gmp (feature `hyper`): a server and a client over keep-alive, the timer
//! driving hyper's header-read timeout, and the executor. Stamped over 1, 2 and 4 workers.
#![cfg(feature = "hyper")]

use std::convert::Infallible;
use std::time::Duration;

use futures::io::AsyncReadExt;
use gmp_executor::hyper::{GmpExecutor, GmpTimer};
use gmp_executor::net::{TcpListener, TcpStream};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Bytes;

#[macro_use]
mod common;
use common::rt;

async fn hello_server(header_timeout: Option<Duration>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    gmp_executor::spawn(async move {
        loop {
            let (conn, _) = listener.accept().await.unwrap();
            gmp_executor::spawn(async move {
                let service = hyper::service::service_fn(|_req| async {
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                        b"Hello, World!",
                    ))))
                });
                let mut b = hyper::server::conn::http1::Builder::new();
                b.timer(GmpTimer::new());
                b.header_read_timeout(header_timeout);
                let _ = b.serve_connection(conn, service).await;
            })
            .detach();
        }
    })
    .detach();
    addr
}

per_config! {
    thousand_requests_over_keep_alive => |n| {
        rt(n).block_on(async {
            let addr = hello_server(None).await;
            let conn = TcpStream::connect(addr).await.unwrap();
            let (mut sender, connection) = hyper::client::conn::http1::handshake(conn).await.unwrap();
            let driver = gmp_executor::spawn(connection);
            for _ in 0..1000 {
                // The connection task must finish the previous exchange first.
                sender.ready().await.unwrap();
                let req = hyper::Request::get("/").body(Empty::<Bytes>::new()).unwrap();
                let res = sender.send_request(req).await.unwrap();
                assert_eq!(res.status(), 200);
                let body = res.into_body().collect().await.unwrap().to_bytes();
                assert_eq!(&body[..], b"Hello, World!");
            }
            drop(sender);
            driver.await.unwrap().unwrap();
        });
    };
    header_read_timeout_closes_idle_connection => |n| {
        rt(n).block_on(async {
            let addr = hello_server(Some(Duration::from_millis(50))).await;
            // Measured from before the connect: the server's timer starts once it accepted.
            let start = std::time::Instant::now();
            let mut conn = TcpStream::connect(addr).await.unwrap();
            // Send nothing: the server's timer fires and hyper closes the connection.
            let mut buf = Vec::new();
            let _ = conn.read_to_end(&mut buf).await;
            let waited = start.elapsed();
            assert!(waited >= Duration::from_millis(50), "closed after {waited:?}");
            assert!(waited < Duration::from_secs(5), "closed after {waited:?}");
        });
    };
    executor_spawns_client_connections => |n| {
        rt(n).block_on(async {
            use hyper::rt::Executor;
            let addr = hello_server(None).await;
            let exec = GmpExecutor::new();
            let mut senders = Vec::new();
            for _ in 0..8 {
                let conn = TcpStream::connect(addr).await.unwrap();
                let (sender, connection) = hyper::client::conn::http1::handshake(conn).await.unwrap();
                exec.execute(async move { let _ = connection.await; });
                senders.push(sender);
            }
            for s in &mut senders {
                s.ready().await.unwrap();
                let req = hyper::Request::get("/").body(Empty::<Bytes>::new()).unwrap();
                assert_eq!(s.send_request(req).await.unwrap().status(), 200);
            }
        });
    };
}
