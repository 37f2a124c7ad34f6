//! Wait reasons: why a waiting task waits, as Go's goroutine profile says it
//! (`goroutine 7 [chan receive, 2 minutes]`).
//!
//! # Design
//!
//! A future does not say what it waits for, but gmp's own leaf futures (a channel operation, a
//! timer, a socket, a lock, a `JoinHandle`) know, and each records it on its way to returning
//! `Pending`: [`waiting_on`] finds the task through the context's waker (a gmp task's waker
//! points to the task's header; any other waker means "not a gmp task", and nothing happens)
//! and writes a code into the header. The code shares the header's poll counter word
//! (`polls << 16 | arms << 8 | reason`), so the worker clears it in the very store that counts
//! a poll: a task polled again starts with no reason, and one that then waits only on a
//! foreign future shows plain "waiting" rather than a stale reason. Within one poll the last
//! leaf to return `Pending` wins, so a combinator that knows better records after its
//! operands: `select!` records "select" after its arms, a `RwLock` records its own reason over
//! its semaphore's, `timeout` records "timeout" only when its inner future recorded nothing.
//!
//! Cost: per `Pending`, a compare of the waker's vtable address, then a load and a store to the
//! task's header (a line the poll already wrote); nothing on the `Ready` path, and per poll
//! only a mask in the store that counts the poll.
//!
//! Only the thread polling a task writes its poll word, so `Relaxed` load + store suffices. A
//! future polled with a clone of another task's waker (on another thread, while that task
//! runs) would race with it: both accesses are atomic, the worst outcome is a lost poll count
//! or reason, and nothing synchronizes through the word.
//!
//! Rejected:
//! - a thread-local "current task" set around each poll (as the coop budget is): it costs a
//!   store and a restore on every poll of every task, where the waker is already at hand in
//!   every leaf (measured with callgrind on `yield_many`: +16 instructions per poll with a
//!   drop guard);
//! - a separate header field: 8 more bytes per task, and a second store per poll to clear it;
//! - recording on every poll, `Ready` included: cost on the hot path for nothing the dump
//!   shows;
//! - clearing the reason when a task is woken: a store from the waking thread into another
//!   core's line, and the dump shows a woken task as runnable anyway.

use std::fmt;
use std::task::Context;

/// Why a waiting task waits: what the dump prints in place of Go's `[chan receive]`.
///
/// Recorded by gmp's leaf futures when they return `Pending` (see [`waiting_on`]); a task that
/// waits on a future gmp does not know shows [`WaitReason::Other`] (`waiting`).
///
/// # Examples
///
/// ```
/// use gmp_executor::runtime::WaitReason;
/// assert_eq!(WaitReason::ChanReceive.to_string(), "chan receive");
/// assert_eq!(WaitReason::Mutex.as_str(), "sync.Mutex.Lock");
/// assert_eq!(WaitReason::Other.as_str(), "waiting");
/// assert!(WaitReason::ALL.contains(&WaitReason::Select));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
#[repr(u8)]
pub enum WaitReason {
    /// A future gmp does not know (a foreign future, or an `async` block waiting on a waker of
    /// its own): `waiting`.
    Other = 0,
    /// A channel receive: `chan receive`.
    ChanReceive,
    /// A channel send: `chan send`.
    ChanSend,
    /// A `select!` with no ready arm: `select` (the dump adds the arm count).
    Select,
    /// `time::sleep`: `sleep`.
    Sleep,
    /// A `time::Timer`: `timer` (Go: `chan receive` on `timer.C`).
    Timer,
    /// A `time::Ticker`: `ticker` (Go: `chan receive` on `ticker.C`).
    Ticker,
    /// `time::timeout` around a future that recorded no reason: `timeout`.
    Timeout,
    /// A socket read (or anything waiting for read readiness): `IO wait (read)`.
    IoRead,
    /// A socket write: `IO wait (write)`.
    IoWrite,
    /// A listener's accept: `IO wait (accept)`.
    IoAccept,
    /// `Mutex::lock`: `sync.Mutex.Lock`.
    Mutex,
    /// `RwLock::read`: `sync.RWMutex.RLock`.
    RwLockRead,
    /// `RwLock::write`: `sync.RWMutex.Lock`.
    RwLockWrite,
    /// `Semaphore::acquire`: `semacquire`.
    Semaphore,
    /// `WaitGroup::wait`: `sync.WaitGroup.Wait`.
    WaitGroup,
    /// `Notify::notified`: `notify`.
    Notify,
    /// `errgroup::Group::go` waiting for a slot under its limit: `errgroup limit`.
    ErrgroupLimit,
    /// A `JoinHandle` of a task: `join`.
    Join,
    /// `Context::done`: `context done`.
    ContextDone,
    /// A `JoinHandle` of a `spawn_blocking` job: `blocking pool`.
    BlockingPool,
    /// `OnceCell` initialization by another task: `sync.Once.Do`.
    Once,
    /// A `singleflight` call waiting for the leader's result: `singleflight`.
    Singleflight,
}

