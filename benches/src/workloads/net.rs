//! Issue 3's network workloads, `http_hello` and `tcp_echo`: a server on 127.0.0.1:0 inside the
//! child (gmp or tokio, [`WORKERS`] workers; Go's peer is `benches/go/net.go`), loaded by an
//! external generator the child runs as its own child, so every peer faces the same client:
//!
//! - `http_hello`: the same hyper 1.x "Hello, World!" service (HTTP/1.1 keep-alive, no hyper
//!   timer, `TCP_NODELAY`), loaded by `wrk -t2 -c50 -d<n>s --latency`;
//! - `tcp_echo`: the same echo loop (read up to 4 KiB, write it back), loaded by the Go echo
//!   client of `benches/go` (`gmpbench echo-client`, 50 connections x 1 KiB), found through
//!   [`GO_BIN_ENV`].
//!
//! The size `n` is the load's duration in seconds. Metrics: `rps` (requests or messages per
//! second, the primary one), `p50_us`, `p99_us`.

use std::convert::Infallible;
use std::io;
use std::process::Command;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response};

use super::{Kind, Load, Metrics, Params, Scale, Workload};
use crate::rt::{Peer, WORKERS};

/// The environment variable through which the harness tells a child where the Go binary is.
pub const GO_BIN_ENV: &str = "GMPB_GO_BIN";

/// Concurrent connections of both loads.
pub const CONNS: u32 = 50;

/// Message size of `tcp_echo`.
pub const ECHO_SIZE: u32 = 1024;

/// HTTP hello under wrk.
pub const HTTP_HELLO: Workload = Workload {
    name: "http_hello",
    about: "hyper 1.x \"Hello, World!\" (Go: net/http) under wrk -t2 -c50, loopback",
    kind: Kind::Net {
        unit: "req/s",
        load: Load::Wrk,
    },
    peers: &[Peer::Gmp, Peer::Tokio],
    size: |_, s| match s {
        Scale::Full => 3,
        Scale::Quick => 1,
    },
    run: |peer, p| run(peer, p, Server::Http),
};

/// TCP echo under the Go echo client.
pub const TCP_ECHO: Workload = Workload {
    name: "tcp_echo",
    about: "echo server, 50 connections x 1 KiB messages from the Go client, loopback",
    kind: Kind::Net {
        unit: "msgs/s",
        load: Load::GoEchoClient,
    },
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
    let go_bin = std::env::var(GO_BIN_ENV);
    // The process exits after the record is printed, taking the server thread with it.
    (0..p.warmup + p.reps)
        .map(|_| match server {
            Server::Http => wrk(&addr, p.n),
            Server::Echo => match &go_bin {
                Ok(bin) => echo_client(bin, &addr, p.n),
                Err(_) => Err(format!("{GO_BIN_ENV} not set: the echo client is Go's")),
            },
        })
        .skip(p.warmup)
        .collect()
}

/// Runs `wrk -t2 -c50 -d<secs>s --latency` against `addr` and parses its report.
pub fn wrk(addr: &str, secs: u64) -> Result<Metrics, String> {
    let o = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{CONNS}"),
            &format!("-d{secs}s"),
            "--latency",
        ])
        .arg(format!("http://{addr}/"))
        .output()
        .map_err(|e| format!("cannot run wrk: {e}"))?;
    let out = String::from_utf8_lossy(&o.stdout);
    parse_wrk(&out).ok_or_else(|| format!("cannot parse wrk's output: {}", out.trim()))
}

/// `rps`, `p50_us`, `p99_us` from wrk's `--latency` report; `None` if a field is missing or
/// wrk saw errors (non-2xx answers, socket errors).
pub fn parse_wrk(out: &str) -> Option<Metrics> {
    if out.contains("Non-2xx") || out.contains("Socket errors") {
        return None;
    }
    let field = |key: &str| {
        out.lines()
            .map(str::split_whitespace)
            .find_map(|mut w| (w.next() == Some(key)).then(|| w.next()).flatten())
    };
    let rps: f64 = field("Requests/sec:")?.parse().ok()?;
    let p50 = wrk_duration_us(field("50%")?)?;
    let p99 = wrk_duration_us(field("99%")?)?;
    Some(vec![("rps", rps), ("p50_us", p50), ("p99_us", p99)])
}

/// wrk's `12.34us` / `1.20ms` / `1.01s` in microseconds.
fn wrk_duration_us(s: &str) -> Option<f64> {
    let (num, scale) = if let Some(v) = s.strip_suffix("us") {
        (v, 1.0)
    } else if let Some(v) = s.strip_suffix("ms") {
        (v, 1e3)
    } else if let Some(v) = s.strip_suffix('s') {
        (v, 1e6)
    } else {
        return None;
    };
    num.parse::<f64>().ok().map(|v| v * scale)
}

/// Runs the Go echo client (`<go_bin> echo-client ADDR CONNS SECS SIZE`), which prints one
/// line `rps=.. p50_us=.. p99_us=..`.
fn echo_client(go_bin: &str, addr: &str, secs: u64) -> Result<Metrics, String> {
    let o = Command::new(go_bin)
        .args(["echo-client", addr])
        .args([CONNS.to_string(), secs.to_string(), ECHO_SIZE.to_string()])
        .env("GOMAXPROCS", WORKERS.to_string())
        .output()
        .map_err(|e| format!("cannot run the Go echo client: {e}"))?;
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
            "Go echo client failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
    }
}

async fn hello(_req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, World!",
    ))))
}

fn serve_gmp(server: Server, port: &std::sync::mpsc::Sender<io::Result<u16>>) -> io::Result<()> {
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    let rt = gmp::Builder::new().maxprocs(WORKERS).build()?;
    rt.block_on(async {
        let listener = gmp::net::TcpListener::bind("127.0.0.1:0").await?;
        let _ = port.send(Ok(listener.local_addr()?.port()));
        // No hyper timer on either side (with one, hyper arms a header-read timeout per request).
        let http = hyper::server::conn::http1::Builder::new();
        loop {
            let (mut conn, _) = listener.accept().await?;
            let http = http.clone();
            gmp::spawn(async move {
                match server {
                    Server::Http => {
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
        let http = hyper::server::conn::http1::Builder::new();
        loop {
            let (mut conn, _) = listener.accept().await?;
            // Same socket options as gmp's streams (Go's default).
            conn.set_nodelay(true)?;
            let http = http.clone();
            tokio::spawn(async move {
                match server {
                    Server::Http => {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wrk() {
        let out = "Running 1s test @ http://127.0.0.1:1/\n  2 threads and 50 connections\n  \
                   Latency Distribution\n     50%  512.00us\n     75%    1.10ms\n     90%    \
                   2.00ms\n     99%    4.40ms\n  61234 requests in 1.00s, 7.3MB read\n\
                   Requests/sec:  61234.56\nTransfer/sec:      7.30MB\n";
        let m = parse_wrk(out).unwrap();
        assert_eq!(
            m,
            vec![("rps", 61234.56), ("p50_us", 512.0), ("p99_us", 4400.0)]
        );
        assert!(parse_wrk(&format!("{out}  Socket errors: connect 0, read 1\n")).is_none());
        assert_eq!(wrk_duration_us("1.01s"), Some(1.01e6));
    }
}
