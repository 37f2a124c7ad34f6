//! `yield_many`: [`TASKS`] tasks each yield `n` times (`gmp::yield_now`,
//! `tokio::task::yield_now`, `futures_lite::future::yield_now`; Go's `runtime.Gosched`).
//! Measures the run-queue round trip of a task that is always ready.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Body, Kind, Metrics, Params, Scale, Workload, per_unit, run_body};
use crate::handoff::Countdown;
use crate::rt::{Peer, Rt};

/// Tasks yielding concurrently.
pub const TASKS: u64 = 1_000;

/// The registration.
pub const WORKLOAD: Workload = Workload {
    name: "yield_many",
    about: "1000 tasks each yield n times (ns/yield)",
    kind: Kind::Throughput { unit: "ns/yield" },
    peers: &[Peer::Gmp, Peer::Tokio, Peer::AsyncExecutor],
    size,
    run,
};

fn size(_peer: Peer, scale: Scale) -> u64 {
    match scale {
        Scale::Full => 1_000,
        Scale::Quick => 20,
    }
}

fn run(peer: Peer, p: Params) -> Result<Vec<Metrics>, String> {
    run_body::<YieldMany>(peer, p)
}

struct YieldMany;

impl Body for YieldMany {
    fn on_rt<R: Rt>(rt: &R, n: u64) -> Metrics {
        per_unit(once(rt, n), TASKS * n)
    }
}

/// One run: the time for [`TASKS`] tasks to yield `yields` times each, measured inside the
/// root task (divide by `TASKS * yields`).
pub fn once<R: Rt>(rt: &R, yields: u64) -> Duration {
    rt.run(async move {
        let start = Instant::now();
        let left = Arc::new(Countdown::new(TASKS as usize));
        for _ in 0..TASKS {
            let left = left.clone();
            R::spawn(async move {
                for _ in 0..yields {
                    R::yield_now().await;
                }
                left.done();
            });
        }
        left.wait().await;
        start.elapsed()
    })
}
