//! Timers: Go's `time.Sleep`, `time.After`, `time.NewTimer`, `time.NewTicker`.
//!
//! CONTRACT STUB: `sleep`, `sleep_until` and `Sleep` keep these signatures; the timer driver
//! behind them is being written (per-worker wheels, fallback driver thread).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

pub use std::time::Instant;

/// Waits until `duration` has elapsed: Go's `time.Sleep`.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// gmp_executor::time::sleep(std::time::Duration::from_millis(1)).await;
/// # });
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(Instant::now() + duration)
}

/// Waits until `deadline`.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let d = gmp_executor::time::Instant::now() + std::time::Duration::from_millis(1);
/// gmp_executor::time::sleep_until(d).await;
/// # });
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        thread: None,
    }
}

/// Future returned by [`sleep`] and [`sleep_until`]. `Unpin`, `Send` and `Sync`.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    deadline: Instant,
    thread: Option<std::thread::JoinHandle<()>>,
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

    /// Moves the deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// let now = gmp_executor::time::Instant::now();
    /// let mut s = gmp_executor::time::sleep_until(now);
    /// s.reset(now + std::time::Duration::from_secs(1));
    /// assert!(s.deadline() > now);
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline = deadline;
        self.thread = None;
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
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        std::task::ready!(crate::coop::poll_proceed(cx));
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        if self.thread.is_none() {
            let (deadline, waker) = (self.deadline, cx.waker().clone());
            self.thread = Some(std::thread::spawn(move || {
                let now = Instant::now();
                if deadline > now {
                    std::thread::sleep(deadline - now);
                }
                waker.wake();
            }));
        }
        Poll::Pending
    }
}
