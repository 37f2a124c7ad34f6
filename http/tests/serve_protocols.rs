//! `serve` speaks HTTP/1 and HTTP/2 (prior knowledge) to an axum `Router`, on TCP and Unix
//! sockets; JSON extractor and path parameters; the header size limit; websockets through
//! hyper's upgrade and a futures-io adapter.

mod common;

use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::Message;
use async_tungstenite::tungstenite::handshake::derive_accept_key;
use async_tungstenite::tungstenite::protocol::Role;
use common::*;
use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
use gmp_executor::net::{TcpStream, UnixListener, UnixStream};
use http_body_util::BodyExt;

#[test]
fn http1_axum_json_and_path_params() {
    run(async {
        let (listener, addr) = listen().await;
        let (server, stop) = start(gmp_http::serve(listener, app()));

        let mut c = h1(addr).await;
        assert_eq!(
            send1(&mut c, request("GET", "/users/42", "")).await,
            (200, "user 42".into())
        );
        // Same connection (keep-alive): the JSON extractor and a JSON response.
        let (status, body) = send1(
            &mut c,
            request("POST", "/orders", r#"{"item":"tea","qty":3}"#),
        )
        .await;
        assert_eq!(status, 200);
        let order: Order = serde_json::from_str(&body).unwrap();
        assert_eq!(
            order,
            Order {
                item: "TEA".into(),
                qty: 6
            }
        );
        // Extractor rejections reach the client.
        assert_eq!(
            send1(&mut c, request("GET", "/users/notanumber", ""))
                .await
                .0,
            400
        );
        assert_eq!(send1(&mut c, request("POST", "/orders", "{")).await.0, 400);
        assert_eq!(send1(&mut c, request("GET", "/nowhere", "")).await.0, 404);

        shut_down(server, stop).await;
    });
}

#[test]
fn http2_prior_knowledge_axum() {
    run(async {
        let (listener, addr) = listen().await;
        let (server, stop) = start(gmp_http::serve(listener, app()));

        let mut c = h2_over(TcpStream::connect(addr).await.unwrap()).await;
        // Concurrent streams on one connection.
        let mut pending = Vec::new();
        for i in 0..10u32 {
            let body = format!(r#"{{"item":"cup{i}","qty":{i}}}"#);
            let req = request("POST", "http://localhost/orders", &body);
            pending.push(c.send_request(req));
        }
        for (i, res) in pending.into_iter().enumerate() {
            let res = res.await.unwrap();
            assert_eq!(res.version(), hyper::Version::HTTP_2);
            assert_eq!(res.status(), 200);
            let body = res.into_body().collect().await.unwrap().to_bytes();
            let order: Order = serde_json::from_slice(&body).unwrap();
            assert_eq!(
                order,
                Order {
                    item: format!("CUP{i}"),
                    qty: 2 * i as u32
                }
            );
        }
        let res = c
            .send_request(request("GET", "http://localhost/users/7", ""))
            .await
            .unwrap();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"user 7");

        shut_down(server, stop).await;
    });
}

#[test]
fn unix_listener_http1_and_http2() {
    run(async {
        let dir = std::env::temp_dir().join(format!("gmp-http-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("serve.sock");
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).unwrap();
        let (server, stop) = start(gmp_http::serve(listener, app()));

        let io = UnixStream::connect(&path).await.unwrap();
        let (mut c, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
        gmp_executor::spawn(conn).detach();
        assert_eq!(
            send1(&mut c, request("GET", "/users/5", "")).await,
            (200, "user 5".into())
        );

        let mut c2 = h2_over(UnixStream::connect(&path).await.unwrap()).await;
        let res = c2
            .send_request(request("GET", "http://localhost/users/6", ""))
            .await
            .unwrap();
        assert_eq!(res.status(), 200);

        shut_down(server, stop).await;
        std::fs::remove_dir_all(&dir).unwrap();
    });
}

#[test]
fn oversized_header_gets_431() {
    run(async {
        let (listener, addr) = listen().await;
        let (server, stop) = start(gmp_http::serve(listener, app()).max_header_size(16 * 1024));

        // 8 KiB of header passes, 32 KiB does not.
        let mut c = h1(addr).await;
        let mut ok = request("GET", "/users/1", "");
        ok.headers_mut()
            .insert("x-pad", "a".repeat(8 * 1024).parse().unwrap());
        assert_eq!(send1(&mut c, ok).await.0, 200);

        let mut raw = TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "GET /users/1 HTTP/1.1\r\nhost: x\r\nx-pad: {}\r\n\r\n",
            "a".repeat(32 * 1024)
        );
        // The server may close before reading all of it: ignore a failed write.
        let _ = raw.write_all(head.as_bytes()).await;
        let mut reply = Vec::new();
        let _ = raw.read_to_end(&mut reply).await;
        let reply = String::from_utf8_lossy(&reply);
        assert!(reply.starts_with("HTTP/1.1 431"), "got {reply:?}");

        shut_down(server, stop).await;
    });
}

/// A websocket echo route without axum's tokio-only `WebSocketUpgrade`: hyper's upgrade, then
/// async-tungstenite (no runtime feature) over `FuturesIo<Upgraded>`.
async fn ws_echo(mut req: axum::extract::Request) -> axum::response::Response {
    let key = req.headers().get("sec-websocket-key").cloned();
    let Some(key) = key else {
        return (http::StatusCode::BAD_REQUEST, "not a websocket handshake").into_response();
    };
    let upgrade = hyper::upgrade::on(&mut req);
    gmp_executor::spawn(async move {
        let upgraded = upgrade.await.unwrap();
        let io = gmp_http::FuturesIo::new(upgraded);
        let mut ws = WebSocketStream::from_raw_socket(io, Role::Server, None).await;
        while let Some(Ok(msg)) = ws.next().await {
            if msg.is_text() || msg.is_binary() {
                ws.send(msg).await.unwrap();
            }
        }
    })
    .detach();
    axum::response::Response::builder()
        .status(http::StatusCode::SWITCHING_PROTOCOLS)
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-accept", derive_accept_key(key.as_bytes()))
        .body(axum::body::Body::empty())
        .unwrap()
}

use axum::response::IntoResponse;

#[test]
fn websocket_echo_through_hyper_upgrade() {
    run(async {
        let (listener, addr) = listen().await;
        let app = app().route("/ws", axum::routing::get(ws_echo));
        let (server, stop) = start(gmp_http::serve(listener, app));

        let tcp = TcpStream::connect(addr).await.unwrap();
        let (mut ws, res) = async_tungstenite::client_async(format!("ws://{addr}/ws"), tcp)
            .await
            .unwrap();
        assert_eq!(res.status(), 101);
        for i in 0..20 {
            ws.send(Message::text(format!("hello {i}"))).await.unwrap();
            let echo = ws.next().await.unwrap().unwrap();
            assert_eq!(echo.into_text().unwrap().as_str(), format!("hello {i}"));
        }
        ws.send(Message::binary(vec![7u8; 100_000])).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap().into_data().len(), 100_000);
        ws.close(None).await.unwrap();

        // Other routes still answer alongside.
        assert_eq!(get1(addr, "/users/3").await, (200, "user 3".into()));
        shut_down(server, stop).await;
    });
}
