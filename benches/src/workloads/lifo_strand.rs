//! `lifo_strand`: a task wakes another, then blocks its own worker thread
//! (`std::thread::sleep`, 50 ms) while the other worker is idle. The woken task lands in the
//! waker's LIFO slot (Go's `runnext`); a scheduler that cannot steal from that slot strands it
//! until the sleep ends. Reports the woken task's wake-to-run latency over `n` rounds.
//!
//! Each round: the woken task parks on a [`Signal`] (noting that its poll returned `Pending`),
//! the waker waits for that note, lets 100 us pass so the parked task is fully idle, stamps
//! the time, notifies, and sleeps 50 ms.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Body, Kind, Metrics, Params, Scale, Workload, latency_us, run_body};
use crate::handoff::{NotePending, Signal};
use crate::rt::{Peer, Rt};

/// How long the waker blocks its thread each round.
pub const BLOCK: Duration = Duration::from_millis(50);

/// gmp's goal: the p99 wake-to-run latency.
pub const GOAL: Duration = Duration::from_micros(50);

/// A latency above this counts as stranded (the woken task waited for the sleep to end).
pub const STRANDED: Duration = Duration::from_millis(25);

/// The registration.
pub const WORKLOAD: Workload = Workload {
    name: "lifo_strand",
    about: "wake a task, then block the waking thread 50 ms: woken task's wake-to-run latency",
    kind: Kind::Latency,
    peers: &[Peer::Gmp, Peer::Tokio, Peer::AsyncExecutor],
    size,
    run,
};

fn size(_peer: Peer, scale: Scale) -> u64 {
    match scale {
        Scale::Full => 20,
        Scale::Quick => 4,
    }
}

fn run(peer: Peer, p: Params) -> Result<Vec<Metrics>, String> {
    run_body::<LifoStrand>(peer, p)
}

struct LifoStrand;

impl Body for LifoStrand {
    fn on_rt<R: Rt>(rt: &R, n: u64) -> Metrics {
        let lat_us = rounds(rt, n);
        summarize(&lat_us)
    }
}

/// The summary metrics of wake-to-run latencies in microseconds.
pub fn summarize(lat_us: &[f64]) -> Metrics {
    let stranded = lat_us
        .iter()
        .filter(|&&l| l >= STRANDED.as_secs_f64() * 1e6)
        .count();
    let mut m = latency_us(lat_us);
    m.extend([
        ("stranded", stranded as f64),
        ("rounds", lat_us.len() as f64),
    ]);
    m
}

/// Runs `n` rounds; returns each round's wake-to-run latency in microseconds.
pub fn rounds<R: Rt>(rt: &R, n: u64) -> Vec<f64> {
    rt.run(async move {
        let base = Instant::now();
        let go = Arc::new(Signal::new());
        let parked = Arc::new(AtomicBool::new(false));
        let woken_at = Arc::new(AtomicU64::new(0));
        let lat = Arc::new(Mutex::new(Vec::with_capacity(n as usize)));
        let done = Arc::new(Signal::new());

        let (go2, parked2, woken_at2, lat2, done2) = (
            go.clone(),
            parked.clone(),
            woken_at.clone(),
            lat.clone(),
            done.clone(),
        );
        R::spawn(async move {
            for _ in 0..n {
                NotePending::new(go2.wait(), &parked2).await;
                let now = base.elapsed().as_nanos() as u64;
                // Acquire: pairs with the Release store of the stamp before `notify`.
                let stamp = woken_at2.load(Ordering::Acquire);
                lat2.lock()
                    .unwrap()
                    .push(now.saturating_sub(stamp) as f64 / 1e3);
            }
            done2.notify();
        });

        R::spawn(async move {
            for _ in 0..n {
                // Acquire: pairs with the Release store in `NotePending`.
                while !parked.swap(false, Ordering::Acquire) {
                    R::yield_now().await;
                }
                std::thread::sleep(Duration::from_micros(100));
                woken_at.store(base.elapsed().as_nanos() as u64, Ordering::Release);
                go.notify();
                std::thread::sleep(BLOCK);
            }
        });

        done.wait().await;
        lat.lock().unwrap().clone()
    })
}
