//! A `/debug/tasks` endpoint, like Go's `/debug/pprof/goroutine?debug=2`: every live task with
//! its state, spawn site, age and poll count, served over HTTP by hyper on gmp.
//!
//! Run: `cargo run --example debug_tasks --features hyper [ADDR]`, then
//! `curl http://127.0.0.1:6060/debug/tasks`.

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
    let dump = gmp::runtime::dump().to_string();
    Ok(Response::new(Full::new(Bytes::from(dump))))
}

#[gmp::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:6060".to_owned());
    // Something to look at: a task parked forever (a leak, as a dump would reveal it).
    gmp::spawn(std::future::pending::<()>()).detach();
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
