//! TCP: echo, many connections, errors (refused, reset mid-write, address in use), split halves
//! used from two tasks, a futures codec, coop budget, the fallback reactor, shutdown. Stamped
//! over 1, 2 and 4 workers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt;
use futures::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use gmp_executor::net::{TcpListener, TcpStream};

#[macro_use]
mod common;
use common::rt;

/// Accepts forever, echoing each connection on its own task.
async fn echo_server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    gmp_executor::spawn(async move {
        loop {
            let (conn, _) = listener.accept().await.unwrap();
            gmp_executor::spawn(async move {
                let (rd, mut wr) = conn.into_split();
                let _ = futures::io::copy(rd, &mut wr).await;
            })
            .detach();
        }
    })
    .detach();
    addr
}

per_config! {
    echo_round_trips => |n| {
        rt(n).block_on(async {
            let addr = echo_server().await;
            let mut c = TcpStream::connect(addr).await.unwrap();
            for i in 0..100u32 {
                let msg = format!("message {i}");
                c.write_all(msg.as_bytes()).await.unwrap();
                let mut buf = vec![0; msg.len()];
                c.read_exact(&mut buf).await.unwrap();
                assert_eq!(buf, msg.as_bytes());
            }
        });
    };
    fifty_connections_1kb_messages => |n| {
        rt(n).block_on(async {
            let addr = echo_server().await;
            let clients: Vec<_> = (0..50u8).map(|id| gmp_executor::spawn(async move {
                let mut c = TcpStream::connect(addr).await.unwrap();
                let msg = vec![id; 1024];
                let mut buf = vec![0; 1024];
                for _ in 0..20 {
                    c.write_all(&msg).await.unwrap();
                    c.read_exact(&mut buf).await.unwrap();
                    assert_eq!(buf, msg);
                }
            })).collect();
            for c in clients {
                c.await.unwrap();
            }
        });
    };
    large_transfer_both_ways => |n| {
        rt(n).block_on(async {
            let addr = echo_server().await;
            let c = TcpStream::connect(addr).await.unwrap();
            let (mut rd, mut wr) = c.into_split();
            let data: Vec<u8> = (0..4 << 20).map(|i: u32| (i % 251) as u8).collect();
            let expect = data.clone();
            // Writer and reader on two tasks: the echo fills both socket buffers, so a single
            // task writing everything before reading would deadlock.
            let writer = gmp_executor::spawn(async move {
                wr.write_all(&data).await.unwrap();
                wr.close().await.unwrap();
            });
            let mut got = Vec::new();
            rd.read_to_end(&mut got).await.unwrap();
            writer.await.unwrap();
            assert!(got == expect, "echoed bytes differ");
        });
    };
    refused_connect_is_an_error => |n| {
        rt(n).block_on(async {
            let addr = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
            let err = TcpStream::connect(addr).await.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
            // The runtime keeps serving.
            let addr = echo_server().await;
            let mut c = TcpStream::connect(addr).await.unwrap();
            c.write_all(b"still here").await.unwrap();
            let mut buf = [0; 10];
            c.read_exact(&mut buf).await.unwrap();
        });
    };
    address_in_use_is_an_error => |n| {
        rt(n).block_on(async {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let err = TcpListener::bind(l.local_addr().unwrap()).await.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
        });
    };
    peer_reset_mid_write_is_an_error_and_others_are_served => |n| {
        rt(n).block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let mut c = TcpStream::connect(addr).await.unwrap();
            let (s, _) = listener.accept().await.unwrap();
            // Unread data in the receive buffer makes close() send a RST.
            c.write_all(b"unread").await.unwrap();
            gmp_executor::time::sleep(Duration::from_millis(20)).await;
            drop(s);
            let chunk = vec![7u8; 64 * 1024];
            let mut result = Ok(());
            for _ in 0..1000 {
                if let Err(e) = c.write_all(&chunk).await {
                    result = Err(e);
                    break;
                }
            }
            let err = result.expect_err("writing to a reset peer must fail");
            assert!(
                matches!(err.kind(), std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe),
                "unexpected error {err:?}"
            );
            // Everyone else is still served.
            let addr = echo_server().await;
            let mut c = TcpStream::connect(addr).await.unwrap();
            c.write_all(b"ok").await.unwrap();
            let mut buf = [0; 2];
            c.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"ok");
        });
    };
    split_halves_on_two_tasks => |n| {
        rt(n).block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = gmp_executor::spawn(async move {
                let (conn, _) = listener.accept().await.unwrap();
                let (rd, mut wr) = conn.into_split();
                // Reply to each line with its length, from the task that reads.
                let mut lines = BufReader::new(rd).lines();
                while let Some(line) = lines.next().await {
                    wr.write_all(format!("{}\n", line.unwrap().len()).as_bytes()).await.unwrap();
                }
            });
            let c = TcpStream::connect(addr).await.unwrap();
            let (rd, mut wr) = c.into_split();
            let writer = gmp_executor::spawn(async move {
                for i in 0..200 {
                    wr.write_all(format!("{}\n", "x".repeat(i)).as_bytes()).await.unwrap();
                }
                // Dropping the write half shuts down writing: the server's lines end.
            });
            let reader = gmp_executor::spawn(async move {
                let mut lines = BufReader::new(rd).lines();
                let mut i = 0;
                while let Some(line) = lines.next().await {
                    assert_eq!(line.unwrap(), i.to_string());
                    i += 1;
                }
                i
            });
            writer.await.unwrap();
            assert_eq!(reader.await.unwrap(), 200);
            server.await.unwrap();
        });
    };
    halves_reunite => |n| {
        rt(n).block_on(async {
            let addr = echo_server().await;
            let c = TcpStream::connect(addr).await.unwrap();
            let (r, w) = c.into_split();
            let mut c = r.reunite(w).unwrap();
            c.write_all(b"again").await.unwrap();
            let mut buf = [0; 5];
            c.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"again");
        });
    };
    accept_waits_across_many_sleeps => |n| {
        // Timers and I/O together: the duty holder parks in the reactor with a deadline.
        rt(n).block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let t = gmp_executor::spawn(async move {
                for _ in 0..20 {
                    gmp_executor::time::sleep(Duration::from_micros(500)).await;
                }
                TcpStream::connect(addr).await.unwrap()
            });
            let (_s, peer) = listener.accept().await.unwrap();
            let c = t.await.unwrap();
            assert_eq!(peer, c.local_addr().unwrap());
        });
    };
}

