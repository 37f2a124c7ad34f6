//! Timers: Go's `time.Sleep`, `time.After`, `time.NewTimer`, `time.NewTicker`, `time.AfterFunc`,
//! plus [`timeout`].
//!
//! Every timer future works inside a gmp runtime and outside one (under `futures::executor`,
//! another executor, or a plain thread): outside, timers are served by a global `gmp-timer`
//! thread started on first use.
//!
//! Layer: below the scheduler. This module may use `coop`, `clock` and `loom`, never
//! `scheduler`, `runtime`, `io` or `blocking`: a runtime reaches it through the thread binding
//! (`binding::enter`) and the callbacks it hands its driver (`unpark`, the `after_func` spawner).
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use gmp_executor::time::{self, Instant};
//!
//! # futures::executor::block_on(async {
//! let start = Instant::now();
//! time::sleep(Duration::from_millis(2)).await;
//! let slow = time::timeout(Duration::from_millis(1), time::sleep(Duration::from_secs(10))).await;
//! assert!(slow.is_err());
//! assert!(start.elapsed() >= Duration::from_millis(3));
//! # });
//! ```
//!
//! # Design
//!
//! Timers live in hierarchical timing wheels (`wheel.rs`): 6 levels of 64 slots over ticks of
//! 1,024 ns, in a `slab` with index-linked lists, so registering, cancelling and resetting are
//! O(1) and finding the next deadline is O(levels), whatever the number of live timers. The
//! resolution is about 1 us so that a 100 us sleep can wake within tens of microseconds; deadlines
//! more than ~19.5 hours out wait in an overflow list. A timer never fires before its deadline.
//!
//! A [`Sleep`] is 16 bytes and allocates nothing itself: on first poll it inserts one entry (its
//! deadline, waker and links: 32 bytes in the slab) into the current thread's wheel and keeps
//! the wheel's `Arc` and the entry's key in place of its deadline (which the entry holds, to the
//! nanosecond); dropping it frees the entry in O(1). Deadlines are nanoseconds since one
//! process-wide base (`clock::base`), the same on every wheel. A sleep completes
//! when its entry has fired (seen under the wheel lock on the poll after the wake-up, with no
//! clock read) or, on a spurious poll, when the clock says the deadline has passed. Each wheel is behind its own `Mutex`; see `driver.rs` for the protocol and `fallback.rs`
//! for the precise-parking thread used outside a runtime.
//!
//! One timer system: everything in gmp with a deadline is an entry in these wheels. Futures
//! (`Sleep`, `Timer`, `Ticker`, `Timeout`) hold their entry's key; `after_func` and
//! [`CallbackTimer`] (what gmp-sync's context deadlines are) make the entry's waker the
//! callback itself, run on the thread that fires timers with no lock held (`callback.rs`). So
//! the deadlock check sees every deadline, and cancelling any of them frees its entry at once.
//!
//! # Integration with the scheduler (crate-internal)
//!
//! ```text
//! TimeDriver::new(num_wheels, unpark)   one per runtime, one wheel per worker (.with_spawner(s):
//!                                       how after_func runs on the runtime). `unpark` is called
//!                                       (never with a wheel lock held) when a registration makes
//!                                       a wheel's earliest deadline earlier; it must behave like
//!                                       Thread::unpark (a sticky token with Release/Acquire), so
//!                                       a parked worker re-reads next_deadline() and re-arms.
//! binding::enter(&driver, i) -> guard  each worker at thread start (i = its index); a
//!                                       block_on thread binds to wheel 0. Timers first polled on
//!                                       the thread register on that wheel; after_func spawns
//!                                       onto the runtime. Unbound threads use the fallback.
//! driver.next_deadline()                lock-free; a worker about to park uses it as the park
//!                                       timeout (None: park without one). May be early, never
//!                                       late except when an unpark is on its way.
//! driver.process(Instant::now())        after every park returns (timeout or unpark), and while
//!                                       busy about once per scheduler tick batch (Go checks
//!                                       timers in every schedule() call; every 61 ticks, with the
//!                                       global-queue check, is plenty: it is one atomic load per
//!                                       wheel when nothing is due — check next_deadline() <= now
//!                                       first). Wheels locked by another thread are skipped.
//! driver.shutdown()                     at runtime shutdown, before dropping tasks: wakes every
//!                                       pending timer; later Sleeps complete at once, later
//!                                       after_funcs are dropped unrun.
//! ```

pub(crate) mod binding;
mod callback;
pub(crate) mod driver;
pub(crate) mod fallback;
mod sleep;
mod ticker;
mod timeout;
mod timer;
mod wheel;

pub(crate) use callback::callback_threads_running;
#[doc(hidden)]
pub use callback::{CallbackTimer, spawn_callback_thread};
pub(crate) use driver::{Spawner, TimeDriver};
pub use sleep::{Sleep, sleep, sleep_until};
pub use ticker::{Tick, Ticker};
pub use timeout::{Elapsed, Timeout, timeout, timeout_at};
pub use timer::{AfterFuncHandle, Timer, after, after_func};

pub use std::time::Duration;
pub use std::time::Instant;

/// Timer entries on the wheel timers made on this thread go to: the bound worker's (or
/// `block_on`'s) inside a runtime, the fallback driver's outside one. For tests that check
/// cancelled timers are freed at once. Not a stable API.
///
/// # Examples
///
/// ```
/// let before = gmp_executor::time::live_timers();
/// let t = gmp_executor::time::CallbackTimer::arm(
///     gmp_executor::time::deadline_after(std::time::Duration::from_secs(60)),
///     std::task::Waker::noop().clone(),
/// );
/// assert_eq!(gmp_executor::time::live_timers(), before + 1);
/// drop(t);
/// assert_eq!(gmp_executor::time::live_timers(), before);
/// ```
#[doc(hidden)]
pub fn live_timers() -> usize {
    binding::current_wheel().live_timers()
}

/// About 30 years from now: what a deadline too far to represent becomes.
pub(crate) fn far_future() -> Instant {
    far_future_from(Instant::now())
}

fn far_future_from(now: Instant) -> Instant {
    // 30 years fits every platform's `Instant` (Linux's is a `timespec` since boot).
    now.checked_add(Duration::from_secs(86_400 * 365 * 30))
        .unwrap_or(now)
}

/// `Instant::now() + duration`, saturating: a duration too large to add (`Duration::MAX`)
/// gives an instant about 30 years out instead of panicking with "overflow when adding
/// duration to instant". Every gmp API that takes a `Duration` turns it into a deadline this
/// way, so `Duration::MAX` means "never" everywhere.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use gmp_executor::time::{Instant, deadline_after};
///
/// let far = deadline_after(Duration::MAX);
/// assert!(far > Instant::now() + Duration::from_secs(86_400 * 365 * 29));
/// assert!(deadline_after(Duration::ZERO) <= Instant::now());
/// ```
pub fn deadline_after(duration: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(duration)
        .unwrap_or_else(|| far_future_from(now))
}

#[cfg(all(test, not(loom)))]
mod tests;
