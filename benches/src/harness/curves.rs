//! How cost grows with the work: key workloads run at several sizes, one fresh child per
//! (size, peer), gmp against every peer, charted log-log in the report.

use gmp_bench::workloads::Scale;

use super::record::Record;

/// A chart of a curve: its y label and the value of a point.
pub(crate) type CurveChart = (&'static str, fn(&Record) -> Option<f64>);

/// One curve: a workload over sizes, and what to chart of each point.
#[derive(Debug)]
pub(crate) struct Curve {
    pub(crate) title: &'static str,
    pub(crate) workload: &'static str,
    pub(crate) x_label: &'static str,
    pub(crate) points: fn(Scale) -> &'static [u64],
    /// Warm-up and measured repetitions per child.
    pub(crate) reps: (usize, usize),
    /// Each chart: its y label and the value of a point.
    pub(crate) charts: &'static [CurveChart],
}

/// The curves, in report order.
pub(crate) const CURVES: &[Curve] = &[
    Curve {
        title: "Spawn: cost per task from 1k to 1M tasks",
        workload: "spawn_many",
        x_label: "tasks spawned at once",
        points: |s| match s {
            Scale::Full => &[1_000, 10_000, 100_000, 1_000_000],
            Scale::Quick => &[1_000, 10_000, 100_000],
        },
        // One repetition per fresh process: its peak RSS growth is the tasks' own.
        reps: (0, 1),
        charts: &[
            ("ns per task", |r| r.primary()),
            ("bytes per task (peak RSS growth)", |r| {
                r.get("bytes_per_task")
            }),
        ],
    },
    Curve {
        title: "Channels: fan-in from 1 to 8 producers",
        workload: "chan_fan_in",
        x_label: "producers (one consumer, capacity 1024, 200k messages)",
        points: |_| &[1, 2, 4, 8],
        reps: (1, 1),
        charts: &[("ns per message", |r| r.primary())],
    },
    Curve {
        title: "Sleepers: 10k to 1M tasks each sleeping 1 s",
        workload: "sleep_million",
        x_label: "sleeping tasks",
        points: |s| match s {
            Scale::Full => &[10_000, 100_000, 1_000_000],
            Scale::Quick => &[1_000, 10_000],
        },
        reps: (0, 1),
        charts: &[
            ("wall time past the 1 s sleep (ms)", |r| {
                r.get("wall_s").map(|w| ((w - 1.0) * 1e3).max(0.01))
            }),
            ("peak RSS per sleeper (bytes, runtime included)", |r| {
                r.get("peak_rss_mib")
                    .map(|m| m * 1_048_576.0 / r.n.max(1) as f64)
            }),
        ],
    },
];
