//! loom models of the channel core: send / recv / close / cancel races, and a select arm racing
//! plain operations. Small on purpose (2-3 threads, 1-2 values) so that
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p gmp-sync --release --lib loom`
//! finishes in well under two minutes.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use loom::future::block_on;

use super::{TryRecvError, TrySendError, bounded};
use crate::loom::thread;

/// Polls `fut` once with a waker that does nothing.
fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    std::pin::Pin::new(fut).poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn loom_rendezvous_send_recv() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let t = thread::spawn(move || block_on(tx.send(7)).unwrap());
        assert_eq!(block_on(rx.recv()), Some(7));
        t.join().unwrap();
    });
}

#[test]
fn loom_buffered_send_close_recv() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let t = thread::spawn(move || {
            block_on(tx.send(1)).unwrap();
            assert!(tx.close());
        });
        assert_eq!(block_on(rx.recv()), Some(1));
        assert_eq!(block_on(rx.recv()), None);
        t.join().unwrap();
    });
}

#[test]
fn loom_close_wakes_parked_sender_with_value() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let tx2 = tx.clone();
        let t = thread::spawn(move || block_on(tx2.send(5)));
        tx.close();
        let res = t.join().unwrap();
        // Either the close came first, or it woke the parked sender: the value comes back.
        assert_eq!(res.unwrap_err().0, 5);
        assert_eq!(block_on(rx.recv()), None);
    });
}

#[test]
fn loom_close_races_rendezvous() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let tx2 = tx.clone();
        let sender = thread::spawn(move || block_on(tx2.send(1)).is_ok());
        let closer = thread::spawn(move || {
            tx.close();
        });
        let got = block_on(rx.recv());
        closer.join().unwrap();
        let sent = sender.join().unwrap();
        // A send that reports success was received; one that failed was not.
        assert_eq!(sent, got == Some(1));
    });
}

#[test]
fn loom_cancelled_recv_gives_value_back() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let t = thread::spawn(move || tx.try_send(1).is_ok());
        let mut fut = rx.recv();
        let first = poll_once(&mut fut);
        // Drop the receive at an arbitrary point relative to the sender.
        drop(fut);
        let sent = t.join().unwrap();
        let mut got = Vec::new();
        if let Poll::Ready(Some(v)) = first {
            got.push(v);
        }
        if let Ok(v) = rx.try_recv() {
            got.push(v);
        }
        // Delivered exactly once if the send succeeded, never otherwise.
        assert_eq!(got, if sent { vec![1] } else { vec![] });
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}

#[test]
fn loom_cancelled_send_keeps_value() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        // The receiver handle comes back so the channel does not close under the send.
        let t = thread::spawn(move || (rx.try_recv().ok(), rx));
        let mut fut = tx.send(1);
        let first = poll_once(&mut fut);
        let back = fut.into_value();
        let (got, _rx) = t.join().unwrap();
        match first {
            Poll::Ready(r) => {
                assert!(r.is_ok());
                assert_eq!((got, back), (Some(1), None));
            }
            // Exactly one of: the receiver took it, or it came back to us.
            Poll::Pending => assert!(got.is_some() != back.is_some()),
        }
    });
}

#[test]
fn loom_two_receivers_one_cancelled() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let rx2 = rx.clone();
        let other = thread::spawn(move || block_on(rx2.recv()));
        let mut fut = rx.recv();
        let first = poll_once(&mut fut);
        drop(fut);
        let sender = thread::spawn(move || block_on(tx.send(1)).is_ok());
        let sent = sender.join().unwrap();
        // The sender is gone: the channel closes, so `other` finishes either way.
        let got_other = other.join().unwrap();
        let mut got: Vec<u32> = got_other.into_iter().collect();
        if let Poll::Ready(Some(v)) = first {
            got.push(v);
        }
        if let Ok(v) = rx.try_recv() {
            got.push(v);
        }
        assert!(sent);
        assert_eq!(got, [1]);
    });
}

/// `None` is final: a value handed to a parked receive that is dropped on another thread never
/// reappears after a receive on the closed channel returned `None`, and it is received exactly
/// once (by the other receive, or given back into the channel before it looked).
#[test]
fn loom_none_is_final_when_a_handed_receive_is_dropped() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let other = rx.clone();
        // Owns its receiver, so that another thread can drop it.
        let mut fut = Box::pin(async move { rx.recv().await });
        assert!(poll_once(&mut fut).is_pending());
        assert!(tx.try_send(1).is_ok(), "handed to the parked receive");
        drop(tx);
        let t = thread::spawn(move || drop(fut));
        let first = block_on(other.recv());
        t.join().unwrap();
        let second = other.try_recv();
        assert_eq!(first, Some(1));
        assert_eq!(second, Err(TryRecvError::Closed));
    });
}

#[test]
fn loom_select_commits_one_arm() {
    loom::model(|| {
        let (tx1, rx1) = bounded::<u32>(0);
        let (tx2, rx2) = bounded::<u32>(0);
        let t1 = thread::spawn(move || (tx1.try_send(1).is_ok(), tx1));
        let t2 = thread::spawn(move || (tx2.try_send(2).is_ok(), tx2));
        let got = block_on(async {
            let mut sel = pin!(async {
                crate::select! {
                    v = rx1.recv() => v,
                    v = rx2.recv() => v,
                }
            });
            // Park both arms once, let the senders race, then give up on the select.
            std::future::poll_fn(|cx| Poll::Ready(sel.as_mut().poll(cx))).await
        });
        let (ok1, _tx1) = t1.join().unwrap();
        let (ok2, _tx2) = t2.join().unwrap();
        // At most one sender can pair with the select's parked arms.
        assert!(!(ok1 && ok2), "both arms of one select committed");
        let mut received: Vec<u32> = match got {
            Poll::Ready(v) => v.into_iter().collect(),
            Poll::Pending => Vec::new(),
        };
        received.extend(rx1.try_recv().ok());
        received.extend(rx2.try_recv().ok());
        let sent = usize::from(ok1) + usize::from(ok2);
        assert_eq!(received.len(), sent);
    });
}

#[test]
fn loom_try_send_full_then_recv_refills() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        tx.try_send(1).unwrap();
        let tx2 = tx.clone();
        let t = thread::spawn(move || block_on(tx2.send(2)).is_ok());
        assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
        assert_eq!(block_on(rx.recv()), Some(1));
        assert!(t.join().unwrap());
        assert_eq!(block_on(rx.recv()), Some(2));
    });
}

#[test]
fn loom_two_senders_one_receiver() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let tx2 = tx.clone();
        let a = thread::spawn(move || block_on(tx.send(1)).unwrap());
        let b = thread::spawn(move || block_on(tx2.send(2)).unwrap());
        let mut got = [block_on(rx.recv()).unwrap(), block_on(rx.recv()).unwrap()];
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(block_on(rx.recv()), None);
    });
}

#[test]
fn loom_select_pairs_with_select() {
    // Both sides are selects: exercises the BUSY / bounce protocol of the selection token.
    loom::model(|| {
        let (tx1, rx1) = bounded::<u32>(0);
        let (tx2, rx2) = bounded::<u32>(0);
        let sender = thread::spawn(move || {
            let sent = block_on(async {
                crate::select! {
                    r = tx1.send(1) => r.map(|()| 1),
                    r = tx2.send(2) => r.map(|()| 2),
                }
            });
            (sent.unwrap(), tx1, tx2)
        });
        let got = block_on(async {
            crate::select! {
                v = rx1.recv() => v,
                v = rx2.recv() => v,
            }
        });
        let (sent, _tx1, _tx2) = sender.join().unwrap();
        assert_eq!(got, Some(sent));
        assert!(rx1.try_recv().is_err() && rx2.try_recv().is_err());
    });
}

#[test]
fn loom_last_receiver_drop_frees_parked_sender() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        tx.try_send(1).unwrap();
        let t = thread::spawn(move || block_on(tx.send(2)));
        // Dropping the last receiver closes the channel and drops the buffer: the parked (or
        // about to park) sender gets its value back instead of waiting forever.
        drop(rx);
        assert_eq!(t.join().unwrap().unwrap_err().0, 2);
    });
}

#[test]
fn loom_stream_in_flight_value_given_back_on_receiver_drop() {
    loom::model(|| {
        use futures_core::Stream;
        let (tx, mut rx) = bounded::<u32>(0);
        let rx2 = rx.clone();
        let t = thread::spawn(move || tx.try_send(1).is_ok());
        // A `poll_next` that parks, then the receiver handle is dropped without returning.
        let first = std::pin::Pin::new(&mut rx).poll_next(&mut Context::from_waker(Waker::noop()));
        drop(rx);
        let sent = t.join().unwrap();
        let mut got: Vec<u32> = match first {
            Poll::Ready(v) => v.into_iter().collect(),
            Poll::Pending => Vec::new(),
        };
        got.extend(rx2.try_recv().ok());
        assert_eq!(got, if sent { vec![1] } else { vec![] });
    });
}
