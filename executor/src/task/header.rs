//! The task header: the part of a task every thread may read through a type-erased pointer.

use std::panic::Location;

use super::Id;
use super::raw::Vtable;
use super::state::State;
use crate::loom::{AtomicUsize, Ordering};

/// First field of every task allocation (`#[repr(C)]`, so a `NonNull<Header>` addresses the
/// whole task).
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    pub(crate) id: Id,
    /// Where `spawn` was called (Go's "created by").
    pub(crate) spawn_site: &'static Location<'static>,
    /// The task's slot in the live-task registry. Written once, before the task is first
    /// queued; every later reader got the task through a queue or waker, which orders the read
    /// after that write (so `Relaxed` suffices).
    registry_key: AtomicUsize,
}

impl Header {
    pub(crate) fn new(
        vtable: &'static Vtable,
        id: Id,
        spawn_site: &'static Location<'static>,
    ) -> Header {
        Header {
            state: State::new(),
            vtable,
            id,
            spawn_site,
            registry_key: AtomicUsize::new(usize::MAX),
        }
    }

    pub(crate) fn set_registry_key(&self, key: usize) {
        self.registry_key.store(key, Ordering::Relaxed);
    }

    pub(crate) fn registry_key(&self) -> usize {
        self.registry_key.load(Ordering::Relaxed)
    }
}

impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Header")
            .field("id", &self.id)
            .field("state", &self.state)
            .field("spawn_site", &format_args!("{}", self.spawn_site))
            .finish()
    }
}
