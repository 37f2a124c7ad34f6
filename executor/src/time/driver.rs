//! The time driver: per-worker wheels and the lock-free next-deadline hint. Which wheel a new
//! timer goes to is the thread's binding (`binding`).
//!
//! # Design
//!
//! A [`TimeDriver`] owns N [`WheelShared`]s (one per worker). Each is a [`Wheel`] behind its own
//! `Mutex` plus `next_ns`, the wheel's earliest expiration in nanoseconds since the process-wide
//! clock base (`crate::clock::base`, shared by every driver so that a deadline in nanoseconds
//! means the same on every wheel; `u64::MAX`: none), so a worker about to park reads the
//! driver's next deadline with N atomic loads and no lock.
//!
//! ## Who touches what
//! - **The wheel** (entries, lists, `elapsed`): only under its `Mutex`. Timers register on the
//!   wheel bound to the current thread (`binding::enter`) and are cancelled or reset from any
//!   thread by locking the wheel they registered on (the key they hold is only valid there).
//! - **`next_ns`**: written only with the wheel's lock held, so writers never race each other.
//!   A registration lowers it when its deadline is earlier than the published value; `process`
//!   (after firing) and `shutdown` replace it with the wheel's recomputed next expiration. A
//!   cancelled timer leaves it stale-early: a parked thread then wakes once for nothing, which is
//!   cheaper than recomputing on every cancel.
//!
//! ## The no-lost-wake-up protocol
//! A registration that lowers `next_ns` calls the driver's `unpark` callback *after* storing it
//! (and after unlocking). The parking side reads `next_deadline()` and parks with that timeout.
//! The callback must behave like `Thread::unpark` — a token that makes the next (or current)
//! park return, and that synchronizes-with the parker (Release on unpark, Acquire when park
//! returns). Then either the parker's read sees the new minimum, or the unpark comes after that
//! read and its token ends the park, after which the parker reads again and sees the store
//! (it happens-before the unpark). That is why `next_ns` itself can be `Relaxed`: the ordering
//! comes from the unpark token, and the value is only a hint for the park timeout — firing
//! decisions are made under the wheel lock. The loom model at the bottom checks this.
//!
//! Unpark is called only when a registration lowers *its own wheel's* minimum (not the global
//! one across wheels): comparing against other wheels would need a cross-wheel protocol to stay
//! race-free, and an unneeded unpark costs one spurious wake-up.
//!
//! ## Firing
//! [`TimeDriver::process`] `try_lock`s each wheel (one being processed or registered on by
//! another thread is skipped: that thread, or the next `process`, handles it), advances it to
//! `now`, and pops due wakers in batches of [`WAKE_BATCH`], waking each batch with the lock
//! released so a waker that cancels or registers a timer cannot deadlock.

use std::panic::Location;
use std::sync::Arc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use super::wheel::{self, InsertError, ResetOutcome, Wheel};
use crate::loom::{AtomicU64, Mutex, MutexGuard, Ordering};

/// Wakers popped per lock hold when firing.
const WAKE_BATCH: usize = 32;

/// `next_ns` value meaning "no timer waiting".
const NONE: u64 = u64::MAX;

/// The callback a driver calls when a registration makes a wheel's earliest deadline earlier.
pub(crate) type Unpark = Arc<dyn Fn() + Send + Sync>;

/// How a runtime runs an `after_func` function: as a task on itself (handed in by the
/// scheduler, so this layer never names it).
pub(crate) type Spawner =
    Arc<dyn Fn(Box<dyn FnOnce() + Send>, &'static Location<'static>) + Send + Sync>;

/// A runtime's timers: one wheel per worker. See the module documentation.
pub(crate) struct TimeDriver {
    wheels: Box<[Arc<WheelShared>]>,
    base: Instant,
    /// The runtime's spawner; `None` for the fallback driver (no runtime).
    spawner: Option<Spawner>,
}

impl std::fmt::Debug for TimeDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimeDriver")
            .field("wheels", &self.wheels.len())
            .field("base", &self.base)
            .finish()
    }
}

