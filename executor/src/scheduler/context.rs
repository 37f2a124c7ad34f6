//! What the current thread is running: a worker of some runtime, a `block_on`, or nothing.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use crate::scheduler::Shared;
use crate::scheduler::worker::WorkerContext;

thread_local! {
    /// Set for the lifetime of a worker thread's run loop.
    static WORKER: Cell<*const WorkerContext> = const { Cell::new(std::ptr::null()) };
    /// Set while `block_on` (or `enter`) runs on a non-worker thread.
    static ENTERED: RefCell<Option<Arc<Shared>>> = const { RefCell::new(None) };
}

/// The runtime the current thread belongs to, if any.
pub(crate) fn current_shared() -> Option<Arc<Shared>> {
    with_current(|s| s.cloned())
}

/// Calls `f` with the current runtime (no reference-count traffic on the worker fast path).
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Arc<Shared>>) -> R) -> R {
    let worker = WORKER.with(|w| w.get());
    if !worker.is_null() {
        // SAFETY: WORKER is set only while the worker's run loop (which owns the context) is on
        // this thread's stack, and cleared before it returns.
        return f(Some(unsafe { &(*worker).shared }));
    }
    ENTERED.with(|e| match e.try_borrow() {
        Ok(e) => f(e.as_ref()),
        Err(_) => f(None),
    })
}

/// Calls `f` with this thread's worker context, if it is a worker thread.
#[inline]
pub(crate) fn with_worker<R>(f: impl FnOnce(Option<&WorkerContext>) -> R) -> R {
    let worker = WORKER.with(|w| w.get());
    if worker.is_null() {
        return f(None);
    }
    // SAFETY: see `with_current`.
    f(Some(unsafe { &*worker }))
}

/// Whether this thread is already running a runtime (a worker, or inside `block_on`).
pub(crate) fn is_entered() -> bool {
    !WORKER.with(|w| w.get()).is_null()
        || ENTERED.with(|e| e.try_borrow().map(|e| e.is_some()).unwrap_or(true))
}

/// Marks the current thread as a worker for the guard's lifetime.
pub(crate) struct WorkerGuard(());

pub(crate) fn enter_worker(cx: &WorkerContext) -> WorkerGuard {
    WORKER.with(|w| w.set(cx));
    WorkerGuard(())
}

impl Drop for WorkerGuard {
    fn drop(&mut self) {
        WORKER.with(|w| w.set(std::ptr::null()));
    }
}

/// Enters a runtime on a non-worker thread for the guard's lifetime.
pub(crate) struct EnterGuard(());

pub(crate) fn enter(shared: Arc<Shared>) -> EnterGuard {
    ENTERED.with(|e| *e.borrow_mut() = Some(shared));
    EnterGuard(())
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = ENTERED.with(|e| e.borrow_mut().take());
        drop(prev);
    }
}