/// I/O keeps flowing while all workers but one are stuck in long polls (a thread-blocking
/// task each): whichever worker held the reactor, the free one must end up polling it.
fn io_flows_while_other_workers_block(n: usize) {
    use std::sync::atomic::AtomicUsize;
    let rt = rt(n);
    for _ in 0..5 {
        rt.block_on(async {
            let addr = echo_server().await;
            let mut c = TcpStream::connect(addr).await.unwrap();
            let started = Arc::new(AtomicUsize::new(0));
            let blockers: Vec<_> = (0..n - 1)
                .map(|_| {
                    let started = started.clone();
                    gmp_executor::spawn(async move {
                        started.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(400));
                    })
                })
                .collect();
            while started.load(Ordering::SeqCst) < n - 1 {
                std::thread::sleep(Duration::from_millis(1));
            }
            let t0 = std::time::Instant::now();
            for _ in 0..20 {
                c.write_all(b"ping").await.unwrap();
                let mut buf = [0; 4];
                c.read_exact(&mut buf).await.unwrap();
            }
            let took = t0.elapsed();
            assert!(
                took < Duration::from_millis(300),
                "20 round trips took {took:?}"
            );
            for b in blockers {
                b.await.unwrap();
            }
        });
    }
}

#[test]
fn io_flows_while_one_of_two_workers_blocks() {
    io_flows_while_other_workers_block(2);
}

#[test]
fn io_flows_while_three_of_four_workers_block() {
    io_flows_while_other_workers_block(4);
}

