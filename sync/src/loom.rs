//! The one place that chooses between `std` and `loom` concurrency types.
//!
//! Every concurrent structure in gmp-sync imports atomics, `Arc`, `Mutex`, `Condvar`,
//! `UnsafeCell` and `thread` from here, so `RUSTFLAGS="--cfg loom"` swaps the whole crate onto
//! loom's model-checked versions at once. Capacities that make models explode
//! shrink under `cfg(loom)` next to their definitions.

#![allow(unused_imports, dead_code, unreachable_pub)]

#[cfg(loom)]
pub(crate) use loom::{
    cell::UnsafeCell,
    sync::{
        Arc, Condvar, Mutex, MutexGuard,
        atomic::{
            AtomicBool, AtomicPtr, AtomicU8, AtomicU16, AtomicU32, AtomicU64, AtomicUsize,
            Ordering, fence,
        },
    },
    thread,
};

#[cfg(not(loom))]
pub(crate) use std::{
    sync::{
        Arc, Condvar, Mutex, MutexGuard,
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
pub(crate) struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(std::cell::UnsafeCell::new(value))
    }
}

#[cfg(not(loom))]
impl<T: ?Sized> UnsafeCell<T> {
    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
