//! [`CallbackTimer`]: a timer with no future: its entry's waker *is* the callback, called inline
//! on the thread that fires timers. gmp-sync's context deadlines are built on it.
//!
//! # Design
//!
//! A wheel entry holds a `Waker`, and the driver wakes due entries with the wheel unlocked
//! (`driver.rs`, "Firing"). So a callback needs no machinery of its own: the caller passes a
//! waker whose `wake` does the work (a context's deadline: cancel the context), and the entry
//! lives on the same wheel a `Sleep` would use — the current worker's inside a runtime, the
//! fallback driver's outside one. That gives, for free:
//! - **one timer system**: the deadlock check sees the entry like any other armed timer;
//! - **O(1) cancel**: dropping the handle frees the entry at once (no helper to catch up);
//! - **no extra thread or task**: the callback runs on the firing thread (a worker in
//!   `process`, the fallback thread), so it must be short and must not block. It may register
//!   or drop timers (no wheel lock is held), including its own handle.
//!
//! **Runtime shutdown.** A runtime's driver wakes every pending entry when it shuts down, and a
//! callback must not take that for its deadline: [`CallbackTimer::rearm_if_shut_down`] (called
//! by the callback first) moves the entry to the fallback driver, so a deadline made inside a
//! runtime still fires after the runtime is gone, as a context may outlive it. Arming on a
//! driver already shut down goes to the fallback driver directly.
//!
//! The handle is the entry's only owner: the waker may hold nothing but a `Weak` to its target,
//! so a pending timer never keeps its target alive.
//!
//! Rejected: a future per deadline run by a helper executor (what contexts used before: a
//! thread the deadlock check cannot see, and cancelled timers linger until the helper polls
//! them); spawning a task per deadline (needs a runtime, costs a task, and a task cancelling a
//! context is one more hop than the firing thread doing it).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Waker;
use std::time::Instant;

use super::binding;
use super::driver::WheelShared;
use super::wheel::InsertError;

/// A timer that calls `waker.wake()` at its deadline, on the thread that fires timers (a worker
/// inside a runtime, the fallback timer thread outside one). Dropping it cancels the timer and
/// frees its entry in O(1). See the module source for the design; gmp-sync's context deadlines
/// use it. Not a stable API.
///
/// The waker runs with no lock held but on a thread that fires other timers: it must be short
/// and must not block. It should hold only a `Weak` reference to what it acts on, so a pending
/// deadline keeps nothing alive.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::task::{Wake, Waker};
/// use std::time::{Duration, Instant};
/// use gmp_executor::time::CallbackTimer;
///
/// struct Flag(AtomicBool, std::thread::Thread);
/// impl Wake for Flag {
///     fn wake(self: Arc<Self>) {
///         self.0.store(true, Ordering::Release);
///         self.1.unpark();
///     }
/// }
///
/// let flag = Arc::new(Flag(AtomicBool::new(false), std::thread::current()));
/// let deadline = Instant::now() + Duration::from_millis(2);
/// let timer = CallbackTimer::arm(deadline, Waker::from(flag.clone())).expect("not yet due");
/// while !flag.0.load(Ordering::Acquire) {
///     std::thread::park();
/// }
/// drop(timer);
///
/// // Already due: `arm` hands the waker back for the caller to act now.
/// assert!(CallbackTimer::arm(Instant::now(), Waker::from(flag)).is_err());
/// ```
#[derive(Debug)]
#[must_use = "dropping a CallbackTimer cancels it"]
pub struct CallbackTimer {
    wheel: Arc<WheelShared>,
    key: u32,
    deadline: Instant,
}

impl CallbackTimer {
    /// Arms a timer that wakes `waker` at `deadline`, on the current thread's wheel (or the
    /// fallback driver's). `Err(waker)` if the deadline is already due (by the clock, or by the
    /// wheel): the caller acts now.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = gmp_executor::time::CallbackTimer::arm(
    ///     gmp_executor::time::deadline_after(std::time::Duration::MAX),
    ///     std::task::Waker::noop().clone(),
    /// );
    /// assert!(t.is_ok()); // dropped: cancelled
    /// ```
    pub fn arm(deadline: Instant, waker: Waker) -> Result<CallbackTimer, Waker> {
        if deadline <= Instant::now() {
            return Err(waker);
        }
        Self::arm_on(binding::current_wheel(), deadline, waker)
    }

