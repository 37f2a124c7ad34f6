//! The I/O reactor: gmp's netpoller.
//!
//! Go parks a goroutine blocked on a socket in the *netpoller* (epoll/kqueue) and lets the
//! scheduler poll it: an M about to sleep blocks in `epoll_wait` with the next timer as its
//! timeout, and busy Ms check it now and then. gmp does the same with mio, with no extra thread
//! on the hot path.
//!
//! # Pieces
//!
//! - [`driver::IoDriver`]: one per runtime (in the scheduler's `Shared`): a `mio::Poll` behind
//!   the *reactor lock*, a `mio::Waker`, and a slab of [`scheduled_io::ScheduledIo`] records
//!   (readiness bits + waiting tasks' wakers). Tokens are slab key + generation, so an event for
//!   a resource deregistered while the event was in flight is ignored.
//! - [`registration::PollEvented`]: a registered mio socket; every operation runs
//!   `coop budget -> wait for readiness -> syscall -> on WouldBlock clear readiness, repeat`.
//! - [`fallback`]: a lazily started `gmp-io` thread serving sockets created outside any runtime
//!   (the same choice as the timer fallback: sockets work under any executor).
//! - [`binding`]: the thread's reactor, set by the scheduler on its threads; the only way this
//!   layer learns about a runtime (it may use `coop`, `clock` and `loom`, never `scheduler`).
//!
//! # Who polls the reactor (the protocol with the scheduler)
//!
//! Holding the reactor lock is owning the reactor.
//!
//! 1. **The parked timer-duty holder blocks in it.** The worker that parks holding timer duty
//!    (`scheduler/worker.rs`, `park()`) parks *in the reactor*: [`IoDriver::park`] with the next
//!    timer deadline. Sub-millisecond deadlines stay precise: on Linux a `timerfd` registered in
//!    the poll is armed for the deadline and `epoll_wait` runs without a timeout (mio rounds its
//!    timeout up to whole milliseconds); elsewhere the wait rounds up to 1 ms.
//! 2. **Waking it.** The worker's `Parker` records that it is parked in the reactor (under the
//!    parker's lock, after checking its token), and `unpark` (which sets the token under the
//!    same lock, then reads the mode) wakes it with the `mio::Waker` instead of the condvar.
//!    An unpark before the poll starts leaves the eventfd readable, so the poll returns at once:
//!    no wake-up is lost. A non-blocking poller that consumes the waker's event (while the owner
//!    waits for the lock) sets `wake_pending`, read by the next blocking poll under the lock,
//!    which then does not block. A poll ended by the waker alone with no unpark token found
//!    (an interrupt that arrived after the wait it was meant for had returned) is simply
//!    repeated, so a stale interrupt costs one `epoll_wait`, not a trip through the scheduler.
//! 3. **Waking what it readied.** The parked owner collects the wakers of the resources that
//!    became ready and wakes them only after it has left the parked state. Woken while it still
//!    counts as parked, its own queued tasks would make the scheduler pick *it* as the parked
//!    worker to notify (an interrupt of its own next poll) and hand its duty away for nothing.
//! 4. **Busy workers poll it without blocking** every 61 scheduler ticks (with the timer and
//!    global-queue checks), if nobody holds the lock (`try_lock`): while every worker is busy,
//!    I/O still completes within 61 task polls of some worker.
//! 5. **Hand-off.** A duty holder leaving park while I/O registrations (or timers) exist and
//!    every other worker is parked wakes a parked peer, which re-parks holding the duty and so
//!    blocks in the reactor: readiness does not wait for the former owner's next 61-tick check
//!    (or for the end of a long poll there). With another worker awake no wake-up is spent:
//!    that worker claims the duty when it parks and polls every 61 ticks until then. Workers
//!    park holding duty whenever nobody holds it, so some parked worker is in the reactor
//!    whenever any worker is parked.
//!
//! Readiness wakes tasks from whichever thread polled; on a worker they land in its LIFO slot
//! and local queue, and a peer is woken if nobody is searching, as for any local wake.
//!
//! 6. **sysmon.** When no poll has returned for sysmon's threshold (10 ms) while sockets are
//!    registered, sysmon polls without blocking itself (Go's sysmon `netpoll`): the case of
//!    every worker busy in long polls (the 61-tick checks come too rarely) or stuck in one.
//!    Its readied tasks go to the injection queue, and if every worker is stuck, to sysmon's
//!    helper thread, which polls the reactor between tasks. A parked owner holds the lock, so
//!    sysmon never competes with it.
//!
//! # Lock order
//!
//! reactor -> ios (slab) -> a `ScheduledIo`'s waiters. Registering and deregistering take only
//! `ios`, so they never wait for a blocked poller. Wakers run with no lock held.
//!
//! Rejected: a dedicated reactor thread (one more thread hop per readiness event, which Go and
//! tokio both avoid); a lock-free readiness slab indexed by pointer tokens (needs deferred frees
//! to survive stale events; a short slab lock per poll costs nothing measurable).

pub(crate) mod binding;
pub(crate) mod driver;
pub(crate) mod fallback;
pub(crate) mod registration;
pub(crate) mod scheduled_io;
#[cfg(target_os = "linux")]
mod timerfd;

pub(crate) use driver::IoDriver;
pub(crate) use registration::PollEvented;
pub(crate) use scheduled_io::Direction;
