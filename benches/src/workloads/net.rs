//! The network workloads, `http_hello` and `tcp_echo`: a server on 127.0.0.1:0 inside the
//! child (gmp or tokio, [`WORKERS`] workers; Go's peer is `benches/go/net.go`), loaded by the
//! harness's own load generator ([`crate::load`], `gmp-bench --load ...`) which the child runs
//! as its own child, so every peer faces the same client:
//!
//! - `http_hello`: the same hyper 1.x "Hello, World!" service (HTTP/1.1 keep-alive, no hyper
//!   timer, `TCP_NODELAY`), [`CONNS`] connections;
//! - `axum_hello`: the same axum `Router` (one route returning "Hello, World!") served by
//!   `gmp::http::serve` with its defaults (HTTP/1 + HTTP/2 detection, a 10 s header-read timeout
//!   per request, connection limit) on gmp and by `axum::serve` on tokio, [`CONNS`] connections;
//! - `tcp_echo`: the same echo loop (read up to 4 KiB, write it back), [`CONNS`] connections
//!   sending [`ECHO_SIZE`]-byte messages.
//!
//! The load generator is found through [`LOAD_BIN_ENV`] (the harness sets it for Rust and Go
//! children alike) or else this executable. The size `n` is the load's duration in seconds.
//! Metrics: `rps` (requests or messages per second, the primary one), `p50_us`, `p99_us`.

use std::convert::Infallible;
use std::io;
use std::process::Command;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response};

use super::{Kind, Metrics, Params, Scale, Workload};
use crate::rt::{Peer, WORKERS};

/// The environment variable through which the harness tells a server child (Rust or Go) where
/// the load generator (`gmp-bench`) is.
pub const LOAD_BIN_ENV: &str = "GMPB_LOAD_BIN";

/// Concurrent connections of both loads.
pub const CONNS: u32 = 50;

/// Message size of `tcp_echo`.
pub const ECHO_SIZE: u32 = 1024;

/// HTTP hello under the load generator.
pub const HTTP_HELLO: Workload = Workload {
    name: "http_hello",
    about: "HTTP/1.1 \"Hello, World!\" (hyper 1.x; Go: net/http), 50 keep-alive connections, loopback",
    kind: Kind::Net { unit: "req/s" },
    peers: &[Peer::Gmp, Peer::Tokio],
    size: |_, s| match s {
        Scale::Full => 2,
        Scale::Quick => 1,
    },
    run: |peer, p| run(peer, p, Server::Http),
};

/// axum hello under the load generator: gmp's `serve` against tokio's `axum::serve`.
pub const AXUM_HELLO: Workload = Workload {
    name: "axum_hello",
    about: "axum Router \"Hello, World!\": gmp::http::serve vs axum::serve on tokio, 50 keep-alive connections",
    kind: Kind::Net { unit: "req/s" },
    peers: &[Peer::Gmp, Peer::Tokio],
    size: |_, s| match s {
        Scale::Full => 2,
        Scale::Quick => 1,
    },
    run: |peer, p| run(peer, p, Server::Axum),
};

/// TCP echo under the load generator.
pub const TCP_ECHO: Workload = Workload {
    name: "tcp_echo",
    about: "TCP echo server, 50 connections x 1 KiB messages, loopback",
    kind: Kind::Net { unit: "msgs/s" },
    peers: &[Peer::Gmp, Peer::Tokio],
    size: |_, s| match s {
        Scale::Full => 2,
        Scale::Quick => 1,
    },
    run: |peer, p| run(peer, p, Server::Echo),
};

#[derive(Clone, Copy)]
enum Server {
    Http,
    Axum,
    Echo,
}

