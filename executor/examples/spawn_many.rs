//! Spawn cost: 1M empty tasks spawned from inside a task on 2 workers, until all have run.
//!
//! Used to check that task bookkeeping (registry, dump fields, tracing span) stays cheap:
//! `cargo run --release -p gmp-executor --example spawn_many`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const TASKS: usize = 1_000_000;
const ROUNDS: usize = 7;

fn main() {
    let rt = gmp_executor::Builder::new().maxprocs(2).build().unwrap();
    let mut cpu = Vec::with_capacity(ROUNDS);
    let mut times: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let cpu0 = process_cpu_time();
            let wall = rt.block_on(async {
                let left = Arc::new(AtomicUsize::new(TASKS));
                let (tx, rx) = futures::channel::oneshot::channel::<()>();
                let tx = Arc::new(std::sync::Mutex::new(Some(tx)));
                let start = Instant::now();
                gmp_executor::spawn(async move {
                    for _ in 0..TASKS {
                        let (left, tx) = (left.clone(), tx.clone());
                        gmp_executor::spawn(async move {
                            if left.fetch_sub(1, Ordering::AcqRel) == 1 {
                                if let Some(tx) = tx.lock().unwrap().take() {
                                    let _ = tx.send(());
                                }
                            }
                        })
                        .detach();
                    }
                })
                .detach();
                rx.await.unwrap();
                start.elapsed()
            });
            cpu.push(process_cpu_time().saturating_sub(cpu0));
            wall
        })
        .collect();
    cpu.sort();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "spawn_many: {TASKS} tasks on 2 workers: median {:.1} ms, min {:.1} ms, max {:.1} ms",
        ms(times[ROUNDS / 2]),
        ms(times[0]),
        ms(times[ROUNDS - 1])
    );
    println!(
        "            process CPU time per round: median {:.1} ms, min {:.1} ms",
        ms(cpu[ROUNDS / 2]),
        ms(cpu[0])
    );
}

/// CPU time used by the whole process (all threads), less sensitive than wall time to other
/// programs sharing the cores.
fn process_cpu_time() -> Duration {
    let mut total = 0u64;
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for t in dir.flatten() {
            let s = std::fs::read_to_string(t.path().join("schedstat")).unwrap_or_default();
            total += s
                .split_whitespace()
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
        }
    }
    Duration::from_nanos(total)
}
