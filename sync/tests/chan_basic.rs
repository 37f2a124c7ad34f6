//! Basic channel semantics: buffering, rendezvous, close, try ops, len/cap, Stream/Sink,
//! blocking ops, Send/Sync of handles and futures.

#![cfg(not(loom))] // the peers and test tools are not built under loom

use std::future::Future;
use std::time::Duration;

use futures::executor::block_on;
use futures::{SinkExt, StreamExt};
use gmp_sync::chan::{
    self, Receiver, RecvFuture, SendError, SendFuture, Sender, TryRecvError, TrySendError,
};

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>() {}

#[test]
fn handles_and_futures_are_send_sync() {
    assert_send_sync::<Sender<u32>>();
    assert_send_sync::<Receiver<u32>>();
    assert_send::<SendFuture<'static, u32>>();
    assert_send::<RecvFuture<'static, u32>>();
    assert_send_sync::<SendFuture<'static, u32>>();
    assert_send_sync::<RecvFuture<'static, u32>>();
    fn unpin<T: Unpin>() {}
    unpin::<SendFuture<'static, std::marker::PhantomPinned>>();
    unpin::<RecvFuture<'static, std::marker::PhantomPinned>>();
}

#[test]
fn buffered_fifo_len_cap() {
    let (tx, rx) = chan::bounded(3);
    assert_eq!((tx.len(), tx.capacity()), (0, 3));
    for i in 0..3 {
        tx.try_send(i).unwrap();
    }
    assert_eq!(tx.try_send(9), Err(TrySendError::Full(9)));
    assert_eq!(rx.len(), 3);
    for i in 0..3 {
        assert_eq!(rx.try_recv(), Ok(i));
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn unbuffered_try_ops_need_a_partner() {
    let (tx, rx) = chan::bounded::<u8>(0);
    assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(tx.capacity(), 0);
}

#[test]
fn close_drains_then_none_and_send_fails_with_value() {
    block_on(async {
        let (tx, rx) = chan::bounded(2);
        tx.send(1).await.unwrap();
        tx.send(2).await.unwrap();
        assert!(tx.close());
        assert!(!tx.close());
        assert!(rx.is_closed());
        assert_eq!(tx.send(3).await, Err(SendError(3)));
        assert_eq!(tx.try_send(4), Err(TrySendError::Closed(4)));
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(rx.recv().await, None);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}

#[test]
fn last_sender_drop_closes() {
    let (tx, rx) = chan::bounded::<u8>(0);
    let tx2 = tx.clone();
    drop(tx);
    assert!(!rx.is_closed());
    drop(tx2);
    assert!(rx.is_closed());
    assert_eq!(block_on(rx.recv()), None);
}

#[test]
fn last_receiver_drop_closes_and_wakes_parked_sender_with_value() {
    let (tx, rx) = chan::bounded::<String>(0);
    let t = std::thread::spawn(move || tx.send_blocking("x".to_string()));
    std::thread::sleep(Duration::from_millis(20));
    drop(rx);
    assert_eq!(t.join().unwrap().unwrap_err().into_inner(), "x");
}

#[test]
fn parked_sender_woken_by_close_gets_value_back() {
    let (tx, rx) = chan::bounded::<u32>(1);
    tx.try_send(1).unwrap();
    let tx2 = tx.clone();
    let t = std::thread::spawn(move || tx2.send_blocking(2));
    std::thread::sleep(Duration::from_millis(20));
    tx.close();
    assert_eq!(t.join().unwrap(), Err(SendError(2)));
    assert_eq!(rx.recv_blocking(), Some(1));
    assert_eq!(rx.recv_blocking(), None);
}

#[test]
fn parked_receiver_woken_by_close() {
    let (tx, rx) = chan::bounded::<u32>(0);
    let t = std::thread::spawn(move || rx.recv_blocking());
    std::thread::sleep(Duration::from_millis(20));
    tx.close();
    assert_eq!(t.join().unwrap(), None);
}

#[test]
fn rendezvous_send_waits_for_receiver() {
    let (tx, rx) = chan::bounded::<u32>(0);
    let (done_tx, done_rx) = chan::bounded::<()>(1);
    let t = std::thread::spawn(move || {
        tx.send_blocking(5).unwrap();
        done_tx.send_blocking(()).unwrap();
    });
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(
        done_rx.try_recv(),
        Err(TryRecvError::Empty),
        "send completed without a receiver"
    );
    assert_eq!(rx.recv_blocking(), Some(5));
    assert_eq!(done_rx.recv_blocking(), Some(()));
    t.join().unwrap();
}

#[test]
fn stream_and_sink() {
    block_on(async {
        let (mut tx, rx) = chan::bounded(0);
        let reader = std::thread::spawn(move || block_on(rx.collect::<Vec<u32>>()));
        for i in 0..100 {
            tx.send(i).await.unwrap();
        }
        SinkExt::close(&mut tx).await.unwrap();
        assert_eq!(reader.join().unwrap(), (0..100).collect::<Vec<_>>());
    });
}

#[test]
fn dropped_send_future_never_delivers() {
    block_on(async {
        let (tx, rx) = chan::bounded::<u32>(0);
        let mut fut = tx.send(1);
        assert!(futures::poll!(&mut fut).is_pending());
        drop(fut);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        let mut fut = tx.send(2);
        assert!(futures::poll!(&mut fut).is_pending());
        assert_eq!(fut.into_value(), Some(2));
    });
}

#[test]
fn dropped_woken_recv_passes_the_wake_on_in_order() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll, Wake, Waker};

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let (w1, w2) = (
        Arc::new(Count(AtomicUsize::new(0))),
        Arc::new(Count(AtomicUsize::new(0))),
    );
    let (k1, k2) = (Waker::from(w1.clone()), Waker::from(w2.clone()));
    let park = |f: &mut gmp_sync::chan::RecvFuture<'_, u32>, k: &Waker| {
        assert!(
            std::pin::Pin::new(f)
                .poll(&mut Context::from_waker(k))
                .is_pending()
        );
    };
    let (tx, rx) = chan::bounded::<u32>(2);
    let (mut r1, mut r2) = (rx.recv(), rx.recv());
    park(&mut r1, &k1);
    park(&mut r2, &k2);
    // A buffered send goes into the buffer and wakes the first parked receiver only.
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    assert_eq!(rx.len(), 2);
    assert_eq!(w1.0.load(Ordering::SeqCst), 1);
    assert_eq!(
        w2.0.load(Ordering::SeqCst),
        1,
        "the second send wakes the second receiver"
    );
    // Woken receivers dropped without receiving: nothing is lost, the order is kept.
    drop(r1);
    drop(r2);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Ok(2));

    // One value, two parked receivers: the woken one is dropped, so the other is woken.
    let (mut r1, mut r2) = (rx.recv(), rx.recv());
    park(&mut r1, &k1);
    park(&mut r2, &k2);
    tx.try_send(7).unwrap();
    assert_eq!(w1.0.load(Ordering::SeqCst), 2);
    assert_eq!(w2.0.load(Ordering::SeqCst), 1);
    drop(r1);
    assert_eq!(
        w2.0.load(Ordering::SeqCst),
        2,
        "the dropped receiver passed its wake on"
    );
    assert_eq!(
        std::pin::Pin::new(&mut r2).poll(&mut Context::from_waker(&k2)),
        Poll::Ready(Some(7))
    );
}