/// Starts the server on a background thread, then runs the load `warmup + reps` times.
fn run(peer: Peer, p: Params, server: Server) -> Result<Vec<Metrics>, String> {
    let (tx, rx) = std::sync::mpsc::channel::<io::Result<u16>>();
    std::thread::Builder::new()
        .name("server".into())
        .spawn(move || {
            let err = match peer {
                Peer::Gmp => serve_gmp(server, &tx),
                Peer::Tokio => serve_tokio(server, &tx),
                _ => Err(io::Error::other(format!("{peer} has no server"))),
            };
            if let Err(e) = err {
                let _ = tx.send(Err(e));
            }
        })
        .map_err(|e| format!("cannot start the server thread: {e}"))?;
    let port = rx
        .recv()
        .map_err(|_| "the server thread ended".to_string())?
        .map_err(|e| format!("server: {e}"))?;
    let addr = format!("127.0.0.1:{port}");
    let proto = match server {
        Server::Http | Server::Axum => "http",
        Server::Echo => "echo",
    };
    // The process exits after the record is printed, taking the server thread with it.
    (0..p.warmup + p.reps)
        .map(|_| load(proto, &addr, p.n))
        .skip(p.warmup)
        .collect()
}

/// Runs the load generator (`gmp-bench --load <proto> <addr> 50 <secs> 1024`) against `addr`.
///
/// # Errors
///
/// When it cannot start or reports a failure.
pub fn load(proto: &str, addr: &str, secs: u64) -> Result<Metrics, String> {
    let bin = match std::env::var_os(LOAD_BIN_ENV) {
        Some(b) => b.into(),
        None => std::env::current_exe().map_err(|e| format!("cannot find gmp-bench: {e}"))?,
    };
    let o = Command::new(bin)
        .args(["--load", proto, addr])
        .args([CONNS.to_string(), secs.to_string(), ECHO_SIZE.to_string()])
        .output()
        .map_err(|e| format!("cannot run the load generator: {e}"))?;
    let out = String::from_utf8_lossy(&o.stdout);
    let get = |key: &str| {
        out.split_whitespace()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=')?.parse::<f64>().ok())
    };
    match (o.status.success(), get("rps"), get("p50_us"), get("p99_us")) {
        (true, Some(r), Some(p50), Some(p99)) => {
            Ok(vec![("rps", r), ("p50_us", p50), ("p99_us", p99)])
        }
        _ => Err(format!(
            "load generator failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
    }
}

async fn hello(_req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, World!",
    ))))
}

/// The axum app of `axum_hello`, the same on both runtimes.
fn axum_app() -> axum::Router {
    axum::Router::new().route("/", axum::routing::get(|| async { "Hello, World!" }))
}

fn serve_gmp(server: Server, port: &std::sync::mpsc::Sender<io::Result<u16>>) -> io::Result<()> {
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    let rt = gmp::Builder::new().maxprocs(WORKERS).build()?;
    rt.block_on(async {
        let listener = gmp::net::TcpListener::bind("127.0.0.1:0").await?;
        let _ = port.send(Ok(listener.local_addr()?.port()));
        if let Server::Axum = server {
            return gmp::http::serve(listener, axum_app()).await;
        }
        // No hyper timer on either side (with one, hyper arms a header-read timeout per request).
        let http = hyper::server::conn::http1::Builder::new();
        loop {
            let (mut conn, _) = listener.accept().await?;
            let http = http.clone();
            gmp::spawn(async move {
                match server {
                    Server::Http | Server::Axum => {
                        let _ = http
                            .serve_connection(conn, hyper::service::service_fn(hello))
                            .await;
                    }
                    Server::Echo => {
                        let mut buf = vec![0; 4096];
                        while let Ok(n @ 1..) = conn.read(&mut buf).await {
                            if conn.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            })
            .detach();
        }
    })
}

fn serve_tokio(server: Server, port: &std::sync::mpsc::Sender<io::Result<u16>>) -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let _ = port.send(Ok(listener.local_addr()?.port()));
        if let Server::Axum = server {
            // axum::serve sets TCP_NODELAY on each connection, as gmp's streams do.
            return axum::serve(listener, axum_app()).await;
        }
        let http = hyper::server::conn::http1::Builder::new();
        loop {
            let (mut conn, _) = listener.accept().await?;
            // Same socket options as gmp's streams (Go's default).
            conn.set_nodelay(true)?;
            let http = http.clone();
            tokio::spawn(async move {
                match server {
                    Server::Http | Server::Axum => {
                        let io = hyper_util::rt::TokioIo::new(conn);
                        let _ = http
                            .serve_connection(io, hyper::service::service_fn(hello))
                            .await;
                    }
                    Server::Echo => {
                        let mut buf = vec![0; 4096];
                        while let Ok(n @ 1..) = conn.read(&mut buf).await {
                            if conn.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    })
}
