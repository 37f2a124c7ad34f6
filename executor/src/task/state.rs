//! The task state word: lifecycle bits and reference count in one atomic.
//!
//! ```text
//!  63 ............ 6   5           4              3          2         1          0
//! [ reference count | JOIN_WAKER | JOIN_INTEREST | CANCELLED | NOTIFIED | COMPLETE | RUNNING ]
//! ```
//!
//! - `RUNNING`: a thread is polling (or cancelling) the future; it alone owns the stage.
//! - `COMPLETE`: the future is gone and the output (or the `JoinError`) is stored. Never
//!   cleared.
//! - `NOTIFIED`: a `Notified` for the task exists (it is queued somewhere), or, while
//!   `RUNNING`, the task was woken during its poll and must be re-queued when the poll ends.
//!   At most one `Notified` exists at a time: that is what makes a task run at most once
//!   concurrently and sit at most once in the run queues.
//! - `CANCELLED`: abort was requested; the next thread to own the task drops the future.
//! - `JOIN_INTEREST`: the `JoinHandle` is alive and will take the output.
//! - `JOIN_WAKER`: the join waker slot holds a waker the completing thread must wake. While
//!   set (and the task is not complete) only the completing thread may read the slot; while
//!   clear, only the `JoinHandle` may write it.
//!
//! Every transition is one CAS loop (or one RMW) and returns what the caller must do next.
//! Orderings: transitions use `AcqRel` so that whatever a thread wrote to the stage before
//! releasing ownership (clearing `RUNNING`, setting `COMPLETE`) is visible to the next owner
//! (which acquires through the same word); reference decrements use `AcqRel` so the thread
//! that frees the allocation sees every other thread's last use.

use crate::loom::{AtomicUsize, Ordering};

const RUNNING: usize = 0b00_0001;
const COMPLETE: usize = 0b00_0010;
const NOTIFIED: usize = 0b00_0100;
const CANCELLED: usize = 0b00_1000;
const JOIN_INTEREST: usize = 0b01_0000;
const JOIN_WAKER: usize = 0b10_0000;
const REF_SHIFT: u32 = 6;
const REF_ONE: usize = 1 << REF_SHIFT;

/// A new task: three references (the registry, the `JoinHandle`, the first `Notified`),
/// notified (about to be queued), with join interest.
const INITIAL: usize = (3 * REF_ONE) | JOIN_INTEREST | NOTIFIED;

pub(crate) struct State {
    val: AtomicUsize,
}

/// A copy of the state word.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

impl Snapshot {
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub(crate) fn ref_count(self) -> usize {
        self.0 >> REF_SHIFT
    }
    fn is_idle(self) -> bool {
        self.0 & (RUNNING | COMPLETE) == 0
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("notified", &self.is_notified())
            .field("cancelled", &self.is_cancelled())
            .field("join_interest", &self.is_join_interested())
            .field("join_waker", &self.is_join_waker_set())
            .field("refs", &self.ref_count())
            .finish()
    }
}

/// Result of taking a `Notified` out of a queue to run it.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToRunning {
    /// Poll the future.
    Success,
    /// Abort was requested: drop the future and complete with a cancellation.
    Cancelled,
    /// The task is already complete (cancelled at shutdown while queued): drop the reference.
    Failed,
}

/// Result of ending a poll that returned `Pending`.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToIdle {
    /// Parked; the running reference was released and others remain.
    Ok,
    /// Parked, and the released reference was the last one: free the task.
    OkDealloc,
    /// Woken during the poll: re-queue the task (the running reference becomes its `Notified`).
    OkNotified,
    /// Abort was requested during the poll: cancel now (still owning the task).
    Cancelled,
}

/// Result of a wake.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToNotified {
    /// Nothing to do (already queued, running, or complete).
    DoNothing,
    /// Queue the task: the caller now holds its `Notified` reference.
    Submit,
    /// Nothing to do, and the caller's reference (released) was the last: free the task.
    Dealloc,
}

impl State {
    pub(crate) fn new() -> State {
        State {
            val: AtomicUsize::new(INITIAL),
        }
    }

    pub(crate) fn load(&self) -> Snapshot {
        // Acquire: pairs with the AcqRel transitions, so a reader that sees COMPLETE sees the
        // output written before it.
        Snapshot(self.val.load(Ordering::Acquire))
    }

