//! An axum service on gmp (feature `http`), with no tokio runtime: a JSON extractor, path
//! parameters, shared state, a websocket echo, and a graceful shutdown on Ctrl-C (SIGINT) or
//! SIGTERM.
//!
//! ```text
//! cargo run --features http --example axum_service [-- ADDR]
//! curl http://127.0.0.1:3000/hello/gopher
//! curl -X POST -H 'content-type: application/json' -d '{"title":"write Go in Rust"}' http://127.0.0.1:3000/todos
//! curl http://127.0.0.1:3000/todos/1
//! websocat ws://127.0.0.1:3000/ws
//! ```
//!
//! Listens on `ADDR` (default `127.0.0.1:3000`; port 0 picks a free one) and prints
//! `listening on http://ADDR`. Ctrl-C stops accepting, lets requests in flight finish (10 s at
//! most), closes the websockets with a Close frame, and exits with status 0.
//!
//! axum is built without its `tokio` feature, so `axum::serve` and axum's `WebSocketUpgrade`
//! are not there: `gmp::http::serve` takes the first's place, and the websocket route upgrades
//! through hyper (`hyper::upgrade::on`) and speaks websocket with async-tungstenite (no runtime
//! feature) over `gmp::http::FuturesIo`, futures-io's traits on hyper's upgraded connection.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::handshake::derive_accept_key;
use async_tungstenite::tungstenite::protocol::Role;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt;
use futures::future::{Either, select};
use gmp::context::{self, Context};
use gmp::net::TcpListener;
use serde::{Deserialize, Serialize};

/// The body of `POST /todos`.
#[derive(Debug, Deserialize)]
pub struct NewTodo {
    /// What to do.
    pub title: String,
}

/// A stored todo, as `POST /todos` and `GET /todos/{id}` return it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Todo {
    /// Its number, from 1.
    pub id: u64,
    /// What to do.
    pub title: String,
    /// Whether it is done.
    pub done: bool,
}

/// The service's state: the todos, and the shutdown context the websockets watch.
#[derive(Clone, Debug)]
pub struct AppState {
    todos: Arc<Mutex<HashMap<u64, Todo>>>,
    shutdown: Context,
}

/// The routes. `shutdown` ends the websocket sessions (the server's graceful shutdown does not
/// reach connections that were upgraded away from HTTP).
pub fn app(shutdown: Context) -> axum::Router {
    let state = AppState {
        todos: Arc::default(),
        shutdown,
    };
    axum::Router::new()
        .route("/hello/{name}", get(hello))
        .route("/todos", post(create_todo))
        .route("/todos/{id}", get(get_todo))
        .route("/ws", get(ws_echo))
        .with_state(state)
        // tower's timeout on gmp's timers: a request not answered in 10 s gets 408.
        .layer(gmp::http::TimeoutLayer::new(
            std::time::Duration::from_secs(10),
        ))
}

async fn hello(Path(name): Path<String>) -> String {
    format!("Hello, {name}!")
}

async fn create_todo(
    State(state): State<AppState>,
    Json(new): Json<NewTodo>,
) -> (StatusCode, Json<Todo>) {
    let mut todos = state.todos.lock().unwrap();
    let todo = Todo {
        id: todos.len() as u64 + 1,
        title: new.title,
        done: false,
    };
    todos.insert(todo.id, todo.clone());
    (StatusCode::CREATED, Json(todo))
}

async fn get_todo(State(state): State<AppState>, Path(id): Path<u64>) -> Response {
    match state.todos.lock().unwrap().get(&id) {
        Some(todo) => Json(todo.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, format!("no todo {id}")).into_response(),
    }
}

/// A websocket echo without axum's tokio-only `WebSocketUpgrade`: answer the handshake with
/// `101 Switching Protocols`, and speak websocket on the connection hyper hands over.
async fn ws_echo(State(state): State<AppState>, mut req: Request) -> Response {
    let is_upgrade = req
        .headers()
        .get(header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    let key = req.headers().get(header::SEC_WEBSOCKET_KEY).cloned();
    let (true, Some(key)) = (is_upgrade, key) else {
        return (StatusCode::BAD_REQUEST, "expected a websocket handshake").into_response();
    };
    let upgrade = hyper::upgrade::on(&mut req);
    gmp::spawn(async move {
        let upgraded = match upgrade.await {
            Ok(u) => u,
            Err(e) => return eprintln!("websocket upgrade failed: {e}"),
        };
        let io = gmp::http::FuturesIo::new(upgraded);
        let mut ws = WebSocketStream::from_raw_socket(io, Role::Server, None).await;
        loop {
            let msg = match select(ws.next(), state.shutdown.done()).await {
                Either::Left((Some(Ok(msg)), _)) => msg,
                Either::Left(_) => return, // closed or broken
                Either::Right(_) => {
                    let _ = ws.close(None).await; // server going away
                    return;
                }
            };
            if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
                return;
            }
        }
    })
    .detach();
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header(
            header::SEC_WEBSOCKET_ACCEPT,
            derive_accept_key(key.as_bytes()),
        )
        .body(Body::empty())
        .unwrap()
}

/// A context cancelled on Ctrl-C (SIGINT) or SIGTERM. Call it once per process.
pub fn shutdown_on_ctrl_c() -> Context {
    let (ctx, stop) = context::with_cancel(&Context::background());
    ctrlc::set_handler(move || stop.cancel()).expect("installing the Ctrl-C handler");
    ctx
}

#[gmp::main]
#[allow(dead_code)]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let shutdown = shutdown_on_ctrl_c();
    let listener = TcpListener::bind(addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    gmp::http::serve(listener, app(shutdown.clone()))
        .with_graceful_shutdown(shutdown)
        .shutdown_timeout(Duration::from_secs(10))
        .await?;
    println!("shut down");
    Ok(())
}
