//! The workloads, one module each, registered in [`WORKLOADS`].
//!
//! A workload is a [`Body`]: a function generic over the runtime ([`Rt`]) and, optionally, a
//! version on plain OS threads. The Go version, if any, lives in `benches/go/<name>.go` and
//! registers itself under the same name. The criterion benches call the bodies directly; the
//! harness runs them in child processes ([`Workload::run`]) and turns what they return
//! ([`Metrics`]) into tables.
//!
//! # Adding a workload
//!
//! 1. Write `src/workloads/<name>.rs` with a `Body` impl and a `pub const WORKLOAD: Workload`.
//! 2. Add it to [`WORKLOADS`] below.
//! 3. Optionally add `benches/go/<name>.go` calling `register("<name>", ...)`.
//!
//! A [`Kind::Throughput`] workload appears in the harness's executor table automatically, with
//! gmp/tokio and gmp/Go ratios; other kinds need a report in the harness (`src/harness/report.rs`).

pub mod blocking;
pub mod chained_spawn;
pub mod chan;
pub mod fairness;
pub mod lifo_strand;
pub mod net;
pub mod park;
pub mod ping_pong;
pub mod sleep_million;
pub mod spawn_many;
pub mod sync;
pub mod timer_precision;
pub mod yield_many;

use std::time::Duration;

use crate::rt::{OnRt, Peer, Rt, with_rt};

/// Every workload the harness knows, in report order.
pub const WORKLOADS: &[Workload] = &[
    spawn_many::WORKLOAD,
    chained_spawn::WORKLOAD,
    yield_many::WORKLOAD,
    ping_pong::WORKLOAD,
    park::WORKLOAD,
    lifo_strand::WORKLOAD,
    blocking::ALL_BLOCKED_SLEEP,
    blocking::ALL_BLOCKED_SPIN,
    blocking::BLOCKING_SLEEP,
    blocking::BLOCKING_SPIN,
    fairness::WORKLOAD,
    timer_precision::WORKLOAD,
    sleep_million::WORKLOAD,
    chan::PING_PONG,
    chan::MPSC,
    chan::MPMC,
    chan::WORKER_POOL,
    chan::FAN_IN,
    net::HTTP_HELLO,
    net::AXUM_HELLO,
    net::TCP_ECHO,
    sync::MUTEX_UNCONTENDED,
    sync::MUTEX_CONTENDED,
    sync::WAITGROUP_1M,
    sync::CONTEXT_CANCEL_100K,
    sync::ERRGROUP_LIMIT10,
];

/// Finds a workload by name.
pub fn find(name: &str) -> Option<&'static Workload> {
    WORKLOADS.iter().find(|w| w.name == name)
}

/// How big a run is: `Full` for the real numbers, `Quick` for smoke tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// The sizes the README quotes.
    Full,
    /// Small sizes: seconds for the whole harness.
    Quick,
}

/// What a workload measures, which decides how it is repeated and reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Time per unit; primary metric `ns`. Warm-up run plus several repetitions, median.
    Throughput {
        /// The unit, for the table: `"ns/task"`.
        unit: &'static str,
    },
    /// Memory per unit, in a fresh process; one repetition.
    Memory,
    /// A latency distribution over rounds; one repetition.
    Latency,
    /// A server under the harness's load generator ([`crate::load`]); primary metric `rps`
    /// (higher is better). Rounds of one fresh child per peer, interleaved, like `Throughput`.
    Net {
        /// The unit of `rps`: `"req/s"`.
        unit: &'static str,
    },
    /// Run only at several sizes for a cost-against-size curve (the harness's `curves`), not
    /// in a table; primary metric `ns`.
    Curve {
        /// The unit of the primary metric.
        unit: &'static str,
    },
}

/// One registered workload.
#[derive(Clone, Copy, Debug)]
pub struct Workload {
    /// Name on the command line (`--only`), in records, and of the Go program.
    pub name: &'static str,
    /// One line for `--list` and the report.
    pub about: &'static str,
    /// How it is repeated and reported.
    pub kind: Kind,
    /// The Rust peers it runs on (Go is decided by `benches/go`).
    pub peers: &'static [Peer],
    /// The size parameter `n` for a peer at a scale (its meaning is the workload's).
    pub size: fn(Peer, Scale) -> u64,
    /// Runs it in this process: `warmup` discarded repetitions, then `reps` measured ones.
    pub run: fn(Peer, Params) -> Result<Vec<Metrics>, String>,
}

/// The size and repetitions of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// The workload's size parameter.
    pub n: u64,
    /// Repetitions run first and thrown away.
    pub warmup: usize,
    /// Repetitions measured.
    pub reps: usize,
}

impl Workload {
    /// Warm-up and measured repetitions for this workload's kind at `scale`.
    pub fn reps(&self, scale: Scale) -> (usize, usize) {
        match (self.kind, scale) {
            (Kind::Throughput { .. }, Scale::Full) => (1, 4),
            (Kind::Throughput { .. }, Scale::Quick) => (1, 2),
            (Kind::Net { .. }, Scale::Full) => (0, 3),
            (Kind::Net { .. }, Scale::Quick) => (0, 1),
            (Kind::Memory | Kind::Latency, _) => (0, 1),
            (Kind::Curve { .. }, _) => (1, 1),
        }
    }

