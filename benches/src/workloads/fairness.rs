//! `fairness`: two tasks loop on always-ready channel operations (each sends to and
//! receives from a channel of capacity 1 of its own, so no operation ever waits) while a
//! ticker fires every [`PERIOD`] for `n` ms. Reports how late each tick is seen.
//!
//! The loops never return `Pending` on their own: only a cooperative budget (or preemption)
//! lets the ticker's task onto a worker. Each peer uses its runtime's own channel and ticker:
//! gmp `gmp::chan` (which spends gmp's budget) and `gmp::time::Ticker`; tokio `mpsc` (tokio's
//! budget) and `interval` (missed ticks skipped, like Go's); async-executor async-channel and
//! async-io's `Timer::interval`, with no budget at all; Go its channels, `time.Ticker` and
//! asynchronous preemption (`benches/go/fairness.go`). gmp's goal: p99 <= 0.3 ms.
//!
//! The ticks count from the start of the run, not from the ticker task's first poll, and the
//! loops stop by themselves [`GRACE`] after the ticking time: where the ticker never gets a
//! worker (async-executor) the run still ends, with few or no ticks, which the report shows
//! as "ticker starved".

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::channel::oneshot;
use futures_lite::StreamExt;

use super::chan::{AsyncChan, Chan, GmpChan, TokioChan};
use super::{Body, Kind, Metrics, Scale, Workload, latency_us, run_body};
use crate::handoff::Countdown;
use crate::rt::{Peer, Rt};

/// The ticker's period.
pub const PERIOD: Duration = Duration::from_millis(1);

/// How long the loops go on after the ticking time if the ticker has not stopped them.
pub const GRACE: Duration = Duration::from_millis(500);

/// gmp's goal: the p99 lateness of a tick.
pub const GOAL: (&str, Duration) = ("fairness", Duration::from_micros(300));

/// Fewer ticks than this fraction of those due means the ticker was starved.
pub const STARVED_BELOW: f64 = 0.5;

/// The busy loops.
const LOOPS: usize = 2;

/// `fairness`.
pub const WORKLOAD: Workload = Workload {
    name: "fairness",
    about: "2 tasks loop on always-ready channel ops; a 1 ms ticker's lateness over n ms",
    kind: Kind::Latency,
    peers: &[Peer::Gmp, Peer::Tokio, Peer::AsyncExecutor],
    size: |_, scale| match scale {
        Scale::Full => 1000,
        Scale::Quick => 200,
    },
    run: |peer, p| run_body::<Fairness>(peer, p),
};

/// A runtime's periodic ticker.
trait Ticks: Send + 'static {
    /// A ticker whose first tick is due one `period` from now; must be called on a worker.
    fn every(period: Duration) -> Self;
    /// Waits for the next tick; returns when it was due.
    fn tick(&mut self) -> impl Future<Output = Instant> + Send;
}

impl Ticks for gmp::time::Ticker {
    fn every(period: Duration) -> Self {
        gmp::time::Ticker::new(period)
    }
    async fn tick(&mut self) -> Instant {
        gmp::time::Ticker::tick(self).await
    }
}

impl Ticks for tokio::time::Interval {
    fn every(period: Duration) -> Self {
        let start = tokio::time::Instant::now() + period;
        let mut i = tokio::time::interval_at(start, period);
        i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        i
    }
    async fn tick(&mut self) -> Instant {
        tokio::time::Interval::tick(self).await.into_std()
    }
}

impl Ticks for async_io::Timer {
    fn every(period: Duration) -> Self {
        async_io::Timer::interval(period)
    }
    async fn tick(&mut self) -> Instant {
        self.next().await.expect("an interval timer never ends")
    }
}

struct Fairness;

impl Body for Fairness {
    fn on_rt<R: Rt>(rt: &R, n: u64) -> Metrics {
        let run_for = Duration::from_millis(n);
        let late_us = match R::PEER {
            Peer::Gmp => rt.run(ticks::<R, GmpChan, gmp::time::Ticker>(run_for)),
            Peer::Tokio => rt.run(ticks::<R, TokioChan, tokio::time::Interval>(run_for)),
            _ => rt.run(ticks::<R, AsyncChan, async_io::Timer>(run_for)),
        };
        let due = (run_for.as_secs_f64() / PERIOD.as_secs_f64()).floor();
        let mut m = latency_us(&late_us);
        m.extend([("ticks", late_us.len() as f64), ("due", due)]);
        m
    }
}

/// One run inside the root task: starts the loops and the ticker, returns each tick's
/// lateness in microseconds once the loops have stopped.
async fn ticks<R: Rt, C: Chan, T: Ticks>(run_for: Duration) -> Vec<f64> {
    let end = Instant::now() + run_for;
    let give_up = end + GRACE;
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::new(Countdown::new(LOOPS));
    for _ in 0..LOOPS {
        let (stop, stopped) = (stop.clone(), stopped.clone());
        R::spawn(async move {
            let (tx, mut rx) = C::bounded(1);
            while !stop.load(Ordering::Relaxed) && Instant::now() < give_up {
                C::send(&tx, 1).await;
                C::recv(&mut rx).await;
            }
            stopped.done();
        });
    }
    let (late_tx, late_rx) = oneshot::channel();
    R::spawn(async move {
        let mut ticker = T::every(PERIOD);
        let mut late_us = Vec::with_capacity(2048);
        while Instant::now() < end {
            let due = ticker.tick().await;
            late_us.push(due.elapsed().as_secs_f64() * 1e6);
        }
        stop.store(true, Ordering::Relaxed);
        let _ = late_tx.send(late_us);
    });
    let late_us = late_rx.await.expect("the ticker task finished");
    stopped.wait().await;
    late_us
}
