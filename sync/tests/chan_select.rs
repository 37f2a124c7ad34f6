//! `select!`: Go's rules. Random choice among ready arms, exactly one arm commits, no
//! self-pairing, guards as nil channels, `default`, waiting, and giving unsent values back.

#![cfg(not(loom))] // the peers and test tools are not built under loom

#[path = "chan_common/mod.rs"]
mod common;

use std::task::Poll;
use std::time::Duration;

use common::Go;
use futures::executor::block_on;
use gmp_executor::time::sleep;
use gmp_sync::chan::{self, SendError, TryRecvError};
use gmp_sync::select;

/// Go picks uniformly among ready cases. 30,000 selects over three always-ready arms: each arm
/// must win between 20% and 46% of the time (expected 33.3%; the bounds are > 40 standard
/// deviations away, so this cannot flake, yet catch a biased or fixed order).
#[test]
fn ready_arms_chosen_uniformly_three_recv() {
    const N: usize = 30_000;
    let chans: Vec<_> = (0..3).map(|_| chan::bounded::<usize>(1)).collect();
    for (i, (tx, _)) in chans.iter().enumerate() {
        tx.try_send(i).unwrap();
    }
    let mut counts = [0usize; 3];
    block_on(async {
        for _ in 0..N {
            let k = select! {
                v = chans[0].1.recv() => v.unwrap(),
                v = chans[1].1.recv() => v.unwrap(),
                v = chans[2].1.recv() => v.unwrap(),
            };
            counts[k] += 1;
            chans[k].0.try_send(k).unwrap();
        }
    });
    for c in counts {
        let share = c as f64 / N as f64;
        assert!((0.20..=0.46).contains(&share), "biased choice: {counts:?}");
    }
}

/// The same with mixed arms: two sends with buffer room, one ready receive, one ready future.
#[test]
fn ready_arms_chosen_uniformly_mixed() {
    const N: usize = 30_000;
    let (a_tx, a_rx) = chan::bounded::<u8>(1);
    let (b_tx, b_rx) = chan::bounded::<u8>(1);
    let (c_tx, c_rx) = chan::bounded::<u8>(1);
    c_tx.try_send(0).unwrap();
    let mut counts = [0usize; 4];
    block_on(async {
        for _ in 0..N {
            let k = select! {
                r = a_tx.send(1) => { r.unwrap(); 0 }
                r = b_tx.send(2) => { r.unwrap(); 1 }
                v = c_rx.recv() => { v.unwrap(); 2 }
                () = std::future::ready(()) => 3,
            };
            counts[k] += 1;
            match k {
                0 => assert_eq!(a_rx.try_recv(), Ok(1)),
                1 => assert_eq!(b_rx.try_recv(), Ok(2)),
                2 => c_tx.try_send(0).unwrap(),
                _ => {}
            }
            // Exactly one arm committed: the others left no trace.
            assert_eq!((a_rx.len(), b_rx.len(), c_rx.len()), (0, 0, 1));
        }
    });
    for c in counts {
        let share = c as f64 / N as f64;
        assert!((0.15..=0.35).contains(&share), "biased choice: {counts:?}");
    }
}

#[test]
fn unchosen_send_keeps_value_unchosen_recv_takes_nothing() {
    block_on(async {
        let (tx, rx) = chan::bounded::<String>(1);
        let (in_tx, in_rx) = chan::bounded::<u32>(1);
        in_tx.try_send(9).unwrap();
        tx.try_send("occupied".into()).unwrap();
        // Send arm is blocked (buffer full); the receive wins.
        let mut send = tx.send("mine".to_string());
        let got = select! {
            _ = &mut send => unreachable!(),
            v = in_rx.recv() => v,
        };
        assert_eq!(got, Some(9));
        assert_eq!(send.into_value().as_deref(), Some("mine"));
        assert_eq!(rx.len(), 1);
        // A blocked receive arm that loses takes nothing later either.
        let (other_tx, other_rx) = chan::bounded::<u32>(0);
        let v = select! {
            v = other_rx.recv() => v,
            _ = sleep(Duration::from_millis(5)) => None,
        };
        assert_eq!(v, None);
        assert_eq!(
            other_tx.try_send(1).unwrap_err().into_inner(),
            1,
            "no receiver may remain parked"
        );
    });
}

