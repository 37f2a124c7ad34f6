//! A coarse, process-wide clock for task bookkeeping (the task dump's ages and state times).
//!
//! # Design
//!
//! Every task records when it was spawned and when it last changed state (queued, started a
//! poll, went idle). Reading `Instant::now()` at each of those points would cost ~65 ns per
//! poll on a virtual machine, more than the poll of a small future. Instead, those points read
//! a cached timestamp (one `Relaxed` load of a shared atomic) that a few threads refresh with
//! the real clock when they are awake anyway:
//!
//! - the sysmon thread, every time it wakes (20 us to 10 ms apart while workers run);
//! - a worker returning from park (it just made a syscall; one more clock read is noise);
//! - whoever takes a dump or checks for leaks, before reading the tasks' timestamps.
//!
//! So a recorded time is at most one sysmon period old (10 ms) while the runtime is busy, and
//! at most since the last unpark when sysmon is turned off. The dump shows times to the
//! millisecond and says they are approximate.
//!
//! Timestamps are microseconds since a process-wide base (48 bits: 8.9 years), so a header can
//! pack one with a 16-bit worker index into a single `u64` store.
//!
//! The atomics are `std`'s even under `cfg(loom)`: nothing synchronizes through them (every
//! access is `Relaxed`, and a stale value only makes a diagnostic less precise).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

static BASE: OnceLock<Instant> = OnceLock::new();
static NOW_US: AtomicU64 = AtomicU64::new(0);

/// The instant timestamps count from.
pub(crate) fn base() -> Instant {
    *BASE.get_or_init(Instant::now)
}

/// Reads the real clock, publishes it as the cached time, and returns it (us since [`base`]).
pub(crate) fn refresh() -> u64 {
    let now = base().elapsed().as_micros() as u64;
    // fetch_max: two refreshers racing must not move the cached time backwards.
    NOW_US.fetch_max(now, Ordering::Relaxed);
    now
}

/// The cached time (us since [`base`]): cheap, and up to one refresh period old.
#[inline]
pub(crate) fn coarse_now_us() -> u64 {
    NOW_US.load(Ordering::Relaxed)
}

/// The duration between two timestamps, zero if `later` is not later.
pub(crate) fn between(earlier: u64, later: u64) -> Duration {
    Duration::from_micros(later.saturating_sub(earlier))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn refresh_is_monotonic_and_cached() {
        let a = refresh();
        std::thread::sleep(Duration::from_millis(2));
        let b = refresh();
        assert!(b >= a + 2_000);
        assert!(coarse_now_us() >= b);
        assert_eq!(between(b, a), Duration::ZERO);
    }
}
