//! Go's channel conformance programs, re-expressed for gmp's channels.
//!
//! Each test names the program of the golang/go repository's `test/chan` directory it follows
//! (BSD-style license, Copyright The Go Authors). Differences forced by Rust, or chosen by gmp,
//! are noted where they apply: no nil channels (an `if false` guard disables an arm), a send on
//! a closed channel returns the value instead of panicking, and a disabled arm's expression is
//! not evaluated. `perm.go` (channel direction rules) is compile-fail: see `chan_perm.rs`.

#![cfg(not(loom))] // the peers and test tools are not built under loom

#[path = "chan_common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::Go;
use gmp_executor::time::sleep;
use gmp_sync::chan::{self, Receiver, Sender, TryRecvError, TrySendError};
use gmp_sync::select;

stamp!(
    /// golang/go test/chan/doubleselect.go: flushes out two cases of one select both running.
    /// A sender selects over four channels; four muxes forward into one channel; the receiver
    /// checks that no value arrives twice. (100,000 iterations in Go; 10,000 here.)
    doubleselect,
    |go: Go| async move {
        const N: u32 = 10_000;
        let (c1, r1) = chan::bounded::<u32>(0);
        let (c2, r2) = chan::bounded::<u32>(0);
        let (c3, r3) = chan::bounded::<u32>(0);
        let (c4, r4) = chan::bounded::<u32>(0);
        let (cmux, rmux) = chan::bounded::<u32>(0);
        go.go(async move {
            for i in 0..N {
                select! {
                    r = c1.send(i) => r.unwrap(),
                    r = c2.send(i) => r.unwrap(),
                    r = c3.send(i) => r.unwrap(),
                    r = c4.send(i) => r.unwrap(),
                }
            }
            // Dropping c1..c4 closes them (Go closes c1 and c2 explicitly).
        });
        for input in [r1, r2, r3, r4] {
            let out = cmux.clone();
            go.go(async move {
                while let Some(v) = input.recv().await {
                    out.send(v).await.unwrap();
                }
            });
        }
        drop(cmux);
        let mut seen = std::collections::HashSet::new();
        while let Some(v) = rmux.recv().await {
            assert!(seen.insert(v), "got duplicate value: {v}");
        }
        assert_eq!(seen.len(), N as usize);
    }
);

stamp!(
    /// golang/go test/chan/fifo.go: buffered channels are FIFO, and so are unbuffered channels
    /// served by a daisy chain of goroutines that read in turn.
    fifo,
    |go: Go| async move {
        const N: u32 = 10;
        // AsynchFifo
        let (tx, rx) = chan::bounded(N as usize);
        for i in 0..N {
            tx.send(i).await.unwrap();
        }
        for i in 0..N {
            assert_eq!(rx.recv().await, Some(i), "bad receive");
        }
        // SynchFifo
        let (ch_tx, ch_rx) = chan::bounded::<u32>(0);
        let (start_tx, mut in_rx) = chan::bounded::<u32>(0);
        for i in 0..N {
            let (out_tx, out_rx) = chan::bounded::<u32>(0);
            let ch = ch_rx.clone();
            let inp = std::mem::replace(&mut in_rx, out_rx);
            go.go(async move {
                inp.recv().await;
                assert_eq!(ch.recv().await, Some(i));
                out_tx.send(1).await.unwrap();
            });
        }
        start_tx.send(0).await.unwrap();
        for i in 0..N {
            ch_tx.send(i).await.unwrap();
        }
        assert_eq!(in_rx.recv().await, Some(1));
    }
);

stamp!(
    /// golang/go test/chan/goroutines.go: a chain of goroutines, each passing one value from its
    /// right neighbour to its left (10,000 in Go and here).
    goroutines,
    |go: Go| async move {
        const N: usize = 10_000;
        let (leftmost_tx, leftmost_rx) = chan::bounded::<u32>(0);
        let mut left = leftmost_tx;
        for _ in 0..N {
            let (right_tx, right_rx) = chan::bounded::<u32>(0);
            let l = left;
            go.go(async move {
                let v = right_rx.recv().await.unwrap();
                l.send(v).await.unwrap();
            });
            left = right_tx;
        }
        left.send(1).await.unwrap();
        assert_eq!(leftmost_rx.recv().await, Some(1));
    }
);