/// select3.go: "select should not get confused if it sees itself".
#[test]
fn select_never_pairs_with_itself() {
    block_on(async {
        let (tx, rx) = chan::bounded::<u32>(0);
        let r = select! {
            _ = tx.send(1) => "send",
            _ = rx.recv() => "recv",
            _ = sleep(Duration::from_millis(50)) => "blocked",
        };
        assert_eq!(r, "blocked");
    });
}

#[test]
fn guard_disables_arm_and_default_runs() {
    block_on(async {
        let (tx, rx) = chan::bounded::<u32>(1);
        tx.try_send(1).unwrap();
        let mut evaluated = false;
        let r = select! {
            v = { evaluated = true; rx.recv() }, if false => v,
            default => None,
        };
        assert_eq!(r, None);
        assert!(!evaluated, "a disabled arm's expression is not evaluated");
        assert_eq!(rx.len(), 1);
        let r = select! {
            v = rx.recv(), if true => v,
            default => None,
        };
        assert_eq!(r, Some(1));
    });
}

#[test]
fn default_never_parks_arms() {
    block_on(async {
        let (tx, rx) = chan::bounded::<u32>(0);
        for _ in 0..10 {
            let r = select! {
                v = rx.recv() => v,
                default => None,
            };
            assert_eq!(r, None);
        }
        assert!(
            tx.try_send(1).is_err(),
            "a default select left a receiver parked"
        );
    });
}

#[test]
fn no_ready_arm_and_no_default_waits() {
    let (_tx, rx) = chan::bounded::<u32>(0);
    let mut fut = Box::pin(async {
        select! {
            v = rx.recv() => v,
        }
    });
    let waker = futures::task::noop_waker();
    let mut cx = std::task::Context::from_waker(&waker);
    for _ in 0..3 {
        assert!(fut.as_mut().poll(&mut cx).is_pending());
    }
    // Every arm disabled: Go's `select {}` waits forever.
    let mut all_off = Box::pin(async {
        select! {
            v = rx.recv(), if false => v,
        }
    });
    assert!(all_off.as_mut().poll(&mut cx).is_pending());
}

#[test]
fn closed_channels_are_ready_arms() {
    block_on(async {
        let (tx, rx) = chan::bounded::<u32>(0);
        tx.close();
        let r = select! {
            v = rx.recv() => v,
        };
        assert_eq!(r, None);
        let r = select! {
            r = tx.send(3) => r,
        };
        assert_eq!(r, Err(SendError(3)));
    });
}

#[test]
fn bodies_may_break_continue_and_return() {
    fn find(limit: u32) -> Option<u32> {
        block_on(async {
            let (tx, rx) = chan::bounded::<u32>(16);
            for i in 0..16 {
                tx.try_send(i).unwrap();
            }
            let mut seen = 0;
            loop {
                select! {
                    v = rx.recv() => {
                        let v = v?;
                        if v % 2 == 0 { continue; }
                        seen += 1;
                        if seen == limit { return Some(v); }
                    }
                    default => break,
                }
            }
            None
        })
    }
    assert_eq!(find(3), Some(5));
    assert_eq!(find(100), None);
}

/// A parked select with two receive arms, and two senders racing on other threads: exactly
/// one value is taken; the other sender stays parked (its value undelivered) until served.
#[test]
fn racing_senders_commit_exactly_one_arm() {
    for _ in 0..300 {
        let (tx1, rx1) = chan::bounded::<u32>(0);
        let (tx2, rx2) = chan::bounded::<u32>(0);
        let s1 = std::thread::spawn(move || tx1.send_blocking(1));
        let s2 = std::thread::spawn(move || tx2.send_blocking(2));
        let first = block_on(async {
            select! {
                v = rx1.recv() => v.unwrap(),
                v = rx2.recv() => v.unwrap(),
            }
        });
        let second = if first == 1 {
            rx2.recv_blocking()
        } else {
            rx1.recv_blocking()
        };
        assert_eq!(first + second.unwrap(), 3);
        s1.join().unwrap().unwrap();
        s2.join().unwrap().unwrap();
        assert_eq!(rx1.try_recv(), Err(TryRecvError::Closed));
        assert_eq!(rx2.try_recv(), Err(TryRecvError::Closed));
    }
}

