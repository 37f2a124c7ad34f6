//! The tables. Each report reads the records of the workloads it names; a workload no report
//! claims is printed by a generic table of all its metrics, so a new workload shows up without
//! touching this file. A new [`Kind::Throughput`](gmp_bench::workloads::Kind) workload joins
//! the executor table by itself.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::Duration;

use gmp_bench::affinity;
use gmp_bench::rt::{Peer, WORKERS};
use gmp_bench::workloads::chan::GOALS;
use gmp_bench::workloads::lifo_strand::{BLOCK, GOAL as LIFO_GOAL, STRANDED};
use gmp_bench::workloads::net::CONNS;
use gmp_bench::workloads::sync::is_sync;
use gmp_bench::workloads::{Kind, WORKLOADS, Workload};
use gmp_bench::workloads::{blocking, fairness, timer_precision};

use super::record::Record;

/// What became of one (workload, peer) cell.
#[derive(Debug)]
pub(crate) enum Cell {
    Measured(Record),
    /// The child failed or timed out.
    Failed,
    /// Not run: gmp's scheduler is missing, or Go is.
    Skipped,
}

/// Everything measured in this run.
#[derive(Debug, Default)]
pub(crate) struct Results {
    pub(crate) cells: BTreeMap<(String, Peer), Cell>,
}

impl Results {
    fn get(&self, workload: &str, peer: Peer) -> Option<&Cell> {
        self.cells.get(&(workload.to_string(), peer))
    }

    fn record(&self, workload: &str, peer: Peer) -> Option<&Record> {
        match self.get(workload, peer) {
            Some(Cell::Measured(r)) => Some(r),
            _ => None,
        }
    }

    /// The text of a cell: `f(record)` if measured, `n/a` if skipped, `FAILED` if the child
    /// failed, `-` if the workload does not run on this peer.
    fn show(&self, workload: &str, peer: Peer, f: impl FnOnce(&Record) -> String) -> String {
        match self.get(workload, peer) {
            Some(Cell::Measured(r)) => f(r),
            Some(Cell::Failed) => "FAILED".into(),
            Some(Cell::Skipped) => "n/a".into(),
            None => "-".into(),
        }
    }
}

/// Facts about the machine a report needs.
#[derive(Debug)]
pub(crate) struct Machine {
    /// The most threads this process could have, and the limit that binds.
    pub(crate) thread_limit: Option<(u64, String)>,
    /// The server's and the load generator's CPUs for the network rows, if pinned.
    pub(crate) pinning: Option<(Vec<usize>, Vec<usize>)>,
}

/// A text table in Markdown pipe syntax, columns aligned.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub(crate) headers: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub(crate) fn render(&self) -> String {
        let cols = self.headers.len();
        let width = |i: usize| {
            std::iter::once(&self.headers)
                .chain(&self.rows)
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..cols).map(width).collect();
        let line = |cells: &[String]| {
            let mut s = String::from("|");
            for (i, w) in widths.iter().enumerate() {
                let c = cells.get(i).map_or("", String::as_str);
                let _ = write!(s, " {c:<w$} |");
            }
            s
        };
        let mut out = line(&self.headers);
        out.push('\n');
        out.push('|');
        for w in &widths {
            let _ = write!(out, "{}|", "-".repeat(w + 2));
        }
        for r in &self.rows {
            out.push('\n');
            out.push_str(&line(r));
        }
        out
    }
}

/// `123 ns`, `4.5 us`, `6.7 ms`, `1.23 s`.
pub(crate) fn fmt_ns(ns: f64) -> String {
    if ns.is_nan() {
        "?".into()
    } else if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.1} us", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.1} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// `512 B`, `3.1 KiB`, `290 MiB`, `2.6 GiB`, `1.9 TiB`.
pub(crate) fn fmt_bytes(b: f64) -> String {
    const K: f64 = 1024.0;
    if b.is_nan() {
        "?".into()
    } else if b < K {
        format!("{b:.0} B")
    } else if b < K * K {
        format!("{:.1} KiB", b / K)
    } else if b < K * K * K {
        format!("{:.0} MiB", b / (K * K))
    } else if b < K * K * K * K {
        format!("{:.1} GiB", b / (K * K * K))
    } else {
        format!("{:.1} TiB", b / (K * K * K * K))
    }
}

fn fmt_count(n: f64) -> String {
    if n >= 1e6 && n % 1e6 == 0.0 {
        format!("{}M", n / 1e6)
    } else if n >= 1e3 && n % 1e3 == 0.0 {
        format!("{}k", n / 1e3)
    } else {
        format!("{n:.0}")
    }
}

