//! The channel workloads (fan-in, fan-out, worker pool, ping-pong), each peer on its own runtime's idiomatic channel: gmp on
//! `gmp::chan`, tokio on `tokio::sync::mpsc`, async-executor on async-channel (smol's), Go on
//! its built-in channels (`benches/go/chan_*.go`). The criterion version, with more
//! channel/executor pairings, is `benches/benches/chan.rs`; the shapes are the same.
//!
//! - `chan_ping_pong`: two tasks bounce a value over two rendezvous channels (capacity 1 where
//!   the peer has none: tokio, async-channel); ns per round trip.
//! - `chan_mpsc`: 4 producers -> 1 consumer, capacity [`MSG_CAP`]; ns per message.
//! - `chan_mpmc`: 4 producers -> 4 consumers on one channel; ns per message. No tokio row:
//!   tokio's mpsc has a single receiver.
//! - `chan_worker_pool`: the seed chapter's pool, [`POOL_WORKERS`] workers, `jobs` and
//!   `results` of capacity [`POOL_CAP`], jobs of 1,000 xorshift steps; ns per job. tokio's
//!   workers share the `jobs` receiver behind a `tokio::sync::Mutex`, as tokio users do.
//! - `chan_fan_in`: the size curve of `chan_mpsc`: `n` producers -> 1 consumer, [`FAN_IN_MSGS`]
//!   messages in all; ns per message.
//!
//! Each run spawns every participant from the root task and times, inside the root, from before
//! the first spawn until the last participant reports back.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::channel::{mpsc, oneshot};

use super::{Body, Kind, Metrics, Scale, Workload, per_unit, run_body};
use crate::rt::{Peer, Rt};

/// Capacity of the `chan_mpsc` and `chan_mpmc` channel.
pub const MSG_CAP: usize = 1024;
/// Producers of `chan_mpsc` and `chan_mpmc`.
pub const PRODUCERS: u64 = 4;
/// Workers of `chan_worker_pool`.
pub const POOL_WORKERS: usize = 10;
/// Capacity of `chan_worker_pool`'s `jobs` and `results` channels.
pub const POOL_CAP: usize = 100;

/// The channel goals: gmp's time at most this fraction of Go's, per workload.
pub const GOALS: &[(&str, f64)] = &[
    ("chan_ping_pong", 0.6),
    ("chan_mpsc", 0.5),
    ("chan_mpmc", 0.75),
    ("chan_worker_pool", 0.7),
];

const RT_PEERS: &[Peer] = &[Peer::Gmp, Peer::Tokio, Peer::AsyncExecutor];

/// Messages of one `chan_fan_in` run.
pub const FAN_IN_MSGS: u64 = 200_000;

/// `chan_fan_in`: `n` producers, one consumer (the channel curve).
pub const FAN_IN: Workload = Workload {
    name: "chan_fan_in",
    about: "n producers -> 1 consumer, capacity 1024, 200k messages (ns/msg; for the producers curve)",
    kind: Kind::Curve { unit: "ns/msg" },
    peers: RT_PEERS,
    size: |_, _| PRODUCERS,
    run: |peer, p| run_body::<OnChan<FanIn>>(peer, p),
};

/// `chan_ping_pong`.
pub const PING_PONG: Workload = Workload {
    name: "chan_ping_pong",
    about: "two tasks bounce a value over two unbuffered channels (ns/round trip)",
    kind: Kind::Throughput {
        unit: "ns/round trip",
    },
    peers: RT_PEERS,
    size: |_, scale| match scale {
        Scale::Full => 200_000,
        Scale::Quick => 5_000,
    },
    run: |peer, p| run_body::<OnChan<PingPong>>(peer, p),
};

/// `chan_mpsc`.
pub const MPSC: Workload = Workload {
    name: "chan_mpsc",
    about: "4 producers -> 1 consumer, capacity 1024, u64 messages (ns/msg)",
    kind: Kind::Throughput { unit: "ns/msg" },
    peers: RT_PEERS,
    size: msg_size,
    run: |peer, p| run_body::<OnChan<Mpsc>>(peer, p),
};

/// `chan_mpmc`.
pub const MPMC: Workload = Workload {
    name: "chan_mpmc",
    about: "4 producers -> 4 consumers on one channel, capacity 1024 (ns/msg; no tokio)",
    kind: Kind::Throughput { unit: "ns/msg" },
    peers: &[Peer::Gmp, Peer::AsyncExecutor],
    size: msg_size,
    run: |peer, p| run_body::<OnChan<Mpmc>>(peer, p),
};

