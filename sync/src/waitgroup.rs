//! `WaitGroup`: Go's `sync.WaitGroup` as a future, plus Go 1.25's `WaitGroup.Go`.
//!
//! # Design
//!
//! One atomic word holds everything `add`/`done` touch, so they are lock-free:
//!
//! ```text
//!  63                         32 31                         1    0
//! +-----------------------------+----------------------------+----+
//! |   counter (i32)             |   epoch (31 bits, wraps)   | W  |
//! +-----------------------------+----------------------------+----+
//! ```
//!
//! - `W` ("waiters") is set by a waiter, under the waiter-list mutex, only while the counter is
//!   positive; it is cleared only by the transition that brings the counter to zero, which
//!   bumps the epoch *in the same CAS*. That transition (`Transition::ReleaseWaiters`) then
//!   takes the waiter mutex and wakes every queued waiter.
//! - A waiter records the epoch it registered in. It completes when the epoch has moved on
//!   (even if the counter is positive again because the group is being reused), or, on its
//!   first poll, when the counter is zero. This is what makes the group reusable once `wait`
//!   returns, with no premature wake-up: a waiter that registers after the counter went back up
//!   waits for the next zero.
//! - `add`/`done` with no waiter (the hot path: a million tasks each calling `done`) is one
//!   CAS on the word and never touches the mutex.
//!
//! Invariants: `W` set ⇒ counter > 0. The counter never goes below zero: a transition that
//! would is refused with Go's panic, `"sync: negative WaitGroup counter"`, leaving the state
//! untouched.
//!
//! Orderings: every transition is an `AcqRel` RMW, so the RMWs form one release sequence; a
//! waiter's `Acquire` load that sees the zero (or the new epoch) therefore happens-after every
//! `done` before it, which is Go's guarantee ("Done synchronizes before the Wait it unblocks").
//!
//! Lock order: the waiter mutex is a leaf; wakers are woken after it is released.
//!
//! Rejected: Go's exact layout (counter + waiter *count*, with a semaphore per group) needs
//! Go's "reuse before Wait has returned" panic to stay correct; the epoch makes reuse safe
//! instead. A `Notify`-style broadcast on every `done` would put a lock on the hot path.
//! Epoch wrap-around after 2³¹ zero transitions *during one wait* is ignored.

#![deny(unsafe_code)]

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::{Arc, AtomicU64, Mutex, MutexGuard, Ordering};
use crate::waitlist::WaitList;

const WAITERS: u64 = 1;
const EPOCH_MASK: u64 = 0xFFFF_FFFE;
const COUNTER_SHIFT: u32 = 32;

fn counter(state: u64) -> i64 {
    i64::from((state >> COUNTER_SHIFT) as u32 as i32)
}

fn epoch(state: u64) -> u64 {
    state & EPOCH_MASK
}

/// What a counter transition requires of its caller.
#[must_use = "a transition to zero must release the waiters"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transition {
    /// The counter is still positive, or it reached zero with nobody waiting: nothing to do.
    Done,
    /// The counter reached zero with waiters registered: wake them all.
    ReleaseWaiters,
}

struct Inner {
    state: AtomicU64,
    waiters: Mutex<WaitList<Option<Waker>>>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, WaitList<Option<Waker>>> {
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies `delta` to the counter in one CAS.
    #[track_caller]
    fn transition(&self, delta: i64) -> Transition {
        let mut cur = self.state.load(Ordering::Relaxed);
        loop {
            let new = counter(cur) + delta;
            if new < 0 {
                panic!("sync: negative WaitGroup counter");
            }
            if new > i64::from(i32::MAX) {
                panic!("sync: WaitGroup counter overflows");
            }
            let (low, outcome) = if new == 0 && cur & WAITERS != 0 {
                // Clear W and bump the epoch together: every waiter registered so far is
                // released by this transition and no later one.
                ((epoch(cur) + 2) & EPOCH_MASK, Transition::ReleaseWaiters)
            } else {
                (cur & (EPOCH_MASK | WAITERS), Transition::Done)
            };
            let next = (u64::from(new as u32) << COUNTER_SHIFT) | low;
            // AcqRel: Release publishes the member's work to the waiter's Acquire load (the RMWs
            // form one release sequence); Acquire orders the wake-ups after it.
            match self
                .state
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return outcome,
                Err(actual) => cur = actual,
            }
        }
    }

