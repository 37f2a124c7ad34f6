//! The one `unsafe` module of gmp-sync's locks: the data cell behind `Mutex` and `RwLock`.
//!
//! # Invariants
//!
//! A [`LockCell`] is only accessed through a lock guard. The guard exists only while its lock
//! is held: `Mutex`'s lock word (exclusive), or `RwLock`'s semaphore permits: all of them for
//! exclusive access (`RwLock::write`), one of them for shared access (`RwLock::read`). The
//! lock's Acquire/Release pairing (and its wait-list mutex for hand-offs) orders every access
//! after the previous holder's.
//!
//! Rejected: keeping the data in a `std::sync::Mutex` and holding its guard in ours (not
//! `Send`, so a guard could not live across an `.await` in a spawned task); moving the value out
//! of an `Option` on lock and back on unlock (safe, but a copy of `T` per acquisition).

use std::cell::UnsafeCell;

/// Interior-mutable storage whose accesses are serialized by an external lock.
#[derive(Debug, Default)]
pub(crate) struct LockCell<T: ?Sized>(UnsafeCell<T>);

// SAFETY: the cell hands out `&mut T` only to an exclusive holder and `&T` only to holders
// of shared access (module invariants), so sharing the cell only ever moves exclusive access
// between threads, which needs `T: Send` (as `std::sync::Mutex`). Types that hand out `&T` to
// several threads at once (`RwLock`, guards) add a `PhantomData<std::sync::RwLock<T>>` marker,
// which makes them `Sync` only when `T: Send + Sync`.
unsafe impl<T: ?Sized + Send> Sync for LockCell<T> {}

impl<T> LockCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        LockCell(UnsafeCell::new(value))
    }

    pub(crate) fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

impl<T: ?Sized> LockCell<T> {
    /// # Safety
    ///
    /// The caller holds at least shared access to the lock guarding this cell for the whole
    /// lifetime of the returned reference, and nobody holds exclusive access.
    pub(crate) unsafe fn get(&self) -> &T {
        // SAFETY: by the caller's contract no `&mut T` exists while this reference lives.
        unsafe { &*self.0.get() }
    }

    /// # Safety
    ///
    /// The caller holds exclusive access to the lock guarding this cell for the whole lifetime of
    /// the returned reference.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn get_mut(&self) -> &mut T {
        // SAFETY: by the caller's contract this is the only reference to the data.
        unsafe { &mut *self.0.get() }
    }

    pub(crate) fn get_mut_exclusive(&mut self) -> &mut T {
        self.0.get_mut()
    }
}