impl WaitReason {
    /// Every reason, in order (for a metrics exporter that reports zeros too).
    pub const ALL: [WaitReason; 23] = [
        WaitReason::Other,
        WaitReason::ChanReceive,
        WaitReason::ChanSend,
        WaitReason::Select,
        WaitReason::Sleep,
        WaitReason::Timer,
        WaitReason::Ticker,
        WaitReason::Timeout,
        WaitReason::IoRead,
        WaitReason::IoWrite,
        WaitReason::IoAccept,
        WaitReason::Mutex,
        WaitReason::RwLockRead,
        WaitReason::RwLockWrite,
        WaitReason::Semaphore,
        WaitReason::WaitGroup,
        WaitReason::Notify,
        WaitReason::ErrgroupLimit,
        WaitReason::Join,
        WaitReason::ContextDone,
        WaitReason::BlockingPool,
        WaitReason::Once,
        WaitReason::Singleflight,
    ];

    /// The reason as the dump prints it, in Go's words where Go has them (a small fixed set:
    /// fit for a metrics label).
    ///
    /// # Examples
    ///
    /// ```
    /// use gmp_executor::runtime::WaitReason;
    /// assert_eq!(WaitReason::WaitGroup.as_str(), "sync.WaitGroup.Wait");
    /// assert_eq!(WaitReason::IoAccept.as_str(), "IO wait (accept)");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            WaitReason::Other => "waiting",
            WaitReason::ChanReceive => "chan receive",
            WaitReason::ChanSend => "chan send",
            WaitReason::Select => "select",
            WaitReason::Sleep => "sleep",
            WaitReason::Timer => "timer",
            WaitReason::Ticker => "ticker",
            WaitReason::Timeout => "timeout",
            WaitReason::IoRead => "IO wait (read)",
            WaitReason::IoWrite => "IO wait (write)",
            WaitReason::IoAccept => "IO wait (accept)",
            WaitReason::Mutex => "sync.Mutex.Lock",
            WaitReason::RwLockRead => "sync.RWMutex.RLock",
            WaitReason::RwLockWrite => "sync.RWMutex.Lock",
            WaitReason::Semaphore => "semacquire",
            WaitReason::WaitGroup => "sync.WaitGroup.Wait",
            WaitReason::Notify => "notify",
            WaitReason::ErrgroupLimit => "errgroup limit",
            WaitReason::Join => "join",
            WaitReason::ContextDone => "context done",
            WaitReason::BlockingPool => "blocking pool",
            WaitReason::Once => "sync.Once.Do",
            WaitReason::Singleflight => "singleflight",
        }
    }

    /// The reason recorded as `code` (its discriminant); unknown codes read as `Other`.
    pub(crate) fn from_code(code: u8) -> WaitReason {
        WaitReason::ALL
            .get(usize::from(code))
            .copied()
            .unwrap_or(WaitReason::Other)
    }
}

impl fmt::Display for WaitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A task's recorded wait: the reason and, for a select, its arm count (saturated at 255).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub(crate) struct Wait {
    pub(crate) code: u8,
    pub(crate) arms: u8,
}

impl Wait {
    pub(crate) const NONE: Wait = Wait { code: 0, arms: 0 };

    pub(crate) fn to_bits(self) -> u16 {
        u16::from(self.code) | (u16::from(self.arms) << 8)
    }

    pub(crate) fn from_bits(bits: u16) -> Wait {
        Wait {
            code: bits as u8,
            arms: (bits >> 8) as u8,
        }
    }

    pub(crate) fn reason(self) -> WaitReason {
        WaitReason::from_code(self.code)
    }