stamp!(
    /// golang/go test/chan/nonblock.go: non-blocking operations on empty channels fail, and
    /// succeed once a partner is (eventually) ready, for buffered and unbuffered channels and
    /// several element types.
    nonblock,
    |go: Go| async move {
        async fn check<T>(go: &Go, buffer: usize, send: T, expect: T)
        where
            T: Clone + PartialEq + std::fmt::Debug + Send + 'static,
        {
            let (tx, rx) = chan::bounded::<T>(buffer);
            let (sync_tx, sync_rx) = chan::bounded::<bool>(0);
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty), "blocked sender");
            // Receiver goroutine; the non-blocking send succeeds once it is waiting.
            {
                let (rx, sync_tx, expect) = (rx.clone(), sync_tx.clone(), expect.clone());
                go.go(async move {
                    assert_eq!(rx.recv().await, Some(expect));
                    sync_tx.send(true).await.unwrap();
                });
            }
            let mut v = expect.clone();
            let mut tries = 0;
            loop {
                match tx.try_send(v) {
                    Ok(()) => break,
                    Err(TrySendError::Full(back)) => v = back,
                    Err(TrySendError::Closed(_)) => panic!("closed"),
                }
                tries += 1;
                assert!(tries < 10_000, "receiver never became ready (buffer={buffer})");
                sleep(Duration::from_micros(100)).await;
            }
            assert_eq!(sync_rx.recv().await, Some(true));
            // Sender goroutine; the non-blocking receive succeeds once it has sent.
            {
                let (tx, sync_tx, send) = (tx.clone(), sync_tx.clone(), send.clone());
                go.go(async move {
                    tx.send(send).await.unwrap();
                    sync_tx.send(true).await.unwrap();
                });
            }
            if buffer > 0 {
                assert_eq!(sync_rx.recv().await, Some(true));
            }
            let mut tries = 0;
            let got = loop {
                match rx.try_recv() {
                    Ok(v) => break v,
                    Err(TryRecvError::Empty) => {}
                    Err(TryRecvError::Closed) => panic!("closed"),
                }
                tries += 1;
                assert!(tries < 10_000, "sender never became ready (buffer={buffer})");
                sleep(Duration::from_micros(100)).await;
            };
            assert_eq!(got, send);
            if buffer == 0 {
                assert_eq!(sync_rx.recv().await, Some(true));
            }
        }
        for buffer in 0..2 {
            check::<i32>(&go, buffer, 234, 123).await;
            check::<i64>(&go, buffer, 234_567, 123_456).await;
            check::<bool>(&go, buffer, true, true).await;
            check::<String>(&go, buffer, "hello again".into(), "hello".into()).await;
        }
    }
);

/// golang/go test/chan/select.go: a select with a `default` sends on every ready channel in
/// turn, disabling each one after it is used (Go sets it to nil; gmp uses a guard).
///
/// Go counts 10 evaluations of the send expressions because it evaluates the expressions of
/// nil-channel cases too; a disabled gmp arm is not evaluated, so the count here is 4.
#[test]
fn select_go() {
    futures::executor::block_on(async {
        let counter = std::cell::Cell::new(0u32);
        let shift = std::cell::Cell::new(0u32);
        let get_value = || {
            counter.set(counter.get() + 1);
            1u32 << shift.get()
        };
        async fn send_all(
            a: Option<&Sender<u32>>,
            b: Option<&Sender<u32>>,
            get_value: &dyn Fn() -> u32,
            shift: &std::cell::Cell<u32>,
        ) -> u32 {
            let (mut a_on, mut b_on) = (a.is_some(), b.is_some());
            let mut i = 0;
            loop {
                select! {
                    r = a.unwrap().send(get_value()), if a_on => { r.unwrap(); i += 1; a_on = false; }
                    r = b.unwrap().send(get_value()), if b_on => { r.unwrap(); i += 1; b_on = false; }
                    default => break,
                }
                shift.set(shift.get() + 1);
            }
            i
        }
        let (a, ar) = chan::bounded::<u32>(1);
        let (b, br) = chan::bounded::<u32>(1);
        assert_eq!(send_all(Some(&a), Some(&b), &get_value, &shift).await, 2);
        let (av, bv) = (ar.recv().await.unwrap(), br.recv().await.unwrap());
        assert_eq!(av | bv, 3, "bad values {av} {bv}");
        assert_eq!(send_all(Some(&a), None, &get_value, &shift).await, 1);
        assert_eq!(counter.get(), 4);
    });
}

