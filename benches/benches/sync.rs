//! gmp-sync's primitives against tokio::sync, side by side (Go's numbers come from
//! the harness: `cargo run --release -p gmp-bench -- --only sync_mutex_uncontended,...`,
//! which runs gmp, tokio and Go side by side).
//!
//! Every group measures the same workload three ways where a peer exists:
//! - `gmp`: gmp-sync on the gmp runtime (2 workers);
//! - `gmp_sync_on_tokio`: gmp-sync on tokio's multi-thread runtime (2 workers), isolating the
//!   primitive from the scheduler;
//! - `tokio`: tokio::sync (or the usual tokio idiom) on the same tokio runtime.
//!
//! Set `GMP_BENCH_SKIP_GMP=1` to leave out the gmp runtime (until its scheduler lands).

#![allow(missing_docs)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use futures::future::FutureObj;
use futures::task::{Spawn, SpawnError};
use gmp::context::{self, Context};
use gmp::errgroup::Group;

const WORKERS: usize = 2;

struct TokioSpawner(tokio::runtime::Handle);

impl Spawn for TokioSpawner {
    fn spawn_obj(&self, future: FutureObj<'static, ()>) -> Result<(), SpawnError> {
        drop(self.0.spawn(future));
        Ok(())
    }
}

/// An executor under test: runs a future to completion, spawns tasks.
trait Exec: Sync {
    fn block_on<F: Future>(&self, f: F) -> F::Output;
    fn spawner(&self) -> &(dyn Spawn + Sync);
}

struct Tokio {
    rt: tokio::runtime::Runtime,
    sp: TokioSpawner,
}

impl Tokio {
    fn new() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKERS)
            .enable_all()
            .build()
            .unwrap();
        let sp = TokioSpawner(rt.handle().clone());
        Tokio { rt, sp }
    }
}

impl Exec for Tokio {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
    fn spawner(&self) -> &(dyn Spawn + Sync) {
        &self.sp
    }
}

struct Gmp {
    rt: gmp::Runtime,
    handle: gmp::Handle,
}

impl Gmp {
    fn new() -> Option<Self> {
        if std::env::var_os("GMP_BENCH_SKIP_GMP").is_some() {
            return None;
        }
        let rt = gmp::Builder::new().maxprocs(WORKERS).build().unwrap();
        let handle = rt.handle().clone();
        Some(Gmp { rt, handle })
    }
}

impl Exec for Gmp {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
    fn spawner(&self) -> &(dyn Spawn + Sync) {
        &self.handle
    }
}

fn spawn(ex: &impl Exec, f: impl Future<Output = ()> + Send + 'static) {
    ex.spawner().spawn_obj(FutureObj::new(Box::new(f))).unwrap();
}

/// Runs `op` `iters` times in one task and returns the elapsed time.
fn time_loop<E: Exec, F: Future<Output = ()>>(
    ex: &E,
    iters: u64,
    mut op: impl FnMut() -> F,
) -> Duration {
    ex.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            op().await;
        }
        start.elapsed()
    })
}

const CONTENDERS: usize = 8;

/// `CONTENDERS` tasks share `iters` operations; returns the wall time for all of them.
fn time_contended<E: Exec, F>(
    ex: &E,
    iters: u64,
    op: impl Fn() -> F + Send + Sync + Clone + 'static,
) -> Duration
where
    F: Future<Output = ()> + Send,
{
    ex.block_on(async {
        let wg = gmp::WaitGroup::new();
        let per = iters / CONTENDERS as u64 + 1;
        let start = Instant::now();
        for _ in 0..CONTENDERS {
            let op = op.clone();
            wg.go_with(ex.spawner(), async move {
                for _ in 0..per {
                    op().await;
                }
            })
            .unwrap();
        }
        wg.wait().await;
        start.elapsed()
    })
}

