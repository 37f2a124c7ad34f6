//! The lock word behind [`Mutex`](super::Mutex): Go's `sync.Mutex` protocol for futures.
//!
//! # Algorithm
//!
//! One atomic word and a [`WaitList`] behind a (leaf) mutex:
//!
//! ```text
//! state = waiters << WAITER_SHIFT | STARVING | WOKEN | LOCKED
//! ```
//!
//! - `LOCKED`: somebody holds the lock.
//! - `WOKEN`: an unlocker has woken one waiter (its node is marked [`Status::Woken`] and taken
//!   out of the queue) that has not yet retried. While it is set, unlockers wake nobody else:
//!   one wake-up in flight is enough to keep the queue moving.
//! - `STARVING`: starvation mode (below).
//! - `waiters`: the number of nodes *linked* in the wait list.
//!
//! **Fast paths.** `lock` is one CAS `0 -> LOCKED`; `unlock` is one CAS `LOCKED -> 0`. Anything
//! else in the word sends the operation to its slow path.
//!
//! **Normal mode** (`STARVING` clear). Whoever finds `LOCKED` clear may take it, whether or not
//! others are queued: a newcomer *barges* past the queue, as in Go. That is what makes the
//! contended case fast: the task that is already running on a worker keeps going, instead of
//! the lock sitting reserved while a woken task is scheduled (the lock convoy of strict hand-off).
//! `unlock` clears `LOCKED` and, if waiters are queued and no wake-up is in flight, sets `WOKEN`,
//! unlinks the front waiter and wakes it. The woken waiter competes with new arrivals when it is
//! polled again; if it loses, it goes back to the *front* of the queue (it keeps its place).
//!
//! **Starvation mode.** A woken waiter that loses after having waited more than
//! [`STARVATION_THRESHOLD`] (1 ms, Go's `starvationThresholdNs`) sets `STARVING` as it requeues.
//! From then on `unlock` does not clear `LOCKED`: it hands the lock to the front waiter (marking
//! it [`Status::Granted`]) and newcomers queue at the back, so the queue drains in FIFO order.
//! The unlocker leaves starvation mode when it grants the last waiter, or one that waited less
//! than the threshold (then the queue is short again; Go's rule).
//!
//! # Invariants
//!
//! Outside the wait-list mutex's critical sections:
//!
//! 1. `waiters` equals the number of linked nodes. It changes only under the wait-list mutex
//!    (enqueue, wake, hand-off, cancel), so under that mutex it can be trusted exactly.
//! 2. `WOKEN` is set iff exactly one node has status `Woken`. Only `wake_one_locked` sets it,
//!    and only the owner of that node clears it (retrying, or cancelling).
//! 3. `STARVING` implies `LOCKED` and `waiters >= 1`: a hand-off keeps `LOCKED` set, and the
//!    last waiter's departure (grant or cancel) clears `STARVING`.
//! 4. A waiter is queued only by a CAS that sees `LOCKED` set. Since that CAS and the
//!    unlocker's CAS that clears `LOCKED` are read-modify-writes of one word, an unlocker either
//!    sees the waiter counted (and wakes somebody) or the waiter sees the lock free (and takes
//!    it): no lost wake-up. Likewise an unlocker that finds the lock re-taken by a barger leaves
//!    the wake-up to the barger's unlock, and one that finds `WOKEN` leaves it to the woken
//!    waiter (who retries, or cancels and passes the wake-up on).
//!
//! **Cancel safety.** A dropped future that was *granted* the lock unlocks it (handing it on);
//! one that was *woken* clears `WOKEN` and wakes the next waiter if the lock is free; a queued
//! one unlinks itself (leaving starvation mode if it was the last waiter).
//!
//! # Memory orderings
//!
//! - Taking the lock (`LOCKED` set by a CAS) is `Acquire`: pairs with the `Release` of the CAS
//!   that cleared `LOCKED` in the previous `unlock` (later RMWs of the word continue its release
//!   sequence, so barging through other waiters' updates still synchronizes).
//! - A hand-off in starvation mode leaves `LOCKED` set, so the word carries no edge: the
//!   wait-list mutex does. The unlocker grants under it after its critical section; the
//!   granted waiter reads its `Granted` status under it.
//! - Every other update (queueing, `WOKEN`, `STARVING`, cancelling) is `Relaxed`: it is made
//!   under the wait-list mutex, which orders it with the node it describes, and publishes no
//!   data of its own.
//!
//! **Lock order**: the wait-list mutex is a leaf; wakers are taken under it and woken after it
//! is released.
//!
//! Rejected: strict FIFO hand-off on every unlock (what this mutex did before, as a one-permit
//! semaphore, and what tokio does): fair, but under contention every unlock reserves the lock for
//! a task that still has to be scheduled; measured 5-12x Go's time on the contended harness row.
//! Spinning before queueing (Go spins up to 4 times, 30 pause hints each, on multicore): tried
//! exactly so, it bought nothing on the contended harness row (same-run medians 9 ns/op without,
//! 12 with, on a loaded 2-core machine), and a future that cannot get the lock had better give
//! its worker to other tasks; the barging already lets the running task proceed.