/// A select's send arms racing receivers on two threads: the value goes out exactly once.
#[test]
fn racing_receivers_take_exactly_one_send() {
    for i in 0..300u32 {
        let (tx1, rx1) = chan::bounded::<u32>(0);
        let (tx2, rx2) = chan::bounded::<u32>(0);
        let r1 = std::thread::spawn(move || rx1.recv_blocking());
        let r2 = std::thread::spawn(move || rx2.recv_blocking());
        let arm = block_on(async {
            select! {
                r = tx1.send(i) => { r.unwrap(); 1 }
                r = tx2.send(i) => { r.unwrap(); 2 }
            }
        });
        drop((tx1, tx2)); // the other receiver sees the channel closed
        let (g1, g2) = (r1.join().unwrap(), r2.join().unwrap());
        match arm {
            1 => assert_eq!((g1, g2), (Some(i), None)),
            _ => assert_eq!((g1, g2), (None, Some(i))),
        }
    }
}

stamp!(
    /// doubleselect-style pairing of selects with selects across tasks: a sender task selects
    /// over four send arms, four receiver tasks select over their channel and a quit channel.
    select_pairs_with_select,
    |go: Go| async move {
        const N: u32 = 5_000;
        let chans: Vec<_> = (0..4).map(|_| chan::bounded::<u32>(0)).collect();
        let (out_tx, out_rx) = chan::bounded::<u32>(16);
        let (quit_tx, quit_rx) = chan::bounded::<()>(0);
        for (_, rx) in &chans {
            let (rx, out_tx, quit_rx) = (rx.clone(), out_tx.clone(), quit_rx.clone());
            go.go(async move {
                loop {
                    select! {
                        // The channels close when the sender is done: `None` may win over quit.
                        v = rx.recv() => match v {
                            Some(v) => out_tx.send(v).await.unwrap(),
                            None => return,
                        },
                        _ = quit_rx.recv() => return,
                    }
                }
            });
        }
        drop(out_tx);
        let txs: Vec<_> = chans.iter().map(|(tx, _)| tx.clone()).collect();
        drop(chans);
        go.go(async move {
            for i in 0..N {
                select! {
                    r = txs[0].send(i) => r.unwrap(),
                    r = txs[1].send(i) => r.unwrap(),
                    r = txs[2].send(i) => r.unwrap(),
                    r = txs[3].send(i) => r.unwrap(),
                }
            }
            quit_tx.close();
        });
        let mut seen = vec![false; N as usize];
        let mut n = 0;
        while let Some(v) = out_rx.recv().await {
            assert!(!std::mem::replace(&mut seen[v as usize], true), "duplicate {v}");
            n += 1;
        }
        assert_eq!(n, N);
    }
);

#[test]
fn poll_after_other_arm_committed_is_consistent() {
    // A counterpart commits arm 0 while the select is parked; the next poll must complete arm 0.
    block_on(async {
        let (tx, rx) = chan::bounded::<u32>(0);
        let (_tx2, rx2) = chan::bounded::<u32>(0);
        let mut fut = Box::pin(async {
            select! {
                v = rx.recv() => (0, v),
                v = rx2.recv() => (1, v),
            }
        });
        assert!(futures::poll!(fut.as_mut()).is_pending());
        tx.try_send(5).unwrap();
        assert_eq!(futures::poll!(fut.as_mut()), Poll::Ready((0, Some(5))));
    });
}

/// A receive future kept across selects (`&mut fut` arms): an unchosen round leaves it
/// unregistered and holding nothing; a later round can still complete it.
#[test]
fn borrowed_recv_arm_survives_unchosen_rounds() {
    block_on(async {
        let (tx, rx) = chan::bounded::<u32>(0);
        let mut recv = rx.recv();
        for round in 0..3 {
            let got = select! {
                v = &mut recv => v,
                default => None,
            };
            assert_eq!(got, None, "round {round}");
            // Not parked after the select: a non-blocking send finds no receiver.
            assert!(tx.try_send(round).is_err());
        }
        let sender = std::thread::spawn(move || tx.send_blocking(42));
        let got = select! {
            v = &mut recv => v,
            _ = sleep(Duration::from_secs(10)) => None,
        };
        assert_eq!(got, Some(42));
        sender.join().unwrap().unwrap();
    });
}
