//! An async reader/writer lock: Go's `sync.RWMutex`, holding its data.
//!
//! # Design
//!
//! A [`RwLock`] is a [`Semaphore`] of `MAX_READS` permits plus the data cell
//! (`crate::cell`): a reader takes one permit, a writer takes all of them. The semaphore is
//! FIFO, which gives Go's RWMutex rule for free: once a writer queues, readers arriving after
//! it wait behind it (so a stream of readers cannot starve a writer), and the readers queued
//! behind a writer all get in together when it unlocks. Uncontended `read`/`write` are one CAS
//! each way; a dropped pending `read()`/`write()` gives back what it had been granted (a
//! writer is granted permits gradually as readers leave).
//!
//! Rejected: a separate reader count and writer flag (Go's layout): it needs its own wait
//! queues and hand-off logic that the weighted semaphore already provides.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::cell::LockCell;
use crate::semaphore::{Acquire, Semaphore};

/// Most readers that may hold the lock at once (the permits a writer takes).
#[cfg(not(loom))]
pub const MAX_READS: usize = (u32::MAX >> 3) as usize;
/// Most readers that may hold the lock at once (small under loom).
#[cfg(loom)]
pub const MAX_READS: usize = 10;

/// An async reader/writer lock protecting a `T`: Go's `sync.RWMutex`, FIFO-fair.
///
/// # Examples
///
/// ```
/// use gmp_sync::RwLock;
/// # futures::executor::block_on(async {
/// let lock = RwLock::new(5);
/// {
///     let r1 = lock.read().await;
///     let r2 = lock.read().await;
///     assert_eq!(*r1 + *r2, 10);
/// }
/// *lock.write().await += 1;
/// assert_eq!(*lock.read().await, 6);
/// # });
/// ```
pub struct RwLock<T: ?Sized> {
    sem: Semaphore,
    // `Sync` only when `T: Send + Sync`: readers share `&T` across threads.
    _marker: PhantomData<std::sync::RwLock<T>>,
    cell: LockCell<T>,
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Some(g) => d.field("data", &&*g),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> RwLock<T> {
    /// A new unlocked lock holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let l = gmp_sync::RwLock::new(1);
    /// assert_eq!(l.into_inner(), 1);
    /// ```
    pub fn new(value: T) -> RwLock<T> {
        RwLock {
            sem: Semaphore::new(MAX_READS),
            _marker: PhantomData,
            cell: LockCell::new(value),
        }
    }

    /// Consumes the lock, returning the data.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gmp_sync::RwLock::new("x").into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        self.cell.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits for shared access: Go's `RLock`. Waits behind any queued writer.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let l = gmp_sync::RwLock::new(vec![1]);
    /// assert_eq!(l.read().await.len(), 1);
    /// # });
    /// ```
    pub fn read(&self) -> Read<'_, T> {
        Read {
            acquire: self.sem.acquire(1),
            lock: self,
        }
    }

    /// Waits for exclusive access: Go's `Lock`.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let l = gmp_sync::RwLock::new(vec![1]);
    /// l.write().await.push(2);
    /// assert_eq!(*l.read().await, [1, 2]);
    /// # });
    /// ```
    pub fn write(&self) -> Write<'_, T> {
        Write {
            acquire: self.sem.acquire(MAX_READS),
            lock: self,
        }
    }

    /// Shared access if available now and no writer is queued: Go's `TryRLock`.
    ///
    /// # Examples
    ///
    /// ```
    /// let l = gmp_sync::RwLock::new(0);
    /// let r = l.try_read().unwrap();
    /// assert!(l.try_write().is_none());
    /// drop(r);
    /// ```
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        self.sem.try_acquire(1)?.forget();
        Some(RwLockReadGuard { lock: self })
    }

    /// Exclusive access if available now: Go's `TryLock`.
    ///
    /// # Examples
    ///
    /// ```
    /// let l = gmp_sync::RwLock::new(0);
    /// let w = l.try_write().unwrap();
    /// assert!(l.try_read().is_none());
    /// drop(w);
    /// ```
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        self.sem.try_acquire(MAX_READS)?.forget();
        Some(RwLockWriteGuard { lock: self })
    }

    /// Mutable access without locking.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut l = gmp_sync::RwLock::new(1);
    /// *l.get_mut() = 3;
    /// assert_eq!(l.into_inner(), 3);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.cell.get_mut_exclusive()
    }
}

/// Future returned by [`RwLock::read`]. Cancel-safe.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let l = gmp_sync::RwLock::new(1);
/// let fut: gmp_sync::rwlock::Read<'_, i32> = l.read();
/// assert_eq!(*fut.await, 1);
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Read<'a, T: ?Sized> {
    acquire: Acquire<'a>,
    lock: &'a RwLock<T>,
}

impl<T: ?Sized> fmt::Debug for Read<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Read").finish_non_exhaustive()
    }
}

impl<'a, T: ?Sized> Future for Read<'a, T> {
    type Output = RwLockReadGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Poll::Ready(permit) = Pin::new(&mut this.acquire).poll(cx) else {
            gmp_executor::runtime::waiting_on(cx, gmp_executor::runtime::WaitReason::RwLockRead);
            return Poll::Pending;
        };
        permit.forget();
        Poll::Ready(RwLockReadGuard { lock: this.lock })
    }
}

/// Future returned by [`RwLock::write`]. Cancel-safe.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let l = gmp_sync::RwLock::new(1);
/// let fut: gmp_sync::rwlock::Write<'_, i32> = l.write();
/// *fut.await = 2;
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Write<'a, T: ?Sized> {
    acquire: Acquire<'a>,
    lock: &'a RwLock<T>,
}

impl<T: ?Sized> fmt::Debug for Write<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Write").finish_non_exhaustive()
    }
}

impl<'a, T: ?Sized> Future for Write<'a, T> {
    type Output = RwLockWriteGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Poll::Ready(permit) = Pin::new(&mut this.acquire).poll(cx) else {
            gmp_executor::runtime::waiting_on(cx, gmp_executor::runtime::WaitReason::RwLockWrite);
            return Poll::Pending;
        };
        permit.forget();
        Poll::Ready(RwLockWriteGuard { lock: this.lock })
    }
}

/// Shared access to a [`RwLock`]'s data; released when dropped (Go's `RUnlock`).
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let l = gmp_sync::RwLock::new(2);
/// let g: gmp_sync::RwLockReadGuard<'_, i32> = l.read().await;
/// assert_eq!(*g, 2);
/// # });
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds one permit; no writer can hold all of them meanwhile.
        unsafe { self.lock.cell.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Exclusive access to a [`RwLock`]'s data; released when dropped (Go's `Unlock`).
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let l = gmp_sync::RwLock::new(2);
/// let mut g: gmp_sync::RwLockWriteGuard<'_, i32> = l.write().await;
/// *g = 3;
/// # });
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds every permit.
        unsafe { self.lock.cell.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds every permit, and `&mut self` makes this the only reference.
        unsafe { self.lock.cell.get_mut() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.release(MAX_READS);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
