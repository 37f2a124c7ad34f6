//! Unix domain sockets: listener and stream, socket pairs, split halves on two tasks,
//! connecting to a missing path. Stamped over 1, 2 and 4 workers.

use futures::io::{AsyncReadExt, AsyncWriteExt};
use gmp_executor::net::{UnixListener, UnixStream};

mod common;
use common::rt;

fn sock_path(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("gmp-test-{}-{name}.sock", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

macro_rules! per_config {
    ($($name:ident => $body:expr;)*) => {
        mod one { use super::*; $( #[test] fn $name() { ($body)(1, concat!("1-", stringify!($name))) } )* }
        mod two { use super::*; $( #[test] fn $name() { ($body)(2, concat!("2-", stringify!($name))) } )* }
        mod four { use super::*; $( #[test] fn $name() { ($body)(4, concat!("4-", stringify!($name))) } )* }
    };
}

per_config! {
    listener_echo_many_clients => |n, name| {
        let path = sock_path(name);
        rt(n).block_on(async {
            let listener = UnixListener::bind(&path).unwrap();
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
            let clients: Vec<_> = (0..20u8).map(|i| {
                let path = path.clone();
                gmp_executor::spawn(async move {
                    let mut c = UnixStream::connect(&path).await.unwrap();
                    let msg = vec![i; 4096];
                    c.write_all(&msg).await.unwrap();
                    let mut got = vec![0; 4096];
                    c.read_exact(&mut got).await.unwrap();
                    assert_eq!(got, msg);
                })
            }).collect();
            for c in clients {
                c.await.unwrap();
            }
        });
        std::fs::remove_file(&path).unwrap();
    };
    pair_split_on_two_tasks => |n, _name| {
        rt(n).block_on(async {
            let (a, b) = UnixStream::pair().unwrap();
            let (mut ar, mut aw) = a.into_split();
            let (mut br, mut bw) = b.into_split();
            let t1 = gmp_executor::spawn(async move {
                for i in 0..100u32 {
                    aw.write_all(&i.to_le_bytes()).await.unwrap();
                }
            });
            let t2 = gmp_executor::spawn(async move {
                let mut buf = [0; 4];
                for i in 0..100u32 {
                    br.read_exact(&mut buf).await.unwrap();
                    assert_eq!(u32::from_le_bytes(buf), i);
                    bw.write_all(&buf).await.unwrap();
                }
            });
            let mut buf = [0; 4];
            for i in 0..100u32 {
                ar.read_exact(&mut buf).await.unwrap();
                assert_eq!(u32::from_le_bytes(buf), i);
            }
            t1.await.unwrap();
            t2.await.unwrap();
        });
    };
    connect_to_missing_path_is_an_error => |n, name| {
        let path = sock_path(name);
        rt(n).block_on(async {
            let err = UnixStream::connect(&path).await.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        });
    };
}

/// 1,000 clients connect at once to a listener that does not accept yet: its listen queue (the
/// system's maximum, as for TCP) holds them all. With a queue of 128 the 130th connect fails
/// with `WouldBlock` (a Unix socket's connect does not wait for room).
#[test]
fn thousand_clients_connect_at_once() {
    let clients = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(4096usize)
        .min(1000);
    let path = sock_path("thousand");
    rt(2).block_on(async {
        let listener = UnixListener::bind(&path).unwrap();
        let connects: Vec<_> = (0..clients)
            .map(|_| {
                let path = path.clone();
                gmp_executor::spawn(async move { UnixStream::connect(&path).await })
            })
            .collect();
        let mut streams = Vec::new();
        for c in connects {
            streams.push(
                c.await
                    .unwrap()
                    .expect("the listen queue has room for every client"),
            );
        }
        for _ in 0..clients {
            listener.accept().await.unwrap();
        }
        assert_eq!(streams.len(), clients);
    });
    std::fs::remove_file(&path).unwrap();
}
