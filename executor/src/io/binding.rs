//! The thread's reactor binding: which reactor a socket made on this thread registers with.
//!
//! The scheduler binds each worker thread, each `block_on` thread and sysmon's helper to its
//! runtime's reactor ([`enter`]); a socket made on an unbound thread registers with the
//! fallback reactor (`fallback`). The binding is the only way this layer learns about a
//! runtime: it never names the scheduler.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::Arc;

use super::driver::IoDriver;

thread_local! {
    /// The reactor of the runtime this thread belongs to, if any.
    static CURRENT: RefCell<Option<Arc<IoDriver>>> = const { RefCell::new(None) };
}

/// Binds the current thread to `driver` until the guard is dropped.
pub(crate) fn enter(driver: &Arc<IoDriver>) -> EnterGuard {
    let prev = CURRENT.with(|c| c.replace(Some(driver.clone())));
    EnterGuard {
        prev,
        _not_send: PhantomData,
    }
}

/// Restores the thread's previous reactor binding when dropped. Returned by [`enter`].
#[must_use = "the binding ends when the guard is dropped"]
pub(crate) struct EnterGuard {
    prev: Option<Arc<IoDriver>>,
    /// The guard restores a thread-local: it must be dropped on the thread that created it.
    _not_send: PhantomData<*const ()>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        // `try_with`: the guard may be dropped during thread-local destruction.
        let _ = CURRENT.try_with(|c| c.replace(prev));
    }
}

/// The reactor this thread is bound to, if any.
pub(crate) fn current() -> Option<Arc<IoDriver>> {
    CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
}
