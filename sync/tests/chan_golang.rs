//! Go's channel conformance programs, re-expressed for gmp's channels.
//!
//! Each test names the program of the golang/go repository's `test/chan` directory it follows
//! (BSD-style license, Copyright The Go Authors). Differences forced by Rust, or chosen by gmp,
//! are noted where they apply: no nil channels (an `if false` guard disables an arm), a send on
//! a closed channel returns the value instead of panicking, and a disabled arm's expression is
//! not evaluated. `perm.go` (channel direction rules) is compile-fail: see `chan_perm.rs`;
//! `select2.go` (memory per select) needs a counting allocator: see `chan_select_memory.rs`.
//! Not re-expressed: `powser2.go`, which is `powser1.go` with its values boxed in interfaces
//! (nothing a channel sees differently), and `sieve.go`, the sequential form of `sieve1.go`.

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

/// Checks that the expressions of a `select!` run in the order golang/go test/chan/select5.go
/// expects: each call's number must exceed the previous one's.
#[derive(Default)]
struct Order(std::cell::Cell<i32>);

impl Order {
    fn reset(&self) {
        self.0.set(0);
    }
    fn check(&self, o: i32) {
        assert!(o > self.0.get(), "invalid order {o} after {}", self.0.get());
        self.0.set(o);
    }
    /// Go's `fc(c, o)`: returns its channel after checking the order.
    fn ch<'a, C>(&self, c: &'a C, o: i32) -> &'a C {
        self.check(o);
        c
    }
    /// Go's `fn(n, o)`.
    fn val(&self, n: i32, o: i32) -> i32 {
        self.check(o);
        n
    }
}

/// The guard of an arm on Go's nil channel, which is never ready: always false.
fn nil_channel() -> bool {
    false
}

/// An arm expression that must never run: its arm is disabled (Go's nil channel).
fn disabled<T>() -> T {
    panic!("the expression of a disabled select! arm was evaluated")
}

/// One select of select5's shapes: the arms `$main` (a real operation on a channel with room or
/// a value, so it is ready) plus the four optional ones, with `default` first, last or absent.
/// Each optional arm is present when its bit of `$arms` is set; the dummy arms are never ready
/// (nobody is on the other side of `dummy`), the "nil" arms are disabled by a false guard ([`nil_channel`]).
macro_rules! select5 {
    ($default:ident, $o:expr, $arms:expr, $dummy:expr, $dummy_r:expr, $main:pat = $op:expr => $body:block) => {{
        let (o, on) = (&$o, |bit: u32| $arms & (1 << bit) != 0);
        select5!(@$default
            $main = $op => $body,
            _ = o.ch(&$dummy, 10).send(o.val(1, 11)), if on(0) => panic!("dummy send"),
            _ = o.ch(&$dummy_r, 12).recv(), if on(1) => panic!("dummy receive"),
            _ = disabled::<&Sender<i32>>().send(1), if on(2) && nil_channel() => panic!("nil send"),
            _ = disabled::<&Receiver<i32>>().recv(), if on(3) && nil_channel() => panic!("nil receive"),
        )
    }};
    (@none $($arms:tt)*) => { select! { $($arms)* } };
    (@first $($arms:tt)*) => { select! { default => panic!("nonblock"), $($arms)* } };
    (@last $($arms:tt)*) => { select! { $($arms)* default => panic!("nonblock") } };
}

