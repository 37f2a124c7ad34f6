//! The blocked-thread workloads: tasks that hold their worker's OS thread for
//! [`BLOCK`] at a time, while a plain thread outside the runtime spawns a short task every
//! [`PROBE_EVERY`]. Reports those probes' spawn-to-run latency.
//!
//! - `blocking_sleep`, `blocking_spin`: one task blocks one of the two workers, `n` times. The
//!   other worker is free, so a probe waits only if the scheduler leaves work queued behind
//!   the blocked one (gmp's sysmon moves it). gmp's goal: p99 <= 100 us.
//! - `all_blocked_sleep`, `all_blocked_spin`: two tasks block both workers, `n` times each.
//!   No worker is free: only a monitor that starts a helper thread (gmp's sysmon, Go's
//!   retake of a P stuck in a syscall) runs the probes before a block ends, up to 100 ms later.
//!   gmp's goal: p99 <= 15 ms.
//!
//! `_sleep` blocks in `std::thread::sleep` (off the CPU), `_spin` in a busy loop (on it). The
//! blockers yield with their runtime's own yield between blocks. Go's peer
//! (`benches/go/blocking.go`) blocks in `syscall.Nanosleep` (Go's `time.Sleep` parks only the
//! goroutine, not the thread) or the same busy loop.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Body, Kind, Metrics, Scale, Workload, latency_us, run_body};
use crate::rt::{Peer, Rt};

/// How long a blocker holds its thread each round.
pub const BLOCK: Duration = Duration::from_millis(100);

/// How often the outside thread spawns a probe.
pub const PROBE_EVERY: Duration = Duration::from_millis(1);

/// How long the outside thread waits, after the last block, for every probe to have run.
const DRAIN: Duration = Duration::from_secs(10);

/// gmp's goals: the p99 spawn-to-run latency, per workload.
pub const GOALS: &[(&str, Duration)] = &[
    ("all_blocked_sleep", Duration::from_millis(15)),
    ("all_blocked_spin", Duration::from_millis(15)),
    ("blocking_sleep", Duration::from_micros(100)),
    ("blocking_spin", Duration::from_micros(100)),
];

/// `all_blocked_sleep`.
pub const ALL_BLOCKED_SLEEP: Workload = workload::<Blocked<2, false>>(
    "all_blocked_sleep",
    "both workers' tasks thread::sleep 100 ms, n times: spawn-to-run of outside spawns",
);

/// `all_blocked_spin`.
pub const ALL_BLOCKED_SPIN: Workload = workload::<Blocked<2, true>>(
    "all_blocked_spin",
    "both workers' tasks busy-spin 100 ms, n times: spawn-to-run of outside spawns",
);

/// `blocking_sleep`.
pub const BLOCKING_SLEEP: Workload = workload::<Blocked<1, false>>(
    "blocking_sleep",
    "one task thread::sleeps its worker 100 ms, n times: spawn-to-run of outside spawns",
);

/// `blocking_spin`.
pub const BLOCKING_SPIN: Workload = workload::<Blocked<1, true>>(
    "blocking_spin",
    "one task busy-spins its worker 100 ms, n times: spawn-to-run of outside spawns",
);

/// The registration these four share, but for name, line and body.
const fn workload<B: Body>(name: &'static str, about: &'static str) -> Workload {
    Workload {
        name,
        about,
        kind: Kind::Latency,
        peers: &[Peer::Gmp, Peer::Tokio, Peer::AsyncExecutor],
        // `n`: the blocks per blocker.
        size: |_, scale| match scale {
            Scale::Full => 10,
            Scale::Quick => 2,
        },
        run: run_body::<B>,
    }
}

/// Holds the calling thread for `d`: asleep in the kernel, or spinning on the CPU if `spin`.
pub fn hold_thread(d: Duration, spin: bool) {
    if !spin {
        std::thread::sleep(d);
        return;
    }
    let end = Instant::now() + d;
    while Instant::now() < end {
        std::hint::spin_loop();
    }
}

/// `BLOCKERS` tasks each holding their thread `n` times; `SPIN` picks the busy loop.
struct Blocked<const BLOCKERS: usize, const SPIN: bool>;

impl<const BLOCKERS: usize, const SPIN: bool> Body for Blocked<BLOCKERS, SPIN> {
    fn on_rt<R: Rt>(rt: &R, n: u64) -> Metrics {
        let finished = Arc::new(AtomicUsize::new(0));
        for _ in 0..BLOCKERS {
            let finished = finished.clone();
            rt.spawn_outside(async move {
                for _ in 0..n {
                    hold_thread(BLOCK, SPIN);
                    R::yield_now().await;
                }
                // Release: pairs with the Acquire load in the probe loop's condition.
                finished.fetch_add(1, Ordering::Release);
            });
        }
        let lat_us = probe(rt, || finished.load(Ordering::Acquire) == BLOCKERS);
        let mut m = latency_us(&lat_us);
        m.push(("probes", lat_us.len() as f64));
        m
    }
}

/// From this (plain) thread, spawns a probe every [`PROBE_EVERY`] until `done()`, then waits
/// for every probe to have run; returns their spawn-to-run latencies in microseconds.
///
/// # Panics
///
/// If a probe has not run [`DRAIN`] after the last block.
fn probe<R: Rt>(rt: &R, done: impl Fn() -> bool) -> Vec<f64> {
    let lat_us = Arc::new(Mutex::new(Vec::with_capacity(4096)));
    let ran = Arc::new(AtomicUsize::new(0));
    let mut spawned = 0;
    // Let the blockers reach their workers first.
    std::thread::sleep(Duration::from_millis(5));
    while !done() {
        let (t0, lat_us, ran) = (Instant::now(), lat_us.clone(), ran.clone());
        rt.spawn_outside(async move {
            lat_us
                .lock()
                .unwrap()
                .push(t0.elapsed().as_secs_f64() * 1e6);
            // Release: pairs with the Acquire load in the drain loop below.
            ran.fetch_add(1, Ordering::Release);
        });
        spawned += 1;
        std::thread::sleep(PROBE_EVERY);
    }
    let deadline = Instant::now() + DRAIN;
    while ran.load(Ordering::Acquire) < spawned {
        assert!(
            Instant::now() < deadline,
            "{} of {spawned} probes had not run {DRAIN:?} after the last block",
            spawned - ran.load(Ordering::Acquire)
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    std::mem::take(&mut *lat_us.lock().unwrap())
}
