//! `sleep_million`: the seed's Question 4, one million tasks each sleeping one second, waited
//! for with a countdown (the seed's WaitGroup). Reports the wall time (ideal: 1 s) and the
//! child's peak RSS.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Body, Kind, MemStat, Metrics, Params, Scale, Workload, run_body};
use crate::handoff::Countdown;
use crate::rt::{Peer, Rt};

/// The registration.
pub const WORKLOAD: Workload = Workload {
    name: "sleep_million",
    about: "the seed's Question 4: n tasks each sleeping 1 s; wall time and peak RSS",
    kind: Kind::Memory,
    peers: &[Peer::Gmp, Peer::Tokio, Peer::AsyncExecutor],
    size,
    run,
};

fn size(_peer: Peer, scale: Scale) -> u64 {
    match scale {
        Scale::Full => 1_000_000,
        Scale::Quick => 10_000,
    }
}

fn run(peer: Peer, p: Params) -> Result<Vec<Metrics>, String> {
    run_body::<SleepMillion>(peer, p)
}

struct SleepMillion;

impl Body for SleepMillion {
    fn on_rt<R: Rt>(rt: &R, n: u64) -> Metrics {
        let start = Instant::now();
        rt.run(async move {
            let wg = Arc::new(Countdown::new(n as usize));
            for _ in 0..n {
                let wg = wg.clone();
                R::spawn(async move {
                    R::sleep(Duration::from_secs(1)).await;
                    wg.done();
                });
            }
            wg.wait().await;
        });
        let wall = start.elapsed();
        vec![
            ("wall_s", wall.as_secs_f64()),
            (
                "peak_rss_mib",
                MemStat::now().hwm as f64 / (1024.0 * 1024.0),
            ),
        ]
    }

    fn on_threads(_n: u64) -> Option<Metrics> {
        None
    }
}
