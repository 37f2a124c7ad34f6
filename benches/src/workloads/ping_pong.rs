//! `ping_pong`: two tasks wake each other `n` times through a pair of [`Signal`]s. One round
//! trip is two hand-offs (two context switches). On threads, the same code runs with each side
//! in `futures_lite::future::block_on`, so a hand-off is a futex wake of a parked thread.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Body, Kind, Metrics, Params, Scale, Workload, per_unit, run_body};
use crate::handoff::Signal;
use crate::rt::{Peer, Rt};

/// The registration.
pub const WORKLOAD: Workload = Workload {
    name: "ping_pong",
    about: "two tasks wake each other n times via a flag + AtomicWaker pair (ns/round trip)",
    kind: Kind::Throughput {
        unit: "ns/round trip",
    },
    peers: &[Peer::Gmp, Peer::Threads, Peer::Tokio, Peer::AsyncExecutor],
    size,
    run,
};

fn size(peer: Peer, scale: Scale) -> u64 {
    match (peer, scale) {
        (Peer::Threads, Scale::Full) => 100_000,
        (Peer::Threads, Scale::Quick) => 5_000,
        (_, Scale::Full) => 1_000_000,
        (_, Scale::Quick) => 20_000,
    }
}

fn run(peer: Peer, p: Params) -> Result<Vec<Metrics>, String> {
    run_body::<PingPong>(peer, p)
}

struct PingPong;

impl Body for PingPong {
    fn on_rt<R: Rt>(rt: &R, n: u64) -> Metrics {
        per_unit(once(rt, n), n)
    }

    fn on_threads(n: u64) -> Option<Metrics> {
        let (ping, pong) = (Arc::new(Signal::new()), Arc::new(Signal::new()));
        let (ping2, pong2) = (ping.clone(), pong.clone());
        let start = Instant::now();
        let t = std::thread::spawn(move || futures_lite::future::block_on(ponger(n, ping2, pong2)));
        futures_lite::future::block_on(pinger(n, ping, pong));
        t.join().expect("ponger thread panicked");
        Some(per_unit(start.elapsed(), n))
    }
}

async fn pinger(n: u64, ping: Arc<Signal>, pong: Arc<Signal>) {
    for _ in 0..n {
        ping.notify();
        pong.wait().await;
    }
}

async fn ponger(n: u64, ping: Arc<Signal>, pong: Arc<Signal>) {
    for _ in 0..n {
        ping.wait().await;
        pong.notify();
    }
}

/// One run: the time for `n` round trips between two spawned tasks, measured inside the root.
pub fn once<R: Rt>(rt: &R, n: u64) -> Duration {
    rt.run(async move {
        let (ping, pong, done) = (
            Arc::new(Signal::new()),
            Arc::new(Signal::new()),
            Arc::new(Signal::new()),
        );
        let start = Instant::now();
        R::spawn(ponger(n, ping.clone(), pong.clone()));
        let finished = done.clone();
        R::spawn(async move {
            pinger(n, ping, pong).await;
            finished.notify();
        });
        done.wait().await;
        start.elapsed()
    })
}
