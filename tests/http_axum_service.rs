//! The routes of `examples/axum_service.rs` (feature `http`), served by `gmp::http::serve`:
//! path parameters, the JSON extractor and its rejections, the websocket echo through hyper's
//! upgrade (closed by the shutdown context), and the shutdown on SIGINT.

#[path = "../examples/axum_service.rs"]
#[allow(dead_code, unreachable_pub, missing_docs)]
mod example;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::time::Duration;

use async_tungstenite::tungstenite::Message;
use example::Todo;
use futures::StreamExt;
use gmp::context::{self, Context};
use gmp::net::{TcpListener, TcpStream};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;

async fn call(addr: SocketAddr, method: &str, path: &str, json: Option<&str>) -> (u16, String) {
    let io = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
    gmp::spawn(async move {
        let _ = conn.await;
    })
    .detach();
    let mut req = hyper::Request::builder().method(method).uri(path);
    if json.is_some() {
        req = req.header("content-type", "application/json");
    }
    let body = Full::new(Bytes::from(json.unwrap_or("").to_owned()));
    let res = sender.send_request(req.body(body).unwrap()).await.unwrap();
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

/// Serves the example's app on a free port until `ctx` is done.
async fn serve_example(ctx: Context) -> (SocketAddr, gmp::JoinHandle<std::io::Result<()>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = gmp::http::serve(listener, example::app(ctx.clone()))
        .with_graceful_shutdown(ctx)
        .shutdown_timeout(Duration::from_secs(5));
    (addr, gmp::spawn(server.into_future()))
}

#[gmp::test]
async fn example_routes_json_and_path_params() {
    let (ctx, stop) = context::with_cancel(&Context::background());
    let (addr, server) = serve_example(ctx).await;

    assert_eq!(
        call(addr, "GET", "/hello/gopher", None).await,
        (200, "Hello, gopher!".into())
    );
    let (status, body) = call(addr, "POST", "/todos", Some(r#"{"title":"port to gmp"}"#)).await;
    assert_eq!(status, 201);
    let created: Todo = serde_json::from_str(&body).unwrap();
    assert_eq!(
        created,
        Todo {
            id: 1,
            title: "port to gmp".into(),
            done: false
        }
    );
    let (status, body) = call(addr, "GET", "/todos/1", None).await;
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Todo>(&body).unwrap(), created);
    assert_eq!(call(addr, "GET", "/todos/99", None).await.0, 404);
    assert_eq!(call(addr, "GET", "/todos/abc", None).await.0, 400);
    // The JSON extractor's rejections: syntax (400), shape (422), content type (415).
    assert_eq!(call(addr, "POST", "/todos", Some("{")).await.0, 400);
    assert_eq!(
        call(addr, "POST", "/todos", Some(r#"{"name":1}"#)).await.0,
        422
    );
    assert_eq!(call(addr, "POST", "/todos", None).await.0, 415);
    // The websocket route refuses a plain GET.
    assert_eq!(call(addr, "GET", "/ws", None).await.0, 400);

    stop.cancel();
    server.await.unwrap().unwrap();
}

#[gmp::test]
async fn example_websocket_echo_and_close_on_shutdown() {
    let (ctx, stop) = context::with_cancel(&Context::background());
    let (addr, server) = serve_example(ctx).await;

    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut ws, res) = async_tungstenite::client_async(format!("ws://{addr}/ws"), tcp)
        .await
        .unwrap();
    assert_eq!(res.status(), 101);
    for text in ["hello", "from", "gmp"] {
        ws.send(Message::text(text)).await.unwrap();
        let echo = ws.next().await.unwrap().unwrap();
        assert_eq!(echo.into_text().unwrap().as_str(), text);
    }

    // Shutdown: the server closes the websocket with a Close frame, and serve returns.
    stop.cancel();
    let closing = gmp::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap();
    assert!(
        matches!(closing, Some(Ok(Message::Close(_))) | None),
        "got {closing:?}"
    );
    server.await.unwrap().unwrap();
}

#[gmp::test]
async fn example_shuts_down_on_sigint() {
    // The example's own Ctrl-C wiring; the only test in this binary that installs it.
    let ctx = example::shutdown_on_ctrl_c();
    let (addr, server) = serve_example(ctx).await;
    assert_eq!(call(addr, "GET", "/hello/signal", None).await.0, 200);

    let status = std::process::Command::new("kill")
        .args(["-INT", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    gmp::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("serve did not return after SIGINT")
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "still accepting after SIGINT"
    );
}
