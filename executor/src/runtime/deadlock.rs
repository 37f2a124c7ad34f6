//! Deadlock detection: Go's "all goroutines are asleep - deadlock!".
//!
//! # What counts as a deadlock
//!
//! Go's runtime (`checkdead` in `proc.go`) crashes the program when no goroutine can ever run
//! again: every M is idle, and nothing (timer, network poller, syscall) can wake one. gmp
//! reports the same thing from [`block_on`](crate::Runtime::block_on): its future is waiting,
//! and so is everything that could wake it or any task:
//!
//! - every worker is parked and every run queue (local, LIFO, injection) is empty, so no task
//!   is running or runnable;
//! - every other thread inside `block_on` on this runtime is parked too;
//! - no timer is armed (a sleeping task will wake): none on the runtime's wheels, and none on
//!   the process's fallback driver either, which holds timers made outside any runtime that
//!   `block_on`'s future may still be waiting on (a context deadline made before the runtime,
//!   a timer first polled under another executor, an `after_func` from a plain thread). Context
//!   deadlines are timers like any other (`time::CallbackTimer`), so waiting on one is never a
//!   deadlock, and a cancelled one is gone at once;
//! - no callback thread gmp started is running, in the whole process (`time::after_func`
//!   outside a runtime and `context::after_func` run their function on a thread of its own,
//!   as Go runs it in a goroutine: it may be about to send on a channel);
//! - no I/O source is registered (the reactor could wake a task) — see
//!   `Shared::io_registrations`;
//! - no blocking-pool job is queued or running (it may complete and wake its joiner), and no
//!   sysmon helper thread is running a task;
//! - no user-visible [`Handle`](crate::Handle) is alive: a handle is how a foreign thread
//!   spawns onto the runtime. The runtime's own handle (`Runtime::handle()`) and the ones the
//!   runtime keeps internally are not counted; every `Handle::current()`, `try_current()` and
//!   clone is, for as long as it lives, wherever it is (a handle held by a sleeping task could
//!   not spawn, but gmp cannot tell where a handle lives, so it errs towards silence).
//!
//! What gmp cannot see is a foreign thread holding a `Waker` or one end of a channel (Go has no
//! such threads, except through cgo). A program woken that way must turn detection off with
//! [`Builder::deadlock_detection`](crate::Builder::deadlock_detection).
//!
//! # How it is detected
//!
//! The `block_on` thread is the detector: instead of parking for good, it parks with a timeout
//! that backs off from [`FIRST_CHECK`] to [`MAX_CHECK`] while the runtime is busy, so a thread
//! waiting in `block_on` for hours wakes a few times a second at most. At each timeout it
//! takes a *quiescence snapshot*: the conditions above, plus a progress count (polls started on
//! every worker and by sysmon's helper, and blocking jobs started). The conditions are read one
//! after the other, not atomically, so one snapshot proves nothing; a deadlock is declared when
//! snapshots stay quiescent, with the same progress count, for [`CONFIRM`]. Any wake of the
//! `block_on` thread ends the park, and the next park starts a fresh detector.
//!
//! Why that suffices: every way out of quiescence needs a running thread (a worker, a
//! blocking job, a `block_on` thread, a callback thread, a timer or the reactor, all checked)
//! or a foreign thread (excluded above). Signal handlers are no way out: gmp's only one
//! (`dump_on_sigquit`) exits the process. Counting the fallback driver's timers errs towards
//! silence: a timer there that nobody in this runtime waits on (another thread's sleep) also
//! keeps the check quiet while it is armed. A worker or helper that ran anything between two snapshots changed the
//! progress count; a job started changed it too; a `block_on` thread that was woken is not
//! parked at the second snapshot, or is this one (reset).
//!
//! Rejected: detecting in the workers as they park (Go's way, from `mput`): it puts a check on
//! the path of every park, and the park protocol is subtle enough already; a detection delay of
//! tens of milliseconds costs nothing in a program that is stuck for good.

