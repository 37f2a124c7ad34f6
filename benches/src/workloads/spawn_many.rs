//! `spawn_many`: one task spawns `n` empty tasks and waits until all have run (an atomic
//! countdown whose last decrement wakes it; the join handles are dropped). Measures spawn,
//! schedule, run and free: the seed's "creation time". On threads: `n` threads spawned from
//! the main thread, then all joined.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Body, Kind, Metrics, Params, Scale, Workload, per_unit, run_body};
use crate::handoff::Countdown;
use crate::rt::{Peer, Rt};

/// The registration.
pub const WORKLOAD: Workload = Workload {
    name: "spawn_many",
    about: "one task spawns n empty tasks, waits for all (ns/task)",
    kind: Kind::Throughput { unit: "ns/task" },
    peers: &[Peer::Gmp, Peer::Threads, Peer::Tokio, Peer::AsyncExecutor],
    size,
    run,
};

fn size(peer: Peer, scale: Scale) -> u64 {
    match (peer, scale) {
        (Peer::Threads, Scale::Full) => 10_000,
        (Peer::Threads, Scale::Quick) => 1_000,
        (_, Scale::Full) => 1_000_000,
        (_, Scale::Quick) => 20_000,
    }
}

fn run(peer: Peer, p: Params) -> Result<Vec<Metrics>, String> {
    run_body::<SpawnMany>(peer, p)
}

struct SpawnMany;

impl Body for SpawnMany {
    fn on_rt<R: Rt>(rt: &R, n: u64) -> Metrics {
        let before = super::MemStat::now().rss;
        let mut m = per_unit(once(rt, n), n);
        // Peak RSS of the whole child: every repetition has the same size, so this is the peak
        // of one spawn_many of `n` tasks (plus the runtime itself).
        let hwm = super::MemStat::now().hwm;
        m.push(("peak_rss", hwm as f64));
        // Peak growth per task; meaningful for the first repetition of a process (the size
        // curve runs exactly one), later ones reuse the memory the first one left.
        m.push((
            "bytes_per_task",
            hwm.saturating_sub(before) as f64 / n.max(1) as f64,
        ));
        m
    }

    fn on_threads(n: u64) -> Option<Metrics> {
        let start = Instant::now();
        let handles: Vec<_> = (0..n).map(|_| std::thread::spawn(|| {})).collect();
        for h in handles {
            h.join().expect("empty thread panicked");
        }
        Some(per_unit(start.elapsed(), n))
    }
}

/// One run: the time for `n` tasks, measured inside the root task.
pub fn once<R: Rt>(rt: &R, n: u64) -> Duration {
    rt.run(async move {
        let start = Instant::now();
        let left = Arc::new(Countdown::new(n as usize));
        for _ in 0..n {
            let left = left.clone();
            R::spawn(async move { left.done() });
        }
        left.wait().await;
        start.elapsed()
    })
}