    fn arm_on(
        wheel: Arc<WheelShared>,
        deadline: Instant,
        waker: Waker,
    ) -> Result<CallbackTimer, Waker> {
        let mut waker = Some(waker);
        let registered = wheel.register_with(deadline, |_| {
            waker.take().expect("make_waker is called at most once")
        });
        match registered {
            Ok(key) => Ok(CallbackTimer {
                wheel,
                key,
                deadline,
            }),
            Err(InsertError::Expired) => Err(waker.expect("not consumed by a failed insert")),
            Err(InsertError::Shutdown) => {
                let waker = waker.expect("not consumed by a failed insert");
                Self::arm_on(super::fallback::driver().wheel(0).clone(), deadline, waker)
            }
        }
    }

    /// The deadline the timer was armed with.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = gmp_executor::time::deadline_after(std::time::Duration::from_secs(60));
    /// let t = gmp_executor::time::CallbackTimer::arm(d, std::task::Waker::noop().clone()).unwrap();
    /// assert_eq!(t.deadline(), d);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// For the callback to call first: if this wake-up came from the shutdown of the runtime
    /// whose wheel held the timer (not from its deadline), re-arms it on the fallback driver
    /// with `waker` and returns `true`: the callback then does nothing. Returns `false` when
    /// the deadline is really due.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = gmp_executor::time::deadline_after(std::time::Duration::from_secs(60));
    /// let mut t = gmp_executor::time::CallbackTimer::arm(d, std::task::Waker::noop().clone()).unwrap();
    /// assert!(!t.rearm_if_shut_down(std::task::Waker::noop())); // no runtime here
    /// ```
    pub fn rearm_if_shut_down(&mut self, waker: &Waker) -> bool {
        if !self.wheel.is_shutdown() {
            return false;
        }
        let fallback = super::fallback::driver().wheel(0).clone();
        match Self::arm_on(fallback, self.deadline, waker.clone()) {
            Ok(moved) => {
                // The old entry is freed by dropping the replaced handle.
                drop(std::mem::replace(self, moved));
                true
            }
            Err(_) => false,
        }
    }
}

impl Drop for CallbackTimer {
    fn drop(&mut self) {
        self.wheel.deregister(self.key);
    }
}

/// Callback threads started by [`spawn_callback_thread`] and still running.
static CALLBACK_THREADS: AtomicUsize = AtomicUsize::new(0);

/// Runs `f` on a new thread named `name` that the deadlock check counts while it runs: the
/// thread `time::after_func` uses outside a runtime and `context::after_func` always uses, as
/// Go runs such a function in its own goroutine. A `block_on` waiting for what `f` will do
/// (send on a channel, cancel a context) is then never reported as deadlocked. Not a stable API.
///
/// # Errors
///
/// The error of [`std::thread::Builder::spawn`]; `f` is dropped unrun.
///
/// # Examples
///
/// ```
/// let (tx, rx) = std::sync::mpsc::channel();
/// gmp_executor::time::spawn_callback_thread("my-callback", move || tx.send(1).unwrap()).unwrap();
/// assert_eq!(rx.recv().unwrap(), 1);
/// ```
pub fn spawn_callback_thread<F>(name: &str, f: F) -> std::io::Result<()>
where
    F: FnOnce() + Send + 'static,
{
    /// Decrements the count when the thread ends, even by a panic.
    struct Running;
    impl Drop for Running {
        fn drop(&mut self) {
            CALLBACK_THREADS.fetch_sub(1, Ordering::Relaxed);
        }
    }
    // Relaxed: the deadlock check is a heuristic confirmed over time (see its module doc); the
    // count only has to be non-zero while `f` runs, which the increment before the spawn and
    // the decrement after `f` ensure.
    CALLBACK_THREADS.fetch_add(1, Ordering::Relaxed);
    let running = Running;
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let _running = running;
            f();
        })
        .map(drop)
}

/// Callback threads running now (see [`spawn_callback_thread`]).
pub(crate) fn callback_threads_running() -> usize {
    CALLBACK_THREADS.load(Ordering::Relaxed)
}
