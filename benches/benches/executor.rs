//! Executor micro-benches: gmp, tokio and async-executor side by side, 2 workers each, one
//! criterion group per workload. `cargo bench --bench executor` (about 2 minutes).
//!
//! Criterion's "iteration" is one unit (a task, a yield, a round trip), so the reported time
//! *is* ns/unit: each sample runs the workload in batches of at most [`BATCH`] units and the
//! time is measured inside the root task (see `gmp_bench::workloads`). The workload code is
//! shared with the harness (`cargo run --release -p gmp-bench`), which adds Go and OS threads.

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use gmp_bench::rt::{AsyncExecutorRt, GmpRt, Rt, TokioRt, WORKERS};
use gmp_bench::workloads::{chained_spawn, ping_pong, spawn_many, yield_many};

/// Most units in one run of a workload (the 1M of the brief, scaled down per run).
const BATCH: u64 = 100_000;

/// A workload as criterion sees it.
trait Bench {
    /// The group name.
    const NAME: &'static str;
    /// Runs about `want` units on `rt`; returns the time and the units actually run.
    fn run<R: Rt>(rt: &R, want: u64) -> (Duration, u64);
}

struct SpawnMany;
impl Bench for SpawnMany {
    const NAME: &'static str = "spawn_many";
    fn run<R: Rt>(rt: &R, want: u64) -> (Duration, u64) {
        (spawn_many::once(rt, want), want)
    }
}

struct ChainedSpawn;
impl Bench for ChainedSpawn {
    const NAME: &'static str = "chained_spawn";
    fn run<R: Rt>(rt: &R, want: u64) -> (Duration, u64) {
        (chained_spawn::once(rt, want), want)
    }
}

struct YieldMany;
impl Bench for YieldMany {
    const NAME: &'static str = "yield_many";
    fn run<R: Rt>(rt: &R, want: u64) -> (Duration, u64) {
        // Always yield_many::TASKS tasks (1000 x 100 yields per full batch).
        let yields = want.div_ceil(yield_many::TASKS).max(1);
        (yield_many::once(rt, yields), yields * yield_many::TASKS)
    }
}

struct PingPong;
impl Bench for PingPong {
    const NAME: &'static str = "ping_pong";
    fn run<R: Rt>(rt: &R, want: u64) -> (Duration, u64) {
        (ping_pong::once(rt, want), want)
    }
}

/// The time of `iters` units, run in batches of at most [`BATCH`].
fn per_unit<R: Rt, B: Bench>(rt: &R, iters: u64) -> Duration {
    let (mut done, mut total) = (0, Duration::ZERO);
    while done < iters {
        let (d, units) = B::run(rt, (iters - done).min(BATCH));
        total += d;
        done += units;
    }
    total.mul_f64(iters as f64 / done as f64)
}

fn bench_on<R: Rt, B: Bench>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let rt = R::start(WORKERS);
    g.bench_function(R::PEER.name(), |b| {
        b.iter_custom(|iters| per_unit::<R, B>(&rt, iters))
    });
}

fn group<B: Bench>(c: &mut Criterion) {
    let mut g = c.benchmark_group(B::NAME);
    g.throughput(Throughput::Elements(1));
    bench_on::<GmpRt, B>(&mut g);
    bench_on::<TokioRt, B>(&mut g);
    bench_on::<AsyncExecutorRt, B>(&mut g);
    g.finish();
}

fn executor(c: &mut Criterion) {
    group::<SpawnMany>(c);
    group::<ChainedSpawn>(c);
    group::<YieldMany>(c);
    group::<PingPong>(c);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .without_plots();
    targets = executor
}
criterion_main!(benches);