/// The seed chapter's goroutine-vs-thread table, measured.
fn seed_table(res: &Results, m: &Machine) -> String {
    let cols = [
        Peer::Gmp,
        Peer::Threads,
        Peer::Tokio,
        Peer::AsyncExecutor,
        Peer::Go,
    ];
    let mut t = Table::new(&[
        "property",
        "gmp task",
        "OS thread",
        "tokio task",
        "async-executor task",
        "Go goroutine",
        "seed: goroutine / thread",
    ]);
    let row = |label: &str, seed: &str, f: &dyn Fn(Peer) -> String| {
        let mut r = vec![label.to_string()];
        r.extend(cols.iter().map(|&p| f(p)));
        r.push(seed.to_string());
        r
    };
    t.row(row("creation (spawn+run+exit)", "~0.3 us / ~10 us", &|p| {
        res.show("spawn_many", p, |r| fmt_ns(r.primary().unwrap_or(f64::NAN)))
    }));
    t.row(row(
        "context switch (one-way hand-off)",
        "~100 ns / ~1-10 us",
        &|p| {
            res.show("ping_pong", p, |r| {
                fmt_ns(r.primary().unwrap_or(f64::NAN) / 2.0)
            })
        },
    ));
    t.row(row(
        "memory per parked unit (peak RSS)",
        "~4 KB / ~1 MB+",
        &|p| {
            res.show("park", p, |r| {
                let mut s = fmt_bytes(r.get("peak_bytes_per_unit").unwrap_or(f64::NAN));
                if p == Peer::Threads {
                    let ks = r.get("kernel_stack_bytes_per_unit").unwrap_or(0.0);
                    if ks > 0.0 {
                        let _ = write!(s, " + {} kernel stack", fmt_bytes(ks));
                    }
                }
                s
            })
        },
    ));
    t.row(row(
        "address space per unit (virtual)",
        "2 KB / 1-8 MB stack",
        &|p| {
            res.show("park", p, |r| {
                fmt_bytes(r.get("vm_bytes_per_unit").unwrap_or(f64::NAN))
            })
        },
    ));
    t.row(row("a million units", "millions / thousands", &|p| {
        res.show("park", p, |r| million(r, p, m))
    }));
    let mut s = t.render();
    s.push_str("\n(creation: spawn_many; context switch: ping_pong round trip / 2; memory and a million: park)");
    if let Some(r) = res.record("park", Peer::Threads) {
        s.push('\n');
        s.push_str(&threads_note(r, m));
    }
    s
}

/// The "a million units" cell: measured for tasks, extrapolated (and said so) for threads.
fn million(r: &Record, peer: Peer, m: &Machine) -> String {
    let units = r.get("units").unwrap_or(0.0);
    let park = r.get("park_ns_per_unit").unwrap_or(f64::NAN) * units;
    let peak = r.get("peak_bytes_per_unit").unwrap_or(f64::NAN);
    if peer == Peer::Threads {
        return match &m.thread_limit {
            Some((limit, _)) => format!("not attempted (max ~{} here)", fmt_count(*limit as f64)),
            None => "not attempted".into(),
        };
    }
    if units >= 1e6 {
        format!(
            "{}: {}, RSS {}",
            fmt_count(units),
            fmt_ns(park),
            fmt_bytes(r.get("rss_total_bytes").unwrap_or(f64::NAN))
        )
    } else {
        format!("{} only; 1M ~ {}", fmt_count(units), fmt_bytes(peak * 1e6))
    }
}

/// The honest note under the table: what a million threads would take, from what was measured.
fn threads_note(r: &Record, m: &Machine) -> String {
    let units = r.get("units").unwrap_or(0.0);
    let get = |k: &str| r.get(k).unwrap_or(f64::NAN);
    let mut s = format!(
        "OS threads, a million: not attempted. Measured {} parked threads ({} to start them all): {} RSS \
         + {} kernel stack + {} address space each, so 1M would need ~{} RSS + {} kernel memory and \
         {} of address space",
        fmt_count(units),
        fmt_ns(get("park_ns_per_unit") * units),
        fmt_bytes(get("peak_bytes_per_unit")),
        fmt_bytes(get("kernel_stack_bytes_per_unit")),
        fmt_bytes(get("vm_bytes_per_unit")),
        fmt_bytes(get("peak_bytes_per_unit") * 1e6),
        fmt_bytes(get("kernel_stack_bytes_per_unit") * 1e6),
        fmt_bytes(get("vm_bytes_per_unit") * 1e6),
    );
    if let Some((limit, why)) = &m.thread_limit {
        let _ = write!(s, "; this machine stops at ~{limit} threads ({why})");
    }
    s.push('.');
    s
}

/// The executor workloads ([`Kind::Throughput`]) with gmp's ratios to tokio and Go.
fn workloads_table(res: &Results) -> String {
    let mut t = Table::new(&[
        "workload",
        "unit",
        "n",
        "gmp",
        "tokio",
        "async-executor",
        "Go",
        "gmp/tokio",
        "gmp/Go",
    ]);
    for w in WORKLOADS
        .iter()
        .filter(|w| matches!(w.kind, Kind::Throughput { .. }) && !is_sync(w.name))
    {
        if !Peer::ALL.iter().any(|&p| res.get(w.name, p).is_some()) {
            continue;
        }
        let num = |p| {
            res.show(w.name, p, |r| {
                format!("{:.1}", r.primary().unwrap_or(f64::NAN))
            })
        };
        let ratio = |other| match (res.record(w.name, Peer::Gmp), res.record(w.name, other)) {
            (Some(g), Some(o)) => format!(
                "{:.2}x",
                g.primary().unwrap_or(f64::NAN) / o.primary().unwrap_or(f64::NAN)
            ),
            _ => "n/a".into(),
        };
        let n = Peer::ASYNC
            .iter()
            .chain(&[Peer::Go])
            .find_map(|&p| res.record(w.name, p))
            .map_or("-".into(), |r| fmt_count(r.n as f64));
        t.row(vec![
            w.name.into(),
            w.unit().into(),
            n,
            num(Peer::Gmp),
            num(Peer::Tokio),
            num(Peer::AsyncExecutor),
            num(Peer::Go),
            ratio(Peer::Tokio),
            ratio(Peer::Go),
        ]);
    }
    t.render()
}

