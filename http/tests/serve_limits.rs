//! `serve` against slow, idle and greedy clients: the header-read timeout cuts off a slow-loris
//! client (HTTP/1 head, HTTP/2 preface, a silent connection) while others are answered; a flood
//! of idle connections does not stop a normal client; the connection limit holds; the accept
//! loop backs off on `EMFILE` instead of spinning.

mod common;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use futures::{AsyncReadExt, AsyncWriteExt};
use gmp_executor::net::{TcpListener, TcpStream};

/// Writes `bytes` one per 100 ms; returns how many went out before the server cut the
/// connection off, and when, or `None` if all went out and the connection stayed open.
async fn slow_loris(addr: std::net::SocketAddr, bytes: &[u8]) -> Option<(usize, Duration)> {
    let start = Instant::now();
    let mut conn = TcpStream::connect(addr).await.unwrap();
    for (i, b) in bytes.iter().enumerate() {
        if conn.write_all(std::slice::from_ref(b)).await.is_err() {
            return Some((i, start.elapsed()));
        }
        gmp_executor::time::sleep(Duration::from_millis(100)).await;
    }
    // All sent: a cut-off connection reads EOF (or a reset) at once.
    let mut buf = [0u8; 1024];
    match gmp_executor::time::timeout(Duration::from_millis(500), conn.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => Some((bytes.len(), start.elapsed())),
        _ => None,
    }
}

/// Runs one slow-loris client against a server with a 500 ms header timeout while a normal
/// client keeps asking; the slow one must be cut off well before it finishes, and every normal
/// request answered.
fn slow_client_is_cut_off(slow_bytes: &'static [u8]) {
    run(async move {
        let (listener, addr) = listen().await;
        let server =
            gmp_http::serve(listener, app()).header_read_timeout(Duration::from_millis(500));
        let (server, stop) = start(server);

        let slow = gmp_executor::spawn(async move { slow_loris(addr, slow_bytes).await });
        let mut answered = 0;
        while !slow.is_finished() {
            let (status, body) = within(
                Duration::from_secs(5),
                "normal request",
                get1(addr, "/users/9"),
            )
            .await;
            assert_eq!((status, body.as_str()), (200, "user 9"));
            answered += 1;
            gmp_executor::time::sleep(Duration::from_millis(50)).await;
        }
        let (sent, after) = slow
            .await
            .unwrap()
            .expect("the slow client was never cut off");
        // 500 ms timeout; the client notices at its next write or read. Loose bound: a loaded box.
        assert!(
            sent < slow_bytes.len(),
            "cut off only after sending everything ({sent} bytes, {after:?})"
        );
        assert!(after < Duration::from_secs(4), "cut off late: {after:?}");
        assert!(
            answered >= 3,
            "only {answered} normal requests answered meanwhile"
        );

        shut_down(server, stop).await;
    });
}

#[test]
fn slow_loris_http1_head_is_cut_off() {
    slow_client_is_cut_off(
        b"GET /users/1 HTTP/1.1\r\nhost: localhost\r\nx-slow: aaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
    );
}

#[test]
fn slow_loris_http2_preface_is_cut_off() {
    // Matches HTTP/2's preface byte after byte and never completes it, so the server can
    // decide on no protocol: only serve's own first-request timer cuts it off (hyper's HTTP/1
    // timer never starts, HTTP/2's handshake has no timeout).
    slow_client_is_cut_off(b"PRI * HTTP/2.0\r\n\r\nSM\r\n");
}

#[test]
fn silent_connection_is_dropped_after_header_timeout() {
    run(async {
        let (listener, addr) = listen().await;
        let server =
            gmp_http::serve(listener, app()).header_read_timeout(Duration::from_millis(300));
        let (server, stop) = start(server);

        let start_at = Instant::now();
        let mut conn = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 16];
        let n = within(
            Duration::from_secs(5),
            "silent connection cut",
            conn.read(&mut buf),
        )
        .await;
        assert!(matches!(n, Ok(0) | Err(_)), "expected EOF, got {n:?}");
        assert!(
            start_at.elapsed() >= Duration::from_millis(250),
            "cut too early"
        );

        shut_down(server, stop).await;
    });
}

