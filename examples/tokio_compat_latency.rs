//! The cost of the tokio-compat route: the threads it adds, and one request's latency through
//! reqwest (tokio's timer, reactor and spawner, on the compat thread) against gmp-http's own
//! client (hyper-util on gmp's reactor, no tokio runtime), to the same local hyper server on
//! gmp, on one compat runtime.
//!
//! Sequential GETs on a kept-alive connection from one gmp task, alternating request by
//! request (reqwest, gmp-http, reqwest, ...) so that machine noise falls on both; prints the
//! median and p99 of each. One run, on whatever
//! else the machine is doing: read the figures as a rough comparison, not a benchmark.
//!
//! Run: `cargo run --release --example tokio_compat_latency --features tokio-compat,http`
//! (`N=4000` for more requests; `IN_BLOCK_ON=1` to send them from `block_on`'s thread instead of
//! a gmp task).

use std::convert::Infallible;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Bytes;

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn main() {
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);

    let plain = gmp::Builder::new().maxprocs(2).build().unwrap();
    let before = threads();
    drop(plain);
    let rt = gmp::Builder::new()
        .maxprocs(2)
        .tokio_compat(true)
        .build()
        .unwrap();
    let with_compat = threads();
    println!(
        "threads: a 2-worker runtime {before}, a 2-worker compat runtime {with_compat} (the \
         compat thread is one per process: {})",
        gmp::runtime::tokio_compat::THREAD_NAME
    );

    let measure = async move {
        let listener = gmp::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        gmp::spawn(async move {
            loop {
                let (conn, _) = listener.accept().await.unwrap();
                gmp::spawn(async move {
                    let svc = hyper::service::service_fn(|_req| async {
                        Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from("hello"))))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(conn, svc)
                        .await;
                })
                .detach();
            }
        })
        .detach();

        let url = format!("http://{addr}/");
        let uri: hyper::Uri = url.parse().unwrap();
        let reqwest = reqwest::Client::new();
        let gmp_client = gmp_http::client::new::<Empty<Bytes>>();
        let (mut t_reqwest, mut t_gmp) = (Vec::with_capacity(n), Vec::with_capacity(n));
        // Warm-up: connect both, fill the pools.
        for _ in 0..50 {
            reqwest
                .get(&url)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            let res = gmp_client.get(uri.clone()).await.unwrap();
            res.into_body().collect().await.unwrap();
        }
        for _ in 0..n {
            let start = Instant::now();
            let body = reqwest.get(&url).send().await.unwrap();
            let body = body.bytes().await.unwrap();
            t_reqwest.push(start.elapsed());
            assert_eq!(&body[..], b"hello");

            let start = Instant::now();
            let res = gmp_client.get(uri.clone()).await.unwrap();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            t_gmp.push(start.elapsed());
            assert_eq!(&body[..], b"hello");
        }
        for (name, t) in [
            ("reqwest (tokio-compat)", &mut t_reqwest),
            ("gmp-http client", &mut t_gmp),
        ] {
            t.sort();
            println!(
                "{name:<24} {} requests: median {:>6.1} us, p99 {:>6.1} us",
                t.len(),
                percentile(t, 0.5).as_secs_f64() * 1e6,
                percentile(t, 0.99).as_secs_f64() * 1e6,
            );
        }
    };
    if std::env::var_os("IN_BLOCK_ON").is_some() {
        println!("measuring from block_on's thread");
        rt.block_on(measure);
    } else {
        println!("measuring from a gmp task");
        rt.block_on(rt.spawn(measure)).unwrap();
    }
}
