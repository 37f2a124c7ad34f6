//! Tasks: gmp's goroutines.
//!
//! # Design
//!
//! A task is one allocation (`raw`): a `Header` (atomic state word with
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

pub(crate) mod harness;
pub(crate) mod header;
mod join;
pub(crate) mod raw;
pub(crate) mod registry;
pub(crate) mod state;
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

/// Spawns a future as a new task on the current runtime: Go's `go f()`.
///
/// The task starts running in the background at once, possibly on another worker, and runs
/// whether or not the returned [`JoinHandle`] is awaited. Dropping the handle detaches the
/// task. The caller's location is recorded as the task's spawn site (Go's "created by").
///
/// # Panics
///
/// Panics if called outside a gmp runtime. Use [`Handle::spawn`](crate::Handle::spawn) from
/// threads that are not part of one.
///
/// # Examples
///
/// ```
/// # let rt = gmp_executor::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let handle = gmp_executor::spawn(async { "hello from a goroutine" });
/// assert_eq!(handle.await.unwrap(), "hello from a goroutine");
/// # });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let location = std::panic::Location::caller();
    // No `Handle` (and no reference-count traffic): borrow the current runtime.
    crate::runtime::context::with_current(|shared| match shared {
        Some(shared) => crate::scheduler::Shared::spawn(shared, future, location),
        None => panic!(
            "gmp::spawn called outside a gmp runtime (at {location}): run this code inside \
             `#[gmp::main]`, `Runtime::block_on` or a task, or spawn through a `gmp::runtime::Handle`"
        ),
    })
}

/// Runs a blocking closure on the runtime's blocking pool (Go's hand-off of an M in a syscall),
/// so the workers keep running tasks meanwhile.
///
/// # Panics
///
/// Panics if called outside a gmp runtime.
///
/// # Examples
///
/// ```
/// # let rt = gmp_executor::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let n = gmp_executor::spawn_blocking(|| std::fs::read_dir(".").map(|d| d.count()).unwrap_or(0));
/// let _count: usize = n.await.unwrap();
/// # });
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let location = std::panic::Location::caller();
    crate::runtime::context::with_current(|shared| match shared {
        Some(shared) => crate::scheduler::Shared::spawn_blocking(shared, f, location),
        None => panic!(
            "gmp::spawn_blocking called outside a gmp runtime (at {location}): call it from a \
             task or through a `gmp::runtime::Handle`"
        ),
    })
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
