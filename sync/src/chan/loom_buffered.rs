//! loom models of buffered channels (the lock-free ring and its lobby of parked waiters):
//! 2 producers, 1-2 consumers, capacity 1-2. Run with
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=target/loom
//! cargo test --release -p gmp-sync --lib loom_buffered`.
//!
//! A lost wake-up shows as a loom deadlock (every `block_on` waits forever); a value popped
//! twice or lost fails the counting asserts; `assert_settled` checks at the end that no waiter
//! stayed parked while its operation could complete.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use loom::future::block_on;

use super::{SendError, TryRecvError, bounded};
use crate::loom::thread;

/// Models with three busy threads and several parks: one preemption (the rest of the file
/// runs under `LOOM_MAX_PREEMPTIONS`, 2 in CI) keeps them to about a minute.
fn model_small(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(b.preemption_bound.map_or(1, |n| n.min(1)));
    b.check(f);
}

fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    std::pin::Pin::new(fut).poll(&mut Context::from_waker(Waker::noop()))
}

/// Checks that every producer's values arrived once each and in its order. Producer `p`
/// sends `p * 10 + i` for `i < per[p]`.
fn check_per_producer_order(got: &[u32], per: &[u32]) {
    for (p, &n) in (0u32..).zip(per) {
        let mine: Vec<u32> = got.iter().copied().filter(|v| v / 10 == p).collect();
        let want: Vec<u32> = (0..n).map(|i| p * 10 + i).collect();
        assert_eq!(mine, want, "producer {p}'s values");
    }
    assert_eq!(got.len(), per.iter().sum::<u32>() as usize);
}

#[test]
fn loom_buffered_two_producers_in_order_cap1() {
    model_small(|| {
        let (tx, rx) = bounded::<u32>(1);
        let tx2 = tx.clone();
        let a = thread::spawn(move || {
            block_on(tx.send(0)).unwrap();
            block_on(tx.send(1)).unwrap();
        });
        let b = thread::spawn(move || block_on(tx2.send(10)).unwrap());
        let mut got = Vec::new();
        while let Some(v) = block_on(rx.recv()) {
            got.push(v);
        }
        a.join().unwrap();
        b.join().unwrap();
        check_per_producer_order(&got, &[2, 1]);
        rx.chan.assert_settled();
    });
}

#[test]
fn loom_buffered_two_producers_two_consumers_cap2() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(2);
        let tx2 = tx.clone();
        let rx2 = rx.clone();
        let a = thread::spawn(move || block_on(tx.send(0)).unwrap());
        let b = thread::spawn(move || block_on(tx2.send(10)).unwrap());
        let c = thread::spawn(move || block_on(rx2.recv()));
        let mine = block_on(rx.recv());
        a.join().unwrap();
        b.join().unwrap();
        let theirs = c.join().unwrap();
        let mut got: Vec<u32> = mine.into_iter().chain(theirs).collect();
        got.sort_unstable();
        assert_eq!(got, [0, 10], "each value popped exactly once");
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
        rx.chan.assert_settled();
    });
}

#[test]
fn loom_buffered_parked_sender_served_cap1() {
    // The ring is full, so the second send parks with its value; a receiver's pop must move
    // it into the ring (or the sender's retry must find room): no lost wake-up.
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let tx2 = tx.clone();
        tx.try_send(0).unwrap();
        let a = thread::spawn(move || block_on(tx2.send(1)).unwrap());
        let b = thread::spawn(move || block_on(tx.send(2)).unwrap());
        let mut got: Vec<u32> = (0..3).filter_map(|_| block_on(rx.recv())).collect();
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(got[0], 0);
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2]);
        assert_eq!(block_on(rx.recv()), None);
        rx.chan.assert_settled();
    });
}

