//! Graceful shutdown of `serve` driven by a gmp `Context`: a request in flight when the context
//! is cancelled completes, new connections are refused, idle keep-alive connections close, and
//! the serve future returns by the shutdown deadline, dropping what is still open then.

mod common;

use std::time::{Duration, Instant};

use axum::routing::get;
use common::*;
use futures::AsyncReadExt;
use gmp_executor::net::TcpStream;
use gmp_sync::chan;

/// An app whose `/slow` route tells `started` it began, then answers after `delay`
/// (`None`: never).
fn slow_app(started: chan::Sender<()>, delay: Option<Duration>) -> axum::Router {
    app().route(
        "/slow",
        get(move || {
            let started = started.clone();
            async move {
                started.send(()).await.unwrap();
                match delay {
                    Some(d) => gmp_executor::time::sleep(d).await,
                    None => std::future::pending().await,
                }
                "finished"
            }
        }),
    )
}

#[test]
fn in_flight_request_completes_and_new_connections_are_refused() {
    run(async {
        let (listener, addr) = listen().await;
        let (started_tx, started_rx) = chan::bounded(1);
        let app = slow_app(started_tx, Some(Duration::from_millis(500)));
        let (server, stop) =
            start(gmp_http::serve(listener, app).shutdown_timeout(Duration::from_secs(10)));

        // An idle keep-alive connection, and one with a request in flight.
        let mut idle = TcpStream::connect(addr).await.unwrap();
        let mut busy = h1(addr).await;
        let in_flight =
            gmp_executor::spawn(async move { send1(&mut busy, request("GET", "/slow", "")).await });
        started_rx.recv().await.unwrap();

        let cancelled_at = Instant::now();
        stop.cancel();

        // New connections are refused once the loop has seen the cancel.
        within(Duration::from_secs(5), "listener closed", async {
            loop {
                match TcpStream::connect(addr).await {
                    // Reset: it reached the backlog as the listener closed.
                    Err(e) => {
                        use std::io::ErrorKind::{ConnectionRefused, ConnectionReset};
                        assert!(
                            matches!(e.kind(), ConnectionRefused | ConnectionReset),
                            "{e}"
                        );
                        break;
                    }
                    Ok(_) => gmp_executor::time::sleep(Duration::from_millis(10)).await,
                }
            }
        })
        .await;
        // The idle connection is closed at once, not at the deadline.
        let mut buf = [0u8; 8];
        let n = within(
            Duration::from_secs(5),
            "idle connection closed",
            idle.read(&mut buf),
        )
        .await;
        assert!(matches!(n, Ok(0) | Err(_)), "idle connection got {n:?}");

        // The request in flight finishes with its full response.
        let answer = within(Duration::from_secs(5), "in-flight request", in_flight)
            .await
            .unwrap();
        assert_eq!(answer, (200, "finished".to_owned()));
        // And serve returns when it has, well before its 10 s deadline.
        within(Duration::from_secs(5), "serve after drain", server)
            .await
            .unwrap()
            .unwrap();
        assert!(
            cancelled_at.elapsed() >= Duration::from_millis(400),
            "serve did not wait for the request"
        );
    });
}

#[test]
fn http2_streams_in_flight_complete() {
    run(async {
        let (listener, addr) = listen().await;
        let (started_tx, started_rx) = chan::bounded(4);
        let app = slow_app(started_tx, Some(Duration::from_millis(300)));
        let (server, stop) = start(gmp_http::serve(listener, app));

        let mut c = h2_over(TcpStream::connect(addr).await.unwrap()).await;
        let mut pending = Vec::new();
        for _ in 0..3 {
            pending.push(c.send_request(request("GET", "http://localhost/slow", "")));
        }
        let pending: Vec<_> = pending
            .into_iter()
            .map(|f| gmp_executor::spawn(async move { f.await.map(|r| r.status().as_u16()) }))
            .collect();
        for _ in 0..3 {
            started_rx.recv().await.unwrap();
        }
        stop.cancel();
        for p in pending {
            let status = within(Duration::from_secs(5), "h2 stream", p)
                .await
                .unwrap();
            assert_eq!(status.unwrap(), 200);
        }
        within(Duration::from_secs(5), "serve after drain", server)
            .await
            .unwrap()
            .unwrap();
    });
}

#[test]
fn shutdown_deadline_drops_stuck_connections() {
    run(async {
        let (listener, addr) = listen().await;
        let (started_tx, started_rx) = chan::bounded(1);
        let app = slow_app(started_tx, None);
        let server = gmp_http::serve(listener, app).shutdown_timeout(Duration::from_millis(300));
        let (server, stop) = start(server);

        let mut stuck = h1(addr).await;
        let in_flight = gmp_executor::spawn(async move {
            stuck.ready().await.unwrap();
            stuck
                .send_request(request("GET", "/slow", ""))
                .await
                .map(|r| r.status())
        });
        started_rx.recv().await.unwrap();

        let cancelled_at = Instant::now();
        stop.cancel();
        within(Duration::from_secs(5), "serve by its deadline", server)
            .await
            .unwrap()
            .unwrap();
        let took = cancelled_at.elapsed();
        assert!(
            took >= Duration::from_millis(250),
            "returned before the deadline: {took:?}"
        );
        // The stuck request was dropped with its connection: the client sees an error.
        let res = within(
            Duration::from_secs(5),
            "client of the dropped connection",
            in_flight,
        )
        .await
        .unwrap();
        assert!(res.is_err(), "a dropped connection answered: {res:?}");
    });
}

#[test]
fn dropping_the_serve_future_drops_connections() {
    run(async {
        let (listener, addr) = listen().await;
        let (started_tx, started_rx) = chan::bounded(1);
        let (server, _stop) = start(gmp_http::serve(listener, slow_app(started_tx, None)));

        let mut stuck = h1(addr).await;
        let in_flight = gmp_executor::spawn(async move {
            stuck.ready().await.unwrap();
            stuck
                .send_request(request("GET", "/slow", ""))
                .await
                .map(|r| r.status())
        });
        started_rx.recv().await.unwrap();
        server.abort();
        let res = within(Duration::from_secs(5), "client after abort", in_flight)
            .await
            .unwrap();
        assert!(res.is_err());
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "listener still open"
        );
    });
}
