//! Cost of registering and cancelling one timer (first poll of a `Sleep`, then drop) on an empty
//! wheel and with 1,000,000 other timers live, outside a runtime. The hierarchical wheel makes
//! both O(1): the two figures should be close. Each figure is the best of five runs and includes
//! two clock reads (the deadline, and the first poll's check).
//!
//! ```text
//! cargo run --release --example timer_ops
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::Context;
use std::time::{Duration, Instant};

use gmp::time::{Sleep, sleep};

fn register_cancel_ns(rounds: usize) -> f64 {
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    let start = Instant::now();
    for i in 0..rounds {
        let mut s = sleep(Duration::from_millis(500 + (i % 1000) as u64));
        assert!(Pin::new(&mut s).poll(&mut cx).is_pending());
        drop(s);
    }
    start.elapsed().as_nanos() as f64 / rounds as f64
}

/// Best of five runs: the machine may be shared.
fn best(rounds: usize) -> f64 {
    (0..5)
        .map(|_| register_cancel_ns(rounds))
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let rounds = 100_000;
    register_cancel_ns(rounds); // warm up (starts the timer thread)
    let empty = best(rounds);
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    let live: Vec<Sleep> = (0..1_000_000u64)
        .map(|i| {
            let mut s = sleep(Duration::from_secs(60) + Duration::from_micros(i * 37));
            assert!(Pin::new(&mut s).poll(&mut cx).is_pending());
            s
        })
        .collect();
    let loaded = best(rounds);
    println!(
        "register + cancel one timer: {empty:.0} ns with an empty wheel, {loaded:.0} ns with {} live timers",
        live.len()
    );
}
