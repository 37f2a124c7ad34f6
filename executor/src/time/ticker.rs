//! [`Ticker`]: Go's `time.NewTicker`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::sleep::{Sleep, sleep_until};

/// Delivers a tick every `period`: Go's `time.NewTicker`.
///
/// The first tick is due one period after creation. Each tick yields the instant it was due at.
/// A receiver that falls behind gets **one** late tick at once and the schedule then restarts
/// from that moment (next tick one period later): missed ticks are dropped, never delivered in a
/// burst — as Go's ticker drops ticks for slow receivers.
///
/// Also a [`Stream`](futures_core::Stream) that never ends (after [`stop`](Ticker::stop) it stays
/// pending, like Go's ticker channel).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use gmp_executor::time::{Ticker, Instant};
///
/// # futures::executor::block_on(async {
/// let start = Instant::now();
/// let mut ticker = Ticker::new(Duration::from_millis(2));
/// for _ in 0..3 {
///     ticker.tick().await;
/// }
/// assert!(start.elapsed() >= Duration::from_millis(6));
/// ticker.stop();
/// # });
/// ```
#[derive(Debug)]
#[must_use = "a ticker does nothing unless its ticks are awaited or it is polled as a stream"]
pub struct Ticker {
    sleep: Sleep,
    period: Duration,
    stopped: bool,
}

impl Ticker {
    /// A ticker with the given period.
    ///
    /// # Panics
    ///
    /// Panics if `period` is zero (Go: "non-positive interval for NewTicker").
    ///
    /// # Examples
    ///
    /// ```
    /// let t = gmp_executor::time::Ticker::new(std::time::Duration::from_secs(1));
    /// assert_eq!(t.period(), std::time::Duration::from_secs(1));
    /// ```
    #[track_caller]
    pub fn new(period: Duration) -> Ticker {
        assert!(!period.is_zero(), "non-positive interval for Ticker::new");
        Ticker {
            sleep: sleep_until(super::deadline_after(period)),
            period,
            stopped: false,
        }
    }

    /// The current period.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = gmp_executor::time::Ticker::new(std::time::Duration::from_millis(5));
    /// assert_eq!(t.period(), std::time::Duration::from_millis(5));
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Waits for the next tick and returns the instant it was due at.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let mut t = gmp_executor::time::Ticker::new(std::time::Duration::from_millis(1));
    /// let due = t.tick().await;
    /// assert!(gmp_executor::time::Instant::now() >= due);
    /// # });
    /// ```
    pub fn tick(&mut self) -> Tick<'_> {
        Tick { ticker: self }
    }

    /// Polls for the next tick; the building block of [`tick`](Ticker::tick) and the `Stream`.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let mut t = gmp_executor::time::Ticker::new(std::time::Duration::from_millis(1));
    /// std::future::poll_fn(|cx| t.poll_tick(cx)).await;
    /// # });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        std::task::ready!(crate::coop::poll_proceed(cx));
        if self.stopped || self.sleep.poll_elapsed(cx).is_pending() {
            crate::task::wait::waiting_on(cx, crate::task::wait::WaitReason::Ticker);
            return Poll::Pending;
        }
        let due = self.sleep.deadline();
        let now = Instant::now();
        let next = due
            .checked_add(self.period)
            .filter(|&n| n > now)
            .unwrap_or_else(|| super::deadline_after(self.period));
        self.sleep.reset(next);
        Poll::Ready(due)
    }

    /// Stops the ticker: no more ticks until [`reset`](Ticker::reset).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut t = gmp_executor::time::Ticker::new(std::time::Duration::from_millis(1));
    /// t.stop();
    /// ```
    pub fn stop(&mut self) {
        self.stopped = true;
        self.sleep.deregister();
    }

    /// Sets the period to `period` and restarts the schedule: the next tick is due `period` from
    /// now (Go's `Ticker.Reset`). Also restarts a stopped ticker.
    ///
    /// # Panics
    ///
    /// Panics if `period` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # futures::executor::block_on(async {
    /// let mut t = gmp_executor::time::Ticker::new(Duration::from_secs(3600));
    /// t.reset(Duration::from_millis(1));
    /// t.tick().await;
    /// # });
    /// ```
    #[track_caller]
    pub fn reset(&mut self, period: Duration) {
        assert!(!period.is_zero(), "non-positive interval for Ticker::reset");
        self.period = period;
        self.stopped = false;
        self.sleep.reset(super::deadline_after(period));
    }
}

impl futures_core::Stream for Ticker {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }
}

/// Future returned by [`Ticker::tick`].
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let mut t = gmp_executor::time::Ticker::new(std::time::Duration::from_millis(1));
/// let tick: gmp_executor::time::Tick<'_> = t.tick();
/// tick.await;
/// # });
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Tick<'a> {
    ticker: &'a mut Ticker,
}

impl Future for Tick<'_> {
    type Output = Instant;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Instant> {
        self.get_mut().ticker.poll_tick(cx)
    }
}
