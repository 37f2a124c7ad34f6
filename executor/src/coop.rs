//! Cooperative scheduling budget: gmp's stand-in for Go's preemption.
//!
//! Go preempts a goroutine that runs too long (a signal after 10 ms). A future cannot be
//! interrupted, so gmp does what the Go runtime did before 1.14, only more often: every *leaf*
//! future gmp provides (a channel operation, a timer, a socket read, a lock, a `JoinHandle`)
//! spends one unit of a per-poll budget before doing its work. The worker gives each task
//! [`BUDGET`] units when it polls it; once they are spent every leaf future returns `Pending`
//! (after waking its task), so the task yields back to the scheduler at its next `.await` even if
//! every operation it awaits is always ready. A loop that never awaits anything is beyond any
//! cooperative scheme; sysmon reports it.
//!
//! Outside a gmp task poll (under another executor, in `block_on` of `futures`) the budget is
//! unconstrained and these calls cost a thread-local read.
//!
//! # Examples
//!
//! A leaf future that cooperates:
//!
//! ```
//! use std::task::{Context, Poll};
//! use std::future::Future;
//! use std::pin::Pin;
//!
//! struct AlwaysReady;
//!
//! impl Future for AlwaysReady {
//!     type Output = ();
//!     fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
//!         // Spend one unit; when the task's budget is gone this yields.
//!         std::task::ready!(gmp_executor::coop::poll_proceed(cx));
//!         Poll::Ready(())
//!     }
//! }
//! # futures::executor::block_on(AlwaysReady);
//! ```

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Units of budget a task receives each time a worker polls it.
pub const BUDGET: u8 = 128;

thread_local! {
    /// `None`: unconstrained (not inside a gmp task poll, or inside [`unconstrained`]).
    static CURRENT: Cell<Option<u8>> = const { Cell::new(None) };
}

/// Runs `f` (one task poll) with a fresh budget, restoring the previous budget afterwards.
/// Returns `f`'s result and whether the budget ran out during the poll.
#[inline]
pub(crate) fn with_budget<R>(f: impl FnOnce() -> R) -> (R, bool) {
    struct Reset(Option<u8>);
    impl Drop for Reset {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let prev = CURRENT.with(|c| c.replace(Some(BUDGET)));
    let reset = Reset(prev);
    let out = f();
    let exhausted = CURRENT.with(|c| c.get() == Some(0));
    drop(reset);
    (out, exhausted)
}

/// Spends one unit of the current task's budget.
///
/// Returns `Poll::Ready(())` if the caller may go on with its operation. Once the budget is spent
/// it wakes the task (so it is scheduled again, behind the tasks already queued) and returns
/// `Poll::Pending`: the leaf future must then return `Pending` too, without having done
/// anything. Every gmp leaf future calls this first in `poll`.
///
/// # Examples
///
/// ```
/// # use std::task::{Context, Poll};
/// fn poll_op(cx: &mut Context<'_>) -> Poll<u32> {
///     std::task::ready!(gmp_executor::coop::poll_proceed(cx));
///     Poll::Ready(7)
/// }
/// # let w = futures::task::noop_waker();
/// # assert_eq!(poll_op(&mut Context::from_waker(&w)), Poll::Ready(7));
/// ```
#[inline]
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    CURRENT.with(|c| match c.get() {
        None => Poll::Ready(()),
        Some(0) => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Some(n) => {
            c.set(Some(n - 1));
            crate::scheduler::worker::note_progress();
            Poll::Ready(())
        }
    })
}

/// Whether the current task still has budget (always `true` outside a gmp task).
///
/// # Examples
///
/// ```
/// assert!(gmp_executor::coop::has_budget_remaining());
/// ```
#[inline]
pub fn has_budget_remaining() -> bool {
    CURRENT.with(|c| c.get() != Some(0))
}

/// Spends one unit of budget, yielding to the scheduler if it is spent.
///
/// Useful in a loop of non-gmp work that should still share its worker fairly.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// for _ in 0..1000 {
///     gmp_executor::coop::consume_budget().await;
/// }
/// # });
/// ```
pub async fn consume_budget() {
    std::future::poll_fn(poll_proceed).await
}

/// Runs a future with no budget: gmp leaf futures inside it never yield for budget.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let v = gmp_executor::coop::unconstrained(async { 5 }).await;
/// assert_eq!(v, 5);
/// # });
/// ```
pub fn unconstrained<F: Future>(future: F) -> Unconstrained<F> {
    Unconstrained { future }
}

/// Future returned by [`unconstrained`].
#[pin_project::pin_project]
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Unconstrained<F> {
    #[pin]
    future: F,
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let prev = CURRENT.with(|c| c.replace(None));
        struct Reset(Option<u8>);
        impl Drop for Reset {
            fn drop(&mut self) {
                CURRENT.with(|c| c.set(self.0));
            }
        }
        let _reset = Reset(prev);
        self.project().future.poll(cx)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn budget_runs_out_after_budget_units() {
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let ((), exhausted) = with_budget(|| {
            for _ in 0..BUDGET {
                assert_eq!(poll_proceed(&mut cx), Poll::Ready(()));
            }
            assert_eq!(poll_proceed(&mut cx), Poll::Pending);
            assert!(!has_budget_remaining());
        });
        assert!(exhausted);
        // Outside a task poll: unconstrained again.
        assert!(has_budget_remaining());
        assert_eq!(poll_proceed(&mut cx), Poll::Ready(()));
    }

    #[test]
    fn unconstrained_ignores_budget() {
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        with_budget(|| {
            let mut fut = std::pin::pin!(unconstrained(async {
                for _ in 0..1000 {
                    consume_budget().await;
                }
            }));
            assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(()));
        });
    }
}