stamp!(
    /// golang/go test/chan/select3.go: which operations and selects block, and which do not.
    /// "Panics" become `Err(SendError)`; nil channels become disabled arms.
    select3,
    |_go: Go| async move {
        const BLOCK: Duration = Duration::from_millis(100);
        /// Whether `f` is still running after 0.1 s (Go's testBlock).
        async fn blocks<F: std::future::Future>(f: F) -> bool {
            select! {
                _ = f => false,
                _ = sleep(BLOCK) => true,
            }
        }
        let (closed_tx, closed_rx) = chan::bounded::<i32>(0);
        closed_tx.close();
        let nil = false;

        // Sending/receiving on a nil channel inside a select is never selected.
        let (tx, rx) = chan::bounded::<i32>(0);
        select! { _ = tx.send(7), if nil => unreachable!(), default => {} }
        select! { _ = rx.recv(), if nil => unreachable!(), default => {} }
        // Sending to a buffered channel with free space never blocks.
        assert!(!blocks(async { chan::bounded::<i32>(1).0.send(7).await }).await);
        // Receiving from a closed channel never blocks, and yields (zero, !ok) = None.
        assert!(!blocks(async {
            for _ in 0..10 {
                assert_eq!(closed_rx.recv().await, None);
            }
        })
        .await);
        // Sending to a closed channel fails (Go: panics).
        assert!(closed_tx.send(7).await.is_err());
        // Receiving from a non-ready channel always blocks.
        let (_keep, never) = chan::bounded::<i32>(0);
        assert!(blocks(never.recv()).await);
        // Empty selects and selects with only nil channels always block.
        assert!(blocks(async { select! {} }).await);
        assert!(blocks(async { select! { _ = never.recv(), if nil => unreachable!() } }).await);
        assert!(blocks(async { select! { _ = tx.send(7), if nil => unreachable!() } }).await);
        assert!(blocks(async {
            select! {
                _ = never.recv(), if nil => unreachable!(),
                _ = tx.send(7), if nil => unreachable!(),
            }
        })
        .await);
        // Selects with non-ready non-nil channels always block.
        assert!(blocks(async { select! { _ = never.recv() => unreachable!() } }).await);
        // Selects with default cases don't block.
        assert!(!blocks(async { select! { default => {} } }).await);
        assert!(!blocks(async { select! { _ = never.recv(), if nil => unreachable!(), default => {} } }).await);
        assert!(!blocks(async { select! { _ = tx.send(7), if nil => unreachable!(), default => {} } }).await);
        // Selects with ready channels don't block.
        assert!(!blocks(async {
            let (tx, _rx) = chan::bounded::<i32>(1);
            select! { _ = tx.send(7) => {}, default => unreachable!() }
        })
        .await);
        assert!(!blocks(async {
            let (tx, rx) = chan::bounded::<i32>(1);
            tx.send(7).await.unwrap();
            select! { _ = rx.recv() => {}, default => unreachable!() }
        })
        .await);
        // Selects with closed channels behave like ordinary operations.
        assert!(!blocks(async { select! { _ = closed_rx.recv() => {} } }).await);
        assert!(!blocks(async { select! { v = closed_rx.recv() => assert_eq!(v, None) } }).await);
        select! { r = closed_tx.send(7) => assert!(r.is_err()) }
        // A select should not get confused if it sees itself.
        assert!(blocks(async {
            let (c, cr) = chan::bounded::<i32>(0);
            select! {
                _ = c.send(1) => {}
                _ = cr.recv() => {}
            }
        })
        .await);
    }
);

/// golang/go test/chan/select4.go: a select proceeds with the ready receive, and the
/// destination of an unchosen receive is never evaluated (here: its pattern never binds and
/// its body never runs).
#[test]
fn select4() {
    futures::executor::block_on(async {
        let (c, cr) = chan::bounded::<i32>(1);
        let (_c1, c1r) = chan::bounded::<i32>(0);
        c.send(42).await.unwrap();
        let a: i32;
        select! {
            _ = c1r.recv() => panic!("BUG: chose the receive that was not ready"),
            v = cr.recv() => a = v.unwrap(),
        }
        assert_eq!(a, 42);
    });
}