#[test]
fn idle_keep_alive_connection_closes_after_header_timeout() {
    run(async {
        let (listener, addr) = listen().await;
        let server =
            gmp_http::serve(listener, app()).header_read_timeout(Duration::from_millis(300));
        let (server, stop) = start(server);

        let mut conn = TcpStream::connect(addr).await.unwrap();
        conn.write_all(b"GET /users/4 HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = vec![0u8; 4096];
        let n = conn.read(&mut buf).await.unwrap();
        assert!(
            buf[..n].starts_with(b"HTTP/1.1 200"),
            "{:?}",
            String::from_utf8_lossy(&buf[..n])
        );
        // Keep-alive, then nothing: closed once the next head is 300 ms late.
        let idle_from = Instant::now();
        let n = within(
            Duration::from_secs(5),
            "idle keep-alive closed",
            conn.read(&mut buf),
        )
        .await;
        assert!(matches!(n, Ok(0) | Err(_)), "expected EOF, got {n:?}");
        assert!(
            idle_from.elapsed() >= Duration::from_millis(250),
            "closed too early"
        );

        shut_down(server, stop).await;
    });
}

#[test]
fn flood_of_idle_connections_does_not_stop_a_normal_client() {
    run(async {
        let (listener, addr) = listen().await;
        let (server, stop) = start(gmp_http::serve(listener, app()));

        let mut idle = Vec::new();
        for i in 0..500 {
            let mut c = TcpStream::connect(addr).await.unwrap();
            // Half send nothing, half a partial head.
            if i % 2 == 0 {
                c.write_all(b"GET /users/1 HTTP/1.1\r\nhost: x\r\n")
                    .await
                    .unwrap();
            }
            idle.push(c);
        }
        for i in 0..20 {
            let path = format!("/users/{i}");
            let (status, body) = within(
                Duration::from_secs(5),
                "request during the flood",
                get1(addr, &path),
            )
            .await;
            assert_eq!((status, body), (200, format!("user {i}")));
        }
        // The idle connections are still open (default 10 s header timeout): the server did
        // not serve the normal client by dropping them.
        let mut buf = [0u8; 1];
        let still_open =
            gmp_executor::time::timeout(Duration::from_millis(50), idle[1].read(&mut buf)).await;
        assert!(still_open.is_err(), "an idle connection was closed early");

        drop(idle);
        shut_down(server, stop).await;
    });
}

#[test]
fn connection_limit_is_enforced() {
    run(async {
        let (listener, addr) = listen().await;
        let (server, stop) = start(gmp_http::serve(listener, app()).max_connections(2));

        let mut c1 = h1(addr).await;
        let mut c2 = h1(addr).await;
        assert_eq!(send1(&mut c1, request("GET", "/users/1", "")).await.0, 200);
        assert_eq!(send1(&mut c2, request("GET", "/users/2", "")).await.0, 200);

        // A third connection waits in the backlog: its request is not answered...
        let third = gmp_executor::spawn(async move { get1(addr, "/users/3").await });
        gmp_executor::time::sleep(Duration::from_millis(400)).await;
        assert!(
            !third.is_finished(),
            "a third connection was served over the limit of 2"
        );
        // ...until one of the two closes.
        drop(c1);
        let answer = within(
            Duration::from_secs(5),
            "third connection after a close",
            third,
        )
        .await;
        assert_eq!(answer.unwrap(), (200, "user 3".to_owned()));
        assert_eq!(send1(&mut c2, request("GET", "/users/2", "")).await.0, 200);

        drop(c2);
        shut_down(server, stop).await;
    });
}

/// A listener whose first `failures` accepts fail with `errno`, then delegates (or fails forever
/// with no inner listener); it counts its accept calls.
struct Failing {
    inner: Option<TcpListener>,
    errno: i32,
    failures: usize,
    attempts: Arc<AtomicUsize>,
}

impl gmp_http::Listener for Failing {
    type Io = TcpStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> io::Result<(TcpStream, std::net::SocketAddr)> {
        let n = self.attempts.fetch_add(1, Ordering::Relaxed);
        match &self.inner {
            Some(l) if n >= self.failures => l.accept().await,
            _ => Err(io::Error::from_raw_os_error(self.errno)),
        }
    }

    fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        Ok(([127, 0, 0, 1], 0).into())
    }
}

#[test]
fn accept_backs_off_on_emfile_instead_of_spinning() {
    for errno in [libc::EMFILE, libc::ENFILE, libc::ECONNABORTED] {
        run(async move {
            let attempts = Arc::new(AtomicUsize::new(0));
            let listener = Failing {
                inner: None,
                errno,
                failures: usize::MAX,
                attempts: attempts.clone(),
            };
            let (server, stop) = start(gmp_http::serve(listener, app()));
            gmp_executor::time::sleep(Duration::from_millis(600)).await;
            stop.cancel();
            within(Duration::from_secs(5), "shutdown while backing off", server)
                .await
                .unwrap()
                .unwrap();
            // 5 + 10 + 20 + 40 + 80 + 160 + 320 ms: about 8 attempts in 600 ms.
            let n = attempts.load(Ordering::Relaxed);
            assert!(
                (3..=12).contains(&n),
                "errno {errno}: {n} accept attempts in 600 ms"
            );
        });
    }
}

#[test]
fn accept_recovers_after_emfile() {
    run(async {
        let inner = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = inner.local_addr().unwrap();
        let attempts = Arc::new(AtomicUsize::new(0));
        let listener = Failing {
            inner: Some(inner),
            errno: libc::EMFILE,
            failures: 4,
            attempts: attempts.clone(),
        };
        let (server, stop) = start(gmp_http::serve(listener, app()));
        // The client waits in the backlog through the back-off (5+10+20+40 ms), then is served.
        let answer = within(
            Duration::from_secs(5),
            "request after EMFILE",
            get1(addr, "/users/8"),
        )
        .await;
        assert_eq!(answer, (200, "user 8".to_owned()));
        assert!(attempts.load(Ordering::Relaxed) >= 5);
        shut_down(server, stop).await;
    });
}

#[test]
fn fatal_accept_error_ends_serve() {
    run(async {
        let attempts = Arc::new(AtomicUsize::new(0));
        let listener = Failing {
            inner: None,
            errno: libc::EBADF,
            failures: usize::MAX,
            attempts: attempts.clone(),
        };
        let (server, _stop) = start(gmp_http::serve(listener, app()));
        let err = within(Duration::from_secs(5), "serve after EBADF", server)
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EBADF));
        assert_eq!(attempts.load(Ordering::Relaxed), 1);
    });
}
