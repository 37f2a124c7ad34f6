//! The HTTP hello benchmark's servers: the same hyper 1.x service (`Hello, World!`, HTTP/1.1
//! keep-alive) on gmp or on tokio's multi-threaded runtime, with the same number of workers.
//! Drive it with a load generator; `benches/http_compare.sh` runs it against wrk together with
//! Go's net/http (`benches/go/standalone/http_hello`).
//!
//! ```text
//! cargo build --release --features hyper --example http_load
//! target/release/examples/http_load gmp 127.0.0.1:8080 &    # or: tokio
//! wrk -t2 -c50 -d5s --latency http://127.0.0.1:8080/
//! ```
//!
//! Workers: `GOMAXPROCS` if set, otherwise one per core, for both runtimes.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response};

async fn hello(_req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, World!",
    ))))
}

fn workers() -> usize {
    std::env::var("GOMAXPROCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "gmp".to_owned());
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    match which.as_str() {
        "gmp" => serve_gmp(&addr),
        "tokio" => serve_tokio(&addr),
        other => Err(io::Error::other(format!(
            "unknown runtime {other:?}: gmp or tokio"
        ))),
    }
}

fn serve_gmp(addr: &str) -> io::Result<()> {
    let rt = gmp::Builder::new().maxprocs(workers()).build()?;
    rt.block_on(async {
        let listener = gmp::net::TcpListener::bind(addr).await?;
        println!("gmp listening on http://{}", listener.local_addr()?);
        // No timer on either side: with one, hyper arms a 30 s header-read timeout per request,
        // and the tokio side would need a timer adapter too. The builders are identical.
        let http = hyper::server::conn::http1::Builder::new();
        loop {
            let (conn, _) = listener.accept().await?;
            let http = http.clone();
            gmp::spawn(async move {
                let _ = http
                    .serve_connection(conn, hyper::service::service_fn(hello))
                    .await;
            })
            .detach();
        }
    })
}

fn serve_tokio(addr: &str) -> io::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers())
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!("tokio listening on http://{}", listener.local_addr()?);
        let http = hyper::server::conn::http1::Builder::new();
        loop {
            let (conn, _) = listener.accept().await?;
            // Same socket options as gmp's streams (Go's default).
            conn.set_nodelay(true)?;
            let http = http.clone();
            tokio::spawn(async move {
                let _ = http
                    .serve_connection(TokioIo(conn), hyper::service::service_fn(hello))
                    .await;
            });
        }
    })
}

/// hyper's I/O traits over tokio's TCP stream (what `hyper-util`'s `TokioIo` provides; written
/// here to keep the comparison's dependencies to tokio and hyper).
struct TokioIo(tokio::net::TcpStream);

impl hyper::rt::Read for TokioIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: tokio's ReadBuf only writes into the unfilled bytes and tracks what it
        // initialized; no initialized byte is de-initialized.
        let n = unsafe {
            let mut tbuf = tokio::io::ReadBuf::uninit(buf.as_mut());
            ready!(tokio::io::AsyncRead::poll_read(
                Pin::new(&mut self.0),
                cx,
                &mut tbuf
            ))?;
            tbuf.filled().len()
        };
        // SAFETY: the first `n` bytes of the unfilled part were filled by the read.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl hyper::rt::Write for TokioIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        tokio::io::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        tokio::io::AsyncWrite::poll_write_vectored(Pin::new(&mut self.0), cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        true
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        tokio::io::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        tokio::io::AsyncWrite::poll_shutdown(Pin::new(&mut self.0), cx)
    }
}