use std::time::{Duration, Instant};

use crate::loom::Ordering;
use crate::scheduler::{BlockOnParker, Shared};

/// First park timeout of a `block_on` thread with detection on.
pub(crate) const FIRST_CHECK: Duration = Duration::from_millis(1);
/// Longest park timeout between checks.
pub(crate) const MAX_CHECK: Duration = Duration::from_millis(100);
/// How long the runtime must stay quiescent, without progress, to be declared deadlocked.
pub(crate) const CONFIRM: Duration = Duration::from_millis(50);
/// Check interval while confirming.
const CONFIRM_CHECK: Duration = Duration::from_millis(10);

/// One `block_on` thread's detector.
pub(crate) struct Detector {
    interval: Duration,
    /// Progress count and time of the first snapshot of the current quiescent stretch.
    quiet_since: Option<(u64, Instant)>,
}

/// What the detector concluded from a snapshot.
#[must_use]
pub(crate) enum Verdict {
    /// Park again, until this deadline at most.
    Wait(Instant),
    /// Nothing can ever run again.
    Deadlock,
}

impl Detector {
    pub(crate) fn new() -> Detector {
        Detector {
            interval: FIRST_CHECK,
            quiet_since: None,
        }
    }

    /// When to look next, counting from `now`.
    pub(crate) fn first_deadline(&self, now: Instant) -> Instant {
        now + self.interval
    }

    /// Takes in a snapshot (`Some(progress)` if quiescent) made at `now`.
    pub(crate) fn observe(&mut self, snapshot: Option<u64>, now: Instant) -> Verdict {
        match (snapshot, self.quiet_since) {
            (Some(progress), Some((p0, since))) if progress == p0 => {
                if now.duration_since(since) >= CONFIRM {
                    return Verdict::Deadlock;
                }
                Verdict::Wait(now + CONFIRM_CHECK)
            }
            (Some(progress), _) => {
                self.quiet_since = Some((progress, now));
                Verdict::Wait(now + CONFIRM_CHECK)
            }
            (None, _) => {
                self.quiet_since = None;
                self.interval = (self.interval * 2).min(MAX_CHECK);
                Verdict::Wait(now + self.interval)
            }
        }
    }
}

/// The quiescence snapshot of the module doc, taken by the `block_on` thread parked on `me`:
/// `Some(progress)` if nothing seems able to run, `None` otherwise. Cheapest checks first.
pub(crate) fn quiescence(shared: &Shared, me: &BlockOnParker) -> Option<u64> {
    // Relaxed: a heuristic read, confirmed over `CONFIRM` (module doc).
    if shared.user_handles.load(Ordering::Relaxed) != 0
        || shared.is_shutdown()
        || shared.idle.num_parked() != shared.num_workers()
        || shared.has_pending_work()
        || shared.io_registrations() != 0
        || shared.sysmon.helper_is_running()
        || !shared.blocking.is_idle()
    {
        return None;
    }
    let others_parked = shared.other_block_on_threads_parked(me);
    if !others_parked
        || shared.time.live_timers() != 0
        || crate::time::fallback::live_timers() != 0
        || crate::time::callback_threads_running() != 0
    {
        return None;
    }
    let polls: u64 = shared.remotes.iter().map(|r| r.stats.watch.polls()).sum();
    Some(polls + shared.blocking.jobs_started() + shared.helper_polls())
}

/// The panic message for a deadlock: Go's words, then the dump.
pub(crate) fn report(shared: &Shared) -> String {
    format!(
        "all tasks are asleep - deadlock!\n\n\
         block_on's future is waiting, and so is every task: no timer is armed, no blocking \
         job is running and no Handle is alive to spawn from another thread. If a thread \
         outside the runtime was going to wake it, turn this check off with \
         Builder::deadlock_detection(false).\n\n{}",
        super::dump::dump_all(shared)
    )
}
