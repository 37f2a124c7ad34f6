//! The harness's parent side: parse options, check gmp and Go, run every (workload, peer)
//! measurement and every size-curve point in a child process, print the tables, and write
//! `records.json` and `report.html` under `target/gmp-bench/<timestamp>/`.

mod chart;
pub(crate) mod child;
pub(crate) mod compare;
mod curves;
mod go;
mod output;
mod progress;
pub(crate) mod record;
mod report;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;

use gmp_bench::affinity;
use gmp_bench::rt::{Peer, WORKERS};
use gmp_bench::workloads::{Kind, Scale, WORKLOADS, Workload, net};
use output::{MachineInfo, RunFile};
use record::Record;
use report::{Cell, Chart, LineChart, Machine, Results, Section};

/// gmp measured live against OS threads, tokio, async-executor and Go, 2 workers each.
///
/// Prints the tables, and writes records.json (every sample, the machine) and report.html
/// (one self-contained page with a chart per table) under target/gmp-bench/<timestamp>/.
#[derive(Debug, Parser)]
#[command(name = "gmp-bench", version)]
struct Options {
    /// Small sizes: every row, in about a minute.
    #[arg(long)]
    quick: bool,
    /// Run only these workloads (comma-separated or repeated); see --list.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Skip the Go peer (and its installation).
    #[arg(long)]
    no_go: bool,
    /// Skip the size curves.
    #[arg(long)]
    no_curves: bool,
    /// Also print the raw machine-readable lines.
    #[arg(long)]
    records: bool,
    /// Rounds of throughput and network workloads, a fresh child per peer each (default 4 / 3,
    /// quick 2 / 1).
    #[arg(long)]
    reps: Option<usize>,
    /// Per-child limit in seconds (default 180, quick 60).
    #[arg(long)]
    timeout: Option<u64>,
    /// Compare with an earlier run's records.json: what got faster or slower, beyond noise.
    #[arg(long, value_name = "RECORDS_JSON")]
    compare: Option<PathBuf>,
    /// Where to write records.json and report.html (default target/gmp-bench/<timestamp>).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// List the workloads and exit.
    #[arg(long)]
    list: bool,
}

/// A workload's one-line description, for headings.
pub(crate) fn workload_about(name: &str) -> &'static str {
    gmp_bench::workloads::find(name).map_or("", |w| w.about)
}

