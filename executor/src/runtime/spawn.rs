//! The public `spawn` and `spawn_blocking`: Go's `go f()` onto the current runtime.

use std::future::Future;

use crate::task::JoinHandle;

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
    // No `Handle` (and no reference-count traffic): borrow the current runtime, looked up once.
    match crate::scheduler::spawn::spawn_current(future, location) {
        Ok(join) => join,
        Err(_) => panic!(
            "gmp::spawn called outside a gmp runtime (at {location}): run this code inside \
             `#[gmp::main]`, `Runtime::block_on` or a task, or spawn through a `gmp::runtime::Handle`"
        ),
    }
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
    match crate::scheduler::spawn::spawn_blocking_current(f, location) {
        Ok(join) => join,
        Err(_) => panic!(
            "gmp::spawn_blocking called outside a gmp runtime (at {location}): call it from a \
             task or through a `gmp::runtime::Handle`"
        ),
    }
}