    fn apply(&self, t: Transition) {
        match t {
            Transition::Done => {}
            Transition::ReleaseWaiters => {
                let mut wakers = Vec::new();
                self.lock().drain_linked(|w| wakers.extend(w.take()));
                for w in wakers {
                    w.wake();
                }
            }
        }
    }
}

/// Waits for a collection of tasks to finish: Go's `sync.WaitGroup`.
///
/// A `WaitGroup` is a cheap handle (an `Arc`): clone it into the tasks. [`add`](Self::add)
/// counts tasks in, [`done`](Self::done) counts one out, and [`wait`](Self::wait) completes
/// when the counter is zero. The group is reusable once `wait` returns.
/// [`go`](Self::go) does all three for a spawned future (Go 1.25's `wg.Go`), and
/// [`guard`](Self::guard) counts one in until the guard is dropped, so `?` or a panic cannot
/// leak a count.
///
/// # Examples
///
/// ```
/// use gmp_sync::WaitGroup;
/// # futures::executor::block_on(async {
/// let wg = WaitGroup::new();
/// let mut threads = Vec::new();
/// for _ in 0..3 {
///     wg.add(1);
///     let wg = wg.clone();
///     threads.push(std::thread::spawn(move || wg.done()));
/// }
/// wg.wait().await;
/// # for t in threads { t.join().unwrap(); }
/// # });
/// ```
#[derive(Clone)]
pub struct WaitGroup {
    inner: Arc<Inner>,
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.inner.state.load(Ordering::Relaxed);
        f.debug_struct("WaitGroup")
            .field("counter", &counter(s))
            .field("waiters", &(s & WAITERS != 0))
            .finish()
    }
}

impl Default for WaitGroup {
    fn default() -> Self {
        Self::new()
    }
}

impl WaitGroup {
    /// A group with a zero counter.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// gmp_sync::WaitGroup::new().wait().await; // zero: returns at once
    /// # });
    /// ```
    pub fn new() -> WaitGroup {
        WaitGroup {
            inner: Arc::new(Inner {
                state: AtomicU64::new(0),
                waiters: Mutex::new(WaitList::new()),
            }),
        }
    }

    /// Adds `delta` (which may be negative) to the counter: Go's `wg.Add`. When the counter
    /// reaches zero, every pending [`wait`](Self::wait) completes.
    ///
    /// Call `add` before starting the task it counts, as in Go: otherwise `wait` may see zero
    /// first.
    ///
    /// # Panics
    ///
    /// Panics with `"sync: negative WaitGroup counter"` if the counter would go below zero
    /// (the counter is left unchanged), and if it would exceed `i32::MAX`.
    ///
    /// # Examples
    ///
    /// ```
    /// let wg = gmp_sync::WaitGroup::new();
    /// wg.add(2);
    /// wg.add(-2);
    /// let r = std::panic::catch_unwind(|| wg.add(-1));
    /// assert!(r.is_err());
    /// ```
    #[track_caller]
    pub fn add(&self, delta: isize) {
        let delta = i64::try_from(delta).expect("sync: WaitGroup delta out of range");
        let t = self.inner.transition(delta);
        self.inner.apply(t);
    }

    /// The current counter (racy; for diagnostics and errgroup's limit check).
    pub(crate) fn count(&self) -> i64 {
        counter(self.inner.state.load(Ordering::Relaxed))
    }

