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
//! A combinator that completes with whichever of several futures is ready (`select!`,
//! [`time::timeout`](crate::time::timeout)) spends one unit for its whole poll and polls its
//! operands inside [`charged`], where leaves do not yield for the task's budget: otherwise, in
//! the poll that spends the last unit, a leaf operand would report `Pending` while a non-leaf
//! operand (a channel arm of a select, a plain future) completes, and the choice would lean
//! away from leaves, where Go's select is uniform among ready cases.
//!
//! Layer: the bottom, with `clock` and `loom`: it uses nothing of gmp's. A worker hands it its
//! progress counter for each poll (`with_budget_counting`), so spending budget also tells a
//! thief the worker is busy without this module naming the scheduler (a second thread-local,
//! the counter's address, read only on the path that spends a unit).
//!
//! The budget is one thread-local, the units left (`None`: unconstrained). A charged scope
//! swaps in a fresh allowance for the operand and, on the way out, takes what the operand spent
//! off the units it replaced, down to zero. Rejected: running the operands unconstrained (an
//! operand that loops over always-ready leaves would never yield), and a separate "charged"
//! state that every `poll_proceed` would have to test (the common path pays for it).
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
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

/// Units of budget a task receives each time a worker polls it.
pub const BUDGET: u8 = 128;

/// The budget of the task this thread is polling, and where its progress is counted: one
/// thread-local, so a leaf's `poll_proceed` finds both with one lookup.
struct Budget {
    /// `None`: unconstrained (not inside a gmp task poll, or inside [`unconstrained`]).
    units: Cell<Option<u8>>,
    /// The running worker's progress counter (null outside a worker's poll): each unit of
    /// budget spent is added to it, so a thief can tell a busy worker from a stuck one (see
    /// `scheduler::worker`). Handed in by the scheduler, so this layer never names it.
    progress: Cell<*const AtomicU64>,
}

thread_local! {
    static STATE: Budget = const {
        Budget {
            units: Cell::new(None),
            progress: Cell::new(std::ptr::null()),
        }
    };
}

/// The current task's budget units (see `Budget::units`).
#[inline]
fn current<R>(f: impl FnOnce(&Cell<Option<u8>>) -> R) -> R {
    STATE.with(|s| f(&s.units))
}

/// [`with_budget`] for a worker's poll: every unit of budget spent also adds one to
/// `progress`, a counter only this thread writes.
#[inline]
pub(crate) fn with_budget_counting<R>(progress: &AtomicU64, f: impl FnOnce() -> R) -> (R, bool) {
    struct Reset(*const AtomicU64);
    impl Drop for Reset {
        fn drop(&mut self) {
            STATE.with(|s| s.progress.set(self.0));
        }
    }
    let _reset = Reset(STATE.with(|s| s.progress.replace(progress)));
    with_budget(f)
}

/// Runs `f` (one task poll) with a fresh budget, restoring the previous budget afterwards.
/// Returns `f`'s result and whether the budget ran out during the poll.
#[inline]
pub(crate) fn with_budget<R>(f: impl FnOnce() -> R) -> (R, bool) {
    struct Reset(Option<u8>);
    impl Drop for Reset {
        fn drop(&mut self) {
            current(|c| c.set(self.0));
        }
    }
    let prev = current(|c| c.replace(Some(BUDGET)));
    let reset = Reset(prev);
    let out = f();
    let exhausted = current(|c| c.get() == Some(0));
    drop(reset);
    (out, exhausted)
}

/// Spends one unit of the current task's budget.
///
/// Returns `Poll::Ready(())` if the caller may go on with its operation. Once the budget is spent
/// it wakes the task (so it is scheduled again, behind the tasks already queued) and returns
/// `Poll::Pending`: the leaf future must then return `Pending` too, without having done
/// anything. Every gmp leaf future calls this first in `poll`. Inside [`charged`] it spends
/// the operand's allowance instead (see there).
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
    STATE.with(|s| match s.units.get() {
        None => Poll::Ready(()),
        Some(0) => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Some(n) => {
            s.units.set(Some(n - 1));
            note_progress(s.progress.get());
            Poll::Ready(())
        }
    })
}

/// Adds one to the running worker's progress counter, if any (see `Budget::progress`).
#[inline]
fn note_progress(progress: *const AtomicU64) {
    if !progress.is_null() {
        // SAFETY: `progress` points at a counter of the worker running on this thread; it is
        // set only for the duration of `with_budget_counting`, whose caller borrows the counter
        // for that long.
        let progress = unsafe { &*progress };
        // A single writer (this worker): a load and a store suffice, as in `stats::Counter`.
        progress.store(
            progress.load(Ordering::Relaxed).wrapping_add(1),
            Ordering::Relaxed,
        );
    }
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
    current(|c| c.get() != Some(0))
}

