//! "Hello, World!" over HTTP/1.1 with hyper 1.x on gmp (feature `hyper`): no tokio runtime.
//!
//! ```text
//! cargo run --release --features hyper --example http_hello [-- ADDR]
//! curl http://127.0.0.1:3000/
//! ```
//!
//! Listens on `ADDR` (default `127.0.0.1:3000`; port 0 picks a free one), prints
//! `listening on http://ADDR`, then serves each connection on its own goroutine until killed.
//! `GOMAXPROCS` sets the number of workers.

use std::convert::Infallible;

use gmp::hyper::GmpTimer;
use gmp::net::TcpListener;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response};

async fn hello(_req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, World!",
    ))))
}

#[gmp::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let listener = TcpListener::bind(addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(GmpTimer::new());
    loop {
        let (conn, _peer) = match listener.accept().await {
            Ok(c) => c,
            // Out of descriptors, say: report it and keep serving.
            Err(e) => {
                eprintln!("accept: {e}");
                gmp::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let http = http.clone();
        gmp::spawn(async move {
            if let Err(e) = http
                .serve_connection(conn, hyper::service::service_fn(hello))
                .await
            {
                eprintln!("connection: {e}");
            }
        })
        .detach();
    }
}
