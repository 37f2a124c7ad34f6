//! `Notify`: Go's `sync.Cond` as a future.
//!
//! # Design
//!
//! A FIFO `WaitList` of waiters behind a mutex. [`Notify::notified`] registers the waiter
//! *when it is created*, not when first polled, so the Cond pattern — check the condition under
//! the lock, create the `Notified`, unlock, await — cannot miss a signal sent in between (Go's
//! `notifyListAdd` before unlocking, with the same purpose). `notify_one` unlinks the oldest
//! waiter and marks it; `notify_all` marks them all. As in Go, a signal with nobody waiting is
//! not stored.
//!
//! Cancel safety: a `Notified` dropped after `notify_one` picked it, but before it returned
//! `Ready`, passes the signal on to the next waiter, so a cancelled waiter cannot swallow it.
//!
//! Lock order: the waiter list is a leaf lock; [`Notify::wait`] releases the caller's mutex
//! guard only after registering, and re-locks after waking (Go's `Cond.Wait`).
//!
//! Rejected: tokio's stored permit (`notify_one` with no waiter wakes the next one to come):
//! convenient, but not Cond's semantics, which the seed's users expect.

#![deny(unsafe_code)]

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::{Mutex, MutexGuard};
use crate::mutex::MutexGuard as AsyncMutexGuard;
use crate::waitlist::WaitList;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    None,
    One,
    All,
}

#[derive(Debug)]
struct Waiter {
    waker: Option<Waker>,
    signal: Signal,
}

/// Wakes tasks waiting for a condition: Go's `sync.Cond` (`Signal` is
/// [`notify_one`](Self::notify_one), `Broadcast` is [`notify_all`](Self::notify_all), `Wait` is
/// [`wait`](Self::wait) or [`notified`](Self::notified)).
///
/// # Examples
///
/// ```
/// use gmp_sync::{Mutex, Notify};
/// use std::sync::Arc;
/// # futures::executor::block_on(async {
/// let state = Arc::new((Mutex::new(false), Notify::new()));
/// let s2 = state.clone();
/// let t = std::thread::spawn(move || futures::executor::block_on(async {
///     *s2.0.lock().await = true;
///     s2.1.notify_all();
/// }));
/// let (lock, cond) = &*state;
/// let mut ready = lock.lock().await;
/// while !*ready {
///     ready = cond.wait(ready).await;
/// }
/// # drop(ready);
/// # t.join().unwrap();
/// # });
/// ```
pub struct Notify {
    waiters: Mutex<WaitList<Waiter>>,
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notify").finish_non_exhaustive()
    }
}

impl Default for Notify {
    fn default() -> Self {
        Self::new()
    }
}

impl Notify {
    /// A `Notify` with no waiters.
    ///
    /// # Examples
    ///
    /// ```
    /// let n = gmp_sync::Notify::new();
    /// n.notify_one(); // nobody waits: lost, as in Go
    /// ```
    pub fn new() -> Self {
        Notify {
            waiters: Mutex::new(WaitList::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, WaitList<Waiter>> {
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a waiter now and returns the future that completes when it is notified.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let n = gmp_sync::Notify::new();
    /// let waiter = n.notified(); // registered here
    /// n.notify_one();
    /// waiter.await;
    /// # });
    /// ```
    pub fn notified(&self) -> Notified<'_> {
        let key = self.lock().push_back(Waiter {
            waker: None,
            signal: Signal::None,
        });
        Notified {
            notify: self,
            key: Some(key),
        }
    }

    /// Wakes the longest-waiting registered waiter, if any: Go's `cond.Signal()`.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let n = gmp_sync::Notify::new();
    /// let (a, b) = (n.notified(), n.notified());
    /// n.notify_one();
    /// a.await; // the first registered
    /// drop(b);
    /// # });
    /// ```
    pub fn notify_one(&self) {
        let waker = {
            let mut list = self.lock();
            let Some(key) = list.pop_front() else { return };
            let w = list.get_mut(key);
            w.signal = Signal::One;
            w.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Wakes every registered waiter: Go's `cond.Broadcast()`.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let n = gmp_sync::Notify::new();
    /// let (a, b) = (n.notified(), n.notified());
    /// n.notify_all();
    /// a.await;
    /// b.await;
    /// # });
    /// ```
    pub fn notify_all(&self) {
        let mut wakers = Vec::new();
        self.lock().drain_linked(|w| {
            w.signal = Signal::All;
            wakers.extend(w.waker.take());
        });
        for w in wakers {
            w.wake();
        }
    }

    /// Go's `cond.Wait()`: registers, unlocks `guard`'s mutex, waits for a notification, and
    /// locks it again. As in Go, re-check the condition in a loop.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let (m, n) = (gmp_sync::Mutex::new(0), gmp_sync::Notify::new());
    /// let g = m.lock().await;
    /// let waiting = n.wait(g);
    /// // ... another task would change the state and call n.notify_one() ...
    /// # drop(waiting);
    /// # });
    /// ```
    pub async fn wait<'a, T: ?Sized>(
        &self,
        guard: AsyncMutexGuard<'a, T>,
    ) -> AsyncMutexGuard<'a, T> {
        let mutex = AsyncMutexGuard::mutex(&guard);
        let notified = self.notified();
        drop(guard);
        notified.await;
        mutex.lock().await
    }
}

/// Future returned by [`Notify::notified`]: completes once notified. Cancel-safe.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let n = gmp_sync::Notify::new();
/// let w: gmp_sync::notify::Notified<'_> = n.notified();
/// n.notify_all();
/// w.await;
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Notified<'a> {
    notify: &'a Notify,
    key: Option<usize>,
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified").finish_non_exhaustive()
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        std::task::ready!(gmp_executor::coop::poll_proceed(cx));
        let this = self.get_mut();
        let key = this.key.expect("Notified polled after completion");
        let mut list = this.notify.lock();
        let w = list.get_mut(key);
        if w.signal != Signal::None {
            list.remove(key);
            this.key = None;
            return Poll::Ready(());
        }
        match &mut w.waker {
            Some(old) if old.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        gmp_executor::runtime::waiting_on(cx, gmp_executor::runtime::WaitReason::Notify);
        Poll::Pending
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let w = self.notify.lock().remove(key);
        if w.signal == Signal::One {
            // Picked by `notify_one` but never observed: pass the signal on.
            self.notify.notify_one();
        }
    }
}