#[test]
fn dropped_recv_future_hands_value_to_next_receiver() {
    block_on(async {
        let (tx, rx) = chan::bounded::<u32>(0);
        let mut r1 = rx.recv();
        let mut r2 = rx.recv();
        assert!(futures::poll!(&mut r1).is_pending());
        assert!(futures::poll!(&mut r2).is_pending());
        assert_eq!(tx.try_send(7), Ok(()));
        drop(r1);
        assert_eq!(futures::poll!(&mut r2), std::task::Poll::Ready(Some(7)));
    });
}

#[test]
fn blocking_ping_pong() {
    let (a_tx, a_rx) = chan::bounded::<u64>(0);
    let (b_tx, b_rx) = chan::bounded::<u64>(0);
    let t = std::thread::spawn(move || {
        while let Some(v) = a_rx.recv_blocking() {
            b_tx.send_blocking(v + 1).unwrap();
        }
    });
    for i in 0..10_000 {
        a_tx.send_blocking(i).unwrap();
        assert_eq!(b_rx.recv_blocking(), Some(i + 1));
    }
    drop(a_tx);
    t.join().unwrap();
}

#[test]
fn mpmc_every_value_once() {
    const P: u64 = 4;
    const N: u64 = 20_000;
    for cap in [0, 1, 16] {
        let (tx, rx) = chan::bounded::<u64>(cap);
        let producers: Vec<_> = (0..P)
            .map(|p| {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    for i in 0..N {
                        tx.send_blocking(p * N + i).unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let rx = rx.clone();
                std::thread::spawn(move || {
                    let mut got = Vec::new();
                    let mut last = [None::<u64>; P as usize];
                    while let Some(v) = rx.recv_blocking() {
                        // Per-producer FIFO as seen by one consumer.
                        let p = (v / N) as usize;
                        assert!(last[p].is_none_or(|l| l < v));
                        last[p] = Some(v);
                        got.push(v);
                    }
                    got
                })
            })
            .collect();
        drop(rx);
        producers.into_iter().for_each(|p| p.join().unwrap());
        let mut all: Vec<u64> = consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..P * N).collect::<Vec<_>>(), "cap {cap}");
    }
}

