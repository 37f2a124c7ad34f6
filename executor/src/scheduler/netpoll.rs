//! The scheduler's side of the I/O reactor (Go's `netpoll` calls in `findrunnable`).
//!
//! The protocol is described in `crate::io`: the worker parked with timer duty blocks in the
//! reactor (`park_in_reactor`), busy workers poll it without blocking every 61 ticks
//! (`poll_io_nonblocking`), and a duty holder leaving park hands the duty to a parked peer while
//! sockets are registered (`io_needs_poller`). Under `cfg(loom)` there is no reactor: parking
//! uses the condvar alone and the polls are no-ops, so the loom models of the other modules
//! keep building.

use std::time::Instant;

#[cfg(not(loom))]
use std::sync::Arc;

use super::Shared;
use super::park::Parker;

/// A worker's parker: interrupted through the reactor's waker while parked in the reactor.
#[cfg(not(loom))]
pub(super) fn worker_parker(io: &Arc<crate::io::IoDriver>) -> Parker {
    let io = io.clone();
    Parker::with_interrupt(Arc::new(move || io.wake()))
}

#[cfg(loom)]
pub(super) fn worker_parker() -> Parker {
    Parker::new()
}

/// Tasks readied while a worker was parked, woken once it is back among the running workers.
#[must_use = "the readied tasks must be woken with `Shared::wake_readied`"]
pub(crate) struct Readied(#[cfg(not(loom))] Vec<std::task::Waker>);

impl Shared {
    /// Parks worker `index`, which holds timer duty, in the reactor until an I/O event,
    /// `deadline`, or an unpark. Returns the tasks the reactor readied: wake them with
    /// [`wake_readied`](Self::wake_readied) after leaving the parked state (see
    /// `IoDriver::park`).
    pub(crate) fn park_in_reactor(&self, index: usize, deadline: Option<Instant>) -> Readied {
        #[cfg(not(loom))]
        {
            let mut wake = Vec::new();
            self.remotes[index].parker.park_in(|| {
                // Only an interrupt-only wait is repeated, and it readied nothing: replacing
                // `wake` loses no waker.
                let (readied, interrupted_only) = self.io.park(deadline);
                wake = readied;
                interrupted_only
            });
            Readied(wake)
        }
        #[cfg(loom)]
        {
            self.remotes[index].parker.park(deadline);
            Readied()
        }
    }

    /// Wakes the tasks a reactor park readied.
    pub(crate) fn wake_readied(&self, readied: Readied) {
        #[cfg(not(loom))]
        self.io.wake_all(readied.0);
        #[cfg(loom)]
        let _ = readied;
    }

    /// A busy worker's reactor check: polls without blocking unless another thread holds the
    /// reactor.
    pub(crate) fn poll_io_nonblocking(&self) {
        #[cfg(not(loom))]
        let _ = self.io.poll_nonblocking();
    }

    /// sysmon's reactor check (Go's sysmon `netpoll`): polls without blocking if sockets are
    /// registered and no thread has polled for `after`; returns how many tasks it woke. Called
    /// from sysmon and its helper, which are not workers: the woken tasks go to the injection
    /// queue.
    pub(crate) fn poll_io_if_overdue(&self, now_us: u64, after: std::time::Duration) -> usize {
        #[cfg(not(loom))]
        return self.io.poll_if_overdue(now_us, after);
        #[cfg(loom)]
        {
            let _ = (now_us, after);
            0
        }
    }

    /// Whether sockets are registered, so that some parked worker should block in the reactor.
    pub(crate) fn io_needs_poller(&self) -> bool {
        #[cfg(not(loom))]
        return self.io.has_registrations();
        #[cfg(loom)]
        false
    }
}