#[test]
fn loom_buffered_parked_receiver_woken() {
    // Two receivers park on an empty ring; two producers each send once: both wake.
    model_small(|| {
        let (tx, rx) = bounded::<u32>(1);
        let tx2 = tx.clone();
        let rx2 = rx.clone();
        let c = thread::spawn(move || block_on(rx2.recv()));
        // The senders come back alive: a close must not mask a lost wake-up.
        let a = thread::spawn(move || {
            block_on(tx.send(0)).unwrap();
            tx
        });
        let b = thread::spawn(move || {
            block_on(tx2.send(10)).unwrap();
            tx2
        });
        let mine = block_on(rx.recv());
        let theirs = c.join().unwrap();
        let _alive = (a.join().unwrap(), b.join().unwrap());
        let mut got: Vec<u32> = mine.into_iter().chain(theirs).collect();
        got.sort_unstable();
        assert_eq!(got, [0, 10]);
        rx.chan.assert_settled();
    });
}

#[test]
fn loom_buffered_cancelled_send_owns_value_or_ring_does() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        tx.try_send(0).unwrap();
        // The receiver frees the slot concurrently with the send parking and being cancelled.
        let t = thread::spawn(move || {
            let first = rx.try_recv().ok();
            (first, rx)
        });
        let mut fut = tx.send(1);
        let polled = poll_once(&mut fut);
        let back = fut.into_value();
        let (first, rx) = t.join().unwrap();
        let mut rest = Vec::new();
        while let Ok(v) = rx.try_recv() {
            rest.push(v);
        }
        let in_ring = rest.contains(&1);
        match polled {
            Poll::Ready(r) => {
                assert!(r.is_ok());
                assert_eq!(back, None);
                assert!(in_ring || first.is_none());
            }
            // Exactly one of: the value is in the ring, or it came back to us.
            Poll::Pending => assert!(in_ring != back.is_some(), "{in_ring} {back:?}"),
        }
        if first.is_none() {
            assert_eq!(rest.first(), Some(&0));
        }
        rx.chan.assert_settled();
    });
}

#[test]
fn loom_buffered_losing_select_arm_reserves_nothing() {
    // Two send arms, both with room: exactly one commits, the other channel stays empty. A
    // concurrent receiver on the first channel races the select.
    loom::model(|| {
        let (tx1, rx1) = bounded::<u32>(1);
        let (tx2, rx2) = bounded::<u32>(1);
        let t = thread::spawn(move || (rx1.try_recv().ok(), rx1));
        let which = block_on(async {
            crate::select! {
                r = tx1.send(1) => { r.unwrap(); 1 },
                r = tx2.send(2) => { r.unwrap(); 2 },
            }
        });
        let (early, rx1) = t.join().unwrap();
        let got1: Vec<u32> = early.into_iter().chain(rx1.try_recv().ok()).collect();
        let got2: Vec<u32> = rx2.try_recv().ok().into_iter().collect();
        if which == 1 {
            assert_eq!((got1, got2), (vec![1], vec![]));
        } else {
            assert_eq!((got1, got2), (vec![], vec![2]));
        }
        rx1.chan.assert_settled();
        rx2.chan.assert_settled();
    });
}

#[test]
fn loom_buffered_losing_select_recv_takes_nothing() {
    // A select parks on two empty channels; two producers race to fill them. Exactly one value
    // is taken by the select; the other stays buffered.
    loom::model(|| {
        let (tx1, rx1) = bounded::<u32>(1);
        let (tx2, rx2) = bounded::<u32>(1);
        let a = thread::spawn(move || (block_on(tx1.send(1)).is_ok(), tx1));
        let b = thread::spawn(move || (block_on(tx2.send(2)).is_ok(), tx2));
        let got = block_on(async {
            crate::select! {
                v = rx1.recv() => v,
                v = rx2.recv() => v,
            }
        })
        .unwrap();
        let (ok1, _tx1) = a.join().unwrap();
        let (ok2, _tx2) = b.join().unwrap();
        assert!(ok1 && ok2);
        let rest: Vec<u32> = rx1
            .try_recv()
            .ok()
            .into_iter()
            .chain(rx2.try_recv().ok())
            .collect();
        assert_eq!(rest.len(), 1);
        assert_ne!(rest[0], got);
        rx1.chan.assert_settled();
        rx2.chan.assert_settled();
    });
}