use std::fmt;
use std::task::{Context, Poll, Waker};

use crate::loom::{AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::waitlist::WaitList;

const LOCKED: usize = 1;
const WOKEN: usize = 1 << 1;
const STARVING: usize = 1 << 2;
const WAITER_SHIFT: u32 = 3;
const ONE_WAITER: usize = 1 << WAITER_SHIFT;

/// How long a waiter may wait before the mutex switches to FIFO hand-off (Go's
/// `starvationThresholdNs`).
///
/// # Examples
///
/// ```
/// assert_eq!(gmp_sync::mutex::STARVATION_THRESHOLD.as_micros(), 1000);
/// ```
pub const STARVATION_THRESHOLD: std::time::Duration = std::time::Duration::from_millis(1);

fn waiters(state: usize) -> usize {
    state >> WAITER_SHIFT
}

/// When a waiter first queued, to tell whether it is starving.
#[cfg(not(loom))]
#[derive(Debug, Clone, Copy)]
struct WaitStart(std::time::Instant);

#[cfg(not(loom))]
impl WaitStart {
    fn now() -> Self {
        WaitStart(std::time::Instant::now())
    }

    fn starving(self) -> bool {
        self.0.elapsed() > STARVATION_THRESHOLD
    }
}

/// Under loom time does not pass, and models must be deterministic: every waiter counts as
/// starving, so any woken waiter that loses switches to hand-off mode and models reach both.
#[cfg(loom)]
#[derive(Debug, Clone, Copy)]
struct WaitStart;

#[cfg(loom)]
impl WaitStart {
    fn now() -> Self {
        WaitStart
    }

    fn starving(self) -> bool {
        true
    }
}

/// Where a waiter's node stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// Linked in the queue, counted in `waiters`.
    Queued,
    /// Unlinked by an unlocker that set `WOKEN` for it: it must retry (or pass the wake-up on).
    Woken,
    /// Unlinked by an unlocker in starvation mode that handed it the lock (`LOCKED` kept set).
    Granted,
}

#[derive(Debug)]
struct Waiter {
    status: Status,
    since: WaitStart,
    waker: Option<Waker>,
}

/// The lock word and the wait list; see the module docs.
pub(crate) struct RawMutex {
    state: AtomicUsize,
    waiters: Mutex<WaitList<Waiter>>,
}

impl fmt::Debug for RawMutex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state.load(Ordering::Relaxed);
        f.debug_struct("RawMutex")
            .field("locked", &(s & LOCKED != 0))
            .field("starving", &(s & STARVING != 0))
            .field("waiters", &waiters(s))
            .finish()
    }
}

