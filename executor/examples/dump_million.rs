//! A dump of a million tasks must not hold up the workers: this spawns 1M waiting tasks, then
//! spawns a short probe task every 100 us from another thread while the main thread takes
//! dumps, and compares the probes' spawn-to-completion latency with and without dumps running.
//! Probes register and unregister in the same registry shard as the million tasks, so they
//! wait for the dump's shard lock whenever it is held.
//!
//! `cargo run --release -p gmp-executor --example dump_million`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TASKS: usize = 1_000_000;

fn main() {
    let rt = gmp_executor::Builder::new().maxprocs(2).build().unwrap();
    let (_keep, never) = futures::channel::oneshot::channel::<()>();
    let never = futures::future::FutureExt::shared(never);
    let start = Instant::now();
    for _ in 0..TASKS {
        let never = never.clone();
        rt.spawn(async move {
            let _ = never.await;
        })
        .detach();
    }
    while rt.handle().num_tasks() < TASKS {
        std::thread::sleep(Duration::from_millis(10));
    }
    println!("spawned {TASKS} waiting tasks in {:?}", start.elapsed());

    let probe = |dumping: bool| {
        let stop = Arc::new(AtomicBool::new(false));
        let latencies = Arc::new(Mutex::new(Vec::new()));
        let prober = {
            let (stop, latencies, handle) = (stop.clone(), latencies.clone(), rt.handle().clone());
            std::thread::spawn(move || {
                let mut slowest_spawn = Duration::ZERO;
                while !stop.load(Ordering::Relaxed) {
                    let t0 = Instant::now();
                    let l = latencies.clone();
                    handle
                        .spawn(async move { l.lock().unwrap().push(t0.elapsed()) })
                        .detach();
                    slowest_spawn = slowest_spawn.max(t0.elapsed());
                    std::thread::sleep(Duration::from_micros(100));
                }
                slowest_spawn
            })
        };
        let mut dumps = Vec::new();
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            if dumping {
                let t = Instant::now();
                let dump = rt.handle().dump();
                dumps.push((t.elapsed(), dump.len()));
            } else {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        stop.store(true, Ordering::Relaxed);
        let slowest_spawn = prober.join().unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let mut l = std::mem::take(&mut *latencies.lock().unwrap());
        l.sort_unstable();
        let p = |q: f64| l[((l.len() as f64 * q) as usize).min(l.len() - 1)];
        println!(
            "{}: probe latency p50 {:?} p99 {:?} max {:?} (n={}); slowest spawn call {:?}",
            if dumping {
                "while dumping"
            } else {
                "no dump      "
            },
            p(0.5),
            p(0.99),
            l[l.len() - 1],
            l.len(),
            slowest_spawn,
        );
        for (d, n) in dumps.iter().take(3) {
            println!("  dump of {n} tasks took {d:?}");
        }
    };
    probe(false);
    probe(true);
}
