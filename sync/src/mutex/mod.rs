//! An async mutual-exclusion lock: Go's `sync.Mutex`, holding its data as Rust locks do.
//!
//! # Design
//!
//! A [`Mutex`] is a lock word with a wait list (`mutex/raw.rs`, whose top comment writes down
//! the protocol, its invariants and its memory orderings) plus the data cell (`crate::cell`).
//!
//! - **Uncontended**, `lock().await` is one CAS (plus one unit of coop budget) and dropping the
//!   guard is one CAS: no wait-list mutex, no allocation, no clock read.
//! - **Normal mode** (Go's): a task that finds the lock free takes it, even if others are queued
//!   (*barging*); `unlock` wakes one queued waiter, which then competes with new arrivals and,
//!   if it loses, goes back to the front of the queue. The running task keeps the lock's cache
//!   line and goes on, instead of the lock idling until a woken task is scheduled: this is what
//!   makes Go's contended mutex fast.
//! - **Starvation mode** (Go's): once a woken waiter has waited over [`STARVATION_THRESHOLD`]
//!   (1 ms) and still loses, `unlock` hands the lock directly to the front waiter and newcomers
//!   queue behind, until the queue is empty or a waiter got through in under the threshold.
//!   No waiter starves.
//! - **Cancel-safe**: a dropped `lock()` future that had been handed the lock passes it on, and
//!   one that had been woken passes the wake-up on.
//! - [`Mutex::try_lock`] succeeds only if the lock is free *and nobody is waiting or being woken*
//!   (it does not barge; Go's `TryLock` does in normal mode).
//!
//! The guard may be dropped on any thread or task (a Go mutex has no owner either).
//!
//! Measured with the harness (`gmp-bench --only sync_mutex_uncontended,sync_mutex_contended`,
//! 2 workers, medians of 4 runs on a loaded 2-core machine): uncontended 7.0 ns/op (Go 7.1,
//! tokio 95; 43 instructions per lock/unlock pair under callgrind, 140 on the semaphore),
//! 8 contending tasks 11.8 ns/op (Go 12.1, tokio 221; 185 on the semaphore).
//!
//! Lock order: none (the wait-list mutex is a leaf).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::cell::LockCell;
use raw::{RawMutex, WaiterSlot};
use std::sync::Arc;

mod raw;

pub use raw::STARVATION_THRESHOLD;

/// An async mutex protecting a `T`: Go's `sync.Mutex` (barging, with a starvation mode).
///
/// # Examples
///
/// ```
/// use gmp_sync::Mutex;
/// # futures::executor::block_on(async {
/// let m = Mutex::new(0);
/// *m.lock().await += 1;
/// assert_eq!(*m.lock().await, 1);
/// # });
/// ```
pub struct Mutex<T: ?Sized> {
    raw: RawMutex,
    cell: LockCell<T>,
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Some(g) => d.field("data", &&*g),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gmp_sync::Mutex::new(vec![1, 2]);
    /// assert_eq!(m.into_inner(), [1, 2]);
    /// ```
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            raw: RawMutex::new(),
            cell: LockCell::new(value),
        }
    }

    /// Consumes the mutex, returning the data.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gmp_sync::Mutex::new(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.cell.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock and returns a guard that unlocks when dropped: Go's `Lock`.
    ///
    /// Takes the lock whenever it is free (barging past queued waiters) unless the mutex is in
    /// starvation mode, where waiters are served FIFO (see the [module docs](self)).
    ///
    /// Spends one unit of coop budget. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let m = gmp_sync::Mutex::new(String::new());
    /// m.lock().await.push_str("hi");
    /// assert_eq!(&*m.lock().await, "hi");
    /// # });
    /// ```
    pub fn lock(&self) -> Lock<'_, T> {
        Lock {
            slot: WaiterSlot::Idle,
            mutex: self,
        }
    }

    /// Locks an `Arc<Mutex<T>>`; the guard owns a clone of the `Arc` (so it is `'static`).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let m = std::sync::Arc::new(gmp_sync::Mutex::new(1));
    /// let mut g = m.clone().lock_owned().await;
    /// *g += 1;
    /// drop(g);
    /// assert_eq!(*m.lock().await, 2);
    /// # });
    /// ```
    pub fn lock_owned(self: Arc<Self>) -> LockOwned<T> {
        LockOwned {
            slot: WaiterSlot::Idle,
            mutex: Some(self),
        }
    }

    /// Locks if the mutex is free and nobody is queued for it: Go's `TryLock`, except that it
    /// never barges past waiters.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = gmp_sync::Mutex::new(());
    /// let g = m.try_lock().unwrap();
    /// assert!(m.try_lock().is_none());
    /// drop(g);
    /// assert!(m.try_lock().is_some());
    /// ```
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.raw.try_lock().then(|| MutexGuard {
            mutex: self,
            _marker: PhantomData,
        })
    }

    /// Mutable access without locking (the `&mut` proves exclusivity).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = gmp_sync::Mutex::new(1);
    /// *m.get_mut() = 2;
    /// assert_eq!(m.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.cell.get_mut_exclusive()
    }
}