fn mutex(c: &mut Criterion) {
    let tokio = Tokio::new();
    let gmp = Gmp::new();
    let mut g = c.benchmark_group("mutex_uncontended");
    let m = Arc::new(gmp::Mutex::new(0u64));
    let t = Arc::new(tokio::sync::Mutex::new(0u64));
    if let Some(gmp) = &gmp {
        g.bench_function("gmp", |b| {
            b.iter_custom(|n| time_loop(gmp, n, || async { *m.lock().await += 1 }))
        });
    }
    g.bench_function("gmp_sync_on_tokio", |b| {
        b.iter_custom(|n| time_loop(&tokio, n, || async { *m.lock().await += 1 }))
    });
    g.bench_function("tokio", |b| {
        b.iter_custom(|n| time_loop(&tokio, n, || async { *t.lock().await += 1 }))
    });
    g.finish();

    let mut g = c.benchmark_group("mutex_contended_8_tasks");
    let op_gmp = {
        let m = m.clone();
        move || {
            let m = m.clone();
            async move { *m.lock().await += 1 }
        }
    };
    let op_tokio = {
        let t = t.clone();
        move || {
            let t = t.clone();
            async move { *t.lock().await += 1 }
        }
    };
    if let Some(gmp) = &gmp {
        g.bench_function("gmp", |b| {
            b.iter_custom(|n| time_contended(gmp, n, op_gmp.clone()))
        });
    }
    g.bench_function("gmp_sync_on_tokio", |b| {
        b.iter_custom(|n| time_contended(&tokio, n, op_gmp.clone()))
    });
    g.bench_function("tokio", |b| {
        b.iter_custom(|n| time_contended(&tokio, n, op_tokio.clone()))
    });
    g.finish();
}

fn semaphore(c: &mut Criterion) {
    let tokio = Tokio::new();
    let gmp = Gmp::new();
    let s = Arc::new(gmp::Semaphore::new(2));
    let t = Arc::new(tokio::sync::Semaphore::new(2));
    let mut g = c.benchmark_group("semaphore_uncontended");
    if let Some(gmp) = &gmp {
        g.bench_function("gmp", |b| {
            b.iter_custom(|n| time_loop(gmp, n, || async { drop(s.acquire(1).await) }))
        });
    }
    g.bench_function("gmp_sync_on_tokio", |b| {
        b.iter_custom(|n| time_loop(&tokio, n, || async { drop(s.acquire(1).await) }))
    });
    g.bench_function("tokio", |b| {
        b.iter_custom(|n| time_loop(&tokio, n, || async { drop(t.acquire().await.unwrap()) }))
    });
    g.finish();

    let mut g = c.benchmark_group("semaphore_contended_8_tasks_2_permits");
    let op_gmp = {
        let s = s.clone();
        move || {
            let s = s.clone();
            async move { drop(s.acquire(1).await) }
        }
    };
    let op_tokio = {
        let t = t.clone();
        move || {
            let t = t.clone();
            async move { drop(t.acquire().await.unwrap()) }
        }
    };
    if let Some(gmp) = &gmp {
        g.bench_function("gmp", |b| {
            b.iter_custom(|n| time_contended(gmp, n, op_gmp.clone()))
        });
    }
    g.bench_function("gmp_sync_on_tokio", |b| {
        b.iter_custom(|n| time_contended(&tokio, n, op_gmp.clone()))
    });
    g.bench_function("tokio", |b| {
        b.iter_custom(|n| time_contended(&tokio, n, op_tokio.clone()))
    });
    g.finish();
}

const WG_TASKS: usize = 1_000_000;

/// WaitGroup add/done/wait across 1M tasks; tokio's idiom is awaiting every JoinHandle.
fn waitgroup(c: &mut Criterion) {
    let tokio = Tokio::new();
    let gmp = Gmp::new();
    let mut g = c.benchmark_group("waitgroup_1m_tasks");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    fn run_wg<E: Exec>(ex: &E) {
        ex.block_on(async {
            let wg = gmp::WaitGroup::new();
            for _ in 0..WG_TASKS {
                wg.add(1);
                let wg = wg.clone();
                spawn(ex, async move { wg.done() });
            }
            wg.wait().await;
        })
    }
    if let Some(gmp) = &gmp {
        g.bench_function(BenchmarkId::new("gmp", WG_TASKS), |b| {
            b.iter(|| run_wg(gmp))
        });
    }
    g.bench_function(BenchmarkId::new("gmp_sync_on_tokio", WG_TASKS), |b| {
        b.iter(|| run_wg(&tokio))
    });
    g.bench_function(BenchmarkId::new("tokio_join_handles", WG_TASKS), |b| {
        b.iter(|| {
            tokio.block_on(async {
                let handles: Vec<_> = (0..WG_TASKS).map(|_| tokio::spawn(async {})).collect();
                for h in handles {
                    h.await.unwrap();
                }
            })
        })
    });
    g.finish();
}