    /// The select's arm count, if this is a select's wait.
    pub(crate) fn select_arms(self) -> Option<u16> {
        (self.reason() == WaitReason::Select).then_some(u16::from(self.arms))
    }
}

/// Formats a wait as the dump prints it: `chan receive`, `select (3 arms)`.
pub(crate) struct ShowWait(pub(crate) WaitReason, pub(crate) Option<u16>);

impl fmt::Display for ShowWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())?;
        match self.1 {
            Some(n) if n >= u16::from(u8::MAX) => write!(f, " ({}+ arms)", u8::MAX),
            Some(n) => write!(f, " ({n} arm{})", if n == 1 { "" } else { "s" }),
            None => Ok(()),
        }
    }
}

/// Records why the task polling with `cx` is about to wait: call it in a leaf future's `poll`
/// right before returning `Poll::Pending`. The task dump then shows the task as
/// `task 7 [chan receive, 2.104s]` rather than `[waiting, ...]`, until it is polled again.
///
/// gmp's own futures all do; a library with its own waiting primitive may too. With a waker
/// that is not a gmp task's (another executor, `block_on` of `futures`, a combinator with
/// wakers of its own such as `FuturesUnordered`) it does nothing. The last call in a poll
/// wins.
///
/// # Examples
///
/// ```
/// use std::task::{Context, Poll};
/// use gmp_executor::runtime::{WaitReason, waiting_on};
///
/// fn poll_my_lock(cx: &mut Context<'_>, free: bool) -> Poll<()> {
///     if free {
///         return Poll::Ready(());
///     }
///     // ... register cx.waker() with the lock ...
///     waiting_on(cx, WaitReason::Mutex);
///     Poll::Pending
/// }
/// # let w = futures::task::noop_waker();
/// # assert!(poll_my_lock(&mut Context::from_waker(&w), false).is_pending());
/// ```
#[inline]
pub fn waiting_on(cx: &Context<'_>, reason: WaitReason) {
    record(
        cx,
        Wait {
            code: reason as u8,
            arms: 0,
        },
    );
}

/// Records that the current task is about to wait in a select of `arms` arms (see
/// [`waiting_on`]); the dump shows `[select (3 arms), ...]`.
///
/// # Examples
///
/// ```
/// let cx = std::task::Context::from_waker(std::task::Waker::noop());
/// gmp_executor::runtime::waiting_on_select(&cx, 3); // not a gmp task: does nothing
/// ```
#[inline]
pub fn waiting_on_select(cx: &Context<'_>, arms: usize) {
    record(
        cx,
        Wait {
            code: WaitReason::Select as u8,
            arms: arms.min(usize::from(u8::MAX)) as u8,
        },
    );
}

/// Records `reason` unless a leaf polled earlier in this poll already recorded one (for a
/// combinator whose own wait matters less than its operand's, such as `timeout`).
#[inline]
pub(crate) fn waiting_on_unless_recorded(cx: &Context<'_>, reason: WaitReason) {
    if let Some(task) = crate::task::waker::task_of(cx.waker()) {
        if task.wait() == Wait::NONE.to_bits() {
            task.set_wait(
                Wait {
                    code: reason as u8,
                    arms: 0,
                }
                .to_bits(),
            );
        }
    }
}

#[inline]
fn record(cx: &Context<'_>, wait: Wait) {
    if let Some(task) = crate::task::waker::task_of(cx.waker()) {
        task.set_wait(wait.to_bits());
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for (i, r) in WaitReason::ALL.iter().enumerate() {
            assert_eq!(*r as u8 as usize, i);
            assert_eq!(WaitReason::from_code(i as u8), *r);
        }
        assert_eq!(WaitReason::from_code(200), WaitReason::Other);
        let w = Wait { code: 3, arms: 7 };
        assert_eq!(Wait::from_bits(w.to_bits()), w);
        assert_eq!(w.select_arms(), Some(7));
        assert_eq!(
            ShowWait(WaitReason::Select, Some(3)).to_string(),
            "select (3 arms)"
        );
        assert_eq!(
            ShowWait(WaitReason::Select, Some(1)).to_string(),
            "select (1 arm)"
        );
        assert_eq!(
            ShowWait(WaitReason::Select, Some(255)).to_string(),
            "select (255+ arms)"
        );
        assert_eq!(ShowWait(WaitReason::Sleep, None).to_string(), "sleep");
    }
}