/// `chan_worker_pool`.
pub const WORKER_POOL: Workload = Workload {
    name: "chan_worker_pool",
    about: "seed worker pool: 10 workers, jobs/results cap 100, 1,000 xorshift steps a job (ns/job)",
    kind: Kind::Throughput { unit: "ns/job" },
    peers: RT_PEERS,
    size: |_, scale| match scale {
        Scale::Full => 100_000,
        Scale::Quick => 2_000,
    },
    run: |peer, p| run_body::<OnChan<WorkerPool>>(peer, p),
};

fn msg_size(_: Peer, scale: Scale) -> u64 {
    match scale {
        Scale::Full => 2_000_000,
        Scale::Quick => 20_000,
    }
}

// ------------------------------------------------------------------------------------------
// The channels

/// A bounded channel of `u64`, as the benches need it (also `fairness`'s busy loops).
pub(crate) trait Chan: 'static {
    type Tx: Clone + Send + 'static;
    /// The single receiver.
    type Rx: Send + 'static;
    /// A receiver several tasks can hold.
    type SharedRx: Clone + Send + Sync + 'static;
    /// `cap == 0` asks for a rendezvous channel; peers without one use capacity 1.
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx);
    fn share(rx: Self::Rx) -> Self::SharedRx;
    fn send(tx: &Self::Tx, v: u64) -> impl Future<Output = ()> + Send;
    fn recv(rx: &mut Self::Rx) -> impl Future<Output = Option<u64>> + Send;
    fn recv_shared(rx: &Self::SharedRx) -> impl Future<Output = Option<u64>> + Send;
}

pub(crate) struct GmpChan;

impl Chan for GmpChan {
    type Tx = gmp::chan::Sender<u64>;
    type Rx = gmp::chan::Receiver<u64>;
    type SharedRx = gmp::chan::Receiver<u64>;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        gmp::chan::bounded(cap)
    }
    fn share(rx: Self::Rx) -> Self::SharedRx {
        rx
    }
    async fn send(tx: &Self::Tx, v: u64) {
        assert!(tx.send(v).await.is_ok(), "gmp channel closed");
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().await
    }
    async fn recv_shared(rx: &Self::SharedRx) -> Option<u64> {
        rx.recv().await
    }
}

pub(crate) struct TokioChan;

impl Chan for TokioChan {
    type Tx = tokio::sync::mpsc::Sender<u64>;
    type Rx = tokio::sync::mpsc::Receiver<u64>;
    type SharedRx = Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<u64>>>;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        tokio::sync::mpsc::channel(cap.max(1))
    }
    fn share(rx: Self::Rx) -> Self::SharedRx {
        Arc::new(tokio::sync::Mutex::new(rx))
    }
    async fn send(tx: &Self::Tx, v: u64) {
        assert!(tx.send(v).await.is_ok(), "tokio channel closed");
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().await
    }
    async fn recv_shared(rx: &Self::SharedRx) -> Option<u64> {
        rx.lock().await.recv().await
    }
}

pub(crate) struct AsyncChan;

impl Chan for AsyncChan {
    type Tx = async_channel::Sender<u64>;
    type Rx = async_channel::Receiver<u64>;
    type SharedRx = async_channel::Receiver<u64>;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        async_channel::bounded(cap.max(1))
    }
    fn share(rx: Self::Rx) -> Self::SharedRx {
        rx
    }
    async fn send(tx: &Self::Tx, v: u64) {
        assert!(tx.send(v).await.is_ok(), "async-channel closed");
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().await.ok()
    }
    async fn recv_shared(rx: &Self::SharedRx) -> Option<u64> {
        rx.recv().await.ok()
    }
}

/// A channel workload, generic over the runtime and the channel; [`OnChan`] picks the
/// runtime's own channel.
trait ChanBody {
    /// One run of size `n` inside the root task: the elapsed time and the units done.
    fn measure<R: Rt, C: Chan>(n: u64) -> impl Future<Output = (Duration, u64)> + Send + 'static;
}

struct OnChan<B>(std::marker::PhantomData<B>);

impl<B: ChanBody> Body for OnChan<B> {
    fn on_rt<R: Rt>(rt: &R, n: u64) -> Metrics {
        let (elapsed, units) = match R::PEER {
            Peer::Gmp => rt.run(B::measure::<R, GmpChan>(n)),
            Peer::Tokio => rt.run(B::measure::<R, TokioChan>(n)),
            _ => rt.run(B::measure::<R, AsyncChan>(n)),
        };
        per_unit(elapsed, units)
    }
}

// ------------------------------------------------------------------------------------------
// The workloads

struct PingPong;