/// Entry point of the parent.
pub(crate) fn main(args: &[String]) -> ExitCode {
    let o = match Options::try_parse_from(
        std::iter::once("gmp-bench".to_string()).chain(args.iter().cloned()),
    ) {
        Ok(o) => o,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    if o.list {
        for w in WORKLOADS {
            println!("{:<24} {}", w.name, w.about);
        }
        return ExitCode::SUCCESS;
    }
    if let Some(bad) = o
        .only
        .iter()
        .find(|n| gmp_bench::workloads::find(n).is_none())
    {
        eprintln!("unknown workload {bad:?} (see --list)");
        return ExitCode::from(2);
    }
    let old = match o.compare.as_deref().map(RunFile::load).transpose() {
        Ok(old) => old,
        Err(e) => {
            eprintln!("--compare: {e}");
            return ExitCode::from(2);
        }
    };
    let scale = if o.quick { Scale::Quick } else { Scale::Full };
    let started = Instant::now();
    let (started_utc, stamp) = output::now_utc();
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot find this executable to re-run it: {e}");
            return ExitCode::FAILURE;
        }
    };
    let out_dir = o.out.clone().unwrap_or_else(|| {
        exe.parent()
            .and_then(Path::parent)
            .unwrap_or(Path::new("target"))
            .join("gmp-bench")
            .join(&stamp)
    });
    let timeout = Duration::from_secs(o.timeout.unwrap_or(match scale {
        Scale::Full => 180,
        Scale::Quick => 60,
    }));
    let pinning = affinity::get().ok().and_then(|all| affinity::split(&all));
    let pin_note = match &pinning {
        Some((s, c)) => format!(
            "server on CPU {}, load generator on CPU {}",
            affinity::format(s),
            affinity::format(c)
        ),
        None => "not pinned (one CPU)".into(),
    };

    println!("# gmp-bench: gmp vs OS threads vs tokio vs async-executor vs Go");
    println!();
    println!(
        "mode: {}; {WORKERS} workers per runtime, GOMAXPROCS={WORKERS}; machine: {} cores, {}",
        if o.quick { "quick" } else { "full" },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model()
    );

    let go = if o.no_go { None } else { Some(go::prepare()) };
    match &go {
        Some(Ok(g)) => println!("go: {} ({})", g.version, g.bin.display()),
        Some(Err(e)) => println!("go: {e}"),
        None => println!("go: skipped (--no-go)"),
    }
    let go_bench = match &go {
        Some(Ok(g)) => Some(g),
        _ => None,
    };
    let selected: Vec<&Workload> = WORKLOADS
        .iter()
        .filter(|w| !matches!(w.kind, Kind::Curve { .. }))
        .filter(|w| o.only.is_empty() || o.only.iter().any(|n| n == w.name))
        .collect();
    let curves: Vec<&curves::Curve> = if o.no_curves {
        Vec::new()
    } else {
        curves::CURVES
            .iter()
            .filter(|c| o.only.is_empty() || o.only.iter().any(|n| n == c.workload))
            .collect()
    };
    let run = Runner {
        exe: &exe,
        go: go_bench,
        timeout,
        scale,
        pinning: pinning.clone(),
    };
    let peers_of = |w: &Workload| -> Vec<Peer> {
        Peer::ALL
            .into_iter()
            .filter(|&p| {
                w.peers.contains(&p) || (p == Peer::Go && go_bench.is_some_and(|g| g.has(w.name)))
            })
            .collect()
    };
    // Rounds and (warm-up, reps) per child of each workload.
    let plan = |w: &Workload| {
        let (warmup, mut reps) = w.reps(scale);
        let throughput = matches!(w.kind, Kind::Throughput { .. } | Kind::Net { .. });
        if let (Some(r), true) = (o.reps, throughput) {
            reps = r.max(1);
        }
        // Throughput: `reps` rounds of one fresh child per peer (warm-up + 1 measured run),
        // peers rotated each round, so load from other processes drifts over all of them
        // alike. Others: one child per peer.
        if throughput {
            (reps, (warmup, 1))
        } else {
            (1, (warmup, reps))
        }
    };
    let total_children: usize = selected
        .iter()
        .map(|w| plan(w).0 * peers_of(w).len())
        .sum::<usize>()
        + curves
            .iter()
            .filter_map(|c| gmp_bench::workloads::find(c.workload).map(|w| (c, w)))
            .map(|(c, w)| {
                (c.points)(scale).len()
                    * peers_of(w).iter().filter(|&&p| p != Peer::Threads).count()
            })
            .sum::<usize>();
    let bars = progress::Progress::new(total_children as u64);

    let mut res = Results::default();
    let mut raw = Vec::new();
    let mut failures = Vec::new();
    for w in &selected {
        let peers = peers_of(w);
        let (rounds, per_child) = plan(w);
        let bar = bars.workload(w.name, (rounds * peers.len()) as u64);
        let mut got: BTreeMap<Peer, Vec<Record>> = BTreeMap::new();
        let mut failed: BTreeMap<Peer, String> = BTreeMap::new();
        for round in 0..rounds {
            let mut order = peers.clone();
            order.rotate_left(round % peers.len().max(1));
            for peer in order {
                if failed.contains_key(&peer) {
                    bar.skip();
                    continue;
                }
                bar.start(peer, round + 1, rounds);
                let n = run.size(w, peer);
                let out = run.child(w, peer, n, per_child);
                match (out.record, out.error) {
                    (Some(r), _) => {
                        bar.done(&format!(
                            "{:<24} {:<15} round {}/{rounds}  n={n:<8} {:.1} {}  ({:.1} s)",
                            w.name,
                            peer.name(),
                            round + 1,
                            r.primary().unwrap_or(f64::NAN),
                            w.unit(),
                            out.elapsed.as_secs_f64()
                        ));
                        got.entry(peer).or_default().push(r);
                    }
                    (None, e) => {
                        let e = e.unwrap_or_else(|| "failed".into());
                        bar.failed(&format!("{} / {}: FAILED: {e}", w.name, peer.name()));
                        failed.insert(peer, e);
                    }
                }
            }
        }
        bar.finish();
        let listed = Peer::ALL.into_iter().filter(|&p| {
            w.peers.contains(&p) || (p == Peer::Go && go_bench.is_some_and(|g| g.has(w.name)))
        });
        for peer in listed {
            let key = (w.name.to_string(), peer);
            if let Some(e) = failed.remove(&peer) {
                failures.push(format!("{}/{}: {e}", w.name, peer));
                res.cells.insert(key, Cell::Failed);
            } else if let Some(recs) = got.remove(&peer) {
                let r = record::merge(&recs);
                raw.push(r.clone());
                res.cells.insert(key, Cell::Measured(r));
            } else {
                res.cells.insert(key, Cell::Skipped);
            }
        }
    }

    // The size curves.
    let mut curve_recs: Vec<Record> = Vec::new();
    for c in &curves {
        let Some(w) = gmp_bench::workloads::find(c.workload) else {
            continue;
        };
        let peers: Vec<Peer> = peers_of(w)
            .into_iter()
            .filter(|&p| p != Peer::Threads)
            .collect();
        let points = (c.points)(scale);
        let bar = bars.workload(
            &format!("{} (curve)", c.workload),
            (points.len() * peers.len()) as u64,
        );
        let same_plan = plan(w) == (1, c.reps);
        for &n in points {
            for &peer in &peers {
                // A table cell measured the same way at this size is this point too
                // (sleep_million at 1M).
                let measured = raw
                    .iter()
                    .find(|r: &&Record| r.workload == c.workload && r.peer == peer && r.n == n);
                if let (true, Some(r)) = (same_plan, measured) {
                    curve_recs.push(r.clone());
                    bar.skip();
                    continue;
                }
                bar.start(peer, 0, 0);
                let out = run.child(w, peer, n, c.reps);
                match (out.record, out.error) {
                    (Some(r), _) => {
                        bar.done(&format!(
                            "{:<24} {:<15} curve n={n:<8} {:.1} {}  ({:.1} s)",
                            c.workload,
                            peer.name(),
                            r.primary().unwrap_or(f64::NAN),
                            w.unit(),
                            out.elapsed.as_secs_f64()
                        ));
                        curve_recs.push(r);
                    }
                    (None, e) => {
                        let e = e.unwrap_or_else(|| "failed".into());
                        bar.failed(&format!(
                            "{} / {} n={n}: FAILED: {e}",
                            c.workload,
                            peer.name()
                        ));
                        failures.push(format!("{} (curve, n={n})/{peer}: {e}", c.workload));
                    }
                }
            }
        }
        bar.finish();
    }
    drop(bars);

    let machine = Machine {
        thread_limit: thread_limit(),
        pinning: pinning.clone(),
    };
    let mut sections = report::sections(&res, &machine);
    sections.extend(curve_sections(&curves, &curve_recs));
    if let Some(old) = &old {
        let changes = compare::compare(&old.records, &raw);
        sections.push(Section {
            title: format!(
                "Compared with {} ({} run of {}, commit {})",
                o.compare
                    .as_deref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                old.mode,
                old.started_utc,
                old.machine.git_commit
            ),
            text: compare::table(&changes),
            chart: (!changes.is_empty()).then_some(Chart::Changes(changes)),
        });
    }
    for s in &sections {
        println!("\n## {}\n", s.title);
        println!("{}", s.text);
    }
    if !failures.is_empty() {
        println!("\n## Failures\n");
        for f in &failures {
            println!("- {f}");
        }
    }
    if o.records {
        println!("\n## Records\n");
        for r in raw.iter().chain(&curve_recs) {
            println!("{}", record::to_line(r));
        }
    }
    let total_s = started.elapsed().as_secs_f64();
    let file = RunFile {
        format: 1,
        started_utc,
        mode: if o.quick { "quick" } else { "full" }.into(),
        total_s,
        machine: MachineInfo::collect(go_bench.map(|g| g.version.clone()), pin_note),
        records: raw,
        curves: curve_recs,
        failures: failures.clone(),
    };
    match write_outputs(&out_dir, &file, &sections) {
        Ok(()) => {
            println!("\nreport: {}", out_dir.join("report.html").display());
            println!("records: {}", out_dir.join("records.json").display());
        }
        Err(e) => {
            eprintln!("cannot write the report to {}: {e}", out_dir.display());
            return ExitCode::FAILURE;
        }
    }
    println!("total time: {total_s:.1} s");
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn write_outputs(dir: &Path, file: &RunFile, sections: &[Section]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(file).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("records.json"), json)?;
    std::fs::write(dir.join("report.html"), output::html(file, sections))
}

