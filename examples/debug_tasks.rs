//! A `/debug/tasks` endpoint, like Go's `/debug/pprof/goroutine`, served over HTTP by hyper on
//! gmp:
//!
//! - `/debug/tasks?debug=1`: the tasks counted by spawn site and state or wait reason, largest
//!   group first (`1000 @ src/main.rs:12:5 [chan receive]`), the view that finds a leak;
//! - `/debug/tasks` or `?debug=2`: every live task with its state or wait reason, spawn site,
//!   age and poll count.
//!
//! Run: `cargo run --example debug_tasks --features hyper [ADDR]`, then
//! `curl 'http://127.0.0.1:6060/debug/tasks?debug=1'`. It listens on 127.0.0.1 unless given
//! another address (a dump names code paths: keep it off public ports), and serves reads only.

use std::convert::Infallible;

use gmp::hyper::GmpTimer;
use gmp::net::TcpListener;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response, StatusCode};

async fn debug(req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() != "/debug/tasks" {
        let mut not_found = Response::new(Full::new(Bytes::from_static(b"try /debug/tasks\n")));
        *not_found.status_mut() = StatusCode::NOT_FOUND;
        return Ok(not_found);
    }
    let text = match req.uri().query() {
        Some("debug=1") => gmp::runtime::profile().to_string(),
        None | Some("debug=2") => gmp::runtime::dump().to_string(),
        Some(_) => {
            let mut bad = Response::new(Full::new(Bytes::from_static(
                b"debug=1 (grouped) or debug=2 (every task)\n",
            )));
            *bad.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(bad);
        }
    };
    Ok(Response::new(Full::new(Bytes::from(text))))
}

#[gmp::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:6060".to_owned());
    // Something to look at: a task parked forever (a leak, as a dump would reveal it), and
    // three tasks blocked receiving from a channel nobody sends on.
    gmp::spawn(std::future::pending::<()>()).detach();
    let (tx, rx) = gmp::chan::bounded::<()>(0);
    for _ in 0..3 {
        let rx = rx.clone();
        gmp::spawn(async move { rx.recv().await }).detach();
    }
    std::mem::forget(tx);
    let listener = TcpListener::bind(addr).await?;
    println!("listening on http://{}/debug/tasks", listener.local_addr()?);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(GmpTimer::new());
    loop {
        let (conn, _peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let http = http.clone();
        gmp::spawn(async move {
            if let Err(e) = http
                .serve_connection(conn, hyper::service::service_fn(debug))
                .await
            {
                eprintln!("connection: {e}");
            }
        })
        .detach();
    }
}