    /// The unit of the primary metric.
    pub fn unit(&self) -> &'static str {
        match self.kind {
            Kind::Throughput { unit } => unit,
            Kind::Memory => "B/unit",
            Kind::Latency => "us",
            Kind::Net { unit, .. } => unit,
            Kind::Curve { unit } => unit,
        }
    }
}

/// Named numbers measured by one repetition. The first one is the primary metric (`ns` for
/// throughput workloads).
pub type Metrics = Vec<(&'static str, f64)>;

/// A workload's code, once per runtime and optionally on threads.
pub trait Body {
    /// One repetition on an async runtime.
    fn on_rt<R: Rt>(rt: &R, n: u64) -> Metrics;

    /// One repetition on plain OS threads, if the workload has a thread version.
    fn on_threads(_n: u64) -> Option<Metrics> {
        None
    }
}

/// [`Workload::run`] for a [`Body`]: starts the peer's runtime once, runs the repetitions.
///
/// # Errors
///
/// When the peer is Go or the body has no version for the peer.
pub fn run_body<B: Body>(peer: Peer, p: Params) -> Result<Vec<Metrics>, String> {
    struct Reps<B>(Params, std::marker::PhantomData<B>);
    impl<B: Body> OnRt for Reps<B> {
        type Out = Vec<Metrics>;
        fn call<R: Rt>(self, rt: &R) -> Vec<Metrics> {
            let p = self.0;
            (0..p.warmup + p.reps)
                .map(|_| B::on_rt(rt, p.n))
                .skip(p.warmup)
                .collect()
        }
    }
    match peer {
        Peer::Threads => (0..p.warmup + p.reps)
            .map(|_| B::on_threads(p.n).ok_or_else(|| "no OS-thread version".to_string()))
            .skip(p.warmup)
            .collect(),
        Peer::Go => Err("Go runs from benches/go, not in this process".into()),
        _ => with_rt(peer, Reps::<B>(p, std::marker::PhantomData))
            .ok_or_else(|| format!("{peer} is not a runtime")),
    }
}

/// The primary metric of a throughput repetition: nanoseconds per unit.
pub fn per_unit(elapsed: Duration, units: u64) -> Metrics {
    vec![("ns", elapsed.as_nanos() as f64 / units.max(1) as f64)]
}

/// The median of `xs` (the mean of the middle two for an even count); `NaN` for none.
pub fn median(xs: &[f64]) -> f64 {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// The nearest-rank percentile `q` (0..=100) of `xs`; `NaN` for none.
pub fn percentile(xs: &[f64], q: f64) -> f64 {
    let mut v: Vec<f64> = xs.to_vec();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let rank = ((q / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

/// The summary of a latency distribution given in microseconds: `p99_us` (the primary metric),
/// `p50_us`, `max_us`. The latency workloads append their own counts.
pub fn latency_us(lat_us: &[f64]) -> Metrics {
    vec![
        ("p99_us", percentile(lat_us, 99.0)),
        ("p50_us", percentile(lat_us, 50.0)),
        ("max_us", percentile(lat_us, 100.0)),
    ]
}

/// Memory figures of this process, from `/proc/self/status` and `/proc/meminfo`, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemStat {
    /// Resident set size now (`VmRSS`).
    pub rss: u64,
    /// Peak resident set size (`VmHWM`).
    pub hwm: u64,
    /// Virtual size (`VmSize`).
    pub vm: u64,
    /// Machine-wide kernel stacks (`KernelStack` in `/proc/meminfo`): threads cost one each,
    /// outside any process's RSS. Noisy when other processes start threads.
    pub kernel_stack: u64,
}

impl MemStat {
    /// Reads the figures now (zeros where `/proc` is missing).
    pub fn now() -> MemStat {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        MemStat {
            rss: kib_field(&status, "VmRSS:"),
            hwm: kib_field(&status, "VmHWM:"),
            vm: kib_field(&status, "VmSize:"),
            kernel_stack: kib_field(&meminfo, "KernelStack:"),
        }
    }
}

fn kib_field(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        let xs: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&xs, 50.0), 10.0);
        assert_eq!(percentile(&xs, 99.0), 20.0);
        assert_eq!(percentile(&xs, 100.0), 20.0);
    }

    #[test]
    fn names_are_unique_and_sizes_positive() {
        for (i, w) in WORKLOADS.iter().enumerate() {
            assert!(
                WORKLOADS[..i].iter().all(|o| o.name != w.name),
                "duplicate {}",
                w.name
            );
            for &p in w.peers {
                assert!((w.size)(p, Scale::Quick) > 0 && (w.size)(p, Scale::Full) > 0);
            }
        }
    }

    #[test]
    fn memstat_reads_proc() {
        let m = MemStat::now();
        assert!(m.rss > 0 && m.hwm >= m.rss && m.vm >= m.rss);
    }
}
