//! `park`: `n` units parked at once, then released: the seed's "memory per unit" and "a
//! million units". Tasks await a shared [`Gate`]; threads block (futex) on the same gate inside
//! `futures_lite::future::block_on`. Runs in a fresh process (the harness's child), so the
//! baseline is the runtime and nothing else.
//!
//! Metrics: `peak_bytes_per_unit` (peak RSS delta / n, the primary), `rss_bytes_per_unit`,
//! `vm_bytes_per_unit` (address space reserved: a thread's stack), `kernel_stack_bytes_per_unit`
//! (machine-wide, outside RSS), `park_ns_per_unit` (spawn until all are parked), `units`
//! (threads may stop short at a system limit) and `rss_total_bytes`.

use std::sync::Arc;
use std::time::Instant;

use super::{Body, Kind, MemStat, Metrics, Params, Scale, Workload, run_body};
use crate::handoff::{Countdown, Gate};
use crate::rt::{Peer, Rt};

/// The registration.
pub const WORKLOAD: Workload = Workload {
    name: "park",
    about: "n units parked on a gate at once: peak RSS per unit, time to park (1M tasks)",
    kind: Kind::Memory,
    peers: &[Peer::Gmp, Peer::Threads, Peer::Tokio, Peer::AsyncExecutor],
    size,
    run,
};

fn size(peer: Peer, scale: Scale) -> u64 {
    match (peer, scale) {
        (Peer::Threads, Scale::Full) => 10_000,
        (Peer::Threads, Scale::Quick) => 500,
        (_, Scale::Full) => 1_000_000,
        (_, Scale::Quick) => 20_000,
    }
}

fn run(peer: Peer, p: Params) -> Result<Vec<Metrics>, String> {
    run_body::<Park>(peer, p)
}

struct Park;

fn metrics(base: MemStat, parked: MemStat, units: u64, park_ns: f64) -> Metrics {
    let per = |a: u64, b: u64| a.saturating_sub(b) as f64 / units.max(1) as f64;
    vec![
        ("peak_bytes_per_unit", per(parked.hwm, base.rss)),
        ("rss_bytes_per_unit", per(parked.rss, base.rss)),
        ("vm_bytes_per_unit", per(parked.vm, base.vm)),
        (
            "kernel_stack_bytes_per_unit",
            per(parked.kernel_stack, base.kernel_stack),
        ),
        ("park_ns_per_unit", park_ns / units.max(1) as f64),
        ("units", units as f64),
        ("rss_total_bytes", parked.rss as f64),
    ]
}

impl Body for Park {
    fn on_rt<R: Rt>(rt: &R, n: u64) -> Metrics {
        // Warm the workers (thread-local allocator arenas, queues) so the baseline has them.
        rt.run(async {});
        let base = MemStat::now();
        rt.run(async move {
            let gate = Arc::new(Gate::new());
            let parked = Arc::new(Countdown::new(n as usize));
            let finished = Arc::new(Countdown::new(n as usize));
            let start = Instant::now();
            for _ in 0..n {
                let (gate, parked, finished) = (gate.clone(), parked.clone(), finished.clone());
                R::spawn(async move {
                    parked.done();
                    gate.wait().await;
                    finished.done();
                });
            }
            parked.wait().await;
            let park_ns = start.elapsed().as_nanos() as f64;
            // Let the last waiters finish registering on the gate.
            for _ in 0..4 {
                R::yield_now().await;
            }
            let at_peak = MemStat::now();
            gate.open();
            finished.wait().await;
            metrics(base, at_peak, n, park_ns)
        })
    }

    fn on_threads(n: u64) -> Option<Metrics> {
        let base = MemStat::now();
        let gate = Arc::new(Gate::new());
        let parked = Arc::new(Countdown::new(n as usize));
        let start = Instant::now();
        let mut threads = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let (gate, p) = (gate.clone(), parked.clone());
            let spawned = std::thread::Builder::new().spawn(move || {
                p.done();
                futures_lite::future::block_on(gate.wait());
            });
            match spawned {
                Ok(t) => threads.push(t),
                Err(_) => break, // a system limit: report how many we got
            }
        }
        let units = threads.len() as u64;
        for _ in units..n {
            parked.done();
        }
        futures_lite::future::block_on(parked.wait());
        let park_ns = start.elapsed().as_nanos() as f64;
        std::thread::sleep(std::time::Duration::from_millis(20));
        let at_peak = MemStat::now();
        gate.open();
        for t in threads {
            t.join().expect("parked thread panicked");
        }
        Some(metrics(base, at_peak, units, park_ns))
    }
}
