//! The sync benchmarks (the shapes of `benches/benches/sync.rs`), for the harness: gmp's
//! primitives (`gmp::{Mutex, WaitGroup}`, `gmp::context`, `gmp::errgroup`) on the gmp runtime
//! against tokio's (`tokio::sync`, or tokio's usual idiom) on tokio; Go's versions live in
//! `benches/go/sync_*.go`. Five workloads in one module, since they share their shape:
//!
//! - `sync_mutex_uncontended`: lock, increment, unlock `n` times in one task (ns/op);
//! - `sync_mutex_contended`: 8 tasks share `n` such operations on one mutex (ns/op);
//! - `sync_waitgroup_1m`: `add(1)` + spawn a task calling `done()`, `n` times, then `wait()`;
//!   tokio's idiom: keep every `JoinHandle` and await them all (ns/task);
//! - `sync_context_cancel_100k`: `n` tasks wait on one context's `done()`; the primary metric
//!   is the time from `cancel()` until every waiter has finished (ms; setup excluded, the
//!   total with spawning is `total_ms`); tokio's idiom: a `watch` channel, a `Barrier` and a
//!   `JoinSet`;
//! - `sync_errgroup_limit10`: an errgroup with `set_limit(10)` runs `n` trivial items; tokio's
//!   idiom: `Semaphore(10)` + `JoinSet` (ns/item).
//!
//! They are [`Kind::Throughput`] workloads, reported in their own table (with the goal:
//! gmp <= 1.0x the faster of tokio and Go) rather than in the executor table; see [`is_sync`].

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::{Body, Kind, Metrics, Scale, Workload, per_unit, run_body};
use crate::rt::{Peer, Rt};

/// The peers: gmp-sync on gmp, tokio::sync on tokio (Go from `benches/go`).
const PEERS: &[Peer] = &[Peer::Gmp, Peer::Tokio];

/// Tasks contending in `sync_mutex_contended`.
pub const CONTENDERS: u64 = 8;

/// The errgroup limit of `sync_errgroup_limit10`.
pub const LIMIT: usize = 10;

/// Whether `name` is one of this module's workloads (they get their own report table).
pub fn is_sync(name: &str) -> bool {
    name.starts_with("sync_")
}

/// `sync_mutex_uncontended`.
pub const MUTEX_UNCONTENDED: Workload = Workload {
    name: "sync_mutex_uncontended",
    about: "lock+unlock n times in one task (ns/op)",
    kind: Kind::Throughput { unit: "ns/op" },
    peers: PEERS,
    size: |_, s| pick(s, 2_000_000, 20_000),
    run: |p, prm| run_body::<MutexUncontended>(p, prm),
};

/// `sync_mutex_contended`.
pub const MUTEX_CONTENDED: Workload = Workload {
    name: "sync_mutex_contended",
    about: "8 tasks share n lock+unlock operations on one mutex (ns/op)",
    kind: Kind::Throughput { unit: "ns/op" },
    peers: PEERS,
    size: |_, s| pick(s, 1_000_000, 20_000),
    run: |p, prm| run_body::<MutexContended>(p, prm),
};

/// `sync_waitgroup_1m`.
pub const WAITGROUP_1M: Workload = Workload {
    name: "sync_waitgroup_1m",
    about: "WaitGroup add/done over n tasks, then wait; tokio: await JoinHandles (ns/task)",
    kind: Kind::Throughput { unit: "ns/task" },
    peers: PEERS,
    size: |_, s| pick(s, 1_000_000, 20_000),
    run: |p, prm| run_body::<WaitGroup1m>(p, prm),
};

/// `sync_context_cancel_100k`.
pub const CONTEXT_CANCEL_100K: Workload = Workload {
    name: "sync_context_cancel_100k",
    about: "cancel one context, n tasks waiting: cancel -> all woken (ms); tokio: watch",
    kind: Kind::Throughput { unit: "ms" },
    peers: PEERS,
    size: |_, s| pick(s, 100_000, 2_000),
    run: |p, prm| run_body::<ContextCancel>(p, prm),
};

