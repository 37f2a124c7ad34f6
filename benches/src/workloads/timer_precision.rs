//! `timer_precision`: one task sleeps [`SLEEP`] `n` times in a row on an otherwise idle
//! 2-worker runtime; reports how late each wake-up is (the time from the deadline to the task
//! running again), and the CPU the process used meanwhile, as a percentage of one core.
//!
//! Each peer uses its runtime's own timer: gmp `gmp::time::sleep`, tokio `tokio::time::sleep`
//! (millisecond wheel), async-executor async-io's `Timer`, Go `time.Sleep`
//! (`benches/go/timer_precision.go`). gmp's goal: p99 <= 50 us, with the CPU idle between
//! timers (any spinning only in the last microseconds before a deadline).

use std::time::{Duration, Instant};

use super::{Body, Kind, Metrics, Scale, Workload, latency_us, run_body};
use crate::rt::{Peer, Rt};

/// Each sleep.
pub const SLEEP: Duration = Duration::from_micros(100);

/// gmp's goal: the p99 lateness of a wake-up.
pub const GOAL: (&str, Duration) = ("timer_precision", Duration::from_micros(50));

/// Sleeps before the measured ones (timer threads start, spin windows settle).
const WARMUP: u64 = 50;

/// `timer_precision`.
pub const WORKLOAD: Workload = Workload {
    name: "timer_precision",
    about: "one task sleeps 100 us n times on an idle runtime: lateness of each wake-up, CPU used",
    kind: Kind::Latency,
    peers: &[Peer::Gmp, Peer::Tokio, Peer::AsyncExecutor],
    size: |_, scale| match scale {
        Scale::Full => 5000,
        Scale::Quick => 500,
    },
    run: run_body::<TimerPrecision>,
};

/// This process's CPU time so far: the on-CPU time of each of its live threads
/// (`/proc/self/task/*/schedstat`, nanoseconds); zero where `/proc` is missing.
pub fn process_cpu_time() -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let ns: u64 = tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(ns)
}

struct TimerPrecision;

impl Body for TimerPrecision {
    fn on_rt<R: Rt>(rt: &R, n: u64) -> Metrics {
        let (late_us, cpu_pct) = rt.run(async move {
            for _ in 0..WARMUP {
                R::sleep(SLEEP).await;
            }
            let mut late_us = Vec::with_capacity(n as usize);
            let (wall0, cpu0) = (Instant::now(), process_cpu_time());
            for _ in 0..n {
                let deadline = Instant::now() + SLEEP;
                R::sleep(SLEEP).await;
                late_us.push(deadline.elapsed().as_secs_f64() * 1e6);
            }
            let cpu = process_cpu_time() - cpu0;
            (
                late_us,
                100.0 * cpu.as_secs_f64() / wall0.elapsed().as_secs_f64(),
            )
        });
        let mut m = latency_us(&late_us);
        m.extend([("sleeps", late_us.len() as f64), ("cpu_pct", cpu_pct)]);
        m
    }
}