impl ChanBody for PingPong {
    async fn measure<R: Rt, C: Chan>(n: u64) -> (Duration, u64) {
        let (a_tx, mut a_rx) = C::bounded(0);
        let (b_tx, mut b_rx) = C::bounded(0);
        let (done_tx, done_rx) = oneshot::channel();
        let start = Instant::now();
        R::spawn(async move {
            while let Some(v) = C::recv(&mut a_rx).await {
                C::send(&b_tx, v + 1).await;
            }
        });
        R::spawn(async move {
            for i in 0..n {
                C::send(&a_tx, i).await;
                assert_eq!(C::recv(&mut b_rx).await, Some(i + 1));
            }
            let _ = done_tx.send(());
        });
        done_rx.await.expect("pinger finished");
        (start.elapsed(), n)
    }
}

struct Mpsc;

impl ChanBody for Mpsc {
    async fn measure<R: Rt, C: Chan>(n: u64) -> (Duration, u64) {
        fan_in::<R, C>(n, PRODUCERS).await
    }
}

struct FanIn;

impl ChanBody for FanIn {
    async fn measure<R: Rt, C: Chan>(n: u64) -> (Duration, u64) {
        fan_in::<R, C>(FAN_IN_MSGS, n.max(1)).await
    }
}

/// `producers` tasks send `msgs` messages in all to one consumer: the time and the messages.
async fn fan_in<R: Rt, C: Chan>(msgs: u64, producers: u64) -> (Duration, u64) {
    let (tx, mut rx) = C::bounded(MSG_CAP);
    let (done_tx, done_rx) = oneshot::channel();
    let start = Instant::now();
    R::spawn(async move {
        let mut count = 0u64;
        while let Some(v) = C::recv(&mut rx).await {
            count += std::hint::black_box(v) & 1 | 1;
        }
        let _ = done_tx.send(count);
    });
    let units = produce_by::<R, C>(tx, msgs, producers);
    assert_eq!(done_rx.await.expect("consumer finished"), units);
    (start.elapsed(), units)
}

struct Mpmc;

impl ChanBody for Mpmc {
    async fn measure<R: Rt, C: Chan>(n: u64) -> (Duration, u64) {
        const CONSUMERS: usize = 4;
        let (tx, rx) = C::bounded(MSG_CAP);
        let rx = C::share(rx);
        let (done_tx, done_rx) = mpsc::channel::<u64>(CONSUMERS);
        let start = Instant::now();
        for _ in 0..CONSUMERS {
            let (rx, mut done_tx) = (rx.clone(), done_tx.clone());
            R::spawn(async move {
                let mut count = 0u64;
                while let Some(v) = C::recv_shared(&rx).await {
                    count += std::hint::black_box(v) & 1 | 1;
                }
                let _ = done_tx.try_send(count);
            });
        }
        drop((rx, done_tx));
        let units = produce_by::<R, C>(tx, n, PRODUCERS);
        let total: u64 = done_rx.collect::<Vec<u64>>().await.iter().sum();
        assert_eq!(total, units);
        (start.elapsed(), units)
    }
}

/// Spawns `producers` tasks sending `n / producers` (rounded up) messages each on `tx`;
/// returns how many messages they send in all.
fn produce_by<R: Rt, C: Chan>(tx: C::Tx, n: u64, producers: u64) -> u64 {
    let per = n.div_ceil(producers);
    for _ in 0..producers {
        let tx = tx.clone();
        R::spawn(async move {
            for i in 0..per {
                C::send(&tx, i).await;
            }
        });
    }
    per * producers
}

struct WorkerPool;

impl ChanBody for WorkerPool {
    async fn measure<R: Rt, C: Chan>(n: u64) -> (Duration, u64) {
        let (jobs_tx, jobs_rx) = C::bounded(POOL_CAP);
        let jobs_rx = C::share(jobs_rx);
        let (results_tx, mut results_rx) = C::bounded(POOL_CAP);
        let (done_tx, done_rx) = oneshot::channel();
        let start = Instant::now();
        for _ in 0..POOL_WORKERS {
            let (jobs_rx, results_tx) = (jobs_rx.clone(), results_tx.clone());
            R::spawn(async move {
                while let Some(j) = C::recv_shared(&jobs_rx).await {
                    C::send(&results_tx, work(j)).await;
                }
            });
        }
        drop((jobs_rx, results_tx));
        R::spawn(async move {
            for j in 0..n {
                C::send(&jobs_tx, j).await;
            }
        });
        R::spawn(async move {
            let (mut count, mut acc) = (0u64, 0u64);
            while let Some(r) = C::recv(&mut results_rx).await {
                count += 1;
                acc ^= r;
            }
            let _ = done_tx.send((count, acc));
        });
        let (count, acc) = done_rx.await.expect("collector finished");
        assert_eq!(count, n);
        std::hint::black_box(acc);
        (start.elapsed(), n)
    }
}

/// One job of the seed's worker pool: 1,000 xorshift steps.
pub fn work(job: u64) -> u64 {
    let mut x = job | 1;
    for _ in 0..1000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}
