//! UDP: send/recv, connected sockets, a socket shared by a sending and a receiving task, many
//! datagrams. Stamped over 1, 2 and 4 workers.

use std::sync::Arc;

use gmp_executor::net::UdpSocket;

#[macro_use]
mod common;
use common::rt;

per_config! {
    send_to_recv_from => |n| {
        rt(n).block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b_addr = b.local_addr().unwrap();
            let server = gmp_executor::spawn(async move {
                let mut buf = [0; 64];
                for _ in 0..10 {
                    let (n, from) = b.recv_from(&mut buf).await.unwrap();
                    b.send_to(&buf[..n], from).await.unwrap();
                }
            });
            let mut buf = [0; 64];
            for i in 0..10u8 {
                a.send_to(&[i; 5], b_addr).await.unwrap();
                let (n, from) = a.recv_from(&mut buf).await.unwrap();
                assert_eq!((n, from), (5, b_addr));
                assert_eq!(&buf[..5], &[i; 5]);
            }
            server.await.unwrap();
        });
    };
    connected_send_recv => |n| {
        rt(n).block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            a.connect(b.local_addr().unwrap()).await.unwrap();
            b.connect(a.local_addr().unwrap()).await.unwrap();
            a.send(b"ping").await.unwrap();
            let mut buf = [0; 8];
            assert_eq!(b.recv(&mut buf).await.unwrap(), 4);
            b.send(b"pong").await.unwrap();
            assert_eq!(a.recv(&mut buf).await.unwrap(), 4);
            assert_eq!(&buf[..4], b"pong");
        });
    };
    shared_by_a_sender_and_a_receiver => |n| {
        rt(n).block_on(async {
            let sock = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
            let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let peer_addr = peer.local_addr().unwrap();
            // The peer echoes 100 datagrams.
            let echo = gmp_executor::spawn(async move {
                let mut buf = [0; 16];
                for _ in 0..100 {
                    let (n, from) = peer.recv_from(&mut buf).await.unwrap();
                    peer.send_to(&buf[..n], from).await.unwrap();
                }
            });
            let rx = sock.clone();
            let receiver = gmp_executor::spawn(async move {
                let mut buf = [0; 16];
                let mut sum = 0u64;
                for _ in 0..100 {
                    let (n, _) = rx.recv_from(&mut buf).await.unwrap();
                    sum += u64::from(u32::from_le_bytes(buf[..n].try_into().unwrap()));
                }
                sum
            });
            for i in 0..100u32 {
                sock.send_to(&i.to_le_bytes(), peer_addr).await.unwrap();
                if i % 10 == 0 {
                    // Pace a little so the loopback socket buffers never drop a datagram.
                    gmp_executor::time::sleep(std::time::Duration::from_micros(200)).await;
                }
            }
            assert_eq!(receiver.await.unwrap(), (0..100u64).sum::<u64>());
            echo.await.unwrap();
        });
    };
    address_in_use => |n| {
        rt(n).block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let err = UdpSocket::bind(a.local_addr().unwrap()).await.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
        });
    };
}