impl TimeDriver {
    /// A driver with `num_wheels` wheels (one per worker) whose registrations call `unpark` when
    /// they make a wheel's earliest deadline earlier.
    ///
    /// # Panics
    ///
    /// Panics if `num_wheels` is zero.
    pub(crate) fn new(num_wheels: usize, unpark: Unpark) -> TimeDriver {
        assert!(num_wheels > 0, "a time driver needs at least one wheel");
        let base = crate::clock::base();
        let wheels = (0..num_wheels)
            .map(|_| {
                Arc::new(WheelShared {
                    wheel: Mutex::new(Wheel::new()),
                    next_ns: AtomicU64::new(NONE),
                    base,
                    unpark: unpark.clone(),
                })
            })
            .collect();
        TimeDriver {
            wheels,
            base,
            spawner: None,
        }
    }

    /// The driver of a runtime that runs `after_func` functions with `spawner`.
    pub(crate) fn with_spawner(self, spawner: Spawner) -> TimeDriver {
        TimeDriver {
            spawner: Some(spawner),
            ..self
        }
    }

    /// How `after_func` functions made on this driver's threads run (`None`: on a thread).
    pub(crate) fn spawner(&self) -> Option<&Spawner> {
        self.spawner.as_ref()
    }

    /// Earliest deadline over all wheels, read lock-free; `None` when no timer is waiting. May be
    /// earlier than any live timer (after cancellations or for timers still to cascade); never
    /// later than one, except for a registration whose `unpark` is on its way.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let ns = self
            .wheels
            .iter()
            .map(|w| w.next_ns.load(Ordering::Relaxed))
            .min()
            .unwrap_or(NONE);
        (ns != NONE).then(|| ns_to_instant(self.base, ns))
    }

    /// Fires every timer due by `now` in every wheel, skipping a wheel another thread holds.
    /// Returns how many fired.
    pub(crate) fn process(&self, now: Instant) -> usize {
        self.wheels.iter().map(|w| w.process(now)).sum()
    }

    /// Wakes every pending timer; later registrations on this driver complete at once (a `Sleep`
    /// then returns `Ready` early, an `after_func` is dropped without running).
    pub(crate) fn shutdown(&self) {
        for wheel in self.wheels.iter() {
            wheel.shutdown();
        }
    }

    /// The wheel with index `index`.
    pub(crate) fn wheel(&self, index: usize) -> &Arc<WheelShared> {
        &self.wheels[index]
    }

    /// Timer entries currently allocated across all wheels (locks each wheel).
    pub(crate) fn live_timers(&self) -> usize {
        self.wheels.iter().map(|w| w.live_timers()).sum()
    }
}

/// One wheel and its published next deadline. Timer futures hold an `Arc` to the wheel they
/// registered on.
pub(crate) struct WheelShared {
    wheel: Mutex<Wheel>,
    /// Earliest expiration, ns since `base`, or `NONE`. Written only under `wheel`'s lock.
    next_ns: AtomicU64,
    base: Instant,
    unpark: Unpark,
}

