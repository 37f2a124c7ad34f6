//! What a Prometheus scrape costs with a million live tasks: spawns 1M waiting tasks and times
//! `render` of a registry holding gmp's collector, with and without the families that walk
//! the live-task registry (`gmp_tasks_by_state`, `gmp_tasks_waiting`).
//!
//! `cargo run --release -p gmp-executor --features prometheus --example metrics_million`.

use std::time::Instant;

use gmp_executor::prometheus::{RuntimeCollector, prometheus_client::registry::Registry, render};

const TASKS: usize = 1_000_000;
const SCRAPES: u32 = 5;

fn main() {
    let rt = gmp_executor::Builder::new().maxprocs(2).build().unwrap();
    // A million tasks that wait forever (detached: the runtime's drop ends them).
    (0..TASKS).for_each(|_| rt.spawn(std::future::pending::<()>()).detach());
    let live = || rt.handle().num_tasks();
    while live() < TASKS {
        std::thread::yield_now();
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