stamp!(
    /// golang/go test/chan/select6.go (issue 2075): a select that gives up on c1 must leave
    /// c1's queue intact, so later waiters on c1 still wake.
    select6,
    |go: Go| async move {
        let (c1, c1r) = chan::bounded::<bool>(0);
        let (c2, c2r) = chan::bounded::<bool>(0);
        let (c3, c3r) = chan::bounded::<bool>(0);
        let (done_tx, done_rx) = chan::bounded::<()>(2);
        {
            let (c1r, done_tx) = (c1r.clone(), done_tx.clone());
            go.go(async move {
                c1r.recv().await;
                done_tx.send(()).await.unwrap();
            });
        }
        go.go(async move {
            select! {
                _ = c1r.recv() => panic!("dummy"),
                _ = c2r.recv() => c3.send(true).await.unwrap(),
            }
            c1r.recv().await;
            done_tx.send(()).await.unwrap();
        });
        go.go(async move { c2.send(true).await.unwrap() });
        c3r.recv().await;
        c1.send(true).await.unwrap();
        c1.send(true).await.unwrap();
        done_rx.recv().await;
        done_rx.recv().await;
    }
);

stamp!(
    /// golang/go test/chan/select7.go: every combination of plain / one-case select /
    /// two-case select on the sending and on the receiving side.
    select7,
    |go: Go| async move {
        #[derive(Clone, Copy, Debug)]
        enum Kind {
            Plain,
            Select1,
            Select2,
        }
        for recv in [Kind::Plain, Kind::Select1, Kind::Select2] {
            for send in [Kind::Plain, Kind::Select1, Kind::Select2] {
                let (c, cr) = chan::bounded::<i32>(0);
                let (done_tx, done_rx) = chan::bounded::<()>(0);
                go.go(async move {
                    let (_c2, c2r) = chan::bounded::<i32>(0);
                    match recv {
                        Kind::Plain => drop(cr.recv().await),
                        Kind::Select1 => select! { _ = cr.recv() => {} },
                        Kind::Select2 => select! { _ = cr.recv() => {}, _ = c2r.recv() => {} },
                    }
                    done_tx.send(()).await.unwrap();
                });
                gmp_executor::yield_now().await;
                let (c2, _c2r) = chan::bounded::<i32>(0);
                match send {
                    Kind::Plain => c.send(1).await.unwrap(),
                    Kind::Select1 => select! { r = c.send(1) => r.unwrap() },
                    Kind::Select2 => select! { r = c.send(1) => r.unwrap(), _ = c2.send(1) => unreachable!() },
                }
                assert_eq!(done_rx.recv().await, Some(()), "{send:?} -> {recv:?}");
            }
        }
    }
);

/// Go's prime sieve (golang/go test/chan/sieve1.go): a chain of filter goroutines.
async fn sieve(go: &Go, n: usize) -> Vec<u32> {
    async fn generate(ch: Sender<u32>) {
        let mut i = 2;
        while ch.send(i).await.is_ok() {
            i += 1;
        }
    }
    async fn filter(input: Receiver<u32>, output: Sender<u32>, prime: u32) {
        while let Some(i) = input.recv().await {
            if i % prime != 0 && output.send(i).await.is_err() {
                return;
            }
        }
    }
    let (tx, mut rx) = chan::bounded::<u32>(0);
    go.go(generate(tx));
    let mut primes = Vec::with_capacity(n);
    for _ in 0..n {
        let prime = rx.recv().await.unwrap();
        primes.push(prime);
        let (tx1, rx1) = chan::bounded::<u32>(0);
        go.go(filter(std::mem::replace(&mut rx, rx1), tx1, prime));
    }
    // Dropping the last receiver closes the chain from the end: every goroutine exits.
    primes
}

fn first_primes(n: usize) -> Vec<u32> {
    (2u32..)
        .filter(|&k| (2..k).take_while(|d| d * d <= k).all(|d| k % d != 0))
        .take(n)
        .collect()
}

