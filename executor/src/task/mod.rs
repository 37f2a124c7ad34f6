//! Tasks: gmp's goroutines.
//!
//! # Design
//!
//! A task is one allocation (`raw`, from the per-thread free lists of `cell_cache`): a `Header` (atomic state word with
//! reference count, vtable, id, spawn site, links in the live-task `registry`), the
//! scheduler handle, the *stage*
//! (the future, later its output) and the join waker. The state word (`state`) carries the
//! lifecycle bits and the reference count together, so one atomic operation decides each
//! transition, and every transition returns a `#[must_use]` enum telling the caller what to do.
//!
//! ## Who may touch what
//! - **stage** (future / output): only the thread that holds the `RUNNING` bit, or, once
//!   `COMPLETE` is set, the single party responsible for the output: the `JoinHandle` if
//!   `JOIN_INTEREST` was set when the task completed, the completing worker otherwise.
//! - **join waker**: the `JoinHandle` while `JOIN_WAKER` is clear and the task is not complete;
//!   the completing worker (read only) once `JOIN_WAKER` is set; freed with the allocation.
//! - **registry links**: only under the lock of the registry shard named in the header
//!   (written once at spawn, before the task is published); see `registry`.
//!
//! ## References
//! The reference count lives in the state word's high bits. References are held by the live-task
//! registry (until the task completes), the `JoinHandle` (until dropped), each `Notified` sitting
//! in a run queue, and each `Waker`. The allocation is freed when the count reaches zero.
//!
//! ## Layer
//! The bottom of the executor with `time`, `io`, `blocking` and `coop`: it may use `coop`,
//! `clock` and `loom`, never `scheduler` or `runtime`. A task reaches its scheduler only through
//! the `Schedule` trait (`raw`) it is handed when made; `spawn` lives in `runtime`.

pub(crate) mod cell_cache;
pub(crate) mod harness;
pub(crate) mod header;
mod join;
pub(crate) mod raw;
pub(crate) mod registry;
pub(crate) mod state;
pub(crate) mod wait;
pub(crate) mod waker;

pub use harness::panic_message;
pub use join::{JoinError, JoinHandle};

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A task's identity, unique within the process for its lifetime (Go's `goid`).
///
/// # Examples
///
/// ```
/// # let rt = gmp_executor::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let a = gmp_executor::spawn(async {});
/// let b = gmp_executor::spawn(async {});
/// assert_ne!(a.id(), b.id());
/// # });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(pub(crate) u64);

impl Id {
    /// The id as a number, as Go prints it in a goroutine dump.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gmp_executor::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let h = gmp_executor::spawn(async {});
    /// assert!(h.id().as_u64() > 0);
    /// # });
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Yields to the scheduler: Go's `runtime.Gosched()`.
///
/// The task goes to the back of its worker's run queue, so every task queued there runs before
/// it runs again.
///
/// # Examples
///
/// ```
/// # let rt = gmp_executor::Runtime::new().unwrap();
/// # rt.block_on(async {
/// for _ in 0..3 {
///     gmp_executor::yield_now().await;
/// }
/// # });
/// ```
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

#[must_use = "futures do nothing unless you `.await` or poll them"]
struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // A wake of the running task by itself is a yield: the worker puts it at the back of its
        // queue when this poll returns (see `harness`).
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(all(test, loom))]
mod loom_models;
#[cfg(all(test, loom))]
mod loom_registry;