/// Future returned by [`Mutex::lock`]. Cancel-safe.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let m = gmp_sync::Mutex::new(0);
/// let fut: gmp_sync::mutex::Lock<'_, i32> = m.lock();
/// assert_eq!(*fut.await, 0);
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Lock<'a, T: ?Sized> {
    slot: WaiterSlot,
    mutex: &'a Mutex<T>,
}

impl<T: ?Sized> fmt::Debug for Lock<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock").finish_non_exhaustive()
    }
}

impl<'a, T: ?Sized> Future for Lock<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        let this = self.get_mut();
        std::task::ready!(this.slot.poll_lock(&this.mutex.raw, cx));
        Poll::Ready(MutexGuard {
            mutex: this.mutex,
            _marker: PhantomData,
        })
    }
}

impl<T: ?Sized> Drop for Lock<'_, T> {
    fn drop(&mut self) {
        self.slot.cancel(&self.mutex.raw);
    }
}

/// Future returned by [`Mutex::lock_owned`]. Cancel-safe.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let m = std::sync::Arc::new(gmp_sync::Mutex::new(0));
/// let fut: gmp_sync::mutex::LockOwned<i32> = m.lock_owned();
/// assert_eq!(*fut.await, 0);
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct LockOwned<T: ?Sized> {
    slot: WaiterSlot,
    mutex: Option<Arc<Mutex<T>>>,
}

impl<T: ?Sized> fmt::Debug for LockOwned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockOwned").finish_non_exhaustive()
    }
}

impl<T: ?Sized> Future for LockOwned<T> {
    type Output = OwnedMutexGuard<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedMutexGuard<T>> {
        let this = self.get_mut();
        let mutex = this
            .mutex
            .as_ref()
            .expect("LockOwned polled after completion");
        std::task::ready!(this.slot.poll_lock(&mutex.raw, cx));
        let mutex = this.mutex.take().expect("present");
        Poll::Ready(OwnedMutexGuard {
            mutex,
            _marker: PhantomData,
        })
    }
}

impl<T: ?Sized> Drop for LockOwned<T> {
    fn drop(&mut self) {
        if let Some(m) = &self.mutex {
            self.slot.cancel(&m.raw);
        }
    }
}

/// Exclusive access to a [`Mutex`]'s data; unlocks when dropped (Go's `Unlock`).
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let m = gmp_sync::Mutex::new(vec![]);
/// let mut g: gmp_sync::MutexGuard<'_, Vec<i32>> = m.lock().await;
/// g.push(1);
/// # });
/// ```
#[must_use = "the mutex unlocks as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    // `Sync` only when `T: Send + Sync` (a shared guard hands out `&T`); see `crate::cell`.
    _marker: PhantomData<std::sync::RwLock<T>>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The mutex this guard locks (an associated function, so it does not shadow `T`'s
    /// methods).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let m = gmp_sync::Mutex::new(1);
    /// let g = m.lock().await;
    /// assert!(std::ptr::eq(gmp_sync::MutexGuard::mutex(&g), &m));
    /// # });
    /// ```
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.mutex
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock (see `crate::cell`).
        unsafe { self.mutex.cell.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock, and `&mut self` makes this the only reference
        // derived from it.
        unsafe { self.mutex.cell.get_mut() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.raw.unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Like [`MutexGuard`], owning an `Arc` of its mutex; from [`Mutex::lock_owned`].
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let m = std::sync::Arc::new(gmp_sync::Mutex::new(5));
/// let g: gmp_sync::OwnedMutexGuard<i32> = m.lock_owned().await;
/// assert_eq!(*g, 5);
/// # });
/// ```
#[must_use = "the mutex unlocks as soon as the guard is dropped"]
pub struct OwnedMutexGuard<T: ?Sized> {
    mutex: Arc<Mutex<T>>,
    _marker: PhantomData<std::sync::RwLock<T>>,
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock (see `crate::cell`).
        unsafe { self.mutex.cell.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for `MutexGuard::deref_mut`.
        unsafe { self.mutex.cell.get_mut() }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.mutex.raw.unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