/// A section per curve chart: the line chart and a table of its points.
fn curve_sections(curves: &[&curves::Curve], recs: &[Record]) -> Vec<Section> {
    let mut out = Vec::new();
    for c in curves {
        let mine: Vec<&Record> = recs.iter().filter(|r| r.workload == c.workload).collect();
        if mine.is_empty() {
            continue;
        }
        let peers: Vec<Peer> = Peer::ALL
            .into_iter()
            .filter(|p| mine.iter().any(|r| r.peer == *p))
            .collect();
        let mut sizes: Vec<u64> = mine.iter().map(|r| r.n).collect();
        sizes.sort_unstable();
        sizes.dedup();
        for (y_label, value) in c.charts {
            let mut headers = vec![c.x_label.to_string()];
            headers.extend(peers.iter().map(|p| p.name().to_string()));
            let mut t = report::Table::new(&headers.iter().map(String::as_str).collect::<Vec<_>>());
            for &n in &sizes {
                let mut row = vec![n.to_string()];
                for &p in &peers {
                    let v = mine
                        .iter()
                        .find(|r| r.n == n && r.peer == p)
                        .and_then(|r| value(r));
                    row.push(v.map_or("-".into(), |v| format!("{v:.1}")));
                }
                t.row(row);
            }
            let series = peers
                .iter()
                .map(|&p| {
                    let pts = sizes
                        .iter()
                        .filter_map(|&n| {
                            let r = mine.iter().find(|r| r.n == n && r.peer == p)?;
                            Some((n as f64, value(r)?))
                        })
                        .collect();
                    (p, pts)
                })
                .collect();
            out.push(Section {
                title: format!("{}: {y_label}", c.title),
                text: format!(
                    "{}\n({y_label}; one fresh process per point; lower is better)",
                    t.render()
                ),
                chart: Some(Chart::Lines(LineChart {
                    x_label: c.x_label.to_string(),
                    y_label: y_label.to_string(),
                    series,
                })),
            });
        }
    }
    out
}