impl RawMutex {
    pub(crate) fn new() -> Self {
        RawMutex {
            state: AtomicUsize::new(0),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// Takes the lock if it is free and nobody waits for it (no barging): `TryLock`.
    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        // Acquire: pairs with the Release of the unlock that cleared LOCKED.
        self.state
            .compare_exchange(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Takes the lock if `LOCKED` and `STARVING` are clear, barging past queued waiters.
    #[inline]
    fn try_barge(&self) -> bool {
        let mut cur = self.state.load(Ordering::Relaxed);
        while cur & (LOCKED | STARVING) == 0 {
            // Acquire: as in `try_lock`.
            match self.state.compare_exchange_weak(
                cur,
                cur | LOCKED,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
        false
    }

    /// Releases the lock; the caller holds it.
    #[inline]
    pub(crate) fn unlock(&self) {
        // Release: pairs with the Acquire of whoever takes the lock next.
        if self
            .state
            .compare_exchange(LOCKED, 0, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            self.unlock_slow();
        }
    }

    #[cold]
    fn unlock_slow(&self) {
        let mut cur = self.state.load(Ordering::Relaxed);
        loop {
            debug_assert!(cur & LOCKED != 0, "unlock of an unlocked mutex");
            if cur & STARVING != 0 {
                // Hand-off; `release_locked` looks again under the wait-list mutex.
                return self.release_locked(self.list());
            }
            // Release: as in `unlock`.
            match self.state.compare_exchange_weak(
                cur,
                cur & !LOCKED,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        if waiters(cur) > 0 && cur & WOKEN == 0 {
            self.wake_one_locked(self.list());
        }
    }

    fn list(&self) -> MutexGuard<'_, WaitList<Waiter>> {
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Unlock with the wait-list mutex held: hand off in starvation mode, else clear `LOCKED`
    /// and wake a waiter if one should be.
    fn release_locked(&self, mut list: MutexGuard<'_, WaitList<Waiter>>) {
        let cur = self.state.load(Ordering::Relaxed);
        debug_assert!(cur & LOCKED != 0, "unlock of an unlocked mutex");
        if cur & STARVING != 0 {
            let front = list.front().expect("STARVING implies a queued waiter");
            let w = list.get_mut(front);
            // Go's rule: leave starvation mode once a waiter got through quickly.
            let still_starving = w.since.starving();
            w.status = Status::Granted;
            let waker = w.waker.take();
            list.unlink(front);
            // LOCKED stays set: the wait-list mutex orders the hand-off (module docs).
            self.uncount_waiter_locked(!still_starving);
            drop(list);
            if let Some(w) = waker {
                w.wake();
            }
            return;
        }
        // Release: as in `unlock`. (Not STARVING: only we, holding the list, could set it.)
        self.state.fetch_and(!LOCKED, Ordering::Release);
        self.wake_one_locked(list);
    }

    /// Takes one waiter off the count (its node was just unlinked, under the wait-list mutex the
    /// caller holds), leaving starvation mode if `leave_starving` or if it was the last one
    /// (invariant 3).
    fn uncount_waiter_locked(&self, leave_starving: bool) {
        // Relaxed: invariant 1 (the wait-list mutex orders it). Others may flip WOKEN or
        // LOCKED meanwhile, hence the RMW loop.
        let _ = self
            .state
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |cur| {
                let next = cur - ONE_WAITER;
                Some(if leave_starving || waiters(next) == 0 {
                    next & !STARVING
                } else {
                    next
                })
            });
    }

    /// If the lock is free, waiters are queued and no wake-up is in flight: sets `WOKEN`,
    /// unlinks the front waiter and wakes it (after releasing the wait-list mutex).
    fn wake_one_locked(&self, mut list: MutexGuard<'_, WaitList<Waiter>>) {
        let mut cur = self.state.load(Ordering::Relaxed);
        loop {
            // LOCKED: a barger holds it and its unlock will wake. WOKEN: one is on its way.
            if waiters(cur) == 0 || cur & (LOCKED | WOKEN | STARVING) != 0 {
                return;
            }
            // Relaxed: the node's status, under the wait-list mutex, carries the message.
            match self.state.compare_exchange_weak(
                cur,
                (cur - ONE_WAITER) | WOKEN,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        let front = list.pop_front().expect("waiters counts the linked nodes");
        let w = list.get_mut(front);
        w.status = Status::Woken;
        let waker = w.waker.take();
        drop(list);
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// A lock future's state: shared by [`Lock`](super::Lock) and [`LockOwned`](super::LockOwned).
#[derive(Debug)]
pub(crate) enum WaiterSlot {
    /// Not queued yet.
    Idle,
    /// Has a node in the wait list (queued, woken or granted).
    Waiting(usize),
    /// Returned the guard.
    Done,
}

impl WaiterSlot {
    /// Polls for the lock; `Ready` means the caller now holds it. Spends one unit of coop budget.
    #[inline]
    pub(crate) fn poll_lock(&mut self, raw: &RawMutex, cx: &mut Context<'_>) -> Poll<()> {
        std::task::ready!(gmp_executor::coop::poll_proceed(cx));
        if let WaiterSlot::Idle = self
            && raw.try_lock()
        {
            *self = WaiterSlot::Done;
            return Poll::Ready(());
        }
        self.poll_slow(raw, cx)
    }

    #[cold]
    fn poll_slow(&mut self, raw: &RawMutex, cx: &mut Context<'_>) -> Poll<()> {
        let res = match *self {
            WaiterSlot::Idle => self.poll_first(raw, cx),
            WaiterSlot::Waiting(key) => self.poll_queued(raw, key, cx),
            WaiterSlot::Done => panic!("Lock polled after completion"),
        };
        if res.is_pending() {
            gmp_executor::runtime::waiting_on(cx, gmp_executor::runtime::WaitReason::Mutex);
        }
        res
    }

    /// First poll, the lock was not free: barge if we can, else queue at the back.
    fn poll_first(&mut self, raw: &RawMutex, cx: &mut Context<'_>) -> Poll<()> {
        if raw.try_barge() {
            *self = WaiterSlot::Done;
            return Poll::Ready(());
        }
        let mut list = raw.list();
        let mut cur = raw.state.load(Ordering::Relaxed);
        loop {
            let (next, ordering) = if cur & (LOCKED | STARVING) == 0 {
                // Acquire: as in `RawMutex::try_lock`.
                (cur | LOCKED, Ordering::Acquire)
            } else {
                // Relaxed: counted under the wait-list mutex (invariant 1).
                (cur + ONE_WAITER, Ordering::Relaxed)
            };
            match raw
                .state
                .compare_exchange_weak(cur, next, ordering, Ordering::Relaxed)
            {
                Ok(_) if next & LOCKED != cur & LOCKED => {
                    *self = WaiterSlot::Done;
                    return Poll::Ready(());
                }
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        let key = list.push_back(Waiter {
            status: Status::Queued,
            since: WaitStart::now(),
            waker: Some(cx.waker().clone()),
        });
        *self = WaiterSlot::Waiting(key);
        Poll::Pending
    }

    /// Polled again with a node: granted, woken (retry) or still queued.
    fn poll_queued(&mut self, raw: &RawMutex, key: usize, cx: &mut Context<'_>) -> Poll<()> {
        let mut list = raw.list();
        let w = list.get_mut(key);
        match w.status {
            Status::Granted => {}
            Status::Queued => {
                match &mut w.waker {
                    Some(old) if old.will_wake(cx.waker()) => {}
                    slot => *slot = Some(cx.waker().clone()),
                }
                return Poll::Pending;
            }
            Status::Woken => {
                let starving = w.since.starving();
                let mut cur = raw.state.load(Ordering::Relaxed);
                loop {
                    debug_assert!(cur & WOKEN != 0, "a woken waiter's WOKEN was cleared");
                    let (next, ordering) = if cur & (LOCKED | STARVING) == 0 {
                        // Acquire: as in `RawMutex::try_lock`.
                        ((cur | LOCKED) & !WOKEN, Ordering::Acquire)
                    } else {
                        // Lost to a barger: back to the front, starving if waited too long
                        // (LOCKED is set, so invariant 3 holds). Relaxed: invariant 1.
                        let mut next = (cur + ONE_WAITER) & !WOKEN;
                        if starving {
                            next |= STARVING;
                        }
                        (next, Ordering::Relaxed)
                    };
                    match raw
                        .state
                        .compare_exchange_weak(cur, next, ordering, Ordering::Relaxed)
                    {
                        Ok(_) if next & LOCKED != cur & LOCKED => break,
                        Ok(_) => {
                            w.status = Status::Queued;
                            match &mut w.waker {
                                Some(old) if old.will_wake(cx.waker()) => {}
                                slot => *slot = Some(cx.waker().clone()),
                            }
                            list.link_front(key);
                            return Poll::Pending;
                        }
                        Err(actual) => cur = actual,
                    }
                }
            }
        }
        // Granted, or won the retry: we hold the lock.
        list.remove(key);
        *self = WaiterSlot::Done;
        Poll::Ready(())
    }

    /// Cancellation (the future is dropped): pass on whatever this waiter was given.
    #[inline]
    pub(crate) fn cancel(&mut self, raw: &RawMutex) {
        if let WaiterSlot::Waiting(key) = *self {
            *self = WaiterSlot::Idle;
            Self::cancel_slow(raw, key);
        }
    }

    #[cold]
    fn cancel_slow(raw: &RawMutex, key: usize) {
        let mut list = raw.list();
        let w = list.remove(key);
        match w.status {
            // We hold the lock: unlock it, handing it on.
            Status::Granted => raw.release_locked(list),
            // The wake-up in flight was ours: give it to the next waiter.
            Status::Woken => {
                // Relaxed: under the wait-list mutex (invariant 2).
                raw.state.fetch_and(!WOKEN, Ordering::Relaxed);
                raw.wake_one_locked(list);
            }
            Status::Queued => raw.uncount_waiter_locked(false),
        }
    }
}

#[cfg(test)]
impl RawMutex {
    /// `(locked, woken, starving, waiters)`, for tests.
    pub(crate) fn snapshot(&self) -> (bool, bool, bool, usize) {
        let s = self.state.load(Ordering::SeqCst);
        (
            s & LOCKED != 0,
            s & WOKEN != 0,
            s & STARVING != 0,
            waiters(s),
        )
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use futures_util::task::noop_waker;

    fn poll(slot: &mut WaiterSlot, raw: &RawMutex) -> Poll<()> {
        let waker = noop_waker();
        slot.poll_lock(raw, &mut Context::from_waker(&waker))
    }

    /// Normal mode: the woken waiter loses to a newcomer and goes back to the front.
    #[test]
    fn barging_then_requeue_at_front() {
        let raw = RawMutex::new();
        assert!(raw.try_lock());
        let (mut a, mut b) = (WaiterSlot::Idle, WaiterSlot::Idle);
        assert!(poll(&mut a, &raw).is_pending());
        assert!(poll(&mut b, &raw).is_pending());
        assert_eq!(raw.snapshot(), (true, false, false, 2));
        raw.unlock(); // wakes `a`
        assert_eq!(raw.snapshot(), (false, true, false, 1));
        assert!(!raw.try_lock(), "try_lock does not barge");
        let mut c = WaiterSlot::Idle;
        assert!(poll(&mut c, &raw).is_ready(), "lock() barges");
        assert!(poll(&mut a, &raw).is_pending()); // lost: back to the front
        assert_eq!(raw.snapshot(), (true, false, false, 2));
        raw.unlock(); // wakes `a` again, not `b`
        assert!(poll(&mut b, &raw).is_pending());
        assert!(poll(&mut a, &raw).is_ready());
        raw.unlock();
        assert!(poll(&mut b, &raw).is_ready());
        raw.unlock();
        assert_eq!(raw.snapshot(), (false, false, false, 0));
    }

    /// A woken waiter that loses after waiting over the threshold switches to hand-off; a
    /// granted waiter that is cancelled hands the lock on; the last grant leaves the mode.
    #[test]
    fn starvation_mode_hands_off_and_cancel_passes_it_on() {
        let raw = RawMutex::new();
        assert!(raw.try_lock());
        let (mut a, mut b) = (WaiterSlot::Idle, WaiterSlot::Idle);
        assert!(poll(&mut a, &raw).is_pending());
        std::thread::sleep(STARVATION_THRESHOLD * 2);
        assert!(poll(&mut b, &raw).is_pending());
        raw.unlock(); // wakes `a`
        let mut c = WaiterSlot::Idle;
        assert!(poll(&mut c, &raw).is_ready()); // barges
        assert!(poll(&mut a, &raw).is_pending()); // starving now
        assert_eq!(raw.snapshot(), (true, false, true, 2));
        raw.unlock(); // handed to `a`: LOCKED stays set
        assert_eq!(raw.snapshot(), (true, false, true, 1));
        let mut d = WaiterSlot::Idle;
        assert!(
            poll(&mut d, &raw).is_pending(),
            "no barging in starvation mode"
        );
        a.cancel(&raw); // `a` never took it: hand to `b`, the last old-timer
        assert!(poll(&mut b, &raw).is_ready());
        // `b` waited under the threshold (or was not the last): either way FIFO continues.
        raw.unlock();
        assert!(poll(&mut d, &raw).is_ready());
        raw.unlock();
        assert_eq!(raw.snapshot(), (false, false, false, 0));
        assert!(raw.try_lock());
    }

    /// A queued waiter that cancels as the last one leaves starvation mode.
    #[test]
    fn last_queued_cancel_leaves_starvation_mode() {
        let raw = RawMutex::new();
        assert!(raw.try_lock());
        let mut a = WaiterSlot::Idle;
        assert!(poll(&mut a, &raw).is_pending());
        std::thread::sleep(STARVATION_THRESHOLD * 2);
        raw.unlock();
        let mut c = WaiterSlot::Idle;
        assert!(poll(&mut c, &raw).is_ready());
        assert!(poll(&mut a, &raw).is_pending());
        assert_eq!(raw.snapshot(), (true, false, true, 1));
        a.cancel(&raw);
        assert_eq!(raw.snapshot(), (true, false, false, 0));
        raw.unlock(); // the fast path again
        assert_eq!(raw.snapshot(), (false, false, false, 0));
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::{Arc, UnsafeCell, thread};
    use futures_util::task::noop_waker;

    fn block_on_slot(slot: &mut WaiterSlot, raw: &RawMutex) {
        loom::future::block_on(std::future::poll_fn(|cx| slot.poll_lock(raw, cx)));
    }

    fn block_lock(raw: &RawMutex) {
        block_on_slot(&mut WaiterSlot::Idle, raw);
    }

    fn wait_while(flag: &AtomicUsize, value: usize) {
        while flag.load(Ordering::Acquire) == value {
            thread::yield_now();
        }
    }

    /// Locks a new mutex and spawns a thread whose waiter `a` queues for it, then sets the flag
    /// to 1 and goes on with `then`; returns once `a` is queued.
    fn locked_with_a_queued(
        then: impl FnOnce(WaiterSlot, &RawMutex, &AtomicUsize) + Send + 'static,
    ) -> (Arc<RawMutex>, Arc<AtomicUsize>, thread::JoinHandle<()>) {
        let raw = Arc::new(RawMutex::new());
        assert!(raw.try_lock());
        let flag = Arc::new(AtomicUsize::new(0));
        let (r2, f2) = (raw.clone(), flag.clone());
        let t = thread::spawn(move || {
            let mut a = WaiterSlot::Idle;
            assert!(poll_noop(&mut a, &r2).is_pending());
            f2.store(1, Ordering::Release);
            then(a, &r2, &f2);
        });
        wait_while(&flag, 0);
        (raw, flag, t)
    }

    /// Main's part after the other thread's `a` is in play: `b` must get the lock.
    fn unlock_then_lock_b(raw: &RawMutex, b: &mut WaiterSlot, t: thread::JoinHandle<()>) {
        raw.unlock();
        block_on_slot(b, raw);
        raw.unlock();
        t.join().unwrap();
        assert_eq!(raw.snapshot(), (false, false, false, 0));
    }

    fn poll_noop(slot: &mut WaiterSlot, raw: &RawMutex) -> Poll<()> {
        let waker = noop_waker();
        slot.poll_lock(raw, &mut Context::from_waker(&waker))
    }

    /// Two lockers, one barging through a re-lock: exclusion (loom's cell checks it) and the
    /// word ends clean. Under loom every loser is "starving", so hand-off is reached too.
    #[test]
    fn loom_mutex_exclusion_barging_and_handoff() {
        loom::model(|| {
            let raw = Arc::new(RawMutex::new());
            let data = Arc::new(UnsafeCell::new(0u32));
            let (r2, d2) = (raw.clone(), data.clone());
            let t = thread::spawn(move || {
                block_lock(&r2);
                // SAFETY: we hold the lock.
                d2.with_mut(|p| unsafe { *p += 1 });
                r2.unlock();
            });
            for _ in 0..2 {
                block_lock(&raw);
                // SAFETY: we hold the lock.
                data.with_mut(|p| unsafe { *p += 1 });
                raw.unlock();
            }
            t.join().unwrap();
            // SAFETY: both threads are done.
            assert_eq!(data.with(|p| unsafe { *p }), 3);
            assert_eq!(raw.snapshot(), (false, false, false, 0));
        });
    }

    /// `a` queues ahead of `b`, is polled once more and dropped, whatever it has become by then
    /// (queued, woken or holding the lock): `b` is never stranded.
    #[test]
    fn loom_mutex_cancel_passes_on() {
        loom::model(|| {
            let (raw, _, t) = locked_with_a_queued(|mut a, raw, _| {
                if poll_noop(&mut a, raw).is_ready() {
                    raw.unlock();
                } else {
                    a.cancel(raw);
                }
            });
            let mut b = WaiterSlot::Idle;
            assert!(poll_noop(&mut b, &raw).is_pending());
            unlock_then_lock_b(&raw, &mut b, t);
        });
    }

    /// Like `loom_mutex_cancel_passes_on`, but `a` is dropped only after losing a retry to a
    /// barger (so, under loom, after switching to starvation mode): a granted `a` hands on.
    #[test]
    fn loom_mutex_granted_cancel_hands_on() {
        loom::model(|| {
            let (raw, queued, t) = locked_with_a_queued(|mut a, raw, flag| {
                wait_while(flag, 1);
                // Woken by main's first unlock; main barged back in: this retry loses.
                assert!(poll_noop(&mut a, raw).is_pending());
                flag.store(3, Ordering::Release);
                a.cancel(raw);
            });
            raw.unlock(); // wakes `a`
            assert!(raw.try_barge()); // barges past it
            let mut b = WaiterSlot::Idle;
            assert!(poll_noop(&mut b, &raw).is_pending());
            queued.store(2, Ordering::Release);
            wait_while(&queued, 2);
            // Hands off to `a` (starving), racing with its cancel.
            unlock_then_lock_b(&raw, &mut b, t);
        });
    }
}
