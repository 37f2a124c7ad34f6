//! Per-worker event counters, beside the worker that writes them.
//!
//! # Design
//!
//! Each worker counts its own events in a [`WorkerStats`] block of its own (one cache line,
//! written only by that worker with `Relaxed` load + store pairs, never a read-modify-write),
//! so counting costs a few cycles on a line the worker already owns. `runtime::metrics` reads
//! them without synchronization into the public `RuntimeMetrics`; thieves read `progress` and
//! the poll sequence to tell a stuck worker from a busy one (see `worker`).

use std::sync::atomic::{AtomicU64, Ordering};

/// Per-worker event counters (crate-internal). `std` atomics even under `cfg(loom)`: nothing
/// synchronizes through them.
#[derive(Default)]
#[repr(align(128))]
pub(crate) struct WorkerStats {
    /// The current poll, for sysmon; also counts polls.
    pub(crate) watch: super::sysmon::PollWatch,
    pub(crate) steals: Counter,
    pub(crate) lifo_steals: Counter,
    pub(crate) parks: Counter,
    pub(crate) lifo_hits: Counter,
    pub(crate) inject_pops: Counter,
    pub(crate) budget_exhaustions: Counter,
    /// Budget units spent by the worker's polls (added by `coop::poll_proceed` through the pointer the worker hands it): whether its current
    /// poll is getting anywhere, for a thief eyeing its LIFO slot.
    pub(crate) progress: Counter,
}

/// A counter with a single writer.
#[derive(Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    /// Adds `n`. Only the owning worker calls this, so a load and a store suffice.
    #[inline]
    pub(crate) fn add(&self, n: u64) {
        let v = self.0.load(Ordering::Relaxed);
        self.0.store(v.wrapping_add(n), Ordering::Relaxed);
    }

    /// The counter itself, for `coop` to add budget units to while the worker's task runs.
    pub(crate) fn as_atomic(&self) -> &AtomicU64 {
        &self.0
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}
