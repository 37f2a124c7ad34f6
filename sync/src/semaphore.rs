//! A weighted, FIFO-fair async semaphore: Go's `golang.org/x/sync/semaphore`.
//!
//! # Design
//!
//! One atomic word, `state = available_permits << 1 | QUEUED`, and a `WaitList` of waiters
//! behind a mutex.
//!
//! - **Fast paths** (no lock): `acquire`/`try_acquire` take permits with a CAS when enough are
//!   available; `release` adds permits with a CAS while `QUEUED` is clear.
//! - **Slow path of acquire** (under the lock): take whatever is available (possibly fewer than
//!   asked), set `QUEUED`, and queue a waiter for the rest.
//! - **Slow path of release** (under the lock): hand the released permits to the waiters in
//!   FIFO order, one waiter at a time, each until it has all it asked for. Leftover permits go
//!   back to the atomic and `QUEUED` is cleared only when the queue is empty.
//!
//! Invariant: `QUEUED` set ⇒ `available == 0` and the queue is not empty (checked under the
//! lock). Hence a newcomer can never barge past a waiter: permits only reach the atomic when
//! nobody waits, so the semaphore is strictly FIFO, as x/sync's is (a large request at the front
//! blocks smaller ones behind it). With `QUEUED` set, only lock holders change `state`.
//!
//! **Cancel safety**: a dropped `Acquire` removes its node and releases the permits it had
//! been granted so far (all of them if it was satisfied but not yet polled), which hands them
//! to the next waiters.
//!
//! **Lock order** (for all of gmp-sync): a primitive's waiter mutex is a leaf lock; wakers are
//! collected under it and woken after it is released.
//!
//! Rejected: barging (any acquirer takes free permits, as Go's sync.Mutex in normal mode):
//! faster under some contention but unfair and, for weighted requests, starves large ones;
//! a lock on every release (tokio): the `QUEUED` bit keeps uncontended release lock-free.

use gmp_executor::runtime::WaitReason;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use std::sync::Arc;

use crate::loom::{AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::waitlist::WaitList;

const QUEUED: usize = 1;
const SHIFT: usize = 1;

/// Largest number of permits a semaphore can hold.
pub const MAX_PERMITS: usize = usize::MAX >> 3;

#[derive(Debug)]
struct Waiter {
    /// Permits still to be granted; 0 once satisfied (then it is unlinked).
    needed: usize,
    waker: Option<Waker>,
}

/// A weighted, FIFO-fair counting semaphore (Go's `x/sync/semaphore.Weighted`).
///
/// `acquire(n).await` waits until `n` permits can be taken, in arrival order; the returned
/// [`SemaphorePermit`] gives them back when dropped (or call [`SemaphorePermit::forget`] and
/// [`Semaphore::release`] later, Go style).
///
/// # Examples
///
/// ```
/// use gmp_sync::Semaphore;
/// # futures::executor::block_on(async {
/// let sem = Semaphore::new(3);
/// let a = sem.acquire(2).await;
/// assert_eq!(sem.available_permits(), 1);
/// assert!(sem.try_acquire(2).is_none());
/// drop(a);
/// assert!(sem.try_acquire(2).is_some());
/// # });
/// ```
pub struct Semaphore {
    state: AtomicUsize,
    waiters: Mutex<WaitList<Waiter>>,
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("available", &self.available_permits())
            .finish_non_exhaustive()
    }
}

impl Semaphore {
    /// A semaphore holding `permits` permits.
    ///
    /// # Panics
    ///
    /// Panics if `permits > MAX_PERMITS`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = gmp_sync::Semaphore::new(10);
    /// assert_eq!(sem.available_permits(), 10);
    /// ```
    #[track_caller]
    pub fn new(permits: usize) -> Semaphore {
        assert!(
            permits <= MAX_PERMITS,
            "semaphore: too many permits ({permits} > {MAX_PERMITS})"
        );
        Semaphore {
            state: AtomicUsize::new(permits << SHIFT),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// Permits available right now (racy; for diagnostics).
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = gmp_sync::Semaphore::new(2);
    /// let _p = sem.try_acquire(1).unwrap();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.state.load(Ordering::Relaxed) >> SHIFT
    }

    /// Waits for `n` permits, FIFO with other waiters: Go's `sem.Acquire(ctx, n)`.
    ///
    /// To give up when a context is cancelled, race it with `ctx.done()`; dropping the pending
    /// future returns any permits it was granted. Asking for more than the semaphore can ever
    /// hold waits forever, as in Go.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let sem = gmp_sync::Semaphore::new(4);
    /// let p = sem.acquire(3).await;
    /// assert_eq!(p.permits(), 3);
    /// # });
    /// ```
    pub fn acquire(&self, n: usize) -> Acquire<'_> {
        Acquire {
            sem: self,
            waiter: WaiterSlot::new(n),
        }
    }