const FANOUT: usize = 100_000;

/// Cancel one context with 100k tasks waiting on its done(); time from cancel until every
/// task has observed it. tokio's idiom: a `watch` channel.
fn context_fanout(c: &mut Criterion) {
    let tokio = Tokio::new();
    let gmp = Gmp::new();
    let mut g = c.benchmark_group("context_cancel_fanout_100k");
    g.sample_size(10);
    fn run_ctx<E: Exec>(ex: &E, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            total += ex.block_on(async {
                let (ctx, cancel) = context::with_cancel(&Context::background());
                let (wg, ready) = (gmp::WaitGroup::new(), gmp::WaitGroup::new());
                for _ in 0..FANOUT {
                    let (ctx, r) = (ctx.clone(), ready.guard());
                    wg.go_with(ex.spawner(), async move {
                        let done = ctx.done();
                        drop(r);
                        done.await;
                    })
                    .unwrap();
                }
                ready.wait().await;
                let start = Instant::now();
                cancel.cancel();
                wg.wait().await;
                start.elapsed()
            });
        }
        total
    }
    if let Some(gmp) = &gmp {
        g.bench_function("gmp", |b| b.iter_custom(|n| run_ctx(gmp, n)));
    }
    g.bench_function("gmp_sync_on_tokio", |b| {
        b.iter_custom(|n| run_ctx(&tokio, n))
    });
    g.bench_function("tokio_watch", |b| {
        b.iter_custom(|n| {
            let mut total = Duration::ZERO;
            for _ in 0..n {
                total += tokio
                    .block_on(gmp_bench::workloads::sync::tokio_watch_fanout(FANOUT))
                    .0;
            }
            total
        })
    });
    g.finish();
}

const ITEMS: usize = 100_000;

/// errgroup with set_limit(10) over 100k trivial items; tokio's idiom: Semaphore(10) +
/// JoinSet.
fn errgroup(c: &mut Criterion) {
    let tokio = Tokio::new();
    let gmp = Gmp::new();
    let mut g = c.benchmark_group("errgroup_limit10_100k_items");
    g.sample_size(10);
    fn run_group<E: Exec>(ex: &E) {
        ex.block_on(async {
            let done = Arc::new(AtomicUsize::new(0));
            let g = Group::<()>::new();
            g.set_limit(10);
            for _ in 0..ITEMS {
                let done = done.clone();
                g.go_with(ex.spawner(), async move {
                    done.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                })
                .await
                .unwrap();
            }
            g.wait().await.unwrap();
            assert_eq!(done.load(Ordering::Relaxed), ITEMS);
        })
    }
    if let Some(gmp) = &gmp {
        g.bench_function("gmp", |b| b.iter(|| run_group(gmp)));
    }
    g.bench_function("gmp_sync_on_tokio", |b| b.iter(|| run_group(&tokio)));
    g.bench_function("tokio_semaphore_joinset", |b| {
        b.iter(|| {
            tokio.block_on(async {
                let sem = Arc::new(tokio::sync::Semaphore::new(10));
                let mut set = tokio::task::JoinSet::new();
                for _ in 0..ITEMS {
                    let permit = sem.clone().acquire_owned().await.unwrap();
                    set.spawn(async move {
                        drop(permit);
                        Ok::<(), ()>(())
                    });
                    while let Some(r) = set.try_join_next() {
                        r.unwrap().unwrap();
                    }
                }
                while let Some(r) = set.join_next().await {
                    r.unwrap().unwrap();
                }
            })
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    mutex,
    semaphore,
    waitgroup,
    context_fanout,
    errgroup
);
criterion_main!(benches);
