//! The harness's parent side: parse options, check gmp and Go, run every (workload, peer)
//! measurement in a child process, print the reports.

pub(crate) mod child;
mod go;
pub(crate) mod record;
mod report;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use std::path::Path;

use gmp_bench::affinity;
use gmp_bench::rt::{Peer, WORKERS};
use std::collections::BTreeMap;

use gmp_bench::workloads::{Kind, Scale, WORKLOADS, Workload, net};
use record::Record;

use report::{Cell, Machine, Results};

const USAGE: &str = "\
usage: gmp-bench [--quick] [--only <workload>[,<workload>...]] [--no-go] [--records]
                 [--reps <n>] [--timeout <secs>] [--list]
  --quick      small sizes (seconds); what the smoke test runs
  --only       run only these workloads (repeatable); see --list
  --no-go      skip the Go peer
  --records    also print the raw machine-readable lines
  --reps       rounds of throughput workloads: fresh child per peer each (default 5, quick 2)
  --timeout    per-child limit in seconds (default 180, quick 60)";

/// Command-line options of the parent.
#[derive(Debug)]
struct Options {
    scale: Scale,
    only: Vec<String>,
    go: bool,
    records: bool,
    reps: Option<usize>,
    timeout: Option<Duration>,
}

fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut o = Options {
        scale: Scale::Full,
        only: Vec::new(),
        go: true,
        records: false,
        reps: None,
        timeout: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{a} needs a value"))
        };
        match a.as_str() {
            "--quick" => o.scale = Scale::Quick,
            "--only" => o.only.extend(value()?.split(',').map(str::to_string)),
            "--no-go" => o.go = false,
            "--records" => o.records = true,
            "--reps" => o.reps = Some(value()?.parse().map_err(|e| format!("--reps: {e}"))?),
            "--timeout" => {
                o.timeout = Some(Duration::from_secs(
                    value()?.parse().map_err(|e| format!("--timeout: {e}"))?,
                ))
            }
            "--list" => {
                for w in WORKLOADS {
                    println!("{:<14} {}", w.name, w.about);
                }
                return Ok(None);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if let Some(bad) = o
        .only
        .iter()
        .find(|n| !WORKLOADS.iter().any(|w| w.name == n.as_str()))
    {
        return Err(format!("unknown workload {bad:?} (see --list)"));
    }
    Ok(Some(o))
}

/// Entry point of the parent.
pub(crate) fn main(args: &[String]) -> ExitCode {
    let o = match parse(args) {
        Ok(Some(o)) => o,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot find this executable to re-run it: {e}");
            return ExitCode::FAILURE;
        }
    };
    let timeout = o.timeout.unwrap_or(match o.scale {
        Scale::Full => Duration::from_secs(180),
        Scale::Quick => Duration::from_secs(60),
    });

    println!("# gmp-bench: gmp vs OS threads vs tokio vs async-executor vs Go");
    println!();
    println!(
        "mode: {}; {WORKERS} workers per runtime, GOMAXPROCS={WORKERS}; machine: {} cores, {}",
        if o.scale == Scale::Full {
            "full"
        } else {
            "quick"
        },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model()
    );

    // gmp: one cheap probe decides whether its rows run; until the scheduler lands they are n/a.
    let probe = child::spawn(
        &exe,
        &strs(&["--child", child::PROBE, "gmp", "0", "0", "1"]),
        &[],
        Duration::from_secs(30),
    );
    let gmp_ok = probe.record.is_some();
    match &probe.error {
        None => println!("gmp: scheduler available"),
        Some(e) => {
            println!("gmp: not available ({e}); gmp cells show n/a until the scheduler lands")
        }
    }

    let go = if o.go { Some(go::prepare()) } else { None };
    match &go {
        Some(Ok(g)) => println!("go: {} ({})", g.version, g.bin.display()),
        Some(Err(e)) => println!("{e}"),
        None => println!("go: skipped (--no-go)"),
    }

    let selected: Vec<&Workload> = WORKLOADS
        .iter()
        .filter(|w| o.only.is_empty() || o.only.iter().any(|n| n == w.name))
        .collect();
    let go_bench = match &go {
        Some(Ok(g)) => Some(g),
        _ => None,
    };
    let run = Runner {
        exe: &exe,
        go: go_bench,
        timeout,
        scale: o.scale,
        pinning: affinity::get().ok().and_then(|all| affinity::split(&all)),
    };
    let mut res = Results::default();
    let mut raw = Vec::new();
    let mut failures = Vec::new();
    for w in selected {
        let peers: Vec<Peer> = Peer::ALL
            .into_iter()
            .filter(|&p| {
                w.peers.contains(&p) || (p == Peer::Go && go_bench.is_some_and(|g| g.has(w.name)))
            })
            .collect();
        let (warmup, mut reps) = w.reps(o.scale);
        let throughput = matches!(w.kind, Kind::Throughput { .. } | Kind::Net { .. });
        if let (Some(r), true) = (o.reps, throughput) {
            reps = r.max(1);
        }
        // Throughput: `reps` rounds of one fresh child per peer (warm-up + 1 measured run),
        // peers rotated each round, so load from other processes drifts over all of them
        // alike. Others: one child per peer.
        let (rounds, per_child) = if throughput {
            (reps, (warmup, 1))
        } else {
            (1, (warmup, reps))
        };
        let mut got: BTreeMap<Peer, Vec<Record>> = BTreeMap::new();
        let mut failed: BTreeMap<Peer, String> = BTreeMap::new();
        for round in 0..rounds {
            let mut order = peers.clone();
            order.rotate_left(round % peers.len().max(1));
            for peer in order {
                if failed.contains_key(&peer) {
                    continue;
                }
                let tag = format!(
                    "{:<14} {:<15} round {}/{rounds}",
                    w.name,
                    peer.name(),
                    round + 1
                );
                if peer == Peer::Gmp && !gmp_ok {
                    if round == 0 {
                        eprintln!("{tag}  n/a (gmp not available)");
                    }
                    continue;
                }
                let (n, out) = run.child(w, peer, per_child);
                match (out.record, out.error) {
                    (Some(r), _) => {
                        eprintln!(
                            "{tag}  n={n:<8} {:.1} {}  ({:.1} s)",
                            r.primary().unwrap_or(f64::NAN),
                            w.unit(),
                            out.elapsed.as_secs_f64()
                        );
                        got.entry(peer).or_default().push(r);
                    }
                    (None, e) => {
                        let e = e.unwrap_or_else(|| "failed".into());
                        eprintln!("{tag}  FAILED: {e}");
                        failed.insert(peer, e);
                    }
                }
            }
        }
        for peer in peers {
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

    report::print_all(
        &res,
        &Machine {
            thread_limit: thread_limit(),
            pinning: run.pinning.clone(),
        },
    );
    if !failures.is_empty() {
        println!("\n## Failures\n");
        for f in &failures {
            println!("- {f}");
        }
    }
    if o.records {
        println!("\n## Records\n");
        for r in &raw {
            let metrics: Vec<String> = r
                .metrics
                .iter()
                .map(|(k, v)| format!("{k}={v:.3}"))
                .collect();
            let samples: Vec<String> = r.samples.iter().map(|v| format!("{v:.3}")).collect();
            println!(
                "{} workload={} peer={} n={} {} samples={}",
                record::PREFIX,
                r.workload,
                r.peer,
                r.n,
                metrics.join(" "),
                samples.join(",")
            );
        }
    }
    println!("\ntotal time: {:.1} s", started.elapsed().as_secs_f64());
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
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
    /// Runs one child measuring `w` on `peer` with `(warmup, reps)`; returns its `n` too.
    fn child(
        &self,
        w: &Workload,
        peer: Peer,
        (warmup, reps): (usize, usize),
    ) -> (u64, child::Outcome) {
        // Go runs the async peers' sizes.
        let n = (w.size)(
            if peer == Peer::Go { Peer::Tokio } else { peer },
            self.scale,
        );
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
        let out = if matches!(w.kind, Kind::Net { .. }) {
            // The server's process gets the server's cores (every thread it starts inherits
            // them); the load generator it starts pins itself to the client's.
            envs.push((net::LOAD_BIN_ENV, self.exe.to_string_lossy().into_owned()));
            match &self.pinning {
                Some((server, client)) => {
                    envs.push((affinity::CLIENT_CPUS_ENV, affinity::format(client)));
                    let saved = affinity::get();
                    let pinned = affinity::set(server).is_ok();
                    let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    let out = child::spawn(program, &args, &envs, self.timeout);
                    if let (true, Ok(all)) = (pinned, saved) {
                        let _ = affinity::set(&all);
                    }
                    out
                }
                None => {
                    let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    child::spawn(program, &args, &envs, self.timeout)
                }
            }
        } else {
            let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            child::spawn(program, &args, &envs, self.timeout)
        };
        (n, out)
    }
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn cpu_model() -> String {
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
