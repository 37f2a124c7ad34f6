//! `TimeoutLayer` on an axum `Router` served by gmp: a slow handler gets `408` and is dropped,
//! a quick one answers, and no tokio timer is involved.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use gmp_executor::net::{TcpListener, TcpStream};
use http_body_util::{BodyExt, Empty};
use hyper::StatusCode;
use hyper::body::Bytes;

async fn get(addr: std::net::SocketAddr, path: &str) -> (StatusCode, Bytes) {
    let conn = TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(conn).await.unwrap();
    gmp_executor::spawn(connection).detach();
    let req = hyper::Request::get(path)
        .header("host", "localhost")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let res = sender.send_request(req).await.unwrap();
    let status = res.status();
    (status, res.into_body().collect().await.unwrap().to_bytes())
}

#[gmp::test]
async fn a_slow_handler_gets_408_and_is_dropped_a_quick_one_answers() {
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    let app = axum::Router::new()
        .route("/quick", axum::routing::get(|| async { "quick" }))
        .route(
            "/slow",
            axum::routing::get(move || {
                let f = f.clone();
                async move {
                    gmp_executor::time::sleep(Duration::from_secs(5)).await;
                    f.store(true, Ordering::SeqCst);
                    "slow"
                }
            }),
        )
        .layer(gmp_http::TimeoutLayer::new(Duration::from_millis(100)));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (ctx, stop) = gmp_sync::context::with_cancel(&gmp_sync::context::Context::background());
    let server = gmp_executor::spawn(std::future::IntoFuture::into_future(
        gmp_http::serve(listener, app).with_graceful_shutdown(ctx),
    ));

    let (status, body) = get(addr, "/quick").await;
    assert_eq!((status, &body[..]), (StatusCode::OK, &b"quick"[..]));

    let started = std::time::Instant::now();
    let (status, body) = get(addr, "/slow").await;
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
    assert!(body.is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "answered only after {:?}",
        started.elapsed()
    );
    assert!(
        !finished.load(Ordering::SeqCst),
        "the handler ran to its end"
    );

    stop.cancel();
    server.await.unwrap().unwrap();
}
