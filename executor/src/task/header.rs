//! The task header: the part of a task every thread may read through a type-erased pointer.
//!
//! Besides what the runtime needs to run a task (state word, vtable, registry key), the header
//! keeps its diagnostics: the spawn site, when it was spawned, how often it was polled, when it
//! last changed state and where it last ran, and its `tracing` span. The task dump, the leak
//! check and sysmon read them (see [`crate::runtime::dump()`]).
//!
//! # Diagnostics: who writes what
//!
//! - `spawned_us` and `span`: written once at creation, read-only afterwards.
//! - `polls` and `since`: written with `Relaxed` stores (not read-modify-writes: only one thread
//!   writes at a time) by the thread that owns the task's current transition: the worker that
//!   polls it ([`Header::on_poll_start`], [`Header::on_poll_end`]) or the thread that queues it
//!   ([`Header::on_scheduled`]). A wake racing with the end of a poll may leave either stamp:
//!   the dump is a snapshot of a moving system and says so. They are `std` atomics even under
//!   `cfg(loom)` because nothing synchronizes through them.
//!
//! The task's state as the dump shows it (Go's goroutine states) is derived from the state word
//! plus the place recorded in `since`:
//!
//! | state word                    | place in `since`      | dump state                     |
//! |-------------------------------|-----------------------|--------------------------------|
//! | `RUNNING`                     | [`PLACE_BLOCKING`]    | in spawn_blocking (`_Gsyscall`) |
//! | `RUNNING`                     | a worker or helper    | running (`_Grunning`)           |
//! | `NOTIFIED`, not `RUNNING`     | any                   | runnable (`_Grunnable`)         |
//! | neither                       | any                   | waiting (`_Gwaiting`)           |

use std::panic::Location;
use std::sync::atomic::{AtomicU64 as StdAtomicU64, Ordering as StdOrdering};

use super::Id;
use super::raw::Vtable;
use super::state::State;
use crate::loom::{AtomicUsize, Ordering};

/// First field of every task allocation (`#[repr(C)]`, so a `NonNull<Header>` addresses the
/// whole task).
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    pub(crate) id: Id,
    /// Where `spawn` was called (Go's "created by").
    pub(crate) spawn_site: &'static Location<'static>,
    /// The task's slot in the live-task registry. Written once, before the task is first
    /// queued; every later reader got the task through a queue or waker, which orders the read
    /// after that write (so `Relaxed` suffices).
    registry_key: AtomicUsize,
    /// When the task was spawned ([`crate::clock`] microseconds).
    spawned_us: u64,
    /// Polls started so far.
    polls: StdAtomicU64,
    /// `time << 16 | place`: when the task last changed state (clock microseconds) and where it
    /// last ran (a worker index, or one of the `PLACE_*` markers).
    since: StdAtomicU64,
    /// The task's `tracing` span, present only if a subscriber wanted it at spawn time.
    pub(crate) span: Option<Box<tracing::Span>>,
}

/// `since`'s place before the first poll.
pub(crate) const PLACE_NONE: u16 = u16::MAX;
/// `since`'s place while a blocking-pool thread runs the task.
pub(crate) const PLACE_BLOCKING: u16 = u16::MAX - 1;
/// `since`'s place while sysmon's temporary helper thread runs the task.
pub(crate) const PLACE_HELPER: u16 = u16::MAX - 2;
/// Largest worker index `since` can record (larger ones are recorded as this).
pub(crate) const PLACE_MAX_WORKER: u16 = u16::MAX - 3;

const PLACE_BITS: u32 = 16;
const PLACE_MASK: u64 = (1 << PLACE_BITS) - 1;

/// A task's diagnostics, read at one moment.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Diag {
    pub(crate) spawned_us: u64,
    pub(crate) since_us: u64,
    pub(crate) place: u16,
    pub(crate) polls: u64,
}

impl Header {
    pub(crate) fn new(
        vtable: &'static Vtable,
        id: Id,
        spawn_site: &'static Location<'static>,
    ) -> Header {
        let spawned_us = crate::clock::coarse_now_us();
        // The span costs one check of the callsite's interest when nobody listens.
        let span = tracing::trace_span!("task", task.id = id.0, spawn_site = %spawn_site);
        let span = (!span.is_disabled()).then(|| Box::new(span));
        Header {
            state: State::new(),
            vtable,
            id,
            spawn_site,
            registry_key: AtomicUsize::new(usize::MAX),
            spawned_us,
            polls: StdAtomicU64::new(0),
            since: StdAtomicU64::new(pack(spawned_us, PLACE_NONE)),
            span,
        }
    }

    /// A worker (or the blocking pool) is about to poll the task at `place`.
    #[inline]
    pub(crate) fn on_poll_start(&self, place: u16) {
        // Load + store rather than `fetch_add`: only the polling thread writes `polls`.
        let polls = self.polls.load(StdOrdering::Relaxed);
        self.polls.store(polls + 1, StdOrdering::Relaxed);
        self.since.store(
            pack(crate::clock::coarse_now_us(), place),
            StdOrdering::Relaxed,
        );
    }

    /// The task changed state without moving (a poll ended, or it was queued): stamp the time,
    /// keep the place.
    #[inline]
    pub(crate) fn on_poll_end(&self) {
        let place = self.since.load(StdOrdering::Relaxed) & PLACE_MASK;
        self.since.store(
            (crate::clock::coarse_now_us() << PLACE_BITS) | place,
            StdOrdering::Relaxed,
        );
    }

    /// The task was queued to run.
    #[inline]
    pub(crate) fn on_scheduled(&self) {
        self.on_poll_end();
    }

    /// The task's diagnostics now.
    pub(crate) fn diag(&self) -> Diag {
        let since = self.since.load(StdOrdering::Relaxed);
        Diag {
            spawned_us: self.spawned_us,
            since_us: since >> PLACE_BITS,
            place: (since & PLACE_MASK) as u16,
            polls: self.polls.load(StdOrdering::Relaxed),
        }
    }

    pub(crate) fn set_registry_key(&self, key: usize) {
        self.registry_key.store(key, Ordering::Relaxed);
    }

    pub(crate) fn registry_key(&self) -> usize {
        self.registry_key.load(Ordering::Relaxed)
    }
}

fn pack(time_us: u64, place: u16) -> u64 {
    (time_us << PLACE_BITS) | u64::from(place)
}

/// The place a worker index is recorded as.
pub(crate) fn worker_place(index: usize) -> u16 {
    index.min(usize::from(PLACE_MAX_WORKER)) as u16
}

impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Header")
            .field("id", &self.id)
            .field("state", &self.state)
            .field("spawn_site", &format_args!("{}", self.spawn_site))
            .finish()
    }
}
