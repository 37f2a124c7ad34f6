//! The runtime: workers (Go's Ps), their threads (Ms), and the handle to spawn onto them.
//!
//! A [`Runtime`] owns `maxprocs` worker threads. [`Runtime::block_on`] runs a future (the
//! "main goroutine") on the calling thread; tasks spawned from it run on the workers. Dropping
//! the runtime shuts it down: workers stop, and every task still alive is dropped on the
//! dropping thread, running its destructors (Go kills goroutines without running their defers).
//!
//! # Layer
//!
//! The top of the executor: the public API ([`Runtime`], [`Builder`], [`Handle`], [`spawn`],
//! [`spawn_blocking`], `block_on` with its deadlock check, dump, metrics, the `SIGQUIT`
//! handler). It may use everything below: `scheduler` (which it drives through `Shared` and a
//! plain `scheduler::Config`), `task`, `time`, `io`, `blocking`, `coop`. Nothing below names it.

mod block_on;
mod builder;
pub(crate) mod deadlock;
pub(crate) mod dump;
pub(crate) mod metrics;
pub(crate) mod profile;
#[cfg(all(target_os = "linux", not(loom)))]
pub(crate) mod signal;
mod spawn;
#[cfg(all(feature = "tokio-compat", not(loom)))]
#[doc(inline)]
pub use crate::tokio_compat;

pub use builder::{Builder, UnhandledPanic};
pub use dump::{Dump, TaskInfo, TaskState, dump};
pub use metrics::{RuntimeMetrics, WorkerMetrics};
pub use profile::{Profile, ProfileGroup, profile};
pub use spawn::{spawn, spawn_blocking};

pub use crate::scheduler::panics::{KEPT_PANICS, PanicRecord, UnhandledPanics};
pub use crate::task::wait::{WaitReason, waiting_on, waiting_on_select};

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use crate::loom::Ordering;
use crate::scheduler::spawn::{spawn_blocking_on, spawn_on};
use crate::scheduler::{Shared, context};
use crate::task::JoinHandle;

/// A gmp runtime: a pool of worker threads running tasks with work stealing.
///
/// # Examples
///
/// ```
/// let rt = gmp_executor::Runtime::new().unwrap();
/// let v = rt.block_on(async { gmp_executor::spawn(async { 1 + 1 }).await.unwrap() });
/// assert_eq!(v, 2);
/// ```
pub struct Runtime {
    handle: Handle,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("maxprocs", &self.handle.maxprocs())
            .finish()
    }
}

impl Runtime {
    /// A runtime with the default configuration: `GOMAXPROCS` workers when that environment
    /// variable is set, otherwise one per available core.
    ///
    /// # Errors
    ///
    /// Fails if a worker thread cannot be started, or `GOMAXPROCS` is set to something other
    /// than a positive integer.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// assert!(rt.handle().maxprocs() >= 1);
    /// ```
    pub fn new() -> std::io::Result<Runtime> {
        Builder::new().build()
    }

    pub(crate) fn from_shared(shared: Arc<Shared>) -> Runtime {
        Runtime {
            handle: Handle::uncounted(shared),
        }
    }

    /// Runs `future` to completion on the current thread, with this runtime entered (so
    /// [`spawn`](crate::spawn) works inside it), and returns its output.
    ///
    /// # Panics
    ///
    /// Panics when called from a thread that is already running a runtime (a worker or another
    /// `block_on`): await the future instead, or move the blocking call into
    /// [`spawn_blocking`]. Also panics if the runtime was shut down by
    /// an unhandled task panic (see [`UnhandledPanic::ShutdownRuntime`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// assert_eq!(rt.block_on(async { 3 }), 3);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        block_on::block_on(&self.handle.shared, future)
    }

    /// Spawns a task onto this runtime from any thread; see [`crate::spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// let h = rt.spawn(async { 5 });
    /// assert_eq!(rt.block_on(h).unwrap(), 5);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_on(&self.handle.shared, future, Location::caller())
    }

    /// A snapshot of this runtime's counters: polls, steals, parks, LIFO hits, injection-queue
    /// pops, budget exhaustions and queue depths per worker; tasks spawned, completed and alive.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Builder::new().maxprocs(2).build().unwrap();
    /// let h = rt.spawn(async { 1 });
    /// rt.block_on(h).unwrap();
    /// let m = rt.metrics();
    /// assert_eq!((m.tasks_spawned, m.tasks_completed, m.tasks_alive), (1, 1, 0));
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        self.handle.metrics()
    }

    /// A handle to this runtime, which can be cloned and sent to other threads.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// let handle = rt.handle().clone();
    /// let t = std::thread::spawn(move || handle.spawn(async { 9 }));
    /// let join = t.join().unwrap();
    /// assert_eq!(rt.block_on(join).unwrap(), 9);
    /// ```
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Shuts the runtime down, waiting at most `timeout` for workers busy in a long poll to
    /// return. Tasks that are not running are dropped at once; a worker still stuck after the
    /// timeout is left behind (its thread exits when its poll returns).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// rt.spawn(async { std::future::pending::<()>().await });
    /// rt.shutdown_timeout(std::time::Duration::from_millis(100));
    /// ```
    pub fn shutdown_timeout(self, timeout: Duration) {
        self.handle.shared.shutdown(Some(timeout));
    }

    /// Shuts the runtime down without waiting for worker threads to exit.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// rt.shutdown_background();
    /// ```
    pub fn shutdown_background(self) {
        self.handle.shared.shutdown(Some(Duration::ZERO));
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.handle.shared.shutdown(None);
    }
}