    /// Decrements the counter by one: Go's `wg.Done`.
    ///
    /// # Panics
    ///
    /// Panics with `"sync: negative WaitGroup counter"` if the counter is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// let wg = gmp_sync::WaitGroup::new();
    /// wg.add(1);
    /// wg.done();
    /// ```
    #[track_caller]
    pub fn done(&self) {
        let t = self.inner.transition(-1);
        self.inner.apply(t);
    }

    /// Waits until the counter is zero: Go's `wg.Wait`. Completes at once if it already is.
    ///
    /// The future is cancel-safe and spends one unit of coop budget per poll. Several tasks may
    /// wait at once; all are released by the same transition to zero.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let wg = gmp_sync::WaitGroup::new();
    /// wg.add(1);
    /// let wg2 = wg.clone();
    /// let t = std::thread::spawn(move || wg2.done());
    /// wg.wait().await;
    /// # t.join().unwrap();
    /// # });
    /// ```
    pub fn wait(&self) -> Wait<'_> {
        Wait {
            inner: &self.inner,
            key: None,
            epoch: None,
        }
    }

    /// Counts one task in until the returned guard is dropped (then it calls
    /// [`done`](Self::done)). Move it into the task: an early return, `?` or panic still counts
    /// the task out.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let wg = gmp_sync::WaitGroup::new();
    /// let g = wg.guard();
    /// let t = std::thread::spawn(move || {
    ///     let _g = g; // done() when this scope ends, however it ends
    /// });
    /// wg.wait().await;
    /// # t.join().unwrap();
    /// # });
    /// ```
    #[track_caller]
    pub fn guard(&self) -> WaitGroupGuard {
        self.add(1);
        WaitGroupGuard { wg: self.clone() }
    }

    /// Spawns `future` on the current gmp runtime as a member of the group: Go 1.25's
    /// `wg.Go(f)`. Adds one before spawning and calls `done` when the task ends, whether it
    /// returns, panics or is dropped (runtime shutdown).
    ///
    /// # Panics
    ///
    /// Panics outside a gmp runtime (like [`gmp_executor::spawn`]); the count is given back
    /// first.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let wg = gmp_sync::WaitGroup::new();
    ///     for i in 0..5 {
    ///         wg.go(async move { let _ = i * 2; });
    ///     }
    ///     wg.wait().await;
    /// });
    /// ```
    #[track_caller]
    pub fn go<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let guard = self.guard();
        gmp_executor::spawn(async move {
            let _guard = guard;
            future.await;
        })
        .detach();
    }

    /// [`go`](Self::go) on any executor implementing [`futures_util::task::Spawn`] (a gmp
    /// [`Handle`](gmp_executor::Handle), `futures`' `ThreadPool`, ...).
    ///
    /// # Errors
    ///
    /// Returns the spawner's error if it refused the task (the count is given back).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = futures::executor::ThreadPool::new().unwrap();
    /// futures::executor::block_on(async {
    ///     let wg = gmp_sync::WaitGroup::new();
    ///     for _ in 0..4 {
    ///         wg.go_with(&pool, async {}).unwrap();
    ///     }
    ///     wg.wait().await;
    /// });
    /// ```
    #[track_caller]
    pub fn go_with<S, F>(
        &self,
        spawner: &S,
        future: F,
    ) -> Result<(), futures_util::task::SpawnError>
    where
        S: futures_util::task::Spawn + ?Sized,
        F: Future<Output = ()> + Send + 'static,
    {
        let guard = self.guard();
        spawner.spawn_obj(futures_util::task::FutureObj::new(Box::new(async move {
            let _guard = guard;
            future.await;
        })))
    }
}

/// Counts one member of a [`WaitGroup`] until dropped; from [`WaitGroup::guard`].
///
/// # Examples
///
/// ```
/// let wg = gmp_sync::WaitGroup::new();
/// let g: gmp_sync::WaitGroupGuard = wg.guard();
/// drop(g); // done()
/// ```
#[must_use = "dropping the guard calls done() at once"]
#[derive(Debug)]
pub struct WaitGroupGuard {
    wg: WaitGroup,
}

