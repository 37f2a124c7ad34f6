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
/// A duration too large to add to `Instant::now()` sleeps for about 30 years.
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
    sleep_until(super::deadline_after(duration))
}

/// Waits until `deadline`. A deadline in the past completes on first poll.
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
        deadline,
        entry: None,
    }
}

/// Future returned by [`sleep`] and [`sleep_until`]. `Unpin`, `Send` and `Sync`; 32 bytes.
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
    deadline: Instant,
    entry: Option<Registration>,
}

/// A timer entry owned by a `Sleep`: the wheel it is on and its key there.
#[derive(Debug)]
struct Registration {
    wheel: Arc<WheelShared>,
    key: u32,
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
        self.deadline
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
        self.deadline = deadline;
        if let Some(reg) = &self.entry {
            reg.wheel.reset(reg.key, deadline);
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
        Instant::now() >= self.deadline
    }

    /// Polls without spending coop budget (for composites such as `Timeout` that already did).
    pub(crate) fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match &self.entry {
            None => {
                if Instant::now() >= self.deadline {
                    return Poll::Ready(());
                }
                let wheel = binding::current_wheel();
                match wheel.register(self.deadline, cx.waker()) {
                    Ok(key) => {
                        self.entry = Some(Registration { wheel, key });
                        Poll::Pending
                    }
                    // Expired: another thread's clock already advanced the wheel past the
                    // deadline. Shutdown: the runtime is going away; complete rather than hang.
                    Err(_) => Poll::Ready(()),
                }
            }
            Some(reg) => {
                let ready = reg
                    .wheel
                    .poll_registered(reg.key, self.deadline, cx.waker());
                if ready.is_ready() {
                    self.entry = None;
                }
                ready
            }
        }
    }

    /// Frees the timer entry, if any; returns whether it was still waiting.
    pub(crate) fn deregister(&mut self) -> bool {
        match self.entry.take() {
            Some(reg) => reg.wheel.deregister(reg.key),
            None => false,
        }
    }

    /// Whether this sleep currently owns a timer entry.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn is_registered(&self) -> bool {
        self.entry.is_some()
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
