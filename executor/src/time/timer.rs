//! [`Timer`] (Go's `time.NewTimer`), [`after`] (`time.After`) and [`after_func`]
//! (`time.AfterFunc`).
//!
//! `Stop` and `Reset` follow Go 1.23+ (synchronous timer channels): they report whether the
//! timer's value was still undelivered, so after `stop()` returns — whatever it returns — the
//! timer never yields a stale value.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use super::binding;
use super::driver::{Spawner, WheelShared};
use super::sleep::{Sleep, sleep_until};
use crate::loom::Mutex;

/// A one-shot timer that can be stopped and reset: Go's `time.NewTimer`.
///
/// Awaiting it (by reference: it is `Unpin`) yields the instant it was due at. Once it has
/// yielded, or after [`stop`](Timer::stop), awaiting it again waits forever — like receiving
/// twice from Go's `timer.C` — until [`reset`](Timer::reset) re-arms it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use gmp_executor::time::Timer;
///
/// # futures::executor::block_on(async {
/// let mut t = Timer::new(Duration::from_millis(2));
/// let due = (&mut t).await;
/// assert!(gmp_executor::time::Instant::now() >= due);
/// assert!(!t.stop()); // already delivered
/// assert!(!t.reset(Duration::from_millis(1))); // re-armed; it was not active
/// (&mut t).await;
/// # });
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Timer {
    sleep: Sleep,
    state: TimerState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimerState {
    /// Armed; its value not yet delivered (even if the deadline has passed).
    Active,
    /// Its value was delivered by a poll.
    Fired,
    /// Stopped before delivering.
    Stopped,
}

impl Timer {
    /// A timer that fires once `duration` has elapsed.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = gmp_executor::time::Timer::new(std::time::Duration::from_secs(1));
    /// assert!(t.deadline() > gmp_executor::time::Instant::now());
    /// ```
    pub fn new(duration: Duration) -> Timer {
        Timer::at(super::deadline_after(duration))
    }

    /// A timer that fires at `deadline`.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let now = gmp_executor::time::Instant::now();
    /// let due = gmp_executor::time::Timer::at(now).await;
    /// assert_eq!(due, now);
    /// # });
    /// ```
    pub fn at(deadline: Instant) -> Timer {
        Timer {
            sleep: sleep_until(deadline),
            state: TimerState::Active,
        }
    }

    /// The instant the timer is (or was last) set to fire at.
    ///
    /// # Examples
    ///
    /// ```
    /// let now = gmp_executor::time::Instant::now();
    /// assert_eq!(gmp_executor::time::Timer::at(now).deadline(), now);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.sleep.deadline()
    }

    /// Stops the timer. Returns `true` if this call stopped it before its value was delivered,
    /// `false` if it had already been delivered or stopped (Go 1.23 `Timer.Stop`). Either way,
    /// the timer yields nothing afterwards until reset.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut t = gmp_executor::time::Timer::new(std::time::Duration::from_secs(60));
    /// assert!(t.stop());
    /// assert!(!t.stop());
    /// ```
    pub fn stop(&mut self) -> bool {
        let was_active = self.state == TimerState::Active;
        self.state = if was_active {
            TimerState::Stopped
        } else {
            self.state
        };
        self.sleep.deregister();
        was_active
    }

    /// Re-arms the timer to fire after `duration`. Returns `true` if it was active (armed and
    /// undelivered), `false` if it had fired or been stopped (Go 1.23 `Timer.Reset`). A value
    /// due under the old deadline is never delivered.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut t = gmp_executor::time::Timer::new(Duration::from_secs(60));
    /// assert!(t.reset(Duration::from_millis(1)));
    /// # futures::executor::block_on(&mut t);
    /// ```
    pub fn reset(&mut self, duration: Duration) -> bool {
        self.reset_at(super::deadline_after(duration))
    }

    /// Re-arms the timer to fire at `deadline`; returns what [`reset`](Timer::reset) returns.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut t = gmp_executor::time::Timer::new(std::time::Duration::from_secs(60));
    /// t.stop();
    /// assert!(!t.reset_at(gmp_executor::time::Instant::now()));
    /// # futures::executor::block_on(&mut t);
    /// ```
    pub fn reset_at(&mut self, deadline: Instant) -> bool {
        let was_active = self.state == TimerState::Active;
        self.state = TimerState::Active;
        self.sleep.reset(deadline);
        was_active
    }
}

impl Future for Timer {
    type Output = Instant;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Instant> {
        std::task::ready!(crate::coop::poll_proceed(cx));
        let this = self.get_mut();
        if this.state != TimerState::Active {
            // Go: receiving from a fired-and-drained or stopped timer blocks. Only `reset`
            // (through `&mut self`, so by this future's owner) can arm it again.
            crate::task::wait::waiting_on(cx, crate::task::wait::WaitReason::Timer);
            return Poll::Pending;
        }
        if this.sleep.poll_elapsed(cx).is_pending() {
            crate::task::wait::waiting_on(cx, crate::task::wait::WaitReason::Timer);
            return Poll::Pending;
        }
        this.state = TimerState::Fired;
        Poll::Ready(this.sleep.deadline())
    }
}

/// A future that yields the instant it was due at, once `duration` has elapsed: Go's
/// `time.After`. It is a [`Timer`], so it can also be stopped or reset.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// # futures::executor::block_on(async {
/// let due = gmp_executor::time::after(Duration::from_millis(1)).await;
/// assert!(gmp_executor::time::Instant::now() >= due);
/// # });
/// ```
pub fn after(duration: Duration) -> Timer {
    Timer::new(duration)
}