#[test]
fn tokio_runtime_interop() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, rx) = chan::bounded::<u32>(0);
        let h = tokio::spawn(async move {
            let mut sum = 0;
            while let Some(v) = rx.recv().await {
                sum += v;
            }
            sum
        });
        for i in 0..1000 {
            tx.send(i).await.unwrap();
        }
        drop(tx);
        assert_eq!(h.await.unwrap(), (0..1000).sum::<u32>());
    });
}

#[test]
fn sender_is_sync_for_send_only_values() {
    // `Cell` is `Send` but not `Sync`: handles must still be shareable, like std's.
    assert_send_sync::<Sender<std::cell::Cell<u8>>>();
    assert_send_sync::<Receiver<std::cell::Cell<u8>>>();
}

/// Dropping a registered waker can run executor code that drops a task, whose futures may use
/// the same channel: the channel must never drop a waker while it holds its lock.
#[test]
fn replaced_or_removed_waker_is_dropped_outside_the_lock() {
    use std::sync::Arc;
    use std::task::{Context, Wake, Waker};

    struct UsesChannelOnDrop(Sender<u32>);
    impl Wake for UsesChannelOnDrop {
        fn wake(self: Arc<Self>) {}
    }
    impl Drop for UsesChannelOnDrop {
        fn drop(&mut self) {
            // Would deadlock if called under the channel's lock.
            let _ = self.0.len();
        }
    }

    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (tx, rx) = chan::bounded::<u32>(1);
        // Replaced registration.
        let mut fut = rx.recv();
        {
            let w = Waker::from(Arc::new(UsesChannelOnDrop(tx.clone())));
            assert!(
                std::pin::Pin::new(&mut fut)
                    .poll(&mut Context::from_waker(&w))
                    .is_pending()
            );
        }
        let other = futures::task::noop_waker();
        assert!(
            std::pin::Pin::new(&mut fut)
                .poll(&mut Context::from_waker(&other))
                .is_pending()
        );
        // Removed registration (the future is dropped while parked).
        {
            let w = Waker::from(Arc::new(UsesChannelOnDrop(tx.clone())));
            let mut fut2 = rx.recv();
            assert!(
                std::pin::Pin::new(&mut fut2)
                    .poll(&mut Context::from_waker(&w))
                    .is_pending()
            );
        }
        drop(fut);
        done_tx.send(()).unwrap();
    });
    done_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("deadlock: a waker was dropped under the channel lock");
}

/// Both sides of the ring's capacity limit (65,536; larger channels use the growing buffer)
/// fill to exactly their capacity, keep FIFO order and drain after close.
#[test]
fn capacities_on_both_sides_of_the_ring_limit() {
    for cap in [65_536usize, 65_537] {
        let (tx, rx) = chan::bounded::<usize>(cap);
        for i in 0..cap {
            tx.try_send(i).unwrap();
        }
        assert_eq!(rx.len(), cap);
        assert!(matches!(tx.try_send(cap), Err(TrySendError::Full(v)) if v == cap));
        tx.close();
        for i in 0..cap {
            assert_eq!(rx.try_recv(), Ok(i), "cap {cap}");
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }
}
