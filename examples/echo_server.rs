//! The TCP echo benchmark's servers: the same echo loop (read up to 4 KiB, write it back) on
//! gmp or on tokio's multi-threaded runtime, with the same number of workers.
//! `benches/echo_compare.sh` runs them and Go's echo server against one Go load generator
//! (50 connections, 1 KiB messages).
//!
//! ```text
//! cargo build --release --example echo_server
//! target/release/examples/echo_server gmp 127.0.0.1:9000 &    # or: tokio
//! go -C benches/go run ./standalone/echo client 127.0.0.1:9000 50 5 1024
//! ```
//!
//! Workers: `GOMAXPROCS` if set, otherwise one per core, for both runtimes.

use std::io;

fn workers() -> usize {
    std::env::var("GOMAXPROCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "gmp".to_owned());
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9000".to_owned());
    match which.as_str() {
        "gmp" => serve_gmp(&addr),
        "tokio" => serve_tokio(&addr),
        other => Err(io::Error::other(format!(
            "unknown runtime {other:?}: gmp or tokio"
        ))),
    }
}

fn serve_gmp(addr: &str) -> io::Result<()> {
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    let rt = gmp::Builder::new().maxprocs(workers()).build()?;
    rt.block_on(async {
        let listener = gmp::net::TcpListener::bind(addr).await?;
        println!("gmp listening on {}", listener.local_addr()?);
        loop {
            let (mut conn, _) = listener.accept().await?;
            gmp::spawn(async move {
                let mut buf = vec![0; 4096];
                loop {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
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

fn serve_tokio(addr: &str) -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers())
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!("tokio listening on {}", listener.local_addr()?);
        loop {
            let (mut conn, _) = listener.accept().await?;
            // Same socket options as gmp's streams (Go's default).
            conn.set_nodelay(true)?;
            tokio::spawn(async move {
                let mut buf = vec![0; 4096];
                loop {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
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