    /// Runs `f` in a CAS loop; `f` returns the new value and a result, or `None` to stop.
    fn fetch_update<R>(&self, mut f: impl FnMut(Snapshot) -> (Option<usize>, R)) -> R {
        let mut cur = self.val.load(Ordering::Acquire);
        loop {
            let (next, res) = f(Snapshot(cur));
            let Some(next) = next else { return res };
            // AcqRel: see the module doc.
            match self
                .val
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return res,
                Err(actual) => cur = actual,
            }
        }
    }

    /// A worker took the task's `Notified` and wants to run it.
    pub(crate) fn transition_to_running(&self) -> TransitionToRunning {
        self.fetch_update(|s| {
            debug_assert!(
                s.is_notified(),
                "running a task that is not notified: {s:?}"
            );
            if !s.is_idle() {
                // Completed (by shutdown) while queued; the caller drops its reference.
                return (None, TransitionToRunning::Failed);
            }
            let next = (s.0 | RUNNING) & !NOTIFIED;
            let res = if s.is_cancelled() {
                TransitionToRunning::Cancelled
            } else {
                TransitionToRunning::Success
            };
            (Some(next), res)
        })
    }

    /// The poll returned `Pending`.
    pub(crate) fn transition_to_idle(&self) -> TransitionToIdle {
        self.fetch_update(|s| {
            debug_assert!(s.is_running());
            if s.is_cancelled() {
                return (None, TransitionToIdle::Cancelled);
            }
            let mut next = s.0 & !RUNNING;
            let res = if s.is_notified() {
                // Keep the running reference: it becomes the new Notified.
                TransitionToIdle::OkNotified
            } else {
                debug_assert!(s.ref_count() >= 1);
                next -= REF_ONE;
                if Snapshot(next).ref_count() == 0 {
                    TransitionToIdle::OkDealloc
                } else {
                    TransitionToIdle::Ok
                }
            };
            (Some(next), res)
        })
    }

    /// The future finished (or was cancelled) and its output is stored. Returns the state just
    /// before, whose `JOIN_INTEREST` / `JOIN_WAKER` bits say who takes the output and whether to
    /// wake the joiner.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        // AcqRel: Release publishes the output to the JoinHandle (which acquires COMPLETE);
        // Acquire sees the join waker the JoinHandle stored before setting JOIN_WAKER.
        let prev = Snapshot(self.val.fetch_xor(RUNNING | COMPLETE, Ordering::AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete());
        prev
    }

    /// A waker consumed by `wake()` (it owns one reference).
    pub(crate) fn transition_to_notified_by_val(&self) -> TransitionToNotified {
        self.fetch_update(|s| {
            if s.is_running() {
                // The poller re-queues the task; drop our reference (the poller holds one).
                debug_assert!(s.ref_count() >= 2);
                (
                    (Some((s.0 | NOTIFIED) - REF_ONE)),
                    TransitionToNotified::DoNothing,
                )
            } else if s.is_complete() || s.is_notified() {
                let next = s.0 - REF_ONE;
                let res = if Snapshot(next).ref_count() == 0 {
                    TransitionToNotified::Dealloc
                } else {
                    TransitionToNotified::DoNothing
                };
                (Some(next), res)
            } else {
                // Our reference becomes the Notified.
                (Some(s.0 | NOTIFIED), TransitionToNotified::Submit)
            }
        })
    }

    /// `wake_by_ref()`: may create a new reference for the `Notified`.
    pub(crate) fn transition_to_notified_by_ref(&self) -> TransitionToNotified {
        self.fetch_update(|s| {
            if s.is_running() {
                if s.is_notified() {
                    (None, TransitionToNotified::DoNothing)
                } else {
                    (Some(s.0 | NOTIFIED), TransitionToNotified::DoNothing)
                }
            } else if s.is_complete() || s.is_notified() {
                (None, TransitionToNotified::DoNothing)
            } else {
                (
                    Some((s.0 | NOTIFIED) + REF_ONE),
                    TransitionToNotified::Submit,
                )
            }
        })
    }

    /// `JoinHandle::abort()`: request cancellation; schedule the task if it is idle so a
    /// worker drops its future.
    pub(crate) fn transition_to_notified_and_cancel(&self) -> TransitionToNotified {
        self.fetch_update(|s| {
            if s.is_cancelled() || s.is_complete() {
                (None, TransitionToNotified::DoNothing)
            } else if s.is_running() || s.is_notified() {
                // The current owner / the queued run will see CANCELLED.
                (
                    Some(s.0 | CANCELLED | NOTIFIED),
                    TransitionToNotified::DoNothing,
                )
            } else {
                (
                    Some((s.0 | CANCELLED | NOTIFIED) + REF_ONE),
                    TransitionToNotified::Submit,
                )
            }
        })
    }

    /// Runtime shutdown: mark cancelled and, if nobody is running the task, take ownership
    /// (set `RUNNING`) so the caller can drop the future. Returns whether ownership was taken.
    #[must_use]
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        self.fetch_update(|s| {
            if s.is_idle() {
                (Some(s.0 | RUNNING | CANCELLED), true)
            } else if s.is_complete() {
                (None, false)
            } else {
                (Some(s.0 | CANCELLED), false)
            }
        })
    }

    /// The `JoinHandle` is dropped. `Err` if the task is complete: the handle must then drop
    /// the output itself.
    pub(crate) fn unset_join_interest(&self) -> Result<(), Snapshot> {
        self.fetch_update(|s| {
            debug_assert!(s.is_join_interested());
            if s.is_complete() {
                (None, Err(s))
            } else {
                (Some(s.0 & !JOIN_INTEREST), Ok(()))
            }
        })
    }

    /// The `JoinHandle` stored a waker; publish it. `Err` if the task completed meanwhile.
    pub(crate) fn set_join_waker(&self) -> Result<(), Snapshot> {
        self.fetch_update(|s| {
            debug_assert!(s.is_join_interested() && !s.is_join_waker_set());
            if s.is_complete() {
                (None, Err(s))
            } else {
                (Some(s.0 | JOIN_WAKER), Ok(()))
            }
        })
    }

    /// The `JoinHandle` wants to replace its waker; take the slot back. `Err` if complete.
    pub(crate) fn unset_join_waker(&self) -> Result<(), Snapshot> {
        self.fetch_update(|s| {
            debug_assert!(s.is_join_interested() && s.is_join_waker_set());
            if s.is_complete() {
                (None, Err(s))
            } else {
                (Some(s.0 & !JOIN_WAKER), Ok(()))
            }
        })
    }

    pub(crate) fn ref_inc(&self) {
        // Relaxed: a new reference is made from an existing one, which keeps the task alive.
        let prev = self.val.fetch_add(REF_ONE, Ordering::Relaxed);
        assert!(prev <= isize::MAX as usize, "task reference count overflow");
    }

    /// Releases `n` references; true if they were the last (free the task).
    #[must_use]
    pub(crate) fn ref_dec_n(&self, n: usize) -> bool {
        // AcqRel: Release orders our last use before the free; Acquire (for the freeing thread)
        // sees everyone else's.
        let prev = Snapshot(self.val.fetch_sub(n * REF_ONE, Ordering::AcqRel));
        debug_assert!(
            prev.ref_count() >= n,
            "task reference count underflow: {prev:?} - {n}"
        );
        prev.ref_count() == n
    }

    #[must_use]
    pub(crate) fn ref_dec(&self) -> bool {
        self.ref_dec_n(1)
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.load().fmt(f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_run_idle_wake_complete() {
        let s = State::new();
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        // Woken during the poll: re-queue.
        assert_eq!(
            s.transition_to_notified_by_ref(),
            TransitionToNotified::DoNothing
        );
        assert_eq!(s.transition_to_idle(), TransitionToIdle::OkNotified);
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        assert_eq!(s.transition_to_idle(), TransitionToIdle::Ok);
        assert_eq!(s.load().ref_count(), 2);
        // A wake of an idle task creates one Notified.
        assert_eq!(
            s.transition_to_notified_by_ref(),
            TransitionToNotified::Submit
        );
        assert_eq!(
            s.transition_to_notified_by_ref(),
            TransitionToNotified::DoNothing
        );
        assert_eq!(s.load().ref_count(), 3);
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        let prev = s.transition_to_complete();
        assert!(prev.is_join_interested() && !prev.is_join_waker_set());
        assert!(s.load().is_complete());
        assert!(s.unset_join_interest().is_err());
        assert!(!s.ref_dec_n(2));
        assert!(s.ref_dec());
    }

    #[test]
    fn abort_of_idle_task_submits_once() {
        let s = State::new();
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        assert_eq!(s.transition_to_idle(), TransitionToIdle::Ok);
        assert_eq!(
            s.transition_to_notified_and_cancel(),
            TransitionToNotified::Submit
        );
        assert_eq!(
            s.transition_to_notified_and_cancel(),
            TransitionToNotified::DoNothing
        );
        assert_eq!(
            s.transition_to_notified_by_ref(),
            TransitionToNotified::DoNothing
        );
        assert_eq!(s.transition_to_running(), TransitionToRunning::Cancelled);
    }

    #[test]
    fn abort_while_running_cancels_at_idle() {
        let s = State::new();
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        assert_eq!(
            s.transition_to_notified_and_cancel(),
            TransitionToNotified::DoNothing
        );
        assert_eq!(s.transition_to_idle(), TransitionToIdle::Cancelled);
    }

    #[test]
    fn shutdown_takes_idle_task_only() {
        let s = State::new();
        assert!(s.transition_to_shutdown());
        let s = State::new();
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        assert!(!s.transition_to_shutdown());
        assert_eq!(s.transition_to_idle(), TransitionToIdle::Cancelled);
    }

    #[test]
    fn wake_by_val_on_complete_releases_reference() {
        let s = State::new();
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        let _ = s.transition_to_complete();
        // registry + run refs released, JoinHandle remains; a waker ref is then made.
        assert!(!s.ref_dec_n(2));
        s.ref_inc();
        assert_eq!(
            s.transition_to_notified_by_val(),
            TransitionToNotified::DoNothing
        );
        assert!(s.ref_dec());
    }
}