/// golang/go test/chan/select5.go, which generates a program of every shape of a select with
/// one real operation: a receive or a send on a buffered channel that is ready, with or without
/// `default` (before or after the real arm), with never-ready dummy arms and nil-channel arms
/// present or not (32 x 3 shapes each for receive and send), checking that the real operation
/// happens, and that operands are evaluated once, in source order, before any arm's body runs;
/// and non-blocking selects over the never-ready arms alone, which must run `default`. Go's
/// variants of assigning the received value (`*f(&x) =`, `m[k] =`, interface) have no Rust
/// counterpart; a disabled arm's operands are not evaluated at all in gmp (Go evaluates a nil
/// channel operand), which `disabled()` checks.
#[test]
fn select5() {
    futures::executor::block_on(async {
        let (c, cr) = chan::bounded::<i32>(1);
        let (dummy, dummy_r) = chan::bounded::<i32>(0);
        let o = Order::default();
        let mut n = 1;
        let mut shapes = 0;
        for arms in 0..16u32 {
            // Receive: send n, receive it through the select.
            for default in 0..3 {
                o.reset();
                c.send(n).await.unwrap();
                let x = match default {
                    0 => select5!(none, o, arms, dummy, dummy_r,
                        v = o.ch(&cr, 1).recv() => { o.check(100); v.unwrap() }),
                    1 => select5!(first, o, arms, dummy, dummy_r,
                        v = o.ch(&cr, 1).recv() => { o.check(100); v.unwrap() }),
                    _ => select5!(last, o, arms, dummy, dummy_r,
                        v = o.ch(&cr, 1).recv() => { o.check(100); v.unwrap() }),
                };
                assert_eq!(x, n, "receive, arms {arms:#06b}, default {default}");
                n += 1;
                shapes += 1;
            }
            // Send: send n through the select, receive it.
            for default in 0..3 {
                o.reset();
                match default {
                    0 => select5!(none, o, arms, dummy, dummy_r,
                        r = o.ch(&c, 1).send(o.val(n, 2)) => { o.check(100); r.unwrap() }),
                    1 => select5!(first, o, arms, dummy, dummy_r,
                        r = o.ch(&c, 1).send(o.val(n, 2)) => { o.check(100); r.unwrap() }),
                    _ => select5!(last, o, arms, dummy, dummy_r,
                        r = o.ch(&c, 1).send(o.val(n, 2)) => { o.check(100); r.unwrap() }),
                }
                assert_eq!(
                    cr.recv().await,
                    Some(n),
                    "send, arms {arms:#06b}, default {default}"
                );
                n += 1;
                shapes += 1;
            }
            // Non-blocking: only never-ready arms, so `default` runs and nothing moves.
            o.reset();
            let on = |bit: u32| arms & (1 << bit) != 0;
            let ran_default = select! {
                _ = o.ch(&dummy, 1).send(o.val(1, 2)), if on(0) => panic!("dummy <- 1"),
                _ = o.ch(&dummy_r, 3).recv(), if on(1) => panic!("<-dummy"),
                _ = disabled::<&Sender<i32>>().send(1), if on(2) && nil_channel() => panic!("nilch <- 1"),
                _ = disabled::<&Receiver<i32>>().recv(), if on(3) && nil_channel() => panic!("<-nilch"),
                default => true,
            };
            assert!(ran_default);
            shapes += 1;
        }
        assert_eq!(shapes, 16 * 7);
        assert_eq!((cr.len(), dummy_r.len()), (0, 0));
    });
}

/// golang/go test/chan/select8.go checks `break` inside a select's cases. Go's `break` leaves
/// the select; `select!` is an expression, so in Rust `break` leaves the enclosing loop (as
/// in tokio's `select!`), and a body leaves early with a labeled block. Both are checked here,
/// on the same 1-, 2- and 3-case shapes (with and without `default`).
#[test]
fn select8() {
    futures::executor::block_on(async {
        let (ch, chr) = chan::bounded::<i32>(1);
        ch.send(5).await.unwrap();
        let mut reached = 0;
        'sel: {
            select! {
                v = chr.recv() => {
                    assert_eq!(v, Some(5));
                    break 'sel;
                }
            }
            #[allow(unreachable_code)]
            {
                panic!("unreachable");
            }
        }
        reached += 1;
        #[allow(clippy::never_loop)] // the point: `break` in a body leaves the loop
        loop {
            select! {
                default => break,
            }
        }
        reached += 1;
        ch.send(5).await.unwrap();
        let mut rounds = 0;
        loop {
            rounds += 1;
            select! {
                _ = chr.recv() => break,
                default => continue,
            }
        }
        assert_eq!(rounds, 1, "the value was ready: the first round breaks");
        reached += 1;
        ch.send(5).await.unwrap();
        let got = 'sel: {
            select! {
                v = chr.recv() => break 'sel v,
                _ = ch.send(10) => panic!("unreachable: the buffer is full"),
                default => panic!("unreachable: a receive is ready"),
            }
        };
        assert_eq!(got, Some(5));
        reached += 1;
        assert_eq!(reached, 4);
    });
}

