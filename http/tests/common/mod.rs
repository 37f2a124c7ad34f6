//! Helpers shared by the serve tests: a runtime, an axum app, hyper clients over gmp sockets.

#![allow(dead_code, unreachable_pub)]

use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Json;
use axum::extract::Path;
use axum::routing::{get, post};
use gmp_executor::JoinHandle;
use gmp_executor::hyper::GmpExecutor;
use gmp_executor::net::TcpStream;
use gmp_sync::context::{self, CancelFunc};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::{http1, http2};
use serde::{Deserialize, Serialize};

/// Runs `f` on a fresh gmp runtime.
pub fn run<F: Future>(f: F) -> F::Output {
    gmp_executor::Runtime::new().unwrap().block_on(f)
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Order {
    pub item: String,
    pub qty: u32,
}

/// The axum app the tests serve: a path parameter and a JSON extractor.
pub fn app() -> axum::Router {
    axum::Router::new()
        .route(
            "/users/{id}",
            get(|Path(id): Path<u32>| async move { format!("user {id}") }),
        )
        .route(
            "/orders",
            post(|Json(order): Json<Order>| async move {
                Json(Order {
                    item: order.item.to_uppercase(),
                    qty: order.qty * 2,
                })
            }),
        )
}

/// Starts `server` in a task with a shutdown context; returns the task and the cancel.
pub fn start<L, S>(server: gmp_http::Serve<L, S>) -> (JoinHandle<io::Result<()>>, CancelFunc)
where
    L: gmp_http::Listener,
    gmp_http::Serve<L, S>: IntoFuture<Output = io::Result<()>, IntoFuture = gmp_http::ServeFuture>,
    S: Send + 'static,
{
    let (ctx, cancel) = context::with_cancel(&context::Context::background());
    let task = gmp_executor::spawn(server.with_graceful_shutdown(ctx).into_future());
    (task, cancel)
}

pub type Sender1 = http1::SendRequest<Full<Bytes>>;

/// An HTTP/1 client connection to `addr`.
pub async fn h1(addr: SocketAddr) -> Sender1 {
    let io = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = http1::handshake(io).await.unwrap();
    gmp_executor::spawn(async move {
        let _ = conn.await;
    })
    .detach();
    sender
}

/// An HTTP/2 (prior knowledge) client connection over any hyper I/O.
pub async fn h2_over<I>(io: I) -> http2::SendRequest<Full<Bytes>>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (sender, conn) = http2::handshake(GmpExecutor::new(), io).await.unwrap();
    gmp_executor::spawn(async move {
        let _ = conn.await;
    })
    .detach();
    sender
}

/// A request with a body (empty for GET).
pub fn request(method: &str, uri: &str, body: &str) -> hyper::Request<Full<Bytes>> {
    hyper::Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap()
}

/// Sends `req` on an HTTP/1 connection; the status and the whole body.
pub async fn send1(sender: &mut Sender1, req: hyper::Request<Full<Bytes>>) -> (u16, String) {
    sender.ready().await.unwrap();
    let res = sender.send_request(req).await.unwrap();
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

/// One GET on a fresh HTTP/1 connection.
pub async fn get1(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = h1(addr).await;
    send1(&mut s, request("GET", path, "")).await
}

/// `f` must finish within `limit` (a loose bound: a hang, not a latency).
pub async fn within<F: Future>(limit: Duration, what: &str, f: F) -> F::Output {
    match gmp_executor::time::timeout(limit, f).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: not done within {limit:?}"),
    }
}

/// A TCP listener on a free loopback port, and its address.
pub async fn listen() -> (gmp_executor::net::TcpListener, SocketAddr) {
    let listener = gmp_executor::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// Cancels the server's context; it must return `Ok` soon.
pub async fn shut_down(server: JoinHandle<io::Result<()>>, stop: CancelFunc) {
    stop.cancel();
    within(Duration::from_secs(10), "shutdown", server)
        .await
        .unwrap()
        .unwrap();
}
