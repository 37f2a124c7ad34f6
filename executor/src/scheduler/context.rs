//! What the current thread is running: a worker of some runtime, a `block_on`, or nothing.
//!
//! # Design
//!
//! One thread-local, [`CONTEXT`], holds all the per-thread state of the scheduler: the worker
//! running on this thread (a pointer to its [`WorkerContext`], which lives on the worker's
//! stack), the runtime entered by `block_on` (or sysmon's helper, or a shutdown sweep), and the
//! thread's batch of task ids. A spawn reads it once ([`with_here`]) and passes what it found
//! down: the runtime, the worker (for the registry shard and the LIFO slot) and the id batch.
//!
//! Rejected: one thread-local per concern (gmp until issue 14: the worker pointer, the entered
//! runtime and the id batch each had their own, and a spawn on a worker looked the worker up
//! three times on its way to a queue).

use std::cell::Cell;
use std::mem::ManuallyDrop;
use std::sync::Arc;

use super::Shared;
use super::worker::WorkerContext;
use crate::task::Id;

/// The scheduler's per-thread state; see the module docs.
struct Context {
    /// Set for the lifetime of a worker thread's run loop.
    worker: Cell<*const WorkerContext>,
    /// Set while `block_on` (or `enter`) runs on a non-worker thread: a reference made with
    /// `Arc::into_raw`, owned by the `EnterGuard` (a raw pointer rather than an `Arc`, so the
    /// thread-local needs no destructor and its every access stays a plain load).
    entered: Cell<*const Shared>,
    /// The thread's batch of task ids: the next one, and the end of the batch.
    ids: Cell<(u64, u64)>,
}

thread_local! {
    static CONTEXT: Context = const {
        Context {
            worker: Cell::new(std::ptr::null()),
            entered: Cell::new(std::ptr::null()),
            ids: Cell::new((0, 0)),
        }
    };
}

/// What a spawn needs of the current thread, read with one thread-local lookup.
pub(crate) struct Here<'a> {
    /// The runtime the thread belongs to, if any.
    pub(crate) shared: Option<&'a Arc<Shared>>,
    /// The worker running on this thread, if it is a worker thread.
    pub(crate) worker: Option<&'a WorkerContext>,
    ids: &'a Cell<(u64, u64)>,
}

impl Here<'_> {
    /// A fresh task id. Each thread takes a batch of ids from a global counter, so spawning on
    /// several workers does not bounce one cache line.
    pub(crate) fn next_id(&self) -> Id {
        use std::sync::atomic::{AtomicU64, Ordering};
        const BATCH: u64 = 1024;
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let (mut next, mut end) = self.ids.get();
        if next == end {
            next = NEXT.fetch_add(BATCH, Ordering::Relaxed);
            end = next + BATCH;
        }
        self.ids.set((next + 1, end));
        Id(next)
    }

    /// The worker running on this thread if it belongs to `shared`.
    pub(crate) fn worker_of(&self, shared: &Shared) -> Option<&WorkerContext> {
        self.worker
            .filter(|cx| std::ptr::eq::<Shared>(&*cx.shared, shared))
    }
}

/// Calls `f` with the current thread's scheduler state: the one lookup a spawn makes.
#[inline]
pub(crate) fn with_here<R>(f: impl FnOnce(Here<'_>) -> R) -> R {
    CONTEXT.with(|c| {
        let worker = c.worker.get();
        if !worker.is_null() {
            // SAFETY: `worker` is set only while the worker's run loop (which owns the context)
            // is on this thread's stack, and cleared before it returns.
            let worker = unsafe { &*worker };
            return f(Here {
                shared: Some(&worker.shared),
                worker: Some(worker),
                ids: &c.ids,
            });
        }
        let entered = c.entered.get();
        // SAFETY: `entered` is null or a reference owned by the live `EnterGuard` of this
        // thread (see `enter`); `ManuallyDrop` borrows it without taking it over.
        let entered =
            (!entered.is_null()).then(|| ManuallyDrop::new(unsafe { Arc::from_raw(entered) }));
        f(Here {
            shared: entered.as_deref(),
            worker: None,
            ids: &c.ids,
        })
    })
}

/// The runtime the current thread belongs to, if any.
pub(crate) fn current_shared() -> Option<Arc<Shared>> {
    with_current(|s| s.cloned())
}

/// Calls `f` with the current runtime (no reference-count traffic on the worker fast path).
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Arc<Shared>>) -> R) -> R {
    with_here(|here| f(here.shared))
}

/// Calls `f` with this thread's worker context, if it is a worker thread.
#[inline]
pub(crate) fn with_worker<R>(f: impl FnOnce(Option<&WorkerContext>) -> R) -> R {
    let worker = CONTEXT.with(|c| c.worker.get());
    if worker.is_null() {
        return f(None);
    }
    // SAFETY: see `with_here`.
    f(Some(unsafe { &*worker }))
}

/// Whether this thread is already running a runtime (a worker, or inside `block_on`).
pub(crate) fn is_entered() -> bool {
    CONTEXT.with(|c| !c.worker.get().is_null() || !c.entered.get().is_null())
}

/// Marks the current thread as a worker for the guard's lifetime.
pub(crate) struct WorkerGuard(());

pub(crate) fn enter_worker(cx: &WorkerContext) -> WorkerGuard {
    CONTEXT.with(|c| c.worker.set(cx));
    WorkerGuard(())
}

impl Drop for WorkerGuard {
    fn drop(&mut self) {
        CONTEXT.with(|c| c.worker.set(std::ptr::null()));
    }
}

/// Enters a runtime on a non-worker thread for the guard's lifetime.
pub(crate) struct EnterGuard(());

pub(crate) fn enter(shared: Arc<Shared>) -> EnterGuard {
    let prev = CONTEXT.with(|c| c.entered.replace(Arc::into_raw(shared)));
    release(prev);
    EnterGuard(())
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = CONTEXT.with(|c| c.entered.replace(std::ptr::null()));
        release(prev);
    }
}

/// Drops a reference taken out of `Context::entered` (outside the thread-local access: it may
/// run the runtime's destructor).
fn release(entered: *const Shared) {
    if !entered.is_null() {
        // SAFETY: the pointer came from `Arc::into_raw` in `enter` and was just taken out of
        // the thread-local, so this is its only owner.
        drop(unsafe { Arc::from_raw(entered) });
    }
}