/// Go's `sendproxy` from golang/go test/chan/sieve2.go: a channel to send to `out` through,
/// buffered without bound by a task, so sending to it never blocks for long.
fn send_proxy(go: &Go, out: Sender<u32>) -> Sender<u32> {
    let (proxy, proxy_r) = chan::bounded::<u32>(10);
    go.go(async move {
        let mut buf = std::collections::VecDeque::new();
        loop {
            // Go disables the send while the buffer is empty with a nil channel.
            let head = buf.front().copied();
            select! {
                e = proxy_r.recv() => match e {
                    Some(e) => buf.push_back(e),
                    None => return,
                },
                r = out.send(head.unwrap_or(0)), if head.is_some() => {
                    if r.is_err() {
                        return;
                    }
                    buf.pop_front();
                }
            }
        }
    });
    proxy
}

/// Sends `first`, `first + step`, ... on a new channel of capacity `cap` until its receiver
/// is gone.
fn arithmetic(go: &Go, first: u32, step: u32, cap: usize) -> Receiver<u32> {
    let (tx, rx) = chan::bounded(cap);
    go.go(async move {
        let mut n = first;
        while tx.send(n).await.is_ok() {
            n += step;
        }
    });
    rx
}

/// golang/go test/chan/sieve2.go's sieve: odd candidates from 5; the composites come from
/// merging, through a heap ordered by each channel's next value, one channel of odd multiples
/// (from p*p) per prime; the primes found feed back into the merger through [`send_proxy`].
/// Every task ends once the returned receiver is dropped (each send fails in turn).
fn sieve2(go: &Go) -> Receiver<u32> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    let (out, out_r) = chan::bounded::<u32>(10);
    let (composites, composites_r) = chan::bounded::<u32>(50);
    let (primes, primes_r) = chan::bounded::<u32>(10);
    out.try_send(2).unwrap();
    out.try_send(3).unwrap();
    primes.try_send(3).unwrap();
    let g = go.clone();
    // Merge the multiples of each prime into `composites`, in increasing order (with repeats,
    // as in Go: the sieve skips them).
    go.go(async move {
        // (next value, index in `chans`), smallest first.
        let mut heap = BinaryHeap::<Reverse<(u32, usize)>>::new();
        let mut chans: Vec<Receiver<u32>> = Vec::new();
        let mut min = 15;
        while let Some(p) = primes_r.recv().await {
            let m = arithmetic(&g, p * p, 2 * p, 10);
            let Some(head) = m.recv().await else { return };
            while min <= head {
                if min < head && composites.send(min).await.is_err() {
                    return;
                }
                // Pop the channel with the smallest head; its head becomes `min`.
                let Reverse((v, i)) = heap.pop().expect("a multiple below the new prime's square");
                min = v;
                let Some(next) = chans[i].recv().await else {
                    return;
                };
                heap.push(Reverse((next, i)));
            }
            if composites.send(head).await.is_err() {
                return;
            }
            let Some(next) = m.recv().await else { return };
            heap.push(Reverse((next, chans.len())));
            chans.push(m);
        }
    });
    let g = go.clone();
    // Sieve the composites out of the candidates.
    go.go(async move {
        // The merger takes primes far slower than they are found: without the proxy's
        // unbounded buffer this task would block on `primes` and the loop would deadlock.
        let primes = send_proxy(&g, primes);
        let candidates = arithmetic(&g, 5, 2, 50);
        let Some(mut p) = candidates.recv().await else {
            return;
        };
        while let Some(c) = composites_r.recv().await {
            while p < c {
                if primes.send(p).await.is_err() || out.send(p).await.is_err() {
                    return;
                }
                let Some(next) = candidates.recv().await else {
                    return;
                };
                p = next;
            }
            if p == c {
                let Some(next) = candidates.recv().await else {
                    return;
                };
                p = next;
            }
        }
    });
    out_r
}

stamp!(
    /// golang/go test/chan/sieve2.go: the heap-merging sieve with a buffering proxy yields the
    /// primes below 100 (Go's check), and here the first 200, in order.
    sieve2,
    |go: Go| async move {
        let primes = sieve2(&go);
        let mut got = Vec::new();
        for _ in 0..200 {
            got.push(primes.recv().await.unwrap());
        }
        assert_eq!(got, first_primes(200));
    }
);