/// Runs `f`, the poll of one operand of a combinator that has already spent this poll's unit
/// of budget with [`poll_proceed`], so that no leaf inside it reports `Pending` for want of
/// the task's budget.
///
/// A combinator that polls several futures and completes with whichever is ready (`select!`,
/// [`time::timeout`](crate::time::timeout)) must judge them by their readiness alone: if a
/// timer operand yielded for budget in the very poll that spent the task's last unit while
/// another operand completed, the choice would lean away from timers. So such a combinator
/// spends one unit for the whole poll (yielding as a whole when none is left), then polls each
/// operand inside `charged`. The operand's leaves spend a fresh allowance of [`BUDGET`] units;
/// what they spent is then taken off the task's units, down to zero, so the task yields at its
/// next leaf after the combinator if the operand used the budget up.
///
/// An operand is no licence to run forever: one that spends its whole allowance in one poll
/// (a loop over always-ready leaves) yields as usual. Outside a gmp task poll, or inside
/// [`unconstrained`], `f` simply runs.
///
/// # Examples
///
/// A race of two futures that is fair to both, whatever they are:
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::Poll;
/// use gmp_executor::coop;
///
/// async fn race<T>(a: impl Future<Output = T>, b: impl Future<Output = T>) -> T {
///     let (mut a, mut b) = (pin!(a), pin!(b));
///     std::future::poll_fn(|cx| {
///         std::task::ready!(coop::poll_proceed(cx)); // one unit for the whole race
///         if let Poll::Ready(v) = coop::charged(|| a.as_mut().poll(cx)) {
///             return Poll::Ready(v);
///         }
///         coop::charged(|| b.as_mut().poll(cx))
///     })
///     .await
/// }
///
/// # gmp_executor::Runtime::new().unwrap().block_on(async {
/// let zero = gmp_executor::time::sleep(std::time::Duration::ZERO);
/// race(zero, std::future::pending()).await;
/// # });
/// ```
#[inline]
pub fn charged<R>(f: impl FnOnce() -> R) -> R {
    /// Leaves the scope, also on unwind: the units replaced, less what the operand spent.
    struct Leave<'a> {
        cell: &'a Cell<Option<u8>>,
        units: u8,
    }
    impl Drop for Leave<'_> {
        fn drop(&mut self) {
            // `Some`: an `Unconstrained` inside the scope restored it on its way out.
            let spent = BUDGET - self.cell.get().unwrap_or(BUDGET);
            self.cell.set(Some(self.units.saturating_sub(spent)));
        }
    }
    current(|cell| {
        let Some(units) = cell.get() else {
            return f();
        };
        cell.set(Some(BUDGET));
        let _leave = Leave { cell, units };
        f()
    })
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
        let prev = current(|c| c.replace(None));
        struct Reset(Option<u8>);
        impl Drop for Reset {
            fn drop(&mut self) {
                current(|c| c.set(self.0));
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
    fn charged_operands_never_yield_for_the_task_budget() {
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let ((), exhausted) = with_budget(|| {
            for _ in 0..BUDGET - 1 {
                assert_eq!(poll_proceed(&mut cx), Poll::Ready(()));
            }
            // The combinator spends the last unit, then its operands go on.
            assert_eq!(poll_proceed(&mut cx), Poll::Ready(()));
            for _ in 0..3 {
                charged(|| {
                    assert!(has_budget_remaining());
                    assert_eq!(poll_proceed(&mut cx), Poll::Ready(()));
                });
            }
            // Past the combinator the task yields at its next leaf.
            assert_eq!(poll_proceed(&mut cx), Poll::Pending);
        });
        assert!(exhausted);
    }

    #[test]
    fn charged_operands_spend_the_task_budget() {
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let ((), exhausted) = with_budget(|| {
            charged(|| {
                for _ in 0..10 {
                    assert_eq!(poll_proceed(&mut cx), Poll::Ready(()));
                }
                // A nested combinator: its own unit, and a fresh allowance for its operands
                // whose spending counts against the outer operand and the task.
                assert_eq!(poll_proceed(&mut cx), Poll::Ready(()));
                charged(|| assert_eq!(poll_proceed(&mut cx), Poll::Ready(())));
            });
            for _ in 0..BUDGET - 12 {
                assert_eq!(poll_proceed(&mut cx), Poll::Ready(()));
            }
            assert_eq!(poll_proceed(&mut cx), Poll::Pending);
        });
        assert!(exhausted);
    }

    #[test]
    fn a_charged_operand_yields_after_its_allowance() {
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        with_budget(|| {
            charged(|| {
                for _ in 0..BUDGET {
                    assert_eq!(poll_proceed(&mut cx), Poll::Ready(()));
                }
                assert!(!has_budget_remaining());
                assert_eq!(poll_proceed(&mut cx), Poll::Pending);
            });
            // The next operand has its own allowance; the task's units are gone.
            charged(|| assert_eq!(poll_proceed(&mut cx), Poll::Ready(())));
            assert_eq!(poll_proceed(&mut cx), Poll::Pending);
        });
        // Outside a task, and inside `unconstrained`: `charged` is transparent.
        charged(|| assert_eq!(current(Cell::get), None));
        with_budget(|| {
            let mut fut = std::pin::pin!(unconstrained(std::future::poll_fn(|_| {
                charged(|| assert_eq!(current(Cell::get), None));
                Poll::Ready(())
            })));
            assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(()));
            assert_eq!(current(Cell::get), Some(BUDGET));
        });
    }

    #[test]
    fn charged_scope_is_restored_on_unwind() {
        with_budget(|| {
            let r = std::panic::catch_unwind(|| {
                charged(|| {
                    let w = futures::task::noop_waker();
                    let _ = poll_proceed(&mut Context::from_waker(&w));
                    panic!("operand panicked");
                })
            });
            assert!(r.is_err());
            assert_eq!(current(Cell::get), Some(BUDGET - 1));
        });
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