stamp!(
    /// golang/go test/chan/sieve1.go: the concurrent prime sieve yields the primes in order.
    sieve1,
    |go: Go| async move {
        assert_eq!(sieve(&go, 100).await, first_primes(100));
    }
);

stamp!(
    /// golang/go test/chan/zerosize.go: channels of zero-sized values, unbuffered and buffered.
    zerosize,
    |go: Go| async move {
        let (a, ar) = chan::bounded::<[u8; 0]>(0);
        let (b, br) = chan::bounded::<[u8; 0]>(1);
        let (c, cr) = chan::bounded::<()>(0);
        let (d, dr) = chan::bounded::<()>(1);
        go.go(async move {
            a.send([]).await.unwrap();
            c.send(()).await.unwrap();
        });
        b.send([]).await.unwrap();
        d.send(()).await.unwrap();
        assert_eq!((br.len(), br.capacity(), dr.len(), dr.capacity()), (1, 1, 1, 1));
        assert_eq!(ar.recv().await, Some([]));
        assert_eq!(br.recv().await, Some([]));
        assert_eq!(cr.recv().await, Some(()));
        assert_eq!(dr.recv().await, Some(()));
    }
);

stamp!(
    /// golang/go test/chan/sendstmt.go: send statements whose operands are themselves channel
    /// operations (`c <- <-c2`), and a channel of channels.
    sendstmt,
    |go: Go| async move {
        let (c, cr) = chan::bounded::<i32>(1);
        let (c2, c2r) = chan::bounded::<i32>(1);
        c2.send(3).await.unwrap();
        c.send(c2r.recv().await.unwrap()).await.unwrap();
        assert_eq!(cr.recv().await, Some(3));
        let (cc, ccr) = chan::bounded::<Sender<i32>>(0);
        let (inner, inner_r) = chan::bounded::<i32>(0);
        go.go(async move {
            let ch = ccr.recv().await.unwrap();
            ch.send(42).await.unwrap();
        });
        cc.send(inner).await.unwrap();
        assert_eq!(inner_r.recv().await, Some(42));
    }
);

/// A rational number for the power series test, kept in lowest terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rat(i64, i64);

impl Rat {
    fn new(n: i64, d: i64) -> Rat {
        fn gcd(a: i64, b: i64) -> i64 {
            if b == 0 { a.abs() } else { gcd(b, a % b) }
        }
        let g = gcd(n, d).max(1);
        let s = if d < 0 { -1 } else { 1 };
        Rat(s * n / g, s * d / g)
    }
    /// `None` on overflow: the operator goroutine then ends its series (the tasks run ahead
    /// of the reader by a buffer's worth of terms, and 1/n! leaves `i64` at n = 21).
    fn add(self, o: Rat) -> Option<Rat> {
        let n = self
            .0
            .checked_mul(o.1)?
            .checked_add(o.0.checked_mul(self.1)?)?;
        Some(Rat::new(n, self.1.checked_mul(o.1)?))
    }
    fn mul(self, o: Rat) -> Option<Rat> {
        Some(Rat::new(self.0.checked_mul(o.0)?, self.1.checked_mul(o.1)?))
    }
}