#[test]
fn loom_buffered_close_drains_fails_sends_wakes_all() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let tx2 = tx.clone();
        let rx2 = rx.clone();
        tx.try_send(0).unwrap();
        // A sender that may park on the full ring, and a closer.
        let s = thread::spawn(move || block_on(tx2.send(1)));
        let c = thread::spawn(move || assert!(tx.close()));
        let mut got = Vec::new();
        while let Some(v) = block_on(rx.recv()) {
            got.push(v);
        }
        c.join().unwrap();
        let sent = s.join().unwrap();
        match sent {
            Ok(()) => assert_eq!(got, [0, 1]),
            Err(SendError(v)) => {
                assert_eq!(v, 1);
                assert_eq!(got, [0]);
            }
        }
        assert_eq!(block_on(rx2.recv()), None);
        rx.chan.assert_settled();
    });
}

#[test]
fn loom_buffered_close_wakes_parked_receivers() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(2);
        let rx2 = rx.clone();
        let r = thread::spawn(move || block_on(rx2.recv()));
        let mut fut = pin!(rx.recv());
        let first = fut.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        assert!(tx.close());
        assert_eq!(first, Poll::Pending);
        assert_eq!(r.join().unwrap(), None);
        assert_eq!(block_on(fut), None);
        rx.chan.assert_settled();
    });
}

#[test]
fn loom_buffered_woken_receiver_dropped_passes_wake_on() {
    // Receiver A parks then is dropped at an arbitrary point; receiver B must still get the
    // value (or A got it first).
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let rx2 = rx.clone();
        let b = thread::spawn(move || block_on(rx2.recv()));
        let s = thread::spawn(move || {
            block_on(tx.send(7)).unwrap();
            tx
        });
        let mut fut = rx.recv();
        let first = poll_once(&mut fut);
        drop(fut);
        let tx = s.join().unwrap();
        if let Poll::Ready(Some(v)) = first {
            // A took it: B still waits; release it.
            assert_eq!(v, 7);
            drop(tx);
            assert_eq!(b.join().unwrap(), None);
        } else {
            // The sender is alive, so only the value (or a passed-on wake) can end B's wait.
            assert_eq!(b.join().unwrap(), Some(7));
            drop(tx);
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}

#[test]
fn loom_buffered_select_arm_claims_slot_only_when_committing() {
    // A select's send arm on a full buffered channel races a rendezvous sender that commits
    // the select's other (receive) arm. If the send arm claimed a ring slot without first
    // marking the token busy, the value would land in the ring for an arm that lost.
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let (ytx, yrx) = bounded::<u32>(0);
        tx.try_send(0).unwrap();
        let freer = thread::spawn(move || (rx.try_recv().ok(), rx));
        let pairer = thread::spawn(move || (ytx.try_send(9).is_ok(), ytx));
        let which = block_on(async {
            crate::select! {
                r = tx.send(1) => { r.unwrap(); 1 },
                v = yrx.recv() => { assert_eq!(v, Some(9)); 2 },
            }
        });
        let (popped, rx) = freer.join().unwrap();
        let (paired, _ytx) = pairer.join().unwrap();
        let mut ring: Vec<u32> = popped.into_iter().collect();
        ring.extend(rx.try_recv().ok());
        ring.extend(rx.try_recv().ok());
        if which == 1 {
            assert!(!paired, "the rendezvous send paired with an arm that lost");
            assert!(ring.contains(&1));
        } else {
            assert!(paired);
            assert!(
                !ring.contains(&1),
                "a losing send arm put its value in the ring"
            );
        }
        rx.chan.assert_settled();
    });
}