/// The network workloads ([`Kind::Net`]): throughput and p99 per peer, gmp's ratios, and the
/// goal for `http_hello`.
fn net_table(res: &Results, m: &Machine) -> String {
    let mut t = Table::new(&[
        "workload",
        "unit",
        "s x rounds",
        "gmp",
        "p99",
        "tokio",
        "p99",
        "Go",
        "p99",
        "gmp/tokio",
        "gmp/Go",
    ]);
    let mut notes = String::new();
    for w in WORKLOADS
        .iter()
        .filter(|w| matches!(w.kind, Kind::Net { .. }))
    {
        if !Peer::ALL.iter().any(|&p| res.get(w.name, p).is_some()) {
            continue;
        }
        let rps = |r: &Record| r.primary().unwrap_or(f64::NAN);
        let p99 = |r: &Record| r.get("p99_us").unwrap_or(f64::NAN);
        let ratio = |other| match (res.record(w.name, Peer::Gmp), res.record(w.name, other)) {
            (Some(g), Some(o)) => format!("{:.2}x", rps(g) / rps(o)),
            _ => "n/a".into(),
        };
        let n = [Peer::Gmp, Peer::Tokio, Peer::Go]
            .iter()
            .find_map(|&p| res.record(w.name, p))
            .map_or("-".into(), |r| format!("{} x {}", r.n, r.samples.len()));
        let mut row = vec![w.name.into(), w.unit().into(), n];
        for p in [Peer::Gmp, Peer::Tokio, Peer::Go] {
            row.push(res.show(w.name, p, |r| fmt_count(rps(r))));
            row.push(res.show(w.name, p, |r| fmt_ns(p99(r) * 1e3)));
        }
        row.push(ratio(Peer::Tokio));
        row.push(ratio(Peer::Go));
        t.row(row);
        if let (Some(g), Some(o)) = (
            res.record(w.name, Peer::Gmp),
            res.record(w.name, Peer::Tokio),
        ) {
            let per: Vec<String> = g
                .samples
                .iter()
                .zip(&o.samples)
                .map(|(a, b)| format!("{:.2}", a / b))
                .collect();
            let _ = writeln!(notes, "{} gmp/tokio per round: {}", w.name, per.join(", "));
        }
    }
    let mut s = t.render();
    s.push_str("\n\n");
    s.push_str(&notes);
    if let Some(g) = res.record("http_hello", Peer::Gmp) {
        let rps = |r: &Record| r.primary().unwrap_or(f64::NAN);
        let p99 = |r: &Record| r.get("p99_us");
        let verdict = match (
            res.record("http_hello", Peer::Tokio),
            res.record("http_hello", Peer::Go),
        ) {
            (Some(t), Some(go)) => {
                let p99_ok = [t, go]
                    .iter()
                    .all(|o| p99(g).zip(p99(o)).is_some_and(|(a, b)| a <= b));
                if rps(g) >= 1.1 * rps(t) && rps(g) >= rps(go) && p99_ok {
                    "goal met"
                } else {
                    "GOAL MISSED"
                }
            }
            _ => "n/a (needs tokio and Go)",
        };
        let _ = writeln!(
            s,
            "\ngoal (http_hello): >= 1.1x tokio's requests per second and >= Go's, with \
             p99 latency no worse: {verdict}"
        );
    }
    if let (Some(g), Some(t)) = (
        res.record("axum_hello", Peer::Gmp),
        res.record("axum_hello", Peer::Tokio),
    ) {
        let rps = |r: &Record| r.primary().unwrap_or(f64::NAN);
        let p99 = |r: &Record| r.get("p99_us");
        let p99_ok = p99(g).zip(p99(t)).is_some_and(|(a, b)| a <= b);
        let verdict = if rps(g) >= 1.1 * rps(t) && p99_ok {
            "goal met"
        } else {
            "GOAL MISSED"
        };
        let _ = writeln!(
            s,
            "goal (axum_hello): gmp::http::serve >= 1.1x tokio's axum::serve in requests per \
             second, with p99 latency no worse: {verdict}"
        );
    }
    let _ = write!(
        s,
        "\nNote: each server runs {WORKERS} workers; the load generator (gmp-bench --load: {CONNS} \
         keep-alive connections, one epoll thread per client core, a closed loop like wrk's) is \
         the same for every server. {}. Loopback only; medians over interleaved rounds, one fresh \
         server process per round.",
        match &m.pinning {
            Some((server, client)) => format!(
                "Pinned apart: server on CPU {}, load generator on CPU {}",
                affinity::format(server),
                affinity::format(client)
            ),
            None => "Not pinned (one CPU): server and load generator share it".into(),
        }
    );
    s
}

/// The channel goals: gmp's time as a fraction of Go's, per channel workload run.
fn chan_goals_table(res: &Results) -> String {
    let mut t = Table::new(&["channel goal", "gmp/Go", "verdict"]);
    for &(name, goal) in GOALS {
        if res.get(name, Peer::Gmp).is_none() {
            continue;
        }
        let ratio = match (res.record(name, Peer::Gmp), res.record(name, Peer::Go)) {
            (Some(g), Some(o)) => g.primary().unwrap_or(f64::NAN) / o.primary().unwrap_or(f64::NAN),
            _ => f64::NAN,
        };
        let verdict = if ratio.is_nan() {
            "n/a"
        } else if ratio <= goal {
            "goal met"
        } else {
            "GOAL MISSED"
        };
        t.row(vec![
            format!("{name} <= {goal}x Go"),
            if ratio.is_nan() {
                "n/a".into()
            } else {
                format!("{ratio:.2}x")
            },
            verdict.into(),
        ]);
    }
    t.render()
}

