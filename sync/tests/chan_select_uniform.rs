//! `select!` is uniform among ready arms whatever their kind, inside a gmp runtime where the
//! coop budget runs out every few dozen selects (issue 12, section 2).
//!
//! Go's select picks uniformly at random among ready cases. A gmp leaf future (a timer, a
//! `JoinHandle`, a lock) spends coop budget; if one of them reported `Pending` for want of
//! budget in the select that spent the last unit, the other arms would win that select and the
//! choice would lean towards channel arms and plain futures, by about 1 in 170 selects.
//!
//! Each test runs at least 1M selects and applies a chi-square test at p < 1e-6, so a fair
//! select fails it once in a million runs, while the old bias (a chi-square of ~140 for the
//! two-arm case) fails it every time.

#![cfg(not(loom))]

use std::time::Duration;

use gmp_executor::time::{sleep, timeout};
use gmp_executor::{JoinHandle, Runtime};
use gmp_sync::chan;
use gmp_sync::context::{self, Context};
use gmp_sync::{Mutex, Semaphore, select};

/// Selects per test: enough to see a 0.495-vs-0.5 share at 10 standard deviations.
const N: usize = 1_000_000;

/// The chi-square statistic of `counts` against a uniform distribution.
fn chi_square(counts: &[usize]) -> f64 {
    let total: usize = counts.iter().sum();
    let expected = total as f64 / counts.len() as f64;
    counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum()
}

/// The chi-square value exceeded with probability 1e-6, for 1 to 8 degrees of freedom.
const CRITICAL_1E6: [f64; 8] = [23.93, 27.63, 30.66, 33.38, 35.89, 38.26, 40.52, 42.70];

fn assert_uniform(counts: &[usize]) {
    let chi2 = chi_square(counts);
    let critical = CRITICAL_1E6[counts.len() - 2];
    eprintln!("counts {counts:?}: chi-square {chi2:.1} (critical {critical})");
    assert!(
        chi2 < critical,
        "select! is not uniform over its ready arms: counts {counts:?}, chi-square {chi2:.1} \
         >= {critical} (p < 1e-6 for {} degrees of freedom)",
        counts.len() - 1
    );
}

fn runtime() -> Runtime {
    gmp_executor::Builder::new().maxprocs(2).build().unwrap()
}

/// The case: an always-ready receive against `sleep(Duration::ZERO)`.
#[test]
fn recv_vs_zero_sleep_is_uniform() {
    let counts = runtime().block_on(async {
        let (tx, rx) = chan::bounded::<()>(1);
        tx.try_send(()).unwrap();
        let mut counts = [0usize; 2];
        for _ in 0..N {
            let k = select! {
                v = rx.recv() => { v.unwrap(); tx.try_send(()).unwrap(); 0 }
                () = sleep(Duration::ZERO) => 1,
            };
            counts[k] += 1;
        }
        counts
    });
    assert_uniform(&counts);
}

/// Finished tasks whose `JoinHandle`s are ready, spawned in batches.
struct FinishedTasks(Vec<JoinHandle<()>>);

impl FinishedTasks {
    async fn next(&mut self) -> JoinHandle<()> {
        if self.0.is_empty() {
            self.0 = (0..4096).map(|_| gmp_executor::spawn(async {})).collect();
            for h in &self.0 {
                while !h.is_finished() {
                    gmp_executor::yield_now().await;
                }
            }
        }
        self.0.pop().unwrap()
    }
}

/// Eight arms of eight kinds, all ready: a receive, a send, a timer, a `JoinHandle`, a gmp
/// `Mutex`, a `Semaphore`, a cancelled context's `done()` and a plain future.
#[test]
fn every_kind_of_ready_arm_is_chosen_uniformly() {
    let counts = runtime().block_on(async {
        let (in_tx, in_rx) = chan::bounded::<u8>(1);
        in_tx.try_send(0).unwrap();
        let (out_tx, out_rx) = chan::bounded::<u8>(1);
        let mut tasks = FinishedTasks(Vec::new());
        let mut handle = tasks.next().await;
        let mutex = Mutex::new(0u64);
        let sem = Semaphore::new(1);
        let (ctx, cancel) = context::with_cancel(&Context::background());
        cancel.cancel();
        let mut counts = [0usize; 8];
        for _ in 0..N {
            let k = select! {
                v = in_rx.recv() => { assert_eq!(v, Some(0)); 0 }
                r = out_tx.send(1) => { r.unwrap(); 1 }
                () = sleep(Duration::ZERO) => 2,
                r = &mut handle => { r.unwrap(); 3 }
                mut g = mutex.lock() => { *g += 1; 4 }
                _p = sem.acquire(1) => 5,
                () = ctx.done() => 6,
                () = std::future::ready(()) => 7,
            };
            match k {
                0 => in_tx.try_send(0).unwrap(),
                1 => assert_eq!(out_rx.try_recv(), Ok(1)),
                3 => handle = tasks.next().await,
                _ => {}
            }
            // Exactly one arm committed: the channels hold what they held before.
            assert_eq!((in_rx.len(), out_rx.len()), (1, 0));
            counts[k] += 1;
        }
        assert_eq!(*mutex.lock().await as usize, counts[4]);
        counts
    });
    assert_uniform(&counts);
}

/// `time::timeout` polls its future and its timer in one poll: a ready future wins even when
/// the deadline has passed, as documented, also in the poll that spends the last unit of
/// budget.
#[test]
fn timeout_never_reports_elapsed_for_a_ready_future() {
    runtime().block_on(async {
        let (tx, rx) = chan::bounded::<u32>(1);
        for i in 0..100_000 {
            // A leaf of its own (one unit of budget) so that each iteration spends an odd
            // number of units and the last unit falls on the timeout in some iterations.
            tx.send(i).await.unwrap();
            let r = timeout(Duration::ZERO, rx.recv()).await;
            assert_eq!(r, Ok(Some(i)), "timeout {i}");
        }
    });
}
