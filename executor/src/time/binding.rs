//! The thread's timer binding: which wheel a timer first polled on this thread registers on,
//! and how an `after_func` made here runs its function.
//!
//! A worker binds its thread to its own wheel when it starts; `block_on` threads and sysmon's
//! helper bind to wheel 0. An unbound thread uses the fallback driver's wheel (`fallback`).
//! This module sits above both `driver` and `fallback`, so neither imports the other: the
//! fallback driver is a `TimeDriver` with a thread of its own, nothing more.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::Arc;

use super::driver::{Spawner, TimeDriver, WheelShared};

/// What a bound thread's timers use.
struct Binding {
    wheel: Arc<WheelShared>,
    spawner: Option<Spawner>,
}

thread_local! {
    /// The binding of this thread, if it is bound to a runtime.
    static CURRENT: RefCell<Option<Binding>> = const { RefCell::new(None) };
}

/// Binds the current thread to wheel `wheel` of `driver` until the guard is dropped: timers first
/// polled on this thread register there (and `after_func` spawns its function as a task with
/// the driver's spawner). A worker calls this when it starts; `block_on` threads bind to wheel 0.
///
/// # Panics
///
/// Panics if `wheel` is out of range.
pub(crate) fn enter(driver: &TimeDriver, wheel: usize) -> EnterGuard {
    let binding = Binding {
        wheel: driver.wheel(wheel).clone(),
        spawner: driver.spawner().cloned(),
    };
    let prev = CURRENT.with(|c| c.replace(Some(binding)));
    EnterGuard {
        prev,
        _not_send: PhantomData,
    }
}

/// Restores the thread's previous timer binding when dropped. Returned by [`enter`].
#[must_use = "the binding ends when the guard is dropped"]
pub(crate) struct EnterGuard {
    prev: Option<Binding>,
    /// The guard restores a thread-local: it must be dropped on the thread that created it.
    _not_send: PhantomData<*const ()>,
}

impl std::fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        // `try_with`: the guard may be dropped during thread-local destruction.
        let _ = CURRENT.try_with(|c| c.replace(prev));
    }
}

/// The spawner of the runtime this thread is bound to: `Some` on a runtime's thread (by
/// [`enter`]), `None` on an unbound one.
pub(crate) fn current_spawner() -> Option<Spawner> {
    CURRENT
        .try_with(|c| c.borrow().as_ref().and_then(|b| b.spawner.clone()))
        .ok()
        .flatten()
}

/// The wheel a timer created on this thread registers on: the bound one, else the fallback
/// driver's (starting it on first use).
pub(crate) fn current_wheel() -> Arc<WheelShared> {
    CURRENT
        .try_with(|c| c.borrow().as_ref().map(|b| b.wheel.clone()))
        .ok()
        .flatten()
        .unwrap_or_else(|| super::fallback::driver().wheel(0).clone())
}
