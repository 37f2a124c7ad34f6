//! Shared by the `sysmon_*` benchmark examples: latency summaries and the blocking workloads.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How a blocking task holds its thread.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Block {
    /// `std::thread::sleep`: the thread is off the CPU.
    Sleep,
    /// A busy loop: the thread burns its CPU.
    Spin,
}

impl Block {
    pub(crate) fn run(self, d: Duration) {
        match self {
            Block::Sleep => std::thread::sleep(d),
            Block::Spin => {
                let end = Instant::now() + d;
                while Instant::now() < end {
                    std::hint::spin_loop();
                }
            }
        }
    }
}

/// `p50 / p99 / max` of `samples`, in the unit that reads best.
pub(crate) fn summary(samples: &mut [Duration]) -> String {
    samples.sort_unstable();
    let n = samples.len();
    if n == 0 {
        return "no samples".into();
    }
    let at = |q: f64| samples[((n as f64 * q).ceil() as usize).clamp(1, n) - 1];
    format!(
        "p50 {:>9} p99 {:>9} max {:>9} (n={n})",
        human(at(0.50)),
        human(at(0.99)),
        human(samples[n - 1])
    )
}

pub(crate) fn human(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{:.1}us", d.as_secs_f64() * 1e6)
    } else {
        format!("{:.2}ms", d.as_secs_f64() * 1e3)
    }
}

/// The p99 of `samples` (sorted by `summary`).
pub(crate) fn p99(samples: &[Duration]) -> Duration {
    let n = samples.len();
    samples[((n as f64 * 0.99).ceil() as usize).clamp(1, n) - 1]
}

/// Spawn-to-run latency of short tasks spawned every `every` from a plain thread while
/// `blockers` tasks each block their worker `rounds` times for `block` (yielding between
/// blocks). `spawn` spawns a task that runs the given closure; `spawn_blocker` spawns the
/// blocking task (given its body, which it must call, yielding with its runtime's `yield`
/// between rounds is the caller's business).
pub(crate) struct Workload {
    pub(crate) blockers: usize,
    pub(crate) rounds: usize,
    pub(crate) block: Duration,
    pub(crate) mode: Block,
    pub(crate) every: Duration,
}

/// Runs the spawner side of a workload: spawns probes until `done` reaches `w.blockers`, then
/// waits for every probe to have run and returns their latencies.
pub(crate) fn spawn_probes(
    w: &Workload,
    done: &AtomicUsize,
    mut spawn_probe: impl FnMut(Box<dyn FnOnce() + Send>),
) -> Vec<Duration> {
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(2048)));
    let ran = Arc::new(AtomicUsize::new(0));
    let mut spawned = 0;
    // Let the blockers reach their workers first.
    std::thread::sleep(Duration::from_millis(5));
    while done.load(Ordering::Acquire) < w.blockers {
        let t0 = Instant::now();
        let (l, r) = (latencies.clone(), ran.clone());
        spawn_probe(Box::new(move || {
            l.lock().unwrap().push(t0.elapsed());
            r.fetch_add(1, Ordering::Release);
        }));
        spawned += 1;
        std::thread::sleep(w.every);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while ran.load(Ordering::Acquire) < spawned && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    std::mem::take(&mut *latencies.lock().unwrap())
}

/// The workload on a two-worker gmp runtime (with or without sysmon).
pub(crate) fn run_gmp(w: &Workload, sysmon: bool) -> Vec<Duration> {
    let rt = gmp::Builder::new()
        .maxprocs(2)
        .sysmon(sysmon)
        .build()
        .unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    for _ in 0..w.blockers {
        let (done, rounds, block, mode) = (done.clone(), w.rounds, w.block, w.mode);
        rt.spawn(async move {
            for _ in 0..rounds {
                mode.run(block);
                gmp::yield_now().await;
            }
            done.fetch_add(1, Ordering::Release);
        })
        .detach();
    }
    spawn_probes(w, &done, |probe| rt.spawn(async move { probe() }).detach())
}

/// The workload on a two-worker tokio runtime.
pub(crate) fn run_tokio(w: &Workload) -> Vec<Duration> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    for _ in 0..w.blockers {
        let (done, rounds, block, mode) = (done.clone(), w.rounds, w.block, w.mode);
        rt.spawn(async move {
            for _ in 0..rounds {
                mode.run(block);
                tokio::task::yield_now().await;
            }
            done.fetch_add(1, Ordering::Release);
        });
    }
    spawn_probes(w, &done, |probe| {
        rt.spawn(async move { probe() });
    })
}

/// Runs `w` in the Go peer program `examples/peers/go/<name>.go` if `go` is installed, and
/// returns its output line.
pub(crate) fn run_go(name: &str, args: &[&str]) -> Option<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/peers/go/");
    let out = std::process::Command::new("go")
        .arg("run")
        .arg(format!("{path}{name}.go"))
        .args(args)
        .env("GOMAXPROCS", "2")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
}