/// The executor's relative goals: gmp's `metric` (`None`: the primary one) at most `goal` times
/// `peer`'s, lower being better.
const EXEC_GOALS: &[(&str, Option<&str>, Peer, f64)] = &[
    ("spawn_many", None, Peer::Go, 0.6),
    ("spawn_many", None, Peer::Tokio, 0.4),
    ("spawn_many", Some("peak_rss"), Peer::Tokio, 1.0 / 3.0),
    ("chained_spawn", None, Peer::Go, 0.6),
];

/// sleep_million's absolute goals: wall time (s) and peak RSS (MiB), at most.
const SLEEP_MILLION_GOALS: (f64, f64) = (1.15, 160.0);

/// The executor goals' verdicts, one row per goal whose workload ran on gmp.
fn exec_goals_table(res: &Results) -> String {
    let mut t = Table::new(&["executor goal", "gmp/peer", "verdict"]);
    for &(name, metric, peer, goal) in EXEC_GOALS {
        if res.get(name, Peer::Gmp).is_none() {
            continue;
        }
        let value = |p| {
            res.record(name, p).and_then(|r| match metric {
                Some(m) => r.get(m),
                None => r.primary(),
            })
        };
        let ratio = match (value(Peer::Gmp), value(peer)) {
            (Some(g), Some(o)) => Some(g / o),
            _ => None,
        };
        let what = metric.map_or(String::new(), |m| format!(" {m}"));
        t.row(vec![
            format!("{name}{what} <= {goal:.2}x {peer}"),
            ratio.map_or("n/a".into(), |r| format!("{r:.2}x")),
            match ratio {
                None => "n/a",
                Some(r) if r <= goal => "goal met",
                Some(_) => "GOAL MISSED",
            }
            .into(),
        ]);
    }
    t.render()
}

/// sleep_million's goal line: `goal: wall <= 1.15 s and peak RSS <= 160 MiB: ...`.
fn sleep_million_goal(res: &Results) -> Option<String> {
    let r = res.record("sleep_million", Peer::Gmp)?;
    let (wall, rss) = (r.get("wall_s")?, r.get("peak_rss_mib")?);
    let (max_wall, max_rss) = SLEEP_MILLION_GOALS;
    let verdict = if r.n != 1_000_000 {
        "n/a (the goal is for a million sleepers)"
    } else if wall <= max_wall && rss <= max_rss {
        "goal met"
    } else {
        "GOAL MISSED"
    };
    Some(format!(
        "goal (gmp): wall <= {max_wall} s and peak RSS <= {max_rss} MiB: {wall:.2} s, \
         {rss:.1} MiB: {verdict}"
    ))
}

/// The goal of a sync row: gmp at most 1.0x the faster of tokio and Go.
pub(crate) fn sync_goal(gmp: Option<f64>, tokio: Option<f64>, go: Option<f64>) -> (String, String) {
    let best = [tokio, go]
        .into_iter()
        .flatten()
        .filter(|v| !v.is_nan())
        .min_by(f64::total_cmp);
    match (gmp.filter(|v| !v.is_nan()), best) {
        (Some(g), Some(b)) => (
            format!("{:.2}x", g / b),
            if g <= b { "goal met" } else { "GOAL MISSED" }.into(),
        ),
        _ => ("n/a".into(), "n/a".into()),
    }
}

/// The sync workloads (gmp-sync vs tokio::sync vs Go) with ratios and the goal per row.
fn sync_table(res: &Results) -> String {
    let mut t = Table::new(&[
        "workload",
        "unit",
        "n",
        "gmp",
        "tokio",
        "Go",
        "gmp/tokio",
        "gmp/Go",
        "gmp/best",
        "goal: <= 1.0x faster of tokio, Go",
    ]);
    for w in WORKLOADS.iter().filter(|w| is_sync(w.name)) {
        if !Peer::ALL.iter().any(|&p| res.get(w.name, p).is_some()) {
            continue;
        }
        let val = |p| res.record(w.name, p).and_then(Record::primary);
        let num = |p| {
            res.show(w.name, p, |r| {
                format!("{:.1}", r.primary().unwrap_or(f64::NAN))
            })
        };
        let ratio = |o: Option<f64>| match (val(Peer::Gmp), o) {
            (Some(g), Some(o)) => format!("{:.2}x", g / o),
            _ => "n/a".into(),
        };
        let (best, goal) = sync_goal(val(Peer::Gmp), val(Peer::Tokio), val(Peer::Go));
        let n = [Peer::Gmp, Peer::Tokio, Peer::Go]
            .iter()
            .find_map(|&p| res.record(w.name, p))
            .map_or("-".into(), |r| fmt_count(r.n as f64));
        t.row(vec![
            w.name.into(),
            w.unit().into(),
            n,
            num(Peer::Gmp),
            num(Peer::Tokio),
            num(Peer::Go),
            ratio(val(Peer::Tokio)),
            ratio(val(Peer::Go)),
            best,
            goal,
        ]);
    }
    let mut s = t.render();
    s.push_str(
        "\n(gmp: gmp-sync on gmp; tokio: tokio::sync or its idiom on tokio (waitgroup: await \
         JoinHandles; context: watch + Barrier + JoinSet; errgroup: Semaphore(10) + JoinSet); Go: \
         sync, context, a channel semaphore. context_cancel: ms from cancel() until every waiter \
         finished, setup excluded.)",
    );
    s
}