/// Starts children for measurements.
struct Runner<'a> {
    exe: &'a std::path::Path,
    go: Option<&'a go::GoBench>,
    timeout: Duration,
    scale: Scale,
    /// The server's and the load generator's cores for the network rows, if pinned.
    pinning: Option<(Vec<usize>, Vec<usize>)>,
}

impl Runner<'_> {
    /// The size `n` of `w` for `peer` (Go runs the async peers' sizes).
    fn size(&self, w: &Workload, peer: Peer) -> u64 {
        (w.size)(
            if peer == Peer::Go { Peer::Tokio } else { peer },
            self.scale,
        )
    }

    /// Runs one child measuring `w` of size `n` on `peer` with `(warmup, reps)`.
    fn child(
        &self,
        w: &Workload,
        peer: Peer,
        n: u64,
        (warmup, reps): (usize, usize),
    ) -> child::Outcome {
        let nums = [n.to_string(), warmup.to_string(), reps.to_string()];
        let (program, args, mut envs): (&Path, Vec<String>, Vec<(&str, String)>) =
            match (peer, self.go) {
                (Peer::Go, Some(g)) => (
                    &g.bin,
                    std::iter::once(w.name.to_string()).chain(nums).collect(),
                    vec![
                        ("GOMAXPROCS", WORKERS.to_string()),
                        ("GOTOOLCHAIN", "local".into()),
                    ],
                ),
                _ => {
                    let mut args = strs(&["--child", w.name, peer.name()]);
                    args.extend(nums);
                    (self.exe, args, Vec::new())
                }
            };
        // The network rows: the server's process gets the server's cores (every thread it
        // starts inherits them); the load generator it starts pins itself to the client's.
        let mut server_cpus = None;
        if matches!(w.kind, Kind::Net { .. }) {
            envs.push((net::LOAD_BIN_ENV, self.exe.to_string_lossy().into_owned()));
            if let Some((server, client)) = &self.pinning {
                envs.push((affinity::CLIENT_CPUS_ENV, affinity::format(client)));
                server_cpus = Some(server);
            }
        }
        let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let saved = server_cpus.and_then(|cpus| {
            let all = affinity::get().ok()?;
            affinity::set(cpus).ok().map(|()| all)
        });
        let out = child::spawn(program, &args, &envs, self.timeout);
        if let Some(all) = saved {
            let _ = affinity::set(&all);
        }
        out
    }
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

pub(crate) fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|r| r.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// The most threads this process could start, and which limit binds: `kernel.threads-max`,
/// `kernel.pid_max`, `vm.max_map_count / 2` (a stack and its guard page per thread) and the
/// soft `RLIMIT_NPROC`.
fn thread_limit() -> Option<(u64, String)> {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
    };
    let nproc = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Max processes"))
                .and_then(|l| l.split_whitespace().nth(2))
                .and_then(|v| v.parse::<u64>().ok())
        });
    let limits = [
        (
            read("/proc/sys/kernel/threads-max"),
            "kernel.threads-max".to_string(),
        ),
        (
            read("/proc/sys/kernel/pid_max"),
            "kernel.pid_max".to_string(),
        ),
        (
            read("/proc/sys/vm/max_map_count").map(|m| m / 2),
            "vm.max_map_count/2".to_string(),
        ),
        (nproc, "ulimit -u".to_string()),
    ];
    limits
        .into_iter()
        .filter_map(|(v, why)| v.map(|v| (v, why)))
        .min_by_key(|(v, _)| *v)
}