stamp!(
    /// golang/go test/chan/powser1.go, reduced: power series as channels of rational
    /// coefficients, one goroutine per operator (split, add, multiply, integrate), including
    /// the feedback loop that defines exp(x) as 1 + integral of itself.
    powser1,
    |go: Go| async move {
        const N: usize = 12;
        type Ps = Receiver<Rat>;
        fn ps() -> (Sender<Rat>, Ps) {
            // Buffered so that a split's two readers may drift apart by up to N terms.
            chan::bounded(2 * N)
        }
        fn ones(go: &Go) -> Ps {
            let (tx, rx) = ps();
            go.go(async move { while tx.send(Rat(1, 1)).await.is_ok() {} });
            rx
        }
        fn split(go: &Go, input: Ps) -> (Ps, Ps) {
            let ((a, ar), (b, br)) = (ps(), ps());
            go.go(async move {
                while let Some(v) = input.recv().await {
                    if a.send(v).await.is_err() | b.send(v).await.is_err() {
                        return;
                    }
                }
            });
            (ar, br)
        }
        fn add(go: &Go, x: Ps, y: Ps) -> Ps {
            let (tx, rx) = ps();
            go.go(async move {
                while let (Some(a), Some(b)) = (x.recv().await, y.recv().await) {
                    let Some(c) = a.add(b) else { return };
                    if tx.send(c).await.is_err() {
                        return;
                    }
                }
            });
            rx
        }
        fn mul(go: &Go, x: Ps, y: Ps) -> Ps {
            let (tx, rx) = ps();
            go.go(async move {
                let (mut xs, mut ys) = (Vec::new(), Vec::new());
                while let (Some(a), Some(b)) = (x.recv().await, y.recv().await) {
                    xs.push(a);
                    ys.push(b);
                    let n = xs.len();
                    let c = (0..n).try_fold(Rat(0, 1), |acc, i| acc.add(xs[i].mul(ys[n - 1 - i])?));
                    let Some(c) = c else { return };
                    if tx.send(c).await.is_err() {
                        return;
                    }
                }
            });
            rx
        }
        /// Integral with constant term `c`.
        fn integ(go: &Go, c: Rat, x: Ps) -> Ps {
            let (tx, rx) = ps();
            go.go(async move {
                if tx.send(c).await.is_err() {
                    return;
                }
                let mut i = 1;
                while let Some(a) = x.recv().await {
                    let Some(c) = a.mul(Rat::new(1, i)) else { return };
                    if tx.send(c).await.is_err() {
                        return;
                    }
                    i += 1;
                }
            });
            rx
        }
        async fn take(x: &Ps, n: usize) -> Vec<Rat> {
            let mut v = Vec::new();
            for _ in 0..n {
                v.push(x.recv().await.unwrap());
            }
            v
        }
        // (1 + x + x^2 + ...)^2 = 1 + 2x + 3x^2 + ...
        let sq = mul(&go, ones(&go), ones(&go));
        assert_eq!(take(&sq, N).await, (1..=N as i64).map(|n| Rat(n, 1)).collect::<Vec<_>>());
        // integral of 1/(1-x) = x + x^2/2 + x^3/3 + ...
        let log = integ(&go, Rat(0, 1), ones(&go));
        let want: Vec<Rat> = std::iter::once(Rat(0, 1)).chain((1..N as i64).map(|n| Rat(1, n))).collect();
        assert_eq!(take(&log, N).await, want);
        // 1/(1-x) + 1/(1-x) = 2 + 2x + ...
        let two = add(&go, ones(&go), ones(&go));
        assert_eq!(take(&two, 3).await, vec![Rat(2, 1); 3]);
        // exp(x) = 1 + integral(exp(x)): a feedback loop through split.
        let (fb_tx, fb_rx) = ps();
        let e = integ(&go, Rat(1, 1), fb_rx);
        let (out, back) = split(&go, e);
        go.go(async move {
            while let Some(v) = back.recv().await {
                if fb_tx.send(v).await.is_err() {
                    return;
                }
            }
        });
        let mut fact = 1i64;
        let want: Vec<Rat> = (0..N as i64)
            .map(|n| {
                if n > 0 {
                    fact *= n;
                }
                Rat(1, fact)
            })
            .collect();
        assert_eq!(take(&out, N).await, want);
    }
);

/// Counts tasks that finished, for the leak-style checks below.
#[derive(Clone, Default)]
struct Finished(Arc<AtomicUsize>);

stamp!(
    /// Go's range-over-channel ends at close, and every goroutine in a sieve exits once its
    /// consumer is gone (gmp closes a channel whose last receiver is dropped).
    sieve_tasks_all_exit,
    |go: Go| async move {
        let finished = Finished::default();
        let (tx, rx) = chan::bounded::<u32>(0);
        for _ in 0..8 {
            let (rx, f) = (rx.clone(), finished.clone());
            go.go(async move {
                while rx.recv().await.is_some() {}
                f.0.fetch_add(1, Ordering::SeqCst);
            });
        }
        drop(rx);
        for i in 0..100 {
            tx.send(i).await.unwrap();
        }
        drop(tx);
        let t0 = std::time::Instant::now();
        while finished.0.load(Ordering::SeqCst) < 8 {
            assert!(t0.elapsed() < Duration::from_secs(5), "range loops did not end at close");
            sleep(Duration::from_millis(1)).await;
        }
    }
);