/// A cloneable, `Send` handle to a runtime: spawn onto it from any thread.
///
/// While a handle other than the runtime's own ([`Runtime::handle`]) is alive, `block_on`'s
/// deadlock detection stays silent: the handle could spawn from another thread (see
/// [`Builder::deadlock_detection`]).
///
/// # Examples
///
/// ```
/// let rt = gmp_executor::Runtime::new().unwrap();
/// rt.block_on(async {
///     let handle = gmp_executor::Handle::current();
///     let h = handle.spawn(async { 1 });
///     assert_eq!(h.await.unwrap(), 1);
/// });
/// ```
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
    /// Counted in `Shared::user_handles`: every handle but the runtime's own and the ones the
    /// runtime keeps internally.
    counted: bool,
}

impl Clone for Handle {
    /// A clone may go to any thread: it is counted (see [`Builder::deadlock_detection`]).
    fn clone(&self) -> Handle {
        Handle::counted(self.shared.clone())
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if self.counted {
            // Relaxed: read only by the deadlock detector's heuristic snapshots.
            self.shared.user_handles.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("maxprocs", &self.maxprocs())
            .finish()
    }
}

/// Error returned by [`Handle::try_current`] outside a runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryCurrentError(());

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not inside a gmp runtime")
    }
}

impl std::error::Error for TryCurrentError {}

impl Handle {
    /// The handle of the runtime the current thread is running in.
    ///
    /// # Panics
    ///
    /// Panics outside a runtime (use [`Handle::try_current`] to check).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// rt.block_on(async { assert_eq!(gmp_executor::Handle::current().maxprocs(), rt.handle().maxprocs()) });
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(h) => h,
            Err(_) => panic!(
                "Handle::current() called outside a gmp runtime (at {}): call it inside \
                 `#[gmp::main]`, `Runtime::block_on` or a task",
                Location::caller()
            ),
        }
    }

    /// The current runtime's handle, or an error outside any runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gmp_executor::Handle::try_current().is_err());
    /// ```
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::current_shared()
            .map(Handle::counted)
            .ok_or(TryCurrentError(()))
    }

    /// A handle user code may hold (and send to another thread).
    fn counted(shared: Arc<Shared>) -> Handle {
        // Relaxed: see `Drop`.
        shared.user_handles.fetch_add(1, Ordering::Relaxed);
        Handle {
            shared,
            counted: true,
        }
    }

    /// A handle only the runtime holds (its own, or one kept by a timer to run a callback).
    pub(crate) fn uncounted(shared: Arc<Shared>) -> Handle {
        Handle {
            shared,
            counted: false,
        }
    }

    /// Spawns a task onto this runtime; see [`crate::spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// let h = rt.handle().spawn(async { 2 });
    /// assert_eq!(rt.block_on(h).unwrap(), 2);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_on(&self.shared, future, Location::caller())
    }

    /// Runs a blocking closure on this runtime's blocking pool; see [`crate::spawn_blocking`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// let h = rt.handle().spawn_blocking(|| 4);
    /// assert_eq!(rt.block_on(h).unwrap(), 4);
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        spawn_blocking_on(&self.shared, f, Location::caller())
    }

    /// Runs `future` to completion on the current thread with this runtime entered; see
    /// [`Runtime::block_on`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// let handle = rt.handle().clone();
    /// let v = std::thread::spawn(move || handle.block_on(async { 8 })).join().unwrap();
    /// assert_eq!(v, 8);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        block_on::block_on(&self.shared, future)
    }

    /// Number of workers (Go's `GOMAXPROCS`).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Builder::new().maxprocs(3).build().unwrap();
    /// assert_eq!(rt.handle().maxprocs(), 3);
    /// ```
    pub fn maxprocs(&self) -> usize {
        self.shared.num_workers()
    }

    /// Number of live tasks on this runtime (Go's `runtime.NumGoroutine`, less the main one).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// assert_eq!(rt.handle().num_tasks(), 0);
    /// ```
    pub fn num_tasks(&self) -> usize {
        self.shared.num_tasks()
    }

    /// Lists every live task of this runtime: Go's goroutine profile; see [`Dump`].
    ///
    /// Callable from any thread. The walk never holds up a worker for more than a few
    /// microseconds at a time, even with a million tasks.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Builder::new().maxprocs(1).build().unwrap();
    /// let _stuck = rt.spawn(std::future::pending::<()>());
    /// let dump = rt.handle().dump();
    /// assert_eq!(dump.len(), 1);
    /// assert_eq!(dump.tasks()[0].spawn_site.line(), line!() - 3);
    /// ```
    pub fn dump(&self) -> Dump {
        Dump::collect(&self.shared, |_| true)
    }

    /// Counts this runtime's live tasks by spawn site and state or wait reason: Go's
    /// `/debug/pprof/goroutine?debug=1`; see [`Profile`].
    ///
    /// Callable from any thread; walks the tasks as [`dump`](Self::dump) does, without
    /// building an entry per task.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Builder::new().maxprocs(1).build().unwrap();
    /// let _stuck = rt.spawn(std::future::pending::<()>());
    /// let profile = rt.handle().profile();
    /// assert_eq!(profile.total(), 1);
    /// assert_eq!(profile.groups()[0].spawn_site.line(), line!() - 3);
    /// ```
    pub fn profile(&self) -> Profile {
        Profile::collect(&self.shared)
    }

    /// The tasks of this runtime that panicked with nobody observing the panic: detached, or
    /// whose [`JoinHandle`] was dropped without being awaited to its `Err` (see
    /// [`UnhandledPanics`] for the exact rule). `#[gmp::test]` fails a test when this is not
    /// empty after its body returns.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     gmp_executor::spawn(async { panic!("boom") }).detach();
    ///     while rt.handle().unhandled_panics().is_empty() {
    ///         gmp_executor::yield_now().await;
    ///     }
    /// });
    /// let panics = rt.handle().unhandled_panics();
    /// assert_eq!(panics.count(), 1);
    /// assert!(panics.to_string().contains("panicked: boom"));
    /// ```
    pub fn unhandled_panics(&self) -> UnhandledPanics {
        let _ = self.shared.registry.sync_with_removals();
        self.shared.panics.snapshot()
    }

    /// A snapshot of the runtime's counters; see [`Runtime::metrics`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Builder::new().maxprocs(3).build().unwrap();
    /// assert_eq!(rt.handle().metrics().workers.len(), 3);
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics::collect(&self.shared)
    }
}

