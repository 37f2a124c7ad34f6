//! `chained_spawn`: each task spawns the next, `n` deep; the last one wakes the root. Measures
//! spawn-to-run latency with nothing else queued (the new task lands in the spawner's LIFO
//! slot / Go's `runnext`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Body, Kind, Metrics, Params, Scale, Workload, per_unit, run_body};
use crate::handoff::Signal;
use crate::rt::{Peer, Rt};

/// The registration.
pub const WORKLOAD: Workload = Workload {
    name: "chained_spawn",
    about: "each task spawns the next, n deep (ns/task)",
    kind: Kind::Throughput { unit: "ns/task" },
    peers: &[Peer::Gmp, Peer::Tokio, Peer::AsyncExecutor],
    size,
    run,
};

fn size(_peer: Peer, scale: Scale) -> u64 {
    match scale {
        Scale::Full => 1_000_000,
        Scale::Quick => 20_000,
    }
}

fn run(peer: Peer, p: Params) -> Result<Vec<Metrics>, String> {
    run_body::<ChainedSpawn>(peer, p)
}

struct ChainedSpawn;

impl Body for ChainedSpawn {
    fn on_rt<R: Rt>(rt: &R, n: u64) -> Metrics {
        per_unit(once(rt, n), n)
    }
}

fn link<R: Rt>(left: u64, done: Arc<Signal>) {
    if left == 0 {
        done.notify();
    } else {
        R::spawn(async move { link::<R>(left - 1, done) });
    }
}

/// One run: the time for a chain of `n` tasks, measured inside the root task.
pub fn once<R: Rt>(rt: &R, n: u64) -> Duration {
    rt.run(async move {
        let start = Instant::now();
        let done = Arc::new(Signal::new());
        link::<R>(n, done.clone());
        done.wait().await;
        start.elapsed()
    })
}