/// `sync_errgroup_limit10`.
pub const ERRGROUP_LIMIT10: Workload = Workload {
    name: "sync_errgroup_limit10",
    about: "errgroup set_limit(10), n trivial items; tokio: Semaphore+JoinSet (ns/item)",
    kind: Kind::Throughput { unit: "ns/item" },
    peers: PEERS,
    size: |_, s| pick(s, 100_000, 5_000),
    run: |p, prm| run_body::<Errgroup>(p, prm),
};

fn pick(scale: Scale, full: u64, quick: u64) -> u64 {
    match scale {
        Scale::Full => full,
        Scale::Quick => quick,
    }
}

fn unsupported(peer: Peer) -> ! {
    panic!("the sync workloads run on gmp and tokio only, not on {peer}")
}

struct MutexUncontended;

impl Body for MutexUncontended {
    fn on_rt<R: Rt>(rt: &R, n: u64) -> Metrics {
        let elapsed = match R::PEER {
            Peer::Gmp => rt.run(async move {
                let m = gmp::Mutex::new(0u64);
                let start = Instant::now();
                for _ in 0..n {
                    *m.lock().await += 1;
                }
                let d = start.elapsed();
                assert_eq!(*m.lock().await, n);
                d
            }),
            Peer::Tokio => rt.run(async move {
                let m = tokio::sync::Mutex::new(0u64);
                let start = Instant::now();
                for _ in 0..n {
                    *m.lock().await += 1;
                }
                let d = start.elapsed();
                assert_eq!(*m.lock().await, n);
                d
            }),
            p => unsupported(p),
        };
        per_unit(elapsed, n)
    }
}

struct MutexContended;

impl Body for MutexContended {
    fn on_rt<R: Rt>(rt: &R, n: u64) -> Metrics {
        let per = n / CONTENDERS;
        let elapsed = match R::PEER {
            Peer::Gmp => rt.run(async move {
                let m = Arc::new(gmp::Mutex::new(0u64));
                let wg = gmp::WaitGroup::new();
                let start = Instant::now();
                for _ in 0..CONTENDERS {
                    let m = m.clone();
                    wg.go(async move {
                        for _ in 0..per {
                            *m.lock().await += 1;
                        }
                    });
                }
                wg.wait().await;
                let d = start.elapsed();
                assert_eq!(*m.lock().await, per * CONTENDERS);
                d
            }),
            Peer::Tokio => rt.run(async move {
                let m = Arc::new(tokio::sync::Mutex::new(0u64));
                let start = Instant::now();
                let handles: Vec<_> = (0..CONTENDERS)
                    .map(|_| {
                        let m = m.clone();
                        tokio::spawn(async move {
                            for _ in 0..per {
                                *m.lock().await += 1;
                            }
                        })
                    })
                    .collect();
                for h in handles {
                    h.await.expect("contender panicked");
                }
                let d = start.elapsed();
                assert_eq!(*m.lock().await, per * CONTENDERS);
                d
            }),
            p => unsupported(p),
        };
        per_unit(elapsed, per * CONTENDERS)
    }
}

struct WaitGroup1m;

impl Body for WaitGroup1m {
    fn on_rt<R: Rt>(rt: &R, n: u64) -> Metrics {
        let elapsed = match R::PEER {
            Peer::Gmp => rt.run(async move {
                let start = Instant::now();
                let wg = gmp::WaitGroup::new();
                for _ in 0..n {
                    wg.add(1);
                    let wg = wg.clone();
                    R::spawn(async move { wg.done() });
                }
                wg.wait().await;
                start.elapsed()
            }),
            Peer::Tokio => rt.run(async move {
                let start = Instant::now();
                let handles: Vec<_> = (0..n).map(|_| tokio::spawn(async {})).collect();
                for h in handles {
                    h.await.expect("empty task panicked");
                }
                start.elapsed()
            }),
            p => unsupported(p),
        };
        per_unit(elapsed, n)
    }
}

