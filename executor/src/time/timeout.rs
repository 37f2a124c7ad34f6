//! [`timeout`] and [`timeout_at`]: bound how long a future may take.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::sleep::{Sleep, sleep_until};

/// Runs `future` for at most `duration`: `Ok(output)` if it completes first, `Err(Elapsed)`
/// otherwise (and `future` is dropped with the `Timeout`). Go spells this with `select` on
/// `time.After` or a `context.WithTimeout`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use gmp_executor::time::{sleep, timeout};
///
/// # futures::executor::block_on(async {
/// assert_eq!(timeout(Duration::from_secs(5), async { 1 }).await, Ok(1));
/// assert!(timeout(Duration::from_millis(1), sleep(Duration::from_secs(5))).await.is_err());
/// # });
/// ```
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    timeout_at(super::deadline_after(duration), future)
}

/// Runs `future` until `deadline`; see [`timeout`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use gmp_executor::time::{Instant, timeout_at};
///
/// # futures::executor::block_on(async {
/// let deadline = Instant::now() + Duration::from_millis(1);
/// let r = timeout_at(deadline, std::future::pending::<()>()).await;
/// assert!(r.is_err());
/// # });
/// ```
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep_until(deadline),
    }
}

/// Future returned by [`timeout`] and [`timeout_at`].
///
/// The inner future is polled first, so a future that is ready wins even after the deadline.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let t = gmp_executor::time::timeout(std::time::Duration::from_secs(1), async { 2 });
/// assert_eq!(t.into_inner().await, 2);
/// # });
/// ```
#[pin_project::pin_project]
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Timeout<F> {
    #[pin]
    future: F,
    sleep: Sleep,
}

impl<F> Timeout<F> {
    /// The wrapped future.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = gmp_executor::time::timeout(std::time::Duration::from_secs(1), async { 2 });
    /// let _f = t.get_ref();
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The wrapped future, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut t = gmp_executor::time::timeout(std::time::Duration::from_secs(1), async { 2 });
    /// let _f = t.get_mut();
    /// ```
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// Unwraps the future, dropping the timer.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let t = gmp_executor::time::timeout(std::time::Duration::from_secs(1), async { 2 });
    /// assert_eq!(t.into_inner().await, 2);
    /// # });
    /// ```
    pub fn into_inner(self) -> F {
        self.future
    }

    /// The instant the timeout elapses at.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = gmp_executor::time::Instant::now();
    /// assert_eq!(gmp_executor::time::timeout_at(d, async {}).deadline(), d);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.sleep.deadline()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // One unit for the whole poll. The inner future runs charged: a ready leaf must not
        // yield for budget in the poll that spends the last unit and lose to the deadline.
        std::task::ready!(crate::coop::poll_proceed(cx));
        let this = self.project();
        let mut future = this.future;
        if let Poll::Ready(v) = crate::coop::charged(|| future.as_mut().poll(cx)) {
            return Poll::Ready(Ok(v));
        }
        // Without spending budget: the inner future may have spent all of the task's, and the
        // deadline must still be noticed.
        let res = this.sleep.poll_elapsed(cx).map(|()| Err(Elapsed(())));
        if res.is_pending() {
            // The inner future's reason, if it recorded one, says more.
            crate::task::wait::waiting_on_unless_recorded(
                cx,
                crate::task::wait::WaitReason::Timeout,
            );
        }
        res
    }
}

/// Error returned by [`Timeout`] when the deadline passes first.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let err = gmp_executor::time::timeout(std::time::Duration::ZERO, std::future::pending::<()>())
///     .await
///     .unwrap_err();
/// assert_eq!(err.to_string(), "deadline has elapsed");
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}