impl futures_util::task::Spawn for Handle {
    #[track_caller]
    fn spawn_obj(
        &self,
        future: futures_util::task::FutureObj<'static, ()>,
    ) -> Result<(), futures_util::task::SpawnError> {
        if self.shared.is_shutdown() {
            return Err(futures_util::task::SpawnError::shutdown());
        }
        drop(spawn_on(&self.shared, future, Location::caller()));
        Ok(())
    }

    fn status(&self) -> Result<(), futures_util::task::SpawnError> {
        if self.shared.is_shutdown() {
            Err(futures_util::task::SpawnError::shutdown())
        } else {
            Ok(())
        }
    }
}

/// Number of live tasks in the current runtime (Go's `runtime.NumGoroutine`). Cheap: one
/// atomic read per worker shard.
///
/// # Panics
///
/// Panics outside a runtime.
///
/// # Examples
///
/// ```
/// let rt = gmp_executor::Runtime::new().unwrap();
/// rt.block_on(async {
///     let (tx, rx) = futures::channel::oneshot::channel::<()>();
///     let h = gmp_executor::spawn(async move { let _ = rx.await; });
///     assert_eq!(gmp_executor::runtime::num_tasks(), 1);
///     drop(tx);
///     h.await.unwrap();
/// });
/// ```
#[track_caller]
pub fn num_tasks() -> usize {
    with_current("gmp::runtime::num_tasks", |s| s.num_tasks())
}

/// Number of workers of the current runtime (Go's `runtime.GOMAXPROCS(0)`).
///
/// # Panics
///
/// Panics outside a runtime.
///
/// # Examples
///
/// ```
/// let rt = gmp_executor::Builder::new().maxprocs(2).build().unwrap();
/// rt.block_on(async { assert_eq!(gmp_executor::runtime::maxprocs(), 2) });
/// ```
#[track_caller]
pub fn maxprocs() -> usize {
    with_current("gmp::runtime::maxprocs", |s| s.num_workers())
}

/// Calls `f` with the current runtime, without making a (counted) handle. `what` names the
/// public function for the panic message outside a runtime.
#[track_caller]
pub(crate) fn with_current<R>(what: &str, f: impl FnOnce(&Arc<Shared>) -> R) -> R {
    let location = Location::caller();
    context::with_current(|s| match s {
        Some(s) => f(s),
        None => panic!("{}", outside_runtime_message(what, location)),
    })
}

/// The panic message of [`with_current`] outside a runtime.
fn outside_runtime_message(what: &str, location: &Location<'_>) -> String {
    format!(
        "{what} called outside a gmp runtime (at {location}): call it inside `#[gmp::main]`, \
         `Runtime::block_on` or a task"
    )
}
