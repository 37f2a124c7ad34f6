//! The one place that chooses between `std` and `loom` concurrency types.
//!
//! Every concurrent structure of the workspace imports atomics, `Arc`, `Mutex`, `Condvar`,
//! `UnsafeCell` and `thread` from here (gmp-sync through its `loom` module, which re-exports
//! this one), so `RUSTFLAGS="--cfg loom"` swaps every crate onto loom's model-checked versions
//! at once. Capacities that make models explode (the local run queue's ring, timer-wheel
//! sizes) shrink under `cfg(loom)` next to their definitions.
//!
//! Public only for gmp-sync (hidden, not API: it may change in any release).

#![allow(unused_imports, dead_code, missing_docs)]

#[cfg(loom)]
pub use loom::{
    cell::UnsafeCell,
    sync::{
        Arc, Condvar, Mutex, MutexGuard, RwLock,
        atomic::{
            AtomicBool, AtomicPtr, AtomicU8, AtomicU16, AtomicU32, AtomicU64, AtomicUsize,
            Ordering, fence,
        },
    },
    thread,
};

#[cfg(not(loom))]
pub use std::{
    sync::{
        Arc, Condvar, Mutex, MutexGuard, RwLock,
        atomic::{
            AtomicBool, AtomicPtr, AtomicU8, AtomicU16, AtomicU32, AtomicU64, AtomicUsize,
            Ordering, fence,
        },
    },
    thread,
};

/// `std`'s `UnsafeCell` with loom's closure-based API, so code is written once.
#[cfg(not(loom))]
#[derive(Debug)]
pub struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub const fn new(value: T) -> Self {
        Self(std::cell::UnsafeCell::new(value))
    }
}

#[cfg(not(loom))]
impl<T: ?Sized> UnsafeCell<T> {
    #[inline(always)]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    #[inline(always)]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
