//! The task header: the part of a task every thread may read through a type-erased pointer.
//!
//! Besides what the runtime needs to run a task (state word, vtable, its links in the
//! live-task registry), the header keeps its diagnostics: the spawn site, when it was spawned,
//! how often it was polled, when it last changed state and where it last ran, and its
//! `tracing` span. The task dump, the leak check and sysmon read them (see
//! [`crate::runtime::dump()`]).
//!
//! # Size
//!
//! The header is 72 bytes, so a task with a small future fits a 128-byte allocation. Two
//! fields pack two things each: `spawned` holds the spawn time and the registry shard (as
//! `since` holds a time and a place), and `origin` is the spawn site or, tagged in its low
//! bit, a box holding the spawn site with the task's span (only when a `tracing` subscriber
//! wants task spans: otherwise no task pays 8 bytes for an absent span).
//!
//! # Diagnostics: who writes what
//!
//! - `spawned` and `origin`: written once at creation, read-only afterwards.
//! - `links`: the registry's, under its shard lock (see [`super::registry`]).
//! - `polls` (the poll count and the wait reason, see [`crate::task::wait::WaitReason`]) and
//!   `since`: written with `Relaxed` stores (not read-modify-writes: only one thread
//!   writes at a time) by the thread that owns the task's current transition: the worker that
//!   polls it ([`Header::on_poll_start`], [`Header::on_poll_end`], and the leaf futures it
//!   polls, [`Header::set_wait`]) or the thread that queues it ([`Header::on_scheduled`]). A wake racing with the end of a poll may leave either stamp:
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
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64 as StdAtomicU64, Ordering as StdOrdering};

use super::Id;
use super::raw::Vtable;
use super::registry::Links;
use super::state::State;

/// First field of every task allocation (`#[repr(C)]`, so a `NonNull<Header>` addresses the
/// whole task).
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    pub(crate) id: Id,
    /// Where `spawn` was called (Go's "created by"), and the span if there is one.
    origin: Origin,
    /// The task's place in its registry shard's list. Guarded by that shard's lock.
    pub(crate) links: Links,
    /// `spawn time << 16 | flags | registry shard`: when the task was spawned ([`crate::clock`]
    /// microseconds), whether it is a blocking-pool job ([`BLOCKING_JOB`]), and the registry
    /// shard it is linked in.
    spawned: u64,
    /// `polls << 16 | wait`: polls started so far, and why the task waits (recorded by the leaf
    /// future that returned `Pending` in its last poll; cleared when a poll starts).
    polls: StdAtomicU64,
    /// `time << 16 | place`: when the task last changed state (clock microseconds) and where it
    /// last ran (a worker index, or one of the `PLACE_*` markers).
    since: StdAtomicU64,
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

/// Flag in the `registry_shard` argument of [`Header::new`]: the task is a `spawn_blocking`
/// job (its `JoinHandle` waits for the blocking pool). Registry shards stay below it.
pub(crate) const BLOCKING_JOB: u16 = 1 << 15;

const WAIT_BITS: u32 = 16;
const WAIT_MASK: u64 = (1 << WAIT_BITS) - 1;

/// A task's diagnostics, read at one moment.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Diag {
    pub(crate) spawned_us: u64,
    pub(crate) since_us: u64,
    pub(crate) place: u16,
    pub(crate) polls: u64,
    /// The recorded wait, as `task::wait::Wait` encodes it (0: none).
    pub(crate) wait: u16,
}

impl Header {
    pub(crate) fn new(
        vtable: &'static Vtable,
        id: Id,
        spawn_site: &'static Location<'static>,
        registry_shard: u16,
    ) -> Header {
        let spawned_us = crate::clock::coarse_now_us();
        // With no subscriber at trace level (tracing's global max level, one relaxed load),
        // no span is built at all: building a disabled one and dropping it costs ~35
        // instructions per task, 2% of a spawn.
        let span = if tracing::level_enabled!(tracing::Level::TRACE) {
            let span = tracing::trace_span!("task", task.id = id.0, spawn_site = %spawn_site);
            (!span.is_disabled()).then_some(span)
        } else {
            None
        };
        Header {
            state: State::new(),
            vtable,
            id,
            origin: Origin::new(spawn_site, span),
            links: Links::new(),
            spawned: pack(spawned_us, registry_shard),
            polls: StdAtomicU64::new(0),
            since: StdAtomicU64::new(pack(spawned_us, PLACE_NONE)),
        }
    }

    /// Where the task was spawned (Go's "created by").
    #[inline]
    pub(crate) fn spawn_site(&self) -> &'static Location<'static> {
        self.origin.site()
    }

    /// The task's `tracing` span (trace level), if a subscriber wanted it at spawn.
    #[inline]
    pub(crate) fn span(&self) -> Option<&tracing::Span> {
        self.origin.span()
    }