/// Peak RSS of the spawn_many children (gmp's memory goal: gmp under a third of tokio).
fn spawn_rss_line(res: &Results) -> String {
    let rss = |p| res.record("spawn_many", p).and_then(|r| r.get("peak_rss"));
    let show = |p| rss(p).map_or("-".to_string(), fmt_bytes);
    let ratio = match (rss(Peer::Gmp), rss(Peer::Tokio)) {
        (Some(g), Some(t)) => format!("{:.2}x", g / t),
        _ => "n/a".into(),
    };
    format!(
        "spawn_many peak RSS (whole child process): gmp {}, tokio {}, async-executor {} (gmp/tokio {ratio})",
        show(Peer::Gmp),
        show(Peer::Tokio),
        show(Peer::AsyncExecutor)
    )
}

/// A column of a [`latency_table`] after p50/p99/max: its header and its cell for a measured
/// (workload, peer).
type Column<'a> = (&'a str, &'a dyn Fn(&str, Peer, &Record) -> String);

/// The latency reports' shape: one row per (workload, peer) run, with p50, p99 and max (the
/// metrics `p50_us`, `p99_us`, `max_us`), the `extra` columns, and on gmp's row its p99 goal
/// with a verdict. Workloads not run are left out, and so is the workload column when `goals`
/// names only one.
fn latency_table(res: &Results, goals: &[(&str, Duration)], extra: &[Column<'_>]) -> String {
    let many = goals.len() > 1;
    let mut headers = if many { vec!["workload"] } else { vec![] };
    headers.extend(["peer", "p50", "p99", "max"]);
    headers.extend(extra.iter().map(|(h, _)| *h));
    headers.push("gmp goal");
    let mut t = Table::new(&headers);
    let us = |r: &Record, k: &str| fmt_ns(r.get(k).unwrap_or(f64::NAN) * 1e3);
    for &(w, goal) in goals {
        if !Peer::ALL.iter().any(|&p| res.get(w, p).is_some()) {
            continue;
        }
        for p in Peer::ALL
            .into_iter()
            .filter(|&p| p != Peer::Threads || res.get(w, p).is_some())
        {
            let mut row = if many { vec![w.to_string()] } else { vec![] };
            row.push(p.name().into());
            for k in ["p50_us", "p99_us", "max_us"] {
                row.push(res.show(w, p, |r| us(r, k)));
            }
            row.extend(extra.iter().map(|(_, f)| res.show(w, p, |r| f(w, p, r))));
            row.push(if p == Peer::Gmp {
                p99_goal(res, w, goal)
            } else {
                String::new()
            });
            t.row(row);
        }
    }
    t.render()
}

/// gmp's p99 against `goal`: `p99 <= 15.0 ms: goal met` (or `GOAL MISSED`, or `n/a`).
fn p99_goal(res: &Results, workload: &str, goal: Duration) -> String {
    let verdict = match res
        .record(workload, Peer::Gmp)
        .and_then(|r| r.get("p99_us"))
    {
        Some(p99) if p99 <= goal.as_secs_f64() * 1e6 => "goal met",
        Some(_) => "GOAL MISSED",
        None => "n/a",
    };
    format!("p99 <= {}: {verdict}", fmt_ns(goal.as_nanos() as f64))
}

/// `lifo_strand`: wake-to-run latency of a task woken by a thread that then blocks.
fn lifo_table(res: &Results) -> String {
    let stranded = |_: &str, _: Peer, r: &Record| {
        format!(
            "{:.0}/{:.0}",
            r.get("stranded").unwrap_or(f64::NAN),
            r.get("rounds").unwrap_or(f64::NAN)
        )
    };
    let how = |_: &str, p: Peer, _: &Record| {
        if p == Peer::Go {
            "syscall.Nanosleep (P handed off by sysmon)"
        } else {
            "std::thread::sleep"
        }
        .to_string()
    };
    let mut s = latency_table(
        res,
        &[("lifo_strand", LIFO_GOAL)],
        &[
            ("stranded", &stranded),
            ("how the waker blocks its thread", &how),
        ],
    );
    let _ = write!(
        s,
        "\n(block {} per round, 2 workers, the other idle; stranded = latency >= {}.)",
        fmt_ns(BLOCK.as_nanos() as f64),
        fmt_ns(STRANDED.as_nanos() as f64)
    );
    s
}

/// The blocked-worker and fairness workloads: spawn-to-run latency of probes while tasks block their threads
/// (`all_blocked_*`, `blocking_*`), and a ticker's lateness behind busy loops (`fairness`).
fn sysmon_table(res: &Results) -> String {
    let samples = |w: &str, _: Peer, r: &Record| {
        let get = |k| r.get(k).unwrap_or(f64::NAN);
        if w == timer_precision::GOAL.0 {
            return format!("{:.0} sleeps, CPU {:.0}%", get("sleeps"), get("cpu_pct"));
        }
        if w != fairness::GOAL.0 {
            return format!("{:.0} probes", get("probes"));
        }
        let (ticks, due) = (get("ticks"), get("due"));
        let mut c = format!("{ticks:.0}/{due:.0} ticks");
        if ticks < due * fairness::STARVED_BELOW {
            c.push_str(": ticker starved");
        }
        c
    };
    let goals: Vec<(&str, Duration)> = blocking::GOALS
        .iter()
        .copied()
        .chain([fairness::GOAL, timer_precision::GOAL])
        .collect();
    let mut s = latency_table(res, &goals, &[("samples", &samples)]);
    let _ = write!(
        s,
        "\n(2 workers. all_blocked: both workers' tasks, blocking: one task, hold their thread {} \
         per round, yielding between rounds, while a plain thread spawns a probe every {} \
         (Go: the main goroutine, which needs a P itself: with both busy it starts fewer, see \
         samples); _sleep: std::thread::sleep (Go: \
         syscall.Nanosleep), _spin: a busy loop. fairness: two tasks loop on always-ready \
         channel ops (gmp::chan, tokio mpsc, async-channel, Go chan) while a {} ticker runs; \
         the loops stop by themselves {} after the ticking time, so a starved ticker cannot \
         hang the run. timer_precision: one task sleeps {} at a time on an otherwise idle \
         runtime (each peer's own timer; async-executor: async-io); lateness of each wake-up, \
         and the process's CPU use meanwhile in % of one core.)",
        fmt_ns(blocking::BLOCK.as_nanos() as f64),
        fmt_ns(blocking::PROBE_EVERY.as_nanos() as f64),
        fmt_ns(fairness::PERIOD.as_nanos() as f64),
        fmt_ns(fairness::GRACE.as_nanos() as f64),
        fmt_ns(timer_precision::SLEEP.as_nanos() as f64),
    );
    s
}

/// Any workload no report claims: every metric, per peer.
fn generic_table(res: &Results, workload: &str) -> String {
    let recs: Vec<(Peer, &Cell)> = Peer::ALL
        .iter()
        .filter_map(|&p| res.get(workload, p).map(|c| (p, c)))
        .collect();
    let keys: Vec<String> = recs
        .iter()
        .find_map(|(_, c)| match c {
            Cell::Measured(r) => Some(r.metrics.iter().map(|(k, _)| k.clone()).collect()),
            _ => None,
        })
        .unwrap_or_default();
    let mut headers = vec!["peer", "n"];
    headers.extend(keys.iter().map(String::as_str));
    let mut t = Table::new(&headers);
    for (p, _) in recs {
        let mut row = vec![
            p.name().to_string(),
            res.show(workload, p, |r| fmt_count(r.n as f64)),
        ];
        row.extend(keys.iter().map(|k| {
            res.show(workload, p, |r| {
                r.get(k).map_or("?".into(), |v| format!("{v:.2}"))
            })
        }));
        t.row(row);
    }
    t.render()
}

/// One table of the report: its heading, its text (a Markdown table and notes), its chart.
#[derive(Debug)]
pub(crate) struct Section {
    pub(crate) title: String,
    pub(crate) text: String,
    pub(crate) chart: Option<Chart>,
}

/// What a section's chart shows.
#[derive(Debug)]
pub(crate) enum Chart {
    /// Per row, every peer's value relative to the best peer's (1.0 = the best).
    Bars(Vec<BarRow>),
    /// Cost against size, one line per peer ([`super::curves`]).
    Lines(LineChart),
    /// `--compare`: each (workload, peer)'s new/old ratio with its noise band.
    Changes(Vec<super::compare::Change>),
}

/// One row of a [`Chart::Bars`].
#[derive(Debug)]
pub(crate) struct BarRow {
    pub(crate) label: String,
    pub(crate) higher_is_better: bool,
    /// Each measured peer's value and how to show it.
    pub(crate) values: Vec<(Peer, f64, String)>,
    /// gmp's goal, in the values' unit, and how to show it.
    pub(crate) goal: Option<(f64, String)>,
}

impl BarRow {
    /// The best value of the row (the lowest, or the highest when higher is better).
    pub(crate) fn best(&self) -> Option<f64> {
        let vals = self
            .values
            .iter()
            .map(|v| v.1)
            .filter(|v| v.is_finite() && *v > 0.0);
        if self.higher_is_better {
            vals.max_by(f64::total_cmp)
        } else {
            vals.min_by(f64::total_cmp)
        }
    }

    /// How many times worse than the best `v` is (1.0 for the best).
    pub(crate) fn vs_best(&self, v: f64) -> f64 {
        let best = self.best().unwrap_or(f64::NAN);
        if self.higher_is_better {
            best / v
        } else {
            v / best
        }
    }
}

/// A [`Chart::Lines`]: one series per peer of (size, value).
#[derive(Debug)]
pub(crate) struct LineChart {
    pub(crate) x_label: String,
    pub(crate) y_label: String,
    pub(crate) series: Vec<(Peer, Vec<(f64, f64)>)>,
}

/// A bar row of `workload` with the value `f(record)` of each measured peer.
fn bar_row(
    res: &Results,
    label: &str,
    workload: &str,
    higher_is_better: bool,
    f: &dyn Fn(&Record) -> Option<f64>,
    show: &dyn Fn(f64) -> String,
) -> BarRow {
    BarRow {
        label: label.to_string(),
        higher_is_better,
        values: Peer::ALL
            .iter()
            .filter_map(|&p| {
                let v = res.record(workload, p).and_then(f)?;
                (v.is_finite() && v > 0.0).then(|| (p, v, show(v)))
            })
            .collect(),
        goal: None,
    }
}

fn primary(r: &Record) -> Option<f64> {
    r.primary()
}

fn show_num(unit: &'static str) -> impl Fn(f64) -> String {
    move |v| format!("{} {unit}", sig3(v))
}

/// Three significant digits: `812`, `14.2`, `0.253`, `61234`.
fn sig3(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// Keeps the rows that have at least one value.
fn bars(rows: Vec<BarRow>) -> Option<Chart> {
    let rows: Vec<BarRow> = rows.into_iter().filter(|r| !r.values.is_empty()).collect();
    (!rows.is_empty()).then_some(Chart::Bars(rows))
}

/// A latency row: p99 per peer, with gmp's goal.
fn p99_row(res: &Results, workload: &str, goal: Duration) -> BarRow {
    let mut r = bar_row(
        res,
        &format!("{workload} (p99)"),
        workload,
        false,
        &|r| r.get("p99_us"),
        &|v| fmt_ns(v * 1e3),
    );
    let g = goal.as_secs_f64() * 1e6;
    r.goal = Some((g, format!("goal p99 <= {}", fmt_ns(g * 1e3))));
    r
}

/// Every section for the workloads in `res`, in report order.
pub(crate) fn sections(res: &Results, m: &Machine) -> Vec<Section> {
    let present: BTreeSet<&str> = res.cells.keys().map(|(w, _)| w.as_str()).collect();
    let mut claimed: BTreeSet<&str> = BTreeSet::new();
    let mut out = Vec::new();
    let mut add = |title: &str, text: String, chart: Option<Chart>| {
        out.push(Section {
            title: title.to_string(),
            text,
            chart,
        })
    };
    if ["spawn_many", "ping_pong", "park"]
        .iter()
        .any(|w| present.contains(w))
    {
        let rows = vec![
            bar_row(
                res,
                "creation (spawn+run+exit)",
                "spawn_many",
                false,
                &primary,
                &|v| fmt_ns(v),
            ),
            bar_row(
                res,
                "context switch (one-way hand-off)",
                "ping_pong",
                false,
                &|r| r.primary().map(|v| v / 2.0),
                &|v| fmt_ns(v),
            ),
            bar_row(
                res,
                "memory per parked unit (peak RSS)",
                "park",
                false,
                &|r| r.get("peak_bytes_per_unit"),
                &|v| fmt_bytes(v),
            ),
        ];
        add(
            "Goroutines vs OS threads: the seed chapter's table, measured",
            seed_table(res, m),
            bars(rows),
        );
        claimed.insert("park");
    }
    let throughput: Vec<&Workload> = WORKLOADS
        .iter()
        .filter(|w| matches!(w.kind, Kind::Throughput { .. }) && !is_sync(w.name))
        .collect();
    if throughput.iter().any(|w| present.contains(w.name)) {
        let mut text = workloads_table(res);
        text.push('\n');
        text.push_str(&spawn_rss_line(res));
        if EXEC_GOALS.iter().any(|(w, ..)| present.contains(w)) {
            text.push_str("\n\nExecutor goals: gmp's figure as a fraction of a peer's\n\n");
            text.push_str(&exec_goals_table(res));
        }
        if GOALS.iter().any(|(w, _)| present.contains(w)) {
            text.push_str("\n\nChannel goals: gmp's time as a fraction of Go's\n\n");
            text.push_str(&chan_goals_table(res));
        }
        let rows = throughput
            .iter()
            .map(|w| {
                let mut r = bar_row(res, w.name, w.name, false, &primary, &show_num(w.unit()));
                let goal = GOALS.iter().find(|(n, _)| *n == w.name);
                if let (Some(&(_, g)), Some(go)) =
                    (goal, res.record(w.name, Peer::Go).and_then(Record::primary))
                {
                    r.goal = Some((g * go, format!("goal <= {g}x Go")));
                }
                r
            })
            .collect();
        add(
            "Executor and channel workloads: spawn, yield, ping-pong; channels: fan-in, fan-out, worker pool (2 workers; median of the runs; lower is better)",
            text,
            bars(rows),
        );
        claimed.extend(throughput.iter().map(|w| w.name));
    }
    let sync: Vec<&Workload> = WORKLOADS.iter().filter(|w| is_sync(w.name)).collect();
    if sync.iter().any(|w| present.contains(w.name)) {
        let rows = sync
            .iter()
            .map(|w| {
                let mut r = bar_row(res, w.name, w.name, false, &primary, &show_num(w.unit()));
                let best = [Peer::Tokio, Peer::Go]
                    .iter()
                    .filter_map(|&p| res.record(w.name, p).and_then(Record::primary))
                    .min_by(f64::total_cmp);
                if let Some(b) = best {
                    r.goal = Some((b, "goal <= the faster of tokio, Go".into()));
                }
                r
            })
            .collect();
        add(
            "Sync primitives: Mutex, WaitGroup, context, errgroup (2 workers; median of the runs; lower is better)",
            sync_table(res),
            bars(rows),
        );
        claimed.extend(sync.iter().map(|w| w.name));
    }
    if present.contains("lifo_strand") {
        add(
            "Wake a task, then block the waking thread: wake-to-run latency",
            lifo_table(res),
            bars(vec![p99_row(res, "lifo_strand", LIFO_GOAL)]),
        );
        claimed.insert("lifo_strand");
    }
    let sysmon: Vec<(&str, Duration)> = blocking::GOALS
        .iter()
        .copied()
        .chain([fairness::GOAL, timer_precision::GOAL])
        .collect();
    if sysmon.iter().any(|(w, _)| present.contains(w)) {
        add(
            "Blocked workers and fairness: work behind blocked threads, a ticker behind busy loops, 100 us sleeps",
            sysmon_table(res),
            bars(sysmon.iter().map(|&(w, g)| p99_row(res, w, g)).collect()),
        );
        claimed.extend(sysmon.iter().map(|(w, _)| *w));
    }
    let net: Vec<&Workload> = WORKLOADS
        .iter()
        .filter(|w| matches!(w.kind, Kind::Net { .. }))
        .collect();
    if net.iter().any(|w| present.contains(w.name)) {
        let rows = net
            .iter()
            .map(|w| {
                let mut r = bar_row(res, w.name, w.name, true, &primary, &show_num(w.unit()));
                if w.name == "http_hello" {
                    let rps = |p| res.record(w.name, p).and_then(Record::primary);
                    if let (Some(t), Some(g)) = (rps(Peer::Tokio), rps(Peer::Go)) {
                        r.goal = Some(((1.1 * t).max(g), "goal >= 1.1x tokio and >= Go".into()));
                    }
                }
                if w.name == "axum_hello" {
                    if let Some(t) = res.record(w.name, Peer::Tokio).and_then(Record::primary) {
                        r.goal = Some((1.1 * t, "goal >= 1.1x tokio's axum::serve".into()));
                    }
                }
                r
            })
            .collect();
        add(
            "Network: HTTP hello (hyper, axum) and TCP echo under one load generator (higher is better; p99 latency)",
            net_table(res, m),
            bars(rows),
        );
        claimed.extend(net.iter().map(|w| w.name));
    }
    for w in present.iter().filter(|w| !claimed.contains(*w)) {
        let about = super::workload_about(w);
        let mut text = generic_table(res, w);
        if *w == "sleep_million"
            && let Some(line) = sleep_million_goal(res)
        {
            text.push_str("\n\n");
            text.push_str(&line);
        }
        add(
            &format!("{w}: {about}"),
            text,
            bars(vec![bar_row(
                res,
                &format!("{w} (first metric)"),
                w,
                false,
                &primary,
                &|v| sig3(v),
            )]),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_goal_uses_the_faster_peer() {
        assert_eq!(sync_goal(Some(9.0), Some(10.0), Some(12.0)).1, "goal met");
        assert_eq!(
            sync_goal(Some(11.0), Some(10.0), Some(12.0)).1,
            "GOAL MISSED"
        );
        assert_eq!(sync_goal(Some(11.0), None, Some(12.0)).1, "goal met");
        assert_eq!(sync_goal(None, Some(1.0), Some(1.0)).1, "n/a");
    }

    fn results(lines: &[&str]) -> Results {
        Results {
            cells: lines
                .iter()
                .map(|l| {
                    let r = crate::harness::record::parse(l).expect("a record line");
                    ((r.workload.clone(), r.peer), Cell::Measured(r))
                })
                .collect(),
        }
    }

    #[test]
    fn executor_goals_judge_ratios_against_the_named_peer() {
        let res = results(&[
            "GMPB workload=spawn_many peer=gmp n=1000000 reps=1 ns=250 peak_rss=50 samples=250",
            "GMPB workload=spawn_many peer=tokio n=1000000 reps=1 ns=800 peak_rss=100 samples=800",
            "GMPB workload=spawn_many peer=go n=1000000 reps=1 ns=500 samples=500",
        ]);
        let t = exec_goals_table(&res);
        assert!(
            t.contains("| spawn_many <= 0.60x go             | 0.50x    | goal met"),
            "{t}"
        );
        assert!(t.contains("| 0.31x    | goal met"), "{t}");
        assert!(t.contains("| 0.50x    | GOAL MISSED"), "{t}");
        assert!(!t.contains("chained_spawn"), "only workloads that ran: {t}");
    }

    #[test]
    fn sleep_million_goal_is_judged_at_a_million_only() {
        let at = |n: u64, wall: f64, rss: f64| {
            sleep_million_goal(&results(&[&format!(
                "GMPB workload=sleep_million peer=gmp n={n} reps=1 wall_s={wall} \
                 peak_rss_mib={rss} samples={wall}"
            )]))
            .unwrap()
        };
        assert!(at(1_000_000, 1.1, 150.0).ends_with(": goal met"));
        assert!(at(1_000_000, 1.2, 150.0).ends_with("GOAL MISSED"));
        assert!(at(1_000_000, 1.1, 170.0).ends_with("GOAL MISSED"));
        assert!(at(10_000, 1.0, 6.0).contains("n/a"));
    }

    #[test]
    fn formats() {
        assert_eq!(fmt_ns(812.3), "812 ns");
        assert_eq!(fmt_ns(14_200.0), "14.2 us");
        assert_eq!(fmt_bytes(300.0), "300 B");
        assert_eq!(fmt_bytes(2.5 * 1024.0), "2.5 KiB");
        assert_eq!(fmt_count(1e6), "1M");
        assert_eq!(fmt_count(10_000.0), "10k");
        let mut t = Table::new(&["a", "bb"]);
        t.row(vec!["xyz".into(), "1".into()]);
        assert_eq!(t.render(), "| a   | bb |\n|-----|----|\n| xyz | 1  |");
    }
}