impl Drop for WaitGroupGuard {
    fn drop(&mut self) {
        self.wg.done();
    }
}

/// Future returned by [`WaitGroup::wait`].
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let wg = gmp_sync::WaitGroup::new();
/// let w: gmp_sync::waitgroup::Wait<'_> = wg.wait();
/// w.await;
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Wait<'a> {
    inner: &'a Inner,
    key: Option<usize>,
    /// The epoch this waiter registered in (`W` set), once registered.
    epoch: Option<u64>,
}

impl fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("registered", &self.epoch.is_some())
            .finish()
    }
}

impl Wait<'_> {
    fn released(&self, state: u64) -> bool {
        match self.epoch {
            Some(e) => epoch(state) != e,
            None => counter(state) == 0,
        }
    }

    fn finish(&mut self, list: Option<&mut WaitList<Option<Waker>>>) -> Poll<()> {
        if let (Some(key), Some(list)) = (self.key.take(), list) {
            list.remove(key);
        }
        Poll::Ready(())
    }
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        std::task::ready!(gmp_executor::coop::poll_proceed(cx));
        let this = self.get_mut();
        // Acquire: pairs with the AcqRel transitions, so the members' work is visible.
        if this.key.is_none() && this.released(this.inner.state.load(Ordering::Acquire)) {
            return Poll::Ready(());
        }
        let mut list = this.inner.lock();
        let mut cur = this.inner.state.load(Ordering::Acquire);
        loop {
            if this.released(cur) {
                return this.finish(Some(&mut list));
            }
            if cur & WAITERS != 0 {
                break;
            }
            // Set W while the counter is positive (checked by `released` above).
            // AcqRel: Acquire as above; Release orders our registration before the transition
            // that will see W.
            match this.inner.state.compare_exchange(
                cur,
                cur | WAITERS,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    cur |= WAITERS;
                    break;
                }
                Err(actual) => cur = actual,
            }
        }
        this.epoch = Some(epoch(cur));
        match this.key {
            None => this.key = Some(list.push_back(Some(cx.waker().clone()))),
            Some(key) => {
                *list.get_mut(key) = Some(cx.waker().clone());
                if !list.is_linked(key) {
                    // Woken by a zero transition of an earlier epoch than ours: wait again.
                    list.link_back(key);
                }
            }
        }
        gmp_executor::runtime::waiting_on(cx, gmp_executor::runtime::WaitReason::WaitGroup);
        Poll::Pending
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.inner.lock().remove(key);
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::thread;

    /// Two members finish concurrently with a waiter: the waiter always completes, and sees
    /// both members' writes.
    #[test]
    fn loom_waitgroup_two_done_one_wait() {
        loom::model(|| {
            let wg = WaitGroup::new();
            let flag = Arc::new(crate::loom::AtomicUsize::new(0));
            wg.add(2);
            let ts: Vec<_> = (0..2)
                .map(|_| {
                    let (wg, flag) = (wg.clone(), flag.clone());
                    thread::spawn(move || {
                        flag.fetch_add(1, Ordering::Relaxed);
                        wg.done();
                    })
                })
                .collect();
            loom::future::block_on(wg.wait());
            assert_eq!(flag.load(Ordering::Relaxed), 2);
            for t in ts {
                t.join().unwrap();
            }
        });
    }

    /// Reuse: the group is re-armed while a waiter may be registered; the waiter completes in
    /// every interleaving (released by the first zero, or registered after the re-arm and
    /// released by the second).
    #[test]
    fn loom_waitgroup_rearm_while_waiting() {
        loom::model(|| {
            let wg = WaitGroup::new();
            wg.add(1);
            let wg2 = wg.clone();
            let t = thread::spawn(move || loom::future::block_on(wg2.wait()));
            wg.done();
            wg.add(1); // next round
            wg.done();
            t.join().unwrap();
            assert_eq!(counter(wg.inner.state.load(Ordering::SeqCst)), 0);
        });
    }
}