#[test]
fn read_spends_coop_budget() {
    // One worker: a task reading an always-ready socket one byte at a time must still yield, so
    // a task injected meanwhile runs before the reader is done (the worker checks the injection
    // queue every 61 ticks; 32 KiB of 1-byte reads take 256 budget-sized polls).
    const LEN: usize = 32 * 1024;
    rt(1).block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut c = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut s, _) = listener.accept().await.unwrap();
        c.write_all(&[1; LEN]).await.unwrap();
        gmp_executor::time::sleep(Duration::from_millis(10)).await;
        let other_ran = Arc::new(AtomicBool::new(false));
        let flag = other_ran.clone();
        let (started_tx, started) = futures::channel::oneshot::channel();
        let reader = gmp_executor::spawn(async move {
            let mut seen_before_end = false;
            let mut byte = [0; 1];
            let mut started_tx = Some(started_tx);
            for _ in 0..LEN {
                s.read_exact(&mut byte).await.unwrap();
                if let Some(tx) = started_tx.take() {
                    let _ = tx.send(());
                }
                seen_before_end |= flag.load(Ordering::SeqCst);
            }
            seen_before_end
        });
        started.await.unwrap();
        gmp_executor::spawn(async move { other_ran.store(true, Ordering::SeqCst) }).detach();
        assert!(reader.await.unwrap(), "the reader never yielded");
    });
}

#[test]
fn sockets_work_outside_a_runtime() {
    // No runtime: the fallback reactor thread serves these sockets.
    futures::executor::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = std::thread::spawn(move || {
            futures::executor::block_on(async move {
                let mut c = TcpStream::connect(addr).await.unwrap();
                c.write_all(b"from a plain thread").await.unwrap();
            })
        });
        let (mut s, _) = listener.accept().await.unwrap();
        let mut got = String::new();
        s.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "from a plain thread");
        client.join().unwrap();
    });
}

#[test]
fn runtime_drop_with_a_task_blocked_in_accept() {
    let rt = rt(2);
    let addr = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        gmp_executor::spawn(async move {
            let _ = listener.accept().await;
        })
        .detach();
        addr
    });
    drop(rt);
    // The listener was dropped with its task: the port is free again.
    let l = std::net::TcpListener::bind(addr);
    assert!(l.is_ok(), "listener still open after runtime drop: {l:?}");
}

#[test]
fn socket_used_after_its_runtime_shut_down_fails() {
    let rt = rt(1);
    let (c, _s) = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let c = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let s = listener.accept().await.unwrap();
        (c, s)
    });
    drop(rt);
    let mut c = c;
    let err = futures::executor::block_on(async { c.read(&mut [0; 4]).await }).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::Other);
}

/// The listen queue `bind` asks for: Go's, the system's maximum.
fn somaxconn() -> usize {
    std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(4096)
}

/// 1,000 clients connect at once to a listener that does not accept yet: its listen queue (the
/// system's maximum) holds them all, and all are then accepted. With a queue of 128 the kernel
/// drops the SYNs of the 130th client on, which then wait for the SYN retry, 1 s later. Nothing
/// else makes a loopback connect take 900 ms, so each connect gets 900 ms.
#[test]
fn thousand_clients_connect_at_once_without_syn_retry() {
    let clients = 1000.min(somaxconn());
    rt(2).block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connects: Vec<_> = (0..clients)
            .map(|_| {
                gmp_executor::spawn(async move {
                    let connect = TcpStream::connect(addr);
                    gmp_executor::time::timeout(Duration::from_millis(900), connect).await
                })
            })
            .collect();
        let mut streams = Vec::new();
        let mut retried = 0;
        for c in connects {
            match c.await.unwrap() {
                Ok(stream) => streams.push(stream.unwrap()),
                Err(_elapsed) => retried += 1,
            }
        }
        assert_eq!(
            retried, 0,
            "{retried} of {clients} connects took 900 ms or more: a full listen queue dropped \
             their SYNs"
        );
        let mut peers: std::collections::HashSet<_> =
            streams.iter().map(|s| s.local_addr().unwrap()).collect();
        for _ in 0..clients {
            let (_conn, peer) = listener.accept().await.unwrap();
            assert!(peers.remove(&peer), "accepted an unknown peer {peer}");
        }
        assert!(peers.is_empty());
    });
}