impl std::fmt::Debug for WheelShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WheelShared")
            .field("next_ns", &self.next_ns.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl WheelShared {
    fn lock(&self) -> MutexGuard<'_, Wheel> {
        // A panic while holding the lock leaves the wheel consistent (every mutation completes
        // before anything that can panic), so poisoning is ignored.
        self.wheel.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a timer due at `deadline` that wakes `waker` (the loom models' entry).
    #[cfg(all(loom, test))]
    pub(crate) fn register(&self, deadline: Instant, waker: &Waker) -> Result<u32, InsertError> {
        self.register_ns(instant_to_ns(self.base, deadline), waker)
    }

    /// Registers a timer due at `deadline_ns` (since the clock base) that wakes `waker`.
    pub(crate) fn register_ns(&self, deadline_ns: u64, waker: &Waker) -> Result<u32, InsertError> {
        self.register_ns_with(deadline_ns, |_| waker.clone())
    }

    /// Registers a timer due at `deadline`; `make_waker` is called (with the lock held) with the
    /// key the timer will have, only if the registration succeeds.
    pub(crate) fn register_with(
        &self,
        deadline: Instant,
        make_waker: impl FnOnce(u32) -> Waker,
    ) -> Result<u32, InsertError> {
        self.register_ns_with(instant_to_ns(self.base, deadline), make_waker)
    }

    fn register_ns_with(
        &self,
        deadline_ns: u64,
        make_waker: impl FnOnce(u32) -> Waker,
    ) -> Result<u32, InsertError> {
        let mut wheel = self.lock();
        wheel.check_insert(deadline_ns)?;
        let waker = make_waker(wheel.vacant_key());
        let key = wheel.insert(deadline_ns, waker)?;
        let lowered = self.lower_next(&wheel, wheel::ns_to_tick_ceil(deadline_ns));
        drop(wheel);
        if lowered {
            (self.unpark)();
        }
        Ok(key)
    }

    /// Publishes `tick` as the next deadline if it is earlier than the published one. Taking
    /// the locked wheel proves the caller holds the lock, which makes load-then-store race-free.
    fn lower_next(&self, _locked: &Wheel, tick: u64) -> bool {
        let ns = tick.saturating_mul(wheel::TICK_NS);
        // Relaxed: only written under the wheel lock; readers rely on the unpark token for
        // ordering (see "The no-lost-wake-up protocol").
        if ns < self.next_ns.load(Ordering::Relaxed) {
            self.next_ns.store(ns, Ordering::Relaxed);
            true
        } else {
            false
        }
    }

    /// Recomputes and publishes the wheel's next expiration (the caller holds the lock).
    fn publish_next(&self, wheel: &Wheel) {
        let ns = wheel
            .next_expiration()
            .map_or(NONE, |t| t.saturating_mul(wheel::TICK_NS).min(NONE - 1));
        // Relaxed: see `lower_next`.
        self.next_ns.store(ns, Ordering::Relaxed);
    }

    /// Frees `key`'s entry, cancelling it if it had not fired. Returns whether it had not.
    pub(crate) fn deregister(&self, key: u32) -> bool {
        self.deregister_entry(key).0
    }

    /// [`deregister`](Self::deregister), also returning the entry's deadline (ns since the
    /// clock base).
    pub(crate) fn deregister_entry(&self, key: u32) -> (bool, u64) {
        let removed = self.lock().remove_entry(key);
        // Dropped unlocked: a waker's drop may be the last reference to anything.
        drop(removed.waker);
        (removed.linked, removed.deadline_ns)
    }

    /// Registered timer `key`'s deadline, ns since the clock base.
    pub(crate) fn deadline_ns(&self, key: u32) -> u64 {
        self.lock().deadline_ns(key)
    }

    /// Polls registered timer `key`: `Ready` with its deadline (and the entry freed) if it fired
    /// (or was expired by shutdown or a reset), or if it is still waiting but its deadline has
    /// passed by the clock (the driver has not got to it yet); otherwise stores `waker` and
    /// returns `Pending`. The clock is read only in that last, spurious-poll case: the common
    /// poll after a wake-up costs one uncontended lock and no clock read.
    pub(crate) fn poll_registered(&self, key: u32, waker: &Waker) -> Poll<u64> {
        let mut wheel = self.lock();
        let deadline_ns = wheel.deadline_ns(key);
        if wheel.is_linked(key) && instant_to_ns(self.base, Instant::now()) < deadline_ns {
            wheel.set_waker(key, waker);
            Poll::Pending
        } else {
            wheel.remove(key);
            Poll::Ready(deadline_ns)
        }
    }

    /// Moves registered timer `key` to `deadline_ns` (since the clock base). If that has already
    /// passed (by the clock, or by the wheel) the timer's waker is woken so its owner polls and
    /// sees the expiry.
    pub(crate) fn reset_ns(&self, key: u32, deadline_ns: u64) {
        let tick = wheel::ns_to_tick_ceil(deadline_ns);
        let passed = deadline_ns <= instant_to_ns(self.base, Instant::now());
        let mut wheel = self.lock();
        let outcome = if passed {
            ResetOutcome::Fire(wheel.expire(key, deadline_ns))
        } else {
            wheel.reset(key, deadline_ns)
        };
        match outcome {
            ResetOutcome::Rescheduled => {
                let lowered = self.lower_next(&wheel, tick);
                drop(wheel);
                if lowered {
                    (self.unpark)();
                }
            }
            ResetOutcome::Fire(waker) => {
                drop(wheel);
                if let Some(w) = waker {
                    w.wake();
                }
            }
        }
    }

    /// Entries allocated on this wheel (armed, or fired and not yet freed by their owner).
    pub(crate) fn live_timers(&self) -> usize {
        self.lock().len()
    }

    /// Whether the driver owning this wheel was shut down.
    pub(crate) fn is_shutdown(&self) -> bool {
        self.lock().is_shutdown()
    }

    /// Fires the timers due by `now`; returns how many. Skips the wheel (returns 0) if another
    /// thread holds its lock.
    fn process(&self, now: Instant) -> usize {
        let Ok(mut wheel) = self.wheel.try_lock() else {
            return 0;
        };
        wheel.advance(wheel::ns_to_tick_floor(instant_to_ns(self.base, now)));
        self.drain(wheel)
    }

    /// Wakes everything on the pending list in batches, then publishes the next expiration.
    fn drain<'a>(&'a self, mut wheel: MutexGuard<'a, Wheel>) -> usize {
        let mut fired = 0;
        loop {
            let mut batch: [Option<Waker>; WAKE_BATCH] = Default::default();
            let mut n = 0;
            while n < WAKE_BATCH {
                match wheel.pop_pending() {
                    Some(w) => {
                        batch[n] = Some(w);
                        n += 1;
                    }
                    None => break,
                }
            }
            if n < WAKE_BATCH {
                self.publish_next(&wheel);
            }
            drop(wheel);
            for w in batch.iter_mut().take(n) {
                if let Some(w) = w.take() {
                    w.wake();
                }
            }
            fired += n;
            if n < WAKE_BATCH {
                return fired;
            }
            wheel = self.lock();
        }
    }

    fn shutdown(&self) {
        let mut wheel = self.lock();
        wheel.shutdown();
        let fired = self.drain(wheel);
        tracing::debug!(fired, "time driver wheel shut down");
    }
}

/// Nanoseconds from `base` to `t`, saturating (0 for instants before `base`, `i64::MAX` for
/// those more than ~292 years after it).
pub(crate) fn instant_to_ns(base: Instant, t: Instant) -> u64 {
    u64::try_from(t.saturating_duration_since(base).as_nanos())
        .unwrap_or(u64::MAX)
        .min(i64::MAX as u64)
}

fn ns_to_instant(base: Instant, ns: u64) -> Instant {
    base.checked_add(Duration::from_nanos(ns))
        .unwrap_or_else(super::far_future)
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::{Condvar, thread};

    /// A sticky wake-up token with `Thread::park`/`unpark` semantics, built from loom's
    /// `Mutex` and `Condvar` (loom's own park token interferes with `JoinHandle::join`).
    #[derive(Default)]
    struct Token {
        set: Mutex<bool>,
        cv: Condvar,
    }

    impl Token {
        fn unpark(&self) {
            *self.set.lock().unwrap() = true;
            self.cv.notify_one();
        }

        fn park(&self) {
            let mut set = self.set.lock().unwrap();
            while !*set {
                set = self.cv.wait(set).unwrap();
            }
            *set = false;
        }
    }

    fn driver(wheels: usize) -> (Arc<TimeDriver>, Arc<Token>) {
        let token = Arc::new(Token::default());
        let t = token.clone();
        (
            Arc::new(TimeDriver::new(wheels, Arc::new(move || t.unpark()))),
            token,
        )
    }

    /// A registration racing with a parker that reads the next deadline: the parker either sees
    /// the deadline or is unparked and then sees it.
    #[test]
    fn registration_is_never_missed_by_a_parker() {
        loom::model(|| {
            let (driver, token) = driver(1);
            let d = driver.clone();
            let registrant = thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(60);
                d.wheel(0).register(deadline, Waker::noop()).unwrap()
            });
            if driver.next_deadline().is_none() {
                token.park();
            }
            assert!(
                driver.next_deadline().is_some(),
                "parker missed the registration"
            );
            let key = registrant.join().unwrap();
            assert!(driver.wheel(0).deregister(key));
        });
    }

    /// Two registrations on two wheels racing with a parker that waits for the earlier one: it
    /// is never left parked while the earlier deadline is published.
    #[test]
    fn earliest_of_two_wheels_is_published() {
        loom::model(|| {
            let (driver, token) = driver(2);
            let base = Instant::now();
            let spawn = |i: usize, secs: u64| {
                let d = driver.clone();
                thread::spawn(move || {
                    d.wheel(i)
                        .register(base + Duration::from_secs(secs), Waker::noop())
                        .unwrap()
                })
            };
            let a = spawn(0, 100);
            let b = spawn(1, 50);
            while driver
                .next_deadline()
                .is_none_or(|t| t > base + Duration::from_secs(51))
            {
                token.park();
            }
            let (ka, kb) = (a.join().unwrap(), b.join().unwrap());
            assert!(driver.wheel(0).deregister(ka));
            assert!(driver.wheel(1).deregister(kb));
        });
    }
}