struct ContextCancel;

impl Body for ContextCancel {
    fn on_rt<R: Rt>(rt: &R, n: u64) -> Metrics {
        let waiters = n as usize;
        // (cancel -> all woken, spawn + cancel -> all woken)
        let (wake, total): (Duration, Duration) = match R::PEER {
            Peer::Gmp => rt.run(async move {
                use gmp::context::{self, Context};
                let t0 = Instant::now();
                let (ctx, cancel) = context::with_cancel(&Context::background());
                let (wg, ready) = (gmp::WaitGroup::new(), gmp::WaitGroup::new());
                for _ in 0..waiters {
                    let (ctx, r) = (ctx.clone(), ready.guard());
                    wg.go(async move {
                        let done = ctx.done();
                        drop(r);
                        done.await;
                    });
                }
                ready.wait().await;
                let start = Instant::now();
                cancel.cancel();
                wg.wait().await;
                (start.elapsed(), t0.elapsed())
            }),
            Peer::Tokio => rt.run(tokio_watch_fanout(waiters)),
            p => unsupported(p),
        };
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        vec![
            ("ms", ms(wake)),
            ("ns_per_waiter", wake.as_nanos() as f64 / n.max(1) as f64),
            ("total_ms", ms(total)),
        ]
    }
}

struct Errgroup;

impl Body for Errgroup {
    fn on_rt<R: Rt>(rt: &R, n: u64) -> Metrics {
        let items = n as usize;
        let elapsed = match R::PEER {
            Peer::Gmp => rt.run(async move {
                let start = Instant::now();
                let done = Arc::new(AtomicUsize::new(0));
                let g = gmp::errgroup::Group::<()>::new();
                g.set_limit(LIMIT);
                for _ in 0..items {
                    let done = done.clone();
                    g.go(async move {
                        done.fetch_add(1, Ordering::Relaxed);
                        Ok(())
                    })
                    .await;
                }
                g.wait().await.expect("no item fails");
                let d = start.elapsed();
                assert_eq!(done.load(Ordering::Relaxed), items);
                d
            }),
            Peer::Tokio => rt.run(async move {
                let start = Instant::now();
                let done = Arc::new(AtomicUsize::new(0));
                let sem = Arc::new(tokio::sync::Semaphore::new(LIMIT));
                let mut set = tokio::task::JoinSet::new();
                for _ in 0..items {
                    let permit = sem.clone().acquire_owned().await.expect("open");
                    let done = done.clone();
                    set.spawn(async move {
                        done.fetch_add(1, Ordering::Relaxed);
                        drop(permit);
                        Ok::<(), ()>(())
                    });
                    while let Some(r) = set.try_join_next() {
                        r.expect("item panicked").expect("no item fails");
                    }
                }
                while let Some(r) = set.join_next().await {
                    r.expect("item panicked").expect("no item fails");
                }
                let d = start.elapsed();
                assert_eq!(done.load(Ordering::Relaxed), items);
                d
            }),
            p => unsupported(p),
        };
        per_unit(elapsed, n)
    }
}

/// tokio's idiom for `context_cancel`: `waiters` tasks wait on a `watch` channel, all parked
/// before it fires. Returns (send until every waiter finished, the whole run with its spawns).
/// Runs inside a tokio runtime (the harness's and the criterion bench's).
pub async fn tokio_watch_fanout(waiters: usize) -> (Duration, Duration) {
    let t0 = Instant::now();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let ready = Arc::new(tokio::sync::Barrier::new(waiters + 1));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..waiters {
        let (mut rx, ready) = (rx.clone(), ready.clone());
        set.spawn(async move {
            rx.borrow_and_update();
            let changed = rx.changed();
            ready.wait().await;
            let _ = changed.await;
        });
    }
    ready.wait().await;
    let start = Instant::now();
    tx.send(true).expect("receivers alive");
    while set.join_next().await.is_some() {}
    (start.elapsed(), t0.elapsed())
}