/// Runs `f` once `duration` has elapsed, in its own task: Go's `time.AfterFunc`.
///
/// Inside a gmp runtime (on a worker, or a thread inside `block_on`) `f` is spawned as a task on
/// that runtime when the timer fires; outside one it runs on a new thread, as Go runs it in a new
/// goroutine (a `block_on` waiting for what `f` does is not reported as deadlocked, while the
/// timer is armed or the thread runs). If the runtime shuts down first, `f` is dropped without running. The returned
/// handle can stop it; dropping the handle does not.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let (tx, rx) = std::sync::mpsc::channel();
/// let _h = gmp_executor::time::after_func(Duration::from_millis(1), move || tx.send(7).unwrap());
/// assert_eq!(rx.recv().unwrap(), 7);
///
/// let h = gmp_executor::time::after_func(Duration::from_secs(60), || unreachable!());
/// assert!(h.stop());
/// ```
pub fn after_func<F>(duration: Duration, f: F) -> AfterFuncHandle
where
    F: FnOnce() + Send + 'static,
{
    let deadline = super::deadline_after(duration);
    // The runtime is captured now: Go runs `f` on the runtime the timer was created in. Its
    // spawner is internal: it does not count as a spawner from outside (see deadlock detection;
    // the armed timer keeps the detector quiet already).
    after_func_on(
        binding::current_wheel(),
        binding::current_spawner(),
        deadline,
        f,
    )
}

/// [`after_func`] on a given wheel, spawning onto `runtime` (or a new thread if `None`).
pub(crate) fn after_func_on<F>(
    wheel: Arc<WheelShared>,
    runtime: Option<Spawner>,
    deadline: Instant,
    f: F,
) -> AfterFuncHandle
where
    F: FnOnce() + Send + 'static,
{
    let mut f = Some(f);
    let mut armed: Option<Arc<AfterFunc<F>>> = None;
    let registered = wheel.register_with(deadline, |key| {
        let state = Arc::new(AfterFunc {
            f: Mutex::new(f.take()),
            runtime: runtime.clone(),
            wheel: wheel.clone(),
            key,
        });
        armed = Some(state.clone());
        Waker::from(state)
    });
    match (registered, armed) {
        (Ok(_), Some(state)) => AfterFuncHandle { state: Some(state) },
        (Err(super::wheel::InsertError::Expired), _) => {
            if let Some(f) = f.take() {
                run_detached(runtime, f);
            }
            AfterFuncHandle { state: None }
        }
        // Shut down (or a registration without a waker, which cannot happen): drop `f`.
        _ => AfterFuncHandle { state: None },
    }
}

/// Handle to a function scheduled by [`after_func`]; cloneable, `Send` and `Sync`.
///
/// # Examples
///
/// ```
/// let h = gmp_executor::time::after_func(std::time::Duration::from_secs(60), || {});
/// let h2 = h.clone();
/// assert!(h.stop());
/// assert!(!h2.stop());
/// ```
#[derive(Clone)]
pub struct AfterFuncHandle {
    /// `None`: the function already ran (or was dropped) when the handle was made.
    state: Option<Arc<dyn StopFunc>>,
}

impl std::fmt::Debug for AfterFuncHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AfterFuncHandle").finish_non_exhaustive()
    }
}

impl AfterFuncHandle {
    /// Prevents the function from running. Returns `true` if this call prevented it, `false` if
    /// it had already started (or been handed to its task), or was stopped before (Go's
    /// `Timer.Stop` for an `AfterFunc` timer). Does not wait for a running function.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = gmp_executor::time::after_func(std::time::Duration::from_secs(60), || {});
    /// assert!(h.stop());
    /// ```
    pub fn stop(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.stop())
    }
}

trait StopFunc: Send + Sync {
    fn stop(&self) -> bool;
}

/// The state of one `after_func`; it is also the timer entry's waker. Whoever takes `f` out of
/// the mutex first — the firing wake-up or `stop` — decides whether it runs, and frees the
/// entry (exactly once: the loser finds `None` and does nothing).
struct AfterFunc<F> {
    f: Mutex<Option<F>>,
    runtime: Option<Spawner>,
    wheel: Arc<WheelShared>,
    key: u32,
}

impl<F> AfterFunc<F> {
    fn take(&self) -> Option<F> {
        self.f.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

impl<F: FnOnce() + Send + 'static> StopFunc for AfterFunc<F> {
    fn stop(&self) -> bool {
        match self.take() {
            Some(f) => {
                self.wheel.deregister(self.key);
                drop(f);
                true
            }
            None => false,
        }
    }
}

impl<F: FnOnce() + Send + 'static> Wake for AfterFunc<F> {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let Some(f) = self.take() else { return };
        // Called by the driver with the wheel unlocked, so freeing the entry here is safe. The
        // task or thread is started before the entry is freed, so the deadlock check never
        // sees a moment with neither.
        if self.wheel.is_shutdown() {
            drop(f);
        } else {
            run_detached(self.runtime.clone(), f);
        }
        self.wheel.deregister(self.key);
    }
}

/// Runs `f` in its own task: spawned on `runtime`, or on a new thread outside any runtime.
fn run_detached<F: FnOnce() + Send + 'static>(runtime: Option<Spawner>, f: F) {
    if let Some(spawn) = runtime {
        spawn(Box::new(f), std::panic::Location::caller());
        return;
    }
    if let Err(err) = super::spawn_callback_thread("gmp-after-func", f) {
        tracing::error!(%err, "gmp: could not start a thread for an after_func callback; dropped it");
    }
}
