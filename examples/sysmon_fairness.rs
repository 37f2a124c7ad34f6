//! Benchmark `fairness`: two tasks loop on always-ready channel operations (each sends to and
//! receives from a buffered channel of its own) while a ticker fires every millisecond for one
//! second; prints how late each tick is seen, on gmp, tokio and Go (if `go` is installed), two
//! workers each. Target for gmp: p99 <= 0.3 ms.
//!
//! The loops never wait, so only a cooperative budget (or preemption) lets the ticker's task
//! run. gmp's channels (landing from another branch) spend gmp's budget like every gmp leaf
//! future; until they do, the loops here use `futures::channel::mpsc` wrapped in [`Coop`], which
//! spends one unit per operation exactly as they will. Tokio's channels spend tokio's budget;
//! Go relies on its 10 ms preemption.
//!
//! Run with `cargo run --release --example sysmon_fairness`.

#[path = "bench_util/mod.rs"]
mod bench_util;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bench_util::{run_go, summary};
use futures::{SinkExt, StreamExt};

const RUN_FOR: Duration = Duration::from_secs(1);
const PERIOD: Duration = Duration::from_millis(1);

/// A leaf operation that spends one unit of gmp's cooperative budget first, as gmp's own
/// channel operations do.
struct Coop<F>(F);

impl<F: Future + Unpin> Future for Coop<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        std::task::ready!(gmp::coop::poll_proceed(cx));
        Pin::new(&mut self.0).poll(cx)
    }
}

fn gmp_fairness() -> Vec<Duration> {
    let rt = gmp::Builder::new().maxprocs(2).build().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    rt.block_on(async {
        let loops: Vec<_> = (0..2)
            .map(|_| {
                let stop = stop.clone();
                gmp::spawn(async move {
                    let (mut tx, mut rx) = futures::channel::mpsc::channel::<u32>(1);
                    while !stop.load(Ordering::Relaxed) {
                        Coop(tx.send(1)).await.unwrap();
                        Coop(rx.next()).await.unwrap();
                    }
                })
            })
            .collect();
        let ticks = gmp::spawn(async {
            let mut ticker = gmp::time::Ticker::new(PERIOD);
            let mut late = Vec::with_capacity(1024);
            let end = Instant::now() + RUN_FOR;
            while Instant::now() < end {
                let due = ticker.tick().await;
                late.push(due.elapsed());
            }
            late
        });
        let late = ticks.await.unwrap();
        stop.store(true, Ordering::Relaxed);
        for l in loops {
            l.await.unwrap();
        }
        late
    })
}

fn tokio_fairness() -> Vec<Duration> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    rt.block_on(async {
        let loops: Vec<_> = (0..2)
            .map(|_| {
                let stop = stop.clone();
                tokio::spawn(async move {
                    let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
                    while !stop.load(Ordering::Relaxed) {
                        tx.send(1).await.unwrap();
                        rx.recv().await.unwrap();
                    }
                })
            })
            .collect();
        let ticks = tokio::spawn(async {
            let mut interval = tokio::time::interval(PERIOD);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            interval.tick().await; // tokio's first tick is immediate
            let mut late = Vec::with_capacity(1024);
            let end = Instant::now() + RUN_FOR;
            while Instant::now() < end {
                let due = interval.tick().await;
                late.push(due.elapsed());
            }
            late
        });
        let late = ticks.await.unwrap();
        stop.store(true, Ordering::Relaxed);
        for l in loops {
            l.await.unwrap();
        }
        late
    })
}

fn main() {
    println!("fairness gmp   {}", summary(&mut gmp_fairness()));
    println!("fairness tokio {}", summary(&mut tokio_fairness()));
    if let Some(line) = run_go("fairness", &[]) {
        println!("fairness go    {line}");
    }
}
