//! Shared by the `stress_*` tests: the size switch, a small RNG, RSS, and figure reporting.
//!
//! Every stress test runs in two sizes: a bounded one in the normal test command (a few
//! seconds each in a debug build), and the full one with `GMP_STRESS=full`, meant for a
//! release build:
//!
//! ```text
//! GMP_STRESS=full cargo test --release --test 'stress_*' -- --nocapture --test-threads 1
//! ```
//!
//! Each prints its figures on stderr, one line per measurement, prefixed `stress:` (shown with
//! `--nocapture`, or by nextest for a failing test).

#![allow(dead_code)]

use std::time::Duration;

/// Whether `GMP_STRESS=full` asks for the full sizes.
pub(crate) fn full() -> bool {
    std::env::var("GMP_STRESS").is_ok_and(|v| v == "full")
}

/// `ci` in the normal test run, `full` under `GMP_STRESS=full`.
pub(crate) fn size<T>(ci: T, full_size: T) -> T {
    if full() { full_size } else { ci }
}

/// A comma-separated list of numbers from the environment variable `var`, or `default`.
pub(crate) fn list_from_env(var: &str, default: &[usize]) -> Vec<usize> {
    match std::env::var(var) {
        Ok(s) if !s.trim().is_empty() => s
            .split(',')
            .map(|x| {
                x.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{var}: {x:?} is not a number"))
            })
            .collect(),
        _ => default.to_vec(),
    }
}

/// One number from the environment variable `var`, or `default`.
pub(crate) fn number_from_env(var: &str, default: u64) -> u64 {
    match std::env::var(var) {
        Ok(s) if !s.trim().is_empty() => s
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{var}: {s:?} is not a number")),
        _ => default,
    }
}

/// xorshift64: deterministic per seed, cheap enough for hot loops.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in `0..n` (n > 0; the modulo bias is irrelevant here).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub(crate) fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            v.swap(i, j);
        }
    }
}

/// The process's resident set size in bytes (`/proc/self/statm`, 4 KiB pages), or 0 where
/// that file does not exist.
pub(crate) fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

pub(crate) fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Prints one figure line.
pub(crate) fn report(line: impl std::fmt::Display) {
    eprintln!("stress: {line}");
}

/// Per second, for a count done in `elapsed`.
pub(crate) fn rate(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(1e-9)
}

/// Waits (on this thread) until `done()` or `limit` passes; returns whether it became true.
pub(crate) fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while !done() {
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}
