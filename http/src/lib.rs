//! # gmp-http: a web service on gmp
//!
//! The pieces a tokio/axum service needs to move onto gmp with no tokio runtime:
//!
//! - [`serve()`]: axum's `serve` for gmp. Any tower service (an axum `Router`) on a gmp
//!   [`TcpListener`](gmp_executor::net::TcpListener), [`UnixListener`](gmp_executor::net::UnixListener)
//!   or any [`Listener`] (TLS); HTTP/1 and HTTP/2 auto-detected, upgrades, header-read timeout,
//!   header size and connection limits, accept back-off on `EMFILE`, graceful shutdown driven by
//!   a gmp [`Context`](gmp_sync::Context).
//! - [`FuturesIo`]: futures-io's traits over hyper's I/O, for websockets on an upgraded
//!   connection with a runtime-agnostic crate (async-tungstenite with no runtime feature).
//! - [`TimeoutLayer`]: tower's request timeout on gmp's timers (`408` past the limit), where
//!   `tower::timeout` and `tower_http::timeout` need tokio's timer.
//! - [`client`]: hyper-util's pooled HTTP client with a gmp connector (DNS through gmp, connect
//!   timeout, HTTP/1 keep-alive pool, HTTP/2).
//!
//! Through the facade: `gmp::http` with feature `http`.
//!
//! # Examples
//!
//! ```
//! use std::future::IntoFuture;
//! use http_body_util::{BodyExt, Empty};
//! use hyper::body::Bytes;
//! use gmp_executor::net::{TcpListener, TcpStream};
//! use gmp_sync::context;
//!
//! # gmp_executor::Runtime::new().unwrap().block_on(async {
//! let app = axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
//! let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//! let addr = listener.local_addr().unwrap();
//! let (ctx, stop) = context::with_cancel(&context::Context::background());
//! let server = gmp_executor::spawn(gmp_http::serve(listener, app).with_graceful_shutdown(ctx).into_future());
//!
//! let conn = TcpStream::connect(addr).await.unwrap();
//! let (mut sender, connection) = hyper::client::conn::http1::handshake(conn).await.unwrap();
//! gmp_executor::spawn(connection).detach();
//! let res = sender.send_request(hyper::Request::get("/").body(Empty::<Bytes>::new()).unwrap()).await.unwrap();
//! assert_eq!(&res.into_body().collect().await.unwrap().to_bytes()[..], b"hi");
//!
//! stop.cancel();
//! server.await.unwrap().unwrap();
//! # });
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
mod io;
mod listener;
pub mod serve;
pub mod timeout;

pub use io::FuturesIo;
pub use listener::Listener;
pub use serve::{Serve, ServeFuture, serve};
pub use timeout::TimeoutLayer;
