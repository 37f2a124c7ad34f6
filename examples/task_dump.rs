//! Go's goroutine profile for gmp tasks: `gmp::runtime::dump()` lists every live task with its
//! state, spawn site, age, time in its state, poll count and worker (what a Go program prints on
//! `SIGQUIT`, or `/debug/pprof/goroutine?debug=2` serves, with spawn sites for stacks).
//!
//! This program puts tasks in each state, prints the dump, lets them finish and prints it again,
//! with the runtime's metrics.
//!
//! Run with `cargo run --example task_dump`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use gmp::runtime::TaskState;

#[gmp::main(maxprocs = 2)]
async fn main() {
    // Waiting: blocked on a channel (Go's `[chan receive]`).
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    let waiting = gmp::spawn(async move { rx.await.ok() });

    // In spawn_blocking: a blocking call on the blocking pool (Go's `[syscall]`).
    let (unblock, blocked) = std::sync::mpsc::channel::<()>();
    let blocking = gmp::spawn_blocking(move || blocked.recv().ok());

    // Running: a loop that never awaits, holding one worker.
    let release = Arc::new(AtomicBool::new(false));
    let r = release.clone();
    let running = gmp::spawn(async move {
        while !r.load(Ordering::Acquire) {
            std::hint::spin_loop();
        }
    });

    // Wait until the dump shows all three, then print it.
    let dump = loop {
        let dump = gmp::runtime::dump();
        let states: Vec<TaskState> = dump.tasks().iter().map(|t| t.state).collect();
        if [TaskState::Waiting, TaskState::Blocking, TaskState::Running]
            .iter()
            .all(|s| states.contains(s))
        {
            break dump;
        }
        gmp::time::sleep(Duration::from_millis(1)).await;
    };
    println!("{dump}");

    release.store(true, Ordering::Release);
    unblock.send(()).unwrap();
    tx.send(()).unwrap();
    waiting.await.unwrap();
    blocking.await.unwrap();
    running.await.unwrap();

    println!("\nafter they finish:\n{}", gmp::runtime::dump());
    println!("\n{}", gmp::Handle::current().metrics());
}
