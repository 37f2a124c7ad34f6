//! What a Prometheus scrape costs with a million live tasks: spawns 1M waiting tasks and times
//! `render` of a registry holding gmp's collector, with and without the families that walk
//! the live-task registry (`gmp_tasks_by_state`, `gmp_tasks_waiting`).
//!
//! `cargo run --release -p gmp-executor --features prometheus --example metrics_million`.

use std::time::{Duration, Instant};

use gmp_executor::prometheus::{RuntimeCollector, prometheus_client::registry::Registry, render};

const TASKS: usize = 1_000_000;
const SCRAPES: u32 = 5;

fn main() {
    let rt = gmp_executor::Builder::new().maxprocs(2).build().unwrap();
    let (_keep, never) = futures::channel::oneshot::channel::<()>();
    let never = futures::future::FutureExt::shared(never);
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
    for task_states in [true, false] {
        let mut registry = Registry::default();
        let collector = RuntimeCollector::new(rt.handle()).task_states(task_states);
        registry.register_collector(Box::new(collector));
        let start = Instant::now();
        let mut bytes = 0;
        for _ in 0..SCRAPES {
            bytes = render(&registry, None).unwrap().1.len();
        }
        println!(
            "task_states({task_states}): {:?} per scrape of {TASKS} live tasks ({bytes} bytes)",
            start.elapsed() / SCRAPES
        );
    }
}
