//! [`Sleep`]: Go's `time.Sleep` as a future.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::binding;
use super::driver::WheelShared;

/// Waits until `duration` has elapsed: Go's `time.Sleep`.
///
/// The timer registers on first poll (on the current worker's wheel inside a gmp runtime, on the
/// fallback timer thread outside one) and completes at or after the deadline, never before.
/// A duration too large to represent (`Duration::MAX`) sleeps until about 292 years after the
/// process started: forever.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use gmp_executor::time::{sleep, Instant};
///
/// # futures::executor::block_on(async {
/// let start = Instant::now();
/// sleep(Duration::from_millis(5)).await;
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// # });
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    // `deadline_after` and `sleep_until` in one: now's offset from the clock base plus the
    // duration, in integer nanoseconds, saturating at about 292 years.
    Sleep {
        state: State::Idle(to_offset(Instant::now()).saturating_add(saturating_ns(duration))),
    }
}

/// Waits until `deadline`. A deadline in the past completes on first poll. The deadline is kept
/// to the nanosecond within about 292 years of the process's start (a registered sleep reset to
/// an instant before that start reads the start back from [`Sleep::deadline`]).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use gmp_executor::time::{sleep_until, Instant};
///
/// # futures::executor::block_on(async {
/// let deadline = Instant::now() + Duration::from_millis(2);
/// sleep_until(deadline).await;
/// assert!(Instant::now() >= deadline);
/// # });
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        state: State::Idle(to_offset(deadline)),
    }
}

/// Future returned by [`sleep`] and [`sleep_until`]. `Unpin`, `Send` and `Sync`; 16 bytes.
///
/// It holds no timer until first polled; from then until it completes or is dropped it owns one
/// entry in a timer wheel, which dropping frees in O(1). If the runtime whose wheel it is on
/// shuts down, a pending sleep completes early (its task is about to be dropped anyway).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use gmp_executor::time::sleep;
///
/// # futures::executor::block_on(async {
/// let mut s = sleep(Duration::from_secs(3600));
/// s.reset(gmp_executor::time::Instant::now());
/// (&mut s).await; // Sleep is Unpin: await it by reference
/// assert!(s.is_elapsed());
/// # });
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    state: State,
}

/// A `Sleep` keeps its deadline itself only while it owns no timer entry; a registered one
/// finds it in its entry (read under the wheel lock, which the polls take anyway). That keeps a
/// `Sleep` at 16 bytes, so a task sleeping in a small `async` block fits a smaller allocation.
#[derive(Debug)]
enum State {
    /// No timer entry: the deadline, in nanoseconds from the clock base (negative: before it).
    Idle(i64),
    /// Owns entry `key` on `wheel`, which holds the deadline.
    Armed { wheel: Arc<WheelShared>, key: u32 },
}

/// `t` in nanoseconds from the clock base, saturating at about ±292 years.
fn to_offset(t: Instant) -> i64 {
    let base = crate::clock::base();
    match t.checked_duration_since(base) {
        Some(after) => saturating_ns(after),
        None => -saturating_ns(base.duration_since(t)),
    }
}

/// `d` in nanoseconds, saturating at `i64::MAX` (with 64-bit arithmetic, not `as_nanos`'s 128).
fn saturating_ns(d: Duration) -> i64 {
    i64::try_from(d.as_secs())
        .ok()
        .and_then(|s| s.checked_mul(1_000_000_000))
        .and_then(|n| n.checked_add(i64::from(d.subsec_nanos())))
        .unwrap_or(i64::MAX)
}

/// The instant `offset` nanoseconds from the clock base.
fn from_offset(offset: i64) -> Instant {
    let base = crate::clock::base();
    let d = Duration::from_nanos(offset.unsigned_abs());
    if offset >= 0 {
        base.checked_add(d).unwrap_or_else(super::far_future)
    } else {
        base.checked_sub(d).unwrap_or(base)
    }
}

/// The wheels' form of a deadline: nanoseconds since the clock base, 0 for one before it.
fn wheel_ns(offset: i64) -> u64 {
    offset.max(0).unsigned_abs()
}

/// Converts a wheel deadline back (wheel deadlines of a `Sleep` are at most `i64::MAX`).
fn offset_of(ns: u64) -> i64 {
    i64::try_from(ns).unwrap_or(i64::MAX)
}

impl Sleep {
    /// The instant this sleep completes at.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = gmp_executor::time::Instant::now();
    /// assert_eq!(gmp_executor::time::sleep_until(d).deadline(), d);
    /// ```
    pub fn deadline(&self) -> Instant {
        from_offset(self.deadline_offset())
    }

    /// The deadline in nanoseconds from the clock base.
    fn deadline_offset(&self) -> i64 {
        match &self.state {
            State::Idle(deadline) => *deadline,
            State::Armed { wheel, key } => offset_of(wheel.deadline_ns(*key)),
        }
    }

    /// Moves the deadline, earlier or later, even after the sleep has completed (it then waits
    /// again). Cheap: the timer entry, if any, is moved in place.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use gmp_executor::time::{sleep, Instant};
    ///
    /// # futures::executor::block_on(async {
    /// let mut s = sleep(Duration::from_secs(3600));
    /// s.reset(Instant::now() + Duration::from_millis(1));
    /// (&mut s).await;
    /// # });
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        let deadline = to_offset(deadline);
        match &self.state {
            State::Idle(_) => self.state = State::Idle(deadline),
            State::Armed { wheel, key } => wheel.reset_ns(*key, wheel_ns(deadline)),
        }
    }

    /// Whether the deadline has passed.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = gmp_executor::time::sleep(std::time::Duration::ZERO);
    /// assert!(s.is_elapsed());
    /// ```
    pub fn is_elapsed(&self) -> bool {
        to_offset(Instant::now()) >= self.deadline_offset()
    }

    /// Polls without spending coop budget (for composites such as `Timeout` that already did).
    pub(crate) fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match &self.state {
            State::Idle(deadline) => {
                let deadline = *deadline;
                // Compared as instants: rebuilding the deadline is cheaper than converting now.
                if Instant::now() >= from_offset(deadline) {
                    return Poll::Ready(());
                }
                let wheel = binding::current_wheel();
                match wheel.register_ns(wheel_ns(deadline), cx.waker()) {
                    Ok(key) => {
                        self.state = State::Armed { wheel, key };
                        Poll::Pending
                    }
                    // Expired: another thread's clock already advanced the wheel past the
                    // deadline. Shutdown: the runtime is going away; complete rather than hang.
                    Err(_) => Poll::Ready(()),
                }
            }
            State::Armed { wheel, key } => {
                let ready = wheel.poll_registered(*key, cx.waker());
                ready.map(|deadline_ns| self.state = State::Idle(offset_of(deadline_ns)))
            }
        }
    }

    /// Frees the timer entry, if any; returns whether it was still waiting.
    pub(crate) fn deregister(&mut self) -> bool {
        match &self.state {
            State::Idle(_) => false,
            State::Armed { wheel, key } => {
                let (linked, deadline_ns) = wheel.deregister_entry(*key);
                self.state = State::Idle(offset_of(deadline_ns));
                linked
            }
        }
    }

    /// Whether this sleep currently owns a timer entry.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn is_registered(&self) -> bool {
        matches!(self.state, State::Armed { .. })
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        std::task::ready!(crate::coop::poll_proceed(cx));
        let res = self.get_mut().poll_elapsed(cx);
        if res.is_pending() {
            crate::task::wait::waiting_on(cx, crate::task::wait::WaitReason::Sleep);
        }
        res
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.deregister();
    }
}