    /// [`acquire`](Self::acquire) for an `Arc<Semaphore>`; the permit owns a clone of the `Arc`
    /// so it can move into a spawned task.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let sem = std::sync::Arc::new(gmp_sync::Semaphore::new(1));
    /// let p = sem.clone().acquire_owned(1).await;
    /// std::thread::spawn(move || drop(p)).join().unwrap();
    /// assert_eq!(sem.available_permits(), 1);
    /// # });
    /// ```
    pub fn acquire_owned(self: Arc<Self>, n: usize) -> AcquireOwned {
        AcquireOwned {
            sem: Some(self),
            waiter: WaiterSlot::new(n),
        }
    }

    /// Takes `n` permits if they are available *and nobody is waiting*: Go's `TryAcquire`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = gmp_sync::Semaphore::new(1);
    /// let p = sem.try_acquire(1).unwrap();
    /// assert!(sem.try_acquire(1).is_none());
    /// drop(p);
    /// ```
    pub fn try_acquire(&self, n: usize) -> Option<SemaphorePermit<'_>> {
        self.try_take(n).then(|| SemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// [`try_acquire`](Self::try_acquire) for an `Arc<Semaphore>`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = std::sync::Arc::new(gmp_sync::Semaphore::new(1));
    /// let p = sem.clone().try_acquire_owned(1).unwrap();
    /// assert_eq!(p.permits(), 1);
    /// ```
    pub fn try_acquire_owned(self: Arc<Self>, n: usize) -> Option<OwnedSemaphorePermit> {
        self.try_take(n).then(|| OwnedSemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// Returns `n` permits, handing them to waiters first: Go's `Release`.
    ///
    /// # Panics
    ///
    /// Panics if the count would exceed [`MAX_PERMITS`].
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = gmp_sync::Semaphore::new(0);
    /// sem.release(2);
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    #[track_caller]
    pub fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut cur = self.state.load(Ordering::Relaxed);
        while cur & QUEUED == 0 {
            let next = Self::add_permits(cur, n);
            // Release: pairs with the Acquire of the CAS that takes these permits.
            match self
                .state
                .compare_exchange_weak(cur, next, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
        let list = self.lock();
        self.release_locked(n, list);
    }

    #[track_caller]
    fn add_permits(state: usize, n: usize) -> usize {
        let avail = (state >> SHIFT)
            .checked_add(n)
            .filter(|&a| a <= MAX_PERMITS);
        let avail =
            avail.unwrap_or_else(|| panic!("semaphore: released more than MAX_PERMITS permits"));
        avail << SHIFT
    }

    fn lock(&self) -> MutexGuard<'_, WaitList<Waiter>> {
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn try_take(&self, n: usize) -> bool {
        let mut cur = self.state.load(Ordering::Relaxed);
        loop {
            if cur >> SHIFT < n {
                return false;
            }
            // Acquire: pairs with the Release in `release`, so the previous holder's writes are
            // visible to the new one. (QUEUED implies 0 available, so this cannot barge.)
            match self.state.compare_exchange_weak(
                cur,
                cur - (n << SHIFT),
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Hands `n` permits to queued waiters (FIFO), returning any leftover to the atomic.
    fn release_locked(&self, mut n: usize, mut list: MutexGuard<'_, WaitList<Waiter>>) {
        let mut wakers = Vec::new();
        while n > 0 {
            let Some(front) = list.front() else { break };
            let w = list.get_mut(front);
            let take = n.min(w.needed);
            w.needed -= take;
            n -= take;
            if w.needed == 0 {
                wakers.extend(w.waker.take());
                list.unlink(front);
            }
        }
        if list.is_empty() {
            // Nobody waits: clear QUEUED and return the leftover. Fast paths may run
            // concurrently once QUEUED is clear, so this is a CAS loop.
            let mut cur = self.state.load(Ordering::Relaxed);
            loop {
                let next = Self::add_permits(cur & !QUEUED, n);
                // AcqRel: Release pairs with the Acquire of fast-path takers; Acquire keeps
                // later reads after this update.
                match self.state.compare_exchange_weak(
                    cur,
                    next,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => break,
                    Err(actual) => cur = actual,
                }
            }
        }
        drop(list);
        for w in wakers {
            w.wake();
        }
    }
}

/// The per-future waiter state shared by [`Acquire`] and [`AcquireOwned`].
#[derive(Debug)]
pub(crate) struct WaiterSlot {
    n: usize,
    key: Option<usize>,
    done: bool,
}

impl WaiterSlot {
    pub(crate) fn new(n: usize) -> Self {
        WaiterSlot {
            n,
            key: None,
            done: false,
        }
    }

    pub(crate) fn poll_acquire(&mut self, sem: &Semaphore, cx: &mut Context<'_>) -> Poll<()> {
        assert!(!self.done, "Acquire polled after completion");
        std::task::ready!(gmp_executor::coop::poll_proceed(cx));
        match self.key {
            None => {
                if self.n == 0 || sem.try_take(self.n) {
                    self.done = true;
                    return Poll::Ready(());
                }
                let mut list = sem.lock();
                let mut cur = sem.state.load(Ordering::Relaxed);
                let needed = loop {
                    let avail = cur >> SHIFT;
                    if cur & QUEUED == 0 && avail >= self.n {
                        // Acquire: as in `try_take`.
                        match sem.state.compare_exchange(
                            cur,
                            cur - (self.n << SHIFT),
                            Ordering::Acquire,
                            Ordering::Relaxed,
                        ) {
                            Ok(_) => {
                                self.done = true;
                                return Poll::Ready(());
                            }
                            Err(actual) => cur = actual,
                        }
                        continue;
                    }
                    // Take what is there (possibly nothing) and queue for the rest.
                    // Acquire: pairs with the Release of the fast-path `release`.
                    match sem.state.compare_exchange(
                        cur,
                        QUEUED,
                        Ordering::Acquire,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => break self.n - avail,
                        Err(actual) => cur = actual,
                    }
                };
                self.key = Some(list.push_back(Waiter {
                    needed,
                    waker: Some(cx.waker().clone()),
                }));
                gmp_executor::runtime::waiting_on(cx, WaitReason::Semaphore);
                Poll::Pending
            }
            Some(key) => {
                let mut list = sem.lock();
                let w = list.get_mut(key);
                if w.needed == 0 {
                    list.remove(key);
                    self.key = None;
                    self.done = true;
                    return Poll::Ready(());
                }
                match &mut w.waker {
                    Some(old) if old.will_wake(cx.waker()) => {}
                    slot => *slot = Some(cx.waker().clone()),
                }
                gmp_executor::runtime::waiting_on(cx, WaitReason::Semaphore);
                Poll::Pending
            }
        }
    }

    /// Cancellation: give back whatever this waiter had been granted.
    pub(crate) fn cancel(&mut self, sem: &Semaphore) {
        let Some(key) = self.key.take() else { return };
        let mut list = sem.lock();
        let w = list.remove(key);
        let granted = self.n - w.needed;
        if granted > 0 {
            sem.release_locked(granted, list);
        } else if list.is_empty() {
            // We may have been the only waiter: clear QUEUED (0 permits stay 0).
            sem.release_locked(0, list);
        }
    }
}

/// Future returned by [`Semaphore::acquire`]. Cancel-safe: dropping it returns any permits it
/// was granted.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let sem = gmp_sync::Semaphore::new(1);
/// let fut: gmp_sync::semaphore::Acquire<'_> = sem.acquire(1);
/// let _permit = fut.await;
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct Acquire<'a> {
    sem: &'a Semaphore,
    waiter: WaiterSlot,
}

impl<'a> Future for Acquire<'a> {
    type Output = SemaphorePermit<'a>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        let this = self.get_mut();
        std::task::ready!(this.waiter.poll_acquire(this.sem, cx));
        Poll::Ready(SemaphorePermit {
            sem: this.sem,
            permits: this.waiter.n,
        })
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        self.waiter.cancel(self.sem);
    }
}

/// Future returned by [`Semaphore::acquire_owned`].
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let sem = std::sync::Arc::new(gmp_sync::Semaphore::new(1));
/// let fut: gmp_sync::semaphore::AcquireOwned = sem.acquire_owned(1);
/// let _permit = fut.await;
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct AcquireOwned {
    sem: Option<Arc<Semaphore>>,
    waiter: WaiterSlot,
}

impl Future for AcquireOwned {
    type Output = OwnedSemaphorePermit;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedSemaphorePermit> {
        let this = self.get_mut();
        let sem = this
            .sem
            .as_ref()
            .expect("AcquireOwned polled after completion");
        std::task::ready!(this.waiter.poll_acquire(sem, cx));
        let sem = this.sem.take().expect("present");
        Poll::Ready(OwnedSemaphorePermit {
            sem,
            permits: this.waiter.n,
        })
    }
}

impl Drop for AcquireOwned {
    fn drop(&mut self) {
        if let Some(sem) = &self.sem {
            self.waiter.cancel(sem);
        }
    }
}

/// Permits taken from a [`Semaphore`]; released when dropped.
///
/// # Examples
///
/// ```
/// let sem = gmp_sync::Semaphore::new(2);
/// let p = sem.try_acquire(2).unwrap();
/// assert_eq!(p.permits(), 2);
/// drop(p);
/// assert_eq!(sem.available_permits(), 2);
/// ```
#[must_use = "dropping the permit releases it at once"]
#[derive(Debug)]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
    permits: usize,
}

impl SemaphorePermit<'_> {
    /// Number of permits held.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = gmp_sync::Semaphore::new(5);
    /// assert_eq!(sem.try_acquire(4).unwrap().permits(), 4);
    /// ```
    pub fn permits(&self) -> usize {
        self.permits
    }

    /// Keeps the permits taken without releasing them (Go style: call
    /// [`Semaphore::release`] yourself later).
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = gmp_sync::Semaphore::new(1);
    /// sem.try_acquire(1).unwrap().forget();
    /// assert_eq!(sem.available_permits(), 0);
    /// sem.release(1);
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.release(self.permits);
    }
}

/// Permits taken from an `Arc<Semaphore>`; released when dropped.
///
/// # Examples
///
/// ```
/// let sem = std::sync::Arc::new(gmp_sync::Semaphore::new(1));
/// let p: gmp_sync::OwnedSemaphorePermit = sem.clone().try_acquire_owned(1).unwrap();
/// drop(p);
/// assert_eq!(sem.available_permits(), 1);
/// ```
#[must_use = "dropping the permit releases it at once"]
#[derive(Debug)]
pub struct OwnedSemaphorePermit {
    sem: Arc<Semaphore>,
    permits: usize,
}

impl OwnedSemaphorePermit {
    /// Number of permits held.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = std::sync::Arc::new(gmp_sync::Semaphore::new(3));
    /// assert_eq!(sem.try_acquire_owned(3).unwrap().permits(), 3);
    /// ```
    pub fn permits(&self) -> usize {
        self.permits
    }

    /// Keeps the permits taken without releasing them.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = std::sync::Arc::new(gmp_sync::Semaphore::new(1));
    /// sem.clone().try_acquire_owned(1).unwrap().forget();
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.sem.release(self.permits);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::thread;
    use futures_util::task::noop_waker;

    /// Two acquirers of 1 permit each on a 1-permit semaphore, one cancels mid-wait: the permit
    /// always ends up back, and every holder is exclusive.
    #[test]
    fn loom_semaphore_handoff_and_cancel() {
        loom::model(|| {
            let sem = Arc::new(Semaphore::new(1));
            let s2 = sem.clone();
            let t = thread::spawn(move || {
                let mut fut = Box::pin(s2.acquire(1));
                let waker = noop_waker();
                let mut cx = Context::from_waker(&waker);
                // Poll once; if it has to wait, cancel (drop) instead of waiting.
                if let Poll::Ready(p) = fut.as_mut().poll(&mut cx) {
                    drop(p);
                }
            });
            let p = loop {
                if let Some(p) = sem.try_acquire(1) {
                    break p;
                }
                thread::yield_now();
            };
            drop(p);
            t.join().unwrap();
            assert_eq!(sem.available_permits(), 1);
            assert_eq!(sem.state.load(Ordering::SeqCst) & QUEUED, 0);
        });
    }

    /// Weighted: a waiter for 2 is woken by two separate releases of 1.
    #[test]
    fn loom_semaphore_weighted_release() {
        loom::model(|| {
            let sem = Arc::new(Semaphore::new(0));
            let s2 = sem.clone();
            let t = thread::spawn(move || {
                s2.release(1);
            });
            sem.release(1);
            let got = loom::future::block_on(sem.acquire(2));
            drop(got);
            t.join().unwrap();
            assert_eq!(sem.available_permits(), 2);
        });
    }
}
