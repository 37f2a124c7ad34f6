//! The tokio-compat route (feature `tokio-compat`): crates that need tokio's timer, reactor or
//! spawner run inside gmp tasks on a runtime built with `tokio_compat`. One test per crate or
//! API, the trap (a tokio future made outside the context), and the thread it costs.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use gmp::net::TcpListener;
use http_body_util::Full;
use hyper::body::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::{Service, ServiceExt};

/// The message of a caught panic.
fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[gmp::test(tokio_compat, maxprocs = 2)]
async fn tokio_time_on_workers_blocking_threads_and_block_on() {
    // This body runs in `block_on`, on the test's thread.
    let start = Instant::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(start.elapsed() >= Duration::from_millis(20));

    // Tasks on the workers.
    let tasks: Vec<_> = (0..16u64)
        .map(|i| {
            gmp::spawn(async move {
                tokio::time::sleep(Duration::from_millis(5 + i)).await;
                i
            })
        })
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        assert_eq!(t.await.unwrap(), i as u64);
    }

    // A blocking-pool thread sees the handle too.
    let entered = gmp::spawn_blocking(|| tokio::runtime::Handle::try_current().is_ok());
    assert!(entered.await.unwrap());

    // tokio's timeout around a gmp future.
    let slow = gmp::time::sleep(Duration::from_secs(10));
    let start = Instant::now();
    assert!(
        tokio::time::timeout(Duration::from_millis(10), slow)
            .await
            .is_err()
    );
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[gmp::test(tokio_compat)]
async fn tokio_net_echo_between_gmp_tasks() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = gmp::spawn(async move {
        let (mut conn, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        conn.read_to_end(&mut buf).await.unwrap();
        conn.write_all(&buf).await.unwrap();
    });
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"through tokio's reactor").await.unwrap();
    conn.shutdown().await.unwrap();
    let mut got = Vec::new();
    conn.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"through tokio's reactor");
    server.await.unwrap();
}

#[gmp::test(tokio_compat)]
async fn tower_timeout_layer() {
    let slow = tower::service_fn(|d: Duration| async move {
        gmp::time::sleep(d).await;
        Ok::<_, Infallible>(d)
    });
    let mut svc = tower::timeout::Timeout::new(slow, Duration::from_millis(50));
    let fast = svc
        .ready()
        .await
        .unwrap()
        .call(Duration::from_millis(1))
        .await;
    assert_eq!(fast.unwrap(), Duration::from_millis(1));

    let start = Instant::now();
    let err = svc
        .ready()
        .await
        .unwrap()
        .call(Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(err.is::<tower::timeout::error::Elapsed>(), "{err}");
    assert!(start.elapsed() < Duration::from_secs(5));
}

/// A hello server on gmp (hyper), in this runtime; abort the returned task when done.
async fn hello_server() -> (std::net::SocketAddr, gmp::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accept = gmp::spawn(async move {
        loop {
            let (conn, _) = listener.accept().await.unwrap();
            gmp::spawn(async move {
                let svc = hyper::service::service_fn(|req: hyper::Request<_>| async move {
                    let body = format!("hello {}", req.uri().path());
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from(body))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(conn, svc)
                    .await;
            })
            .detach();
        }
    });
    (addr, accept)
}

#[gmp::test(tokio_compat)]
async fn reqwest_against_a_hyper_server_on_gmp() {
    let (addr, accept) = hello_server().await;
    let client = reqwest::Client::new();
    for i in 0..3 {
        let res = client
            .get(format!("http://{addr}/{i}"))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.text().await.unwrap(), format!("hello /{i}"));
    }
    drop(client); // closes its pooled connection: the server's connection task ends
    accept.abort();
}

#[gmp::test]
async fn without_compat_tokio_timers_panic() {
    let made = std::panic::catch_unwind(|| drop(tokio::time::sleep(Duration::from_millis(1))));
    let msg = panic_message(&*made.unwrap_err());
    assert!(msg.contains("no reactor running"), "{msg}");
}

/// The trap: `tokio::time::sleep` binds to the current tokio handle when it is created.
#[test]
fn trap_tokio_future_made_outside_the_context() {
    // On a plain thread, with no handle entered: a panic, at creation.
    let made = std::thread::spawn(|| drop(tokio::time::sleep(Duration::from_millis(1)))).join();
    let msg = panic_message(&*made.unwrap_err());
    assert!(msg.contains("no reactor running"), "{msg}");

    let rt = gmp::Builder::new().tokio_compat(true).build().unwrap();

    // The fixes: make the future inside the gmp task (an async block defers it to the first
    // poll), or enter the compat handle on the plain thread.
    let deferred = async { tokio::time::sleep(Duration::from_millis(1)).await };
    rt.block_on(rt.spawn(deferred)).unwrap();
    let handle = gmp::runtime::tokio_compat::handle().unwrap();
    let entered = std::thread::spawn(move || {
        let _entered = handle.enter();
        tokio::time::sleep(Duration::from_millis(1))
    })
    .join()
    .unwrap();
    rt.block_on(rt.spawn(entered)).unwrap();
}

/// The cost in threads: one tokio thread for the process, however many compat runtimes.
#[test]
fn one_tokio_thread_per_process() {
    let threads_named = |name: &str| {
        std::fs::read_dir("/proc/self/task")
            .unwrap()
            .filter_map(|t| std::fs::read_to_string(t.unwrap().path().join("comm")).ok())
            .filter(|comm| comm.trim_end() == name)
            .count()
    };
    let a = gmp::Builder::new()
        .maxprocs(1)
        .tokio_compat(true)
        .build()
        .unwrap();
    let b = gmp::Builder::new()
        .maxprocs(1)
        .tokio_compat(true)
        .build()
        .unwrap();
    assert_eq!(threads_named(gmp::runtime::tokio_compat::THREAD_NAME), 1);
    assert_eq!(a.block_on(a.spawn(async { 1 })).unwrap(), 1);
    assert_eq!(b.block_on(b.spawn(async { 2 })).unwrap(), 2);
}