    /// The registry shard the task is linked in.
    #[inline]
    pub(crate) fn registry_shard(&self) -> usize {
        (self.spawned & PLACE_MASK & !u64::from(BLOCKING_JOB)) as usize
    }

    /// Whether the task is a `spawn_blocking` job.
    #[inline]
    pub(crate) fn is_blocking_job(&self) -> bool {
        self.spawned & u64::from(BLOCKING_JOB) != 0
    }

    /// A worker (or the blocking pool) is about to poll the task at `place`.
    #[inline]
    pub(crate) fn on_poll_start(&self, place: u16) {
        // Load + store rather than `fetch_add`: only the polling thread writes `polls`. The
        // same store forgets the last poll's wait reason.
        let polls = self.polls.load(StdOrdering::Relaxed);
        self.polls.store(
            (polls + (1 << WAIT_BITS)) & !WAIT_MASK,
            StdOrdering::Relaxed,
        );
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

    /// Records why the task waits (called by a leaf future of the task's poll, on the polling
    /// thread, the only writer of `polls` then).
    #[inline]
    pub(crate) fn set_wait(&self, wait: u16) {
        let polls = self.polls.load(StdOrdering::Relaxed);
        self.polls
            .store((polls & !WAIT_MASK) | u64::from(wait), StdOrdering::Relaxed);
    }

    /// The wait recorded since the current poll started (or in the last poll).
    #[inline]
    pub(crate) fn wait(&self) -> u16 {
        (self.polls.load(StdOrdering::Relaxed) & WAIT_MASK) as u16
    }

    /// The task's diagnostics now.
    pub(crate) fn diag(&self) -> Diag {
        let since = self.since.load(StdOrdering::Relaxed);
        let polls = self.polls.load(StdOrdering::Relaxed);
        Diag {
            spawned_us: self.spawned >> PLACE_BITS,
            since_us: since >> PLACE_BITS,
            place: (since & PLACE_MASK) as u16,
            polls: polls >> WAIT_BITS,
            wait: (polls & WAIT_MASK) as u16,
        }
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
            .field("spawn_site", &format_args!("{}", self.spawn_site()))
            .finish()
    }
}

/// A task's spawn site, or (low bit set) a box holding the spawn site and the task's span.
struct Origin(NonNull<()>);

/// What a tagged [`Origin`] points to.
struct WithSpan {
    site: &'static Location<'static>,
    /// Entered around each poll; dropped with the task (which closes the span).
    span: tracing::Span,
}

const _: () = assert!(align_of::<Location<'static>>() >= 2 && align_of::<WithSpan>() >= 2);

const SPAN_TAG: usize = 1;

// SAFETY: an `Origin` is a `&'static Location` (`Sync`) or an owned `Box<WithSpan>`
// (`tracing::Span` is `Send + Sync`); it is only read through `&self` and freed by its drop.
unsafe impl Send for Origin {}
// SAFETY: as above.
unsafe impl Sync for Origin {}

impl Origin {
    fn new(site: &'static Location<'static>, span: Option<tracing::Span>) -> Origin {
        match span {
            None => Origin(NonNull::from(site).cast()),
            Some(span) => {
                let boxed = Box::into_raw(Box::new(WithSpan { site, span }));
                // Box pointers are non-null and at least 2-aligned, so the tag bit is free and
                // the result non-null.
                let tagged = boxed.cast::<()>().map_addr(|a| a | SPAN_TAG);
                // SAFETY: non-null, as above.
                Origin(unsafe { NonNull::new_unchecked(tagged) })
            }
        }
    }

    fn boxed(&self) -> Option<*mut WithSpan> {
        let p = self.0.as_ptr();
        (p.addr() & SPAN_TAG != 0).then(|| p.map_addr(|a| a & !SPAN_TAG).cast::<WithSpan>())
    }

    /// The task's span, if a subscriber wanted one when it was spawned.
    #[inline]
    fn span(&self) -> Option<&tracing::Span> {
        // SAFETY: tagged: the box made in `new`, alive until our drop, which needs `&mut self`
        // and so cannot run while the returned borrow of `self` lives.
        self.boxed().map(|b| unsafe { &(*b).span })
    }

    #[inline]
    fn site(&self) -> &'static Location<'static> {
        match self.boxed() {
            // SAFETY: untagged: made from a `&'static Location` in `new`.
            None => unsafe { self.0.cast::<Location<'static>>().as_ref() },
            // SAFETY: tagged: the box made in `new`, alive until our drop.
            Some(b) => unsafe { (*b).site },
        }
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        if let Some(b) = self.boxed() {
            // SAFETY: the box made in `new`, freed only here.
            drop(unsafe { Box::from_raw(b) });
        }
    }
}
