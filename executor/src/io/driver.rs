//! The reactor: one `mio::Poll` per runtime, the registrations, and who may poll when.
//!
//! See the [module documentation](super) for the protocol with the scheduler.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::task::Waker;
use std::time::{Duration, Instant};

use mio::{Events, Interest, Token};
use slab::Slab;

use super::scheduled_io::{self, ScheduledIo};
use crate::loom::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// Token of the reactor's `mio::Waker` (the interrupt a parked owner is woken with).
const WAKER_TOKEN: Token = Token(usize::MAX);
/// Token of the timerfd that gives the blocking poll sub-millisecond timeouts (Linux).
#[cfg(target_os = "linux")]
const TIMER_TOKEN: Token = Token(usize::MAX - 1);

/// Events read per `epoll_wait`.
const EVENTS_CAPACITY: usize = 1024;

/// Bits of a token holding the slab key; the rest hold a generation that makes a token unique
/// across reuses of the same key, so a stale event for a deregistered resource is ignored.
const KEY_BITS: u32 = usize::BITS / 2;
const KEY_MASK: usize = (1 << KEY_BITS) - 1;

/// A runtime's (or the fallback thread's) I/O reactor.
pub(crate) struct IoDriver {
    /// The poller and its event buffer. Holding this lock is owning the reactor: the worker
    /// parked with timer duty holds it across its blocking poll; a busy worker `try_lock`s it
    /// for a non-blocking poll.
    reactor: Mutex<Reactor>,
    /// A clone of the poll's registry: registering and deregistering never wait for the
    /// reactor lock (held by a blocked owner).
    registry: mio::Registry,
    /// Interrupts a blocking poll.
    waker: mio::Waker,
    /// Live registrations, looked up by token when events arrive.
    ios: Mutex<Slab<Arc<ScheduledIo>>>,
    /// Number of live registrations (a hint for the duty hand-off; exact under `ios`).
    count: AtomicUsize,
    /// Generation counter for tokens.
    generation: AtomicUsize,
    /// When a poll last returned, on the coarse clock (`crate::clock`, microseconds): sysmon
    /// polls the reactor itself when nobody has for too long (see [`poll_if_overdue`]).
    /// Relaxed: a hint; a stale value costs at most one redundant non-blocking poll.
    ///
    /// [`poll_if_overdue`]: Self::poll_if_overdue
    last_poll_us: AtomicU64,
    shutdown: AtomicBool,
}

struct Reactor {
    poll: mio::Poll,
    events: Events,
    /// A non-blocking poll consumed the waker's event. The waker is only ever aimed at the
    /// blocking poller (the parked duty holder), which may have been waiting for this lock when
    /// the event was consumed: it must not block on its next poll. Only read and written under
    /// the reactor lock.
    wake_pending: bool,
    /// Wakers collected from one poll's events, woken after the lock is released.
    wake: Vec<Waker>,
    #[cfg(target_os = "linux")]
    timer: Option<super::timerfd::TimerFd>,
}

impl std::fmt::Debug for IoDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IoDriver")
            .field("registrations", &self.count.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl IoDriver {
    pub(crate) fn new() -> io::Result<IoDriver> {
        let poll = mio::Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(&registry, WAKER_TOKEN)?;
        #[cfg(target_os = "linux")]
        let timer = match super::timerfd::TimerFd::new() {
            Ok(t) => {
                registry.register(
                    &mut mio::unix::SourceFd(&t.raw()),
                    TIMER_TOKEN,
                    Interest::READABLE,
                )?;
                Some(t)
            }
            Err(e) => {
                tracing::debug!(err = %e, "timerfd unavailable: timed reactor waits round to 1 ms");
                None
            }
        };
        Ok(IoDriver {
            reactor: Mutex::new(Reactor {
                poll,
                events: Events::with_capacity(EVENTS_CAPACITY),
                wake_pending: false,
                wake: Vec::new(),
                #[cfg(target_os = "linux")]
                timer,
            }),
            registry,
            waker,
            ios: Mutex::new(Slab::new()),
            count: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            last_poll_us: AtomicU64::new(crate::clock::coarse_now_us()),
            shutdown: AtomicBool::new(false),
        })
    }

    fn lock_ios(&self) -> MutexGuard<'_, Slab<Arc<ScheduledIo>>> {
        // Slab operations complete before anything that can panic: ignore poisoning.
        self.ios.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_reactor(&self) -> MutexGuard<'_, Reactor> {
        self.reactor.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn try_lock_reactor(&self) -> Option<MutexGuard<'_, Reactor>> {
        match self.reactor.try_lock() {
            Ok(g) => Some(g),
            Err(TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    /// Registers `source` for `interest`; its readiness is tracked by the returned record.
    pub(crate) fn register(
        &self,
        source: &mut impl mio::event::Source,
        interest: Interest,
    ) -> io::Result<Arc<ScheduledIo>> {
        if self.is_shutdown() {
            return Err(shutdown_error());
        }
        let io = {
            let mut ios = self.lock_ios();
            let entry = ios.vacant_entry();
            let key = entry.key();
            if key > KEY_MASK {
                return Err(io::Error::other("gmp: too many I/O registrations"));
            }
            let generation =
                self.generation.fetch_add(1, Ordering::Relaxed) & (usize::MAX >> KEY_BITS);
            let io = Arc::new(ScheduledIo::new(key | (generation << KEY_BITS)));
            entry.insert(io.clone());
            io
        };
        if let Err(e) = self.registry.register(source, Token(io.token), interest) {
            self.lock_ios().remove(io.token & KEY_MASK);
            return Err(e);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        Ok(io)
    }

    /// Deregisters `source` and forgets its record. An event already read for it is dropped by
    /// the token check in `dispatch`.
    /// Live registrations (sockets): any of them may wake a task, so the deadlock detector
    /// stays quiet while one exists.
    pub(crate) fn registrations(&self) -> usize {
        self.lock_ios().len()
    }

    pub(crate) fn deregister(&self, source: &mut impl mio::event::Source, io: &ScheduledIo) {
        if let Err(e) = self.registry.deregister(source) {
            tracing::trace!(err = %e, "deregister failed");
        }
        let mut ios = self.lock_ios();
        let key = io.token & KEY_MASK;
        if ios.get(key).is_some_and(|e| e.token == io.token) {
            ios.remove(key);
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Whether any resource is registered (so someone should keep polling).
    pub(crate) fn has_registrations(&self) -> bool {
        self.count.load(Ordering::Relaxed) > 0
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        // Acquire: pairs with the Release in `shutdown`.
        self.shutdown.load(Ordering::Acquire)
    }

    /// Interrupts the blocking poll in progress (or the next one). Called by `Parker::unpark`
    /// for a worker parked in the reactor.
    pub(crate) fn wake(&self) {
        if let Err(e) = self.waker.wake() {
            tracing::warn!(err = %e, "failed to wake the I/O reactor");
        }
    }

    /// Blocks in the reactor until an event, a `wake`, or `deadline`; returns the wakers of the
    /// tasks whose resources became ready, for the caller to wake (then give the buffer back
    /// with [`recycle`](Self::recycle)), and whether the poll returned for the waker's event
    /// alone (see `Parker::park_in`). Only the parked timer-duty holder (or the fallback
    /// thread) calls this: the waker interrupts *the* blocking poller.
    ///
    /// A worker wakes them after it has left the parked state: woken while it still counts as
    /// parked, the tasks it queues for itself would make the scheduler pick *it* as the parked
    /// worker to notify (an interrupt of its own next poll) and hand its duty to a peer for
    /// nothing.
    pub(crate) fn park(&self, deadline: Option<Instant>) -> (Vec<Waker>, bool) {
        let mut r = self.lock_reactor();
        // A waker event consumed by a non-blocking poller was meant for us: do not block.
        let pending = std::mem::take(&mut r.wake_pending);
        let timeout = if pending {
            Some(Duration::ZERO)
        } else {
            match deadline {
                None => None,
                Some(d) => {
                    let now = Instant::now();
                    if d <= now {
                        Some(Duration::ZERO)
                    } else {
                        r.timeout_for(d, now)
                    }
                }
            }
        };
        let (wake, seen) = self.poll_locked(r, timeout, true);
        let interrupted_only = (seen.waker || pending) && !seen.other && wake.is_empty();
        (wake, interrupted_only)
    }

    /// Gives a drained waker buffer back for the next poll (unless another thread holds the
    /// reactor now; then it is dropped).
    pub(crate) fn recycle(&self, mut wake: Vec<Waker>) {
        wake.clear();
        if let Some(mut r) = self.try_lock_reactor() {
            if r.wake.capacity() < wake.capacity() {
                r.wake = wake;
            }
        }
    }

    /// Wakes the tasks in `wake` and recycles the buffer.
    pub(crate) fn wake_all(&self, mut wake: Vec<Waker>) {
        let n = wake.len();
        for w in wake.drain(..) {
            w.wake();
        }
        if n > 0 {
            tracing::trace!(woken = n, "I/O reactor dispatched");
        }
        self.recycle(wake);
    }

    /// Polls without blocking if no other thread owns the reactor, and wakes the tasks whose
    /// resources became ready; returns how many it woke, or `None` if another thread owns the
    /// reactor.
    pub(crate) fn poll_nonblocking(&self) -> Option<usize> {
        let r = self.try_lock_reactor()?;
        let (wake, _seen) = self.poll_locked(r, Some(Duration::ZERO), false);
        let woken = wake.len();
        self.wake_all(wake);
        Some(woken)
    }

    /// Go's sysmon `netpoll`: if sockets are registered and no poll has returned for `after`
    /// (by the coarse clock at `now_us`), polls without blocking, from whatever thread calls
    /// (sysmon, its helper); returns how many tasks it woke. A worker parked in the reactor
    /// holds its lock, so this is a no-op then: the owner sees the events itself.
    pub(crate) fn poll_if_overdue(&self, now_us: u64, after: Duration) -> usize {
        if !self.has_registrations() {
            return 0;
        }
        let last = self.last_poll_us.load(Ordering::Relaxed);
        if crate::clock::between(last, now_us) < after {
            return 0;
        }
        self.poll_nonblocking().unwrap_or(0)
    }

    /// Polls with the reactor lock held, then releases it; returns the wakers to wake and
    /// which kinds of events it saw.
    fn poll_locked(
        &self,
        mut r: MutexGuard<'_, Reactor>,
        timeout: Option<Duration>,
        blocking: bool,
    ) -> (Vec<Waker>, Seen) {
        let mut wake = std::mem::take(&mut r.wake);
        let Reactor { poll, events, .. } = &mut *r;
        if let Err(e) = poll.poll(events, timeout) {
            if e.kind() != io::ErrorKind::Interrupted {
                tracing::warn!(err = %e, "I/O reactor poll failed");
            }
            return (wake, Seen::default());
        }
        self.last_poll_us
            .store(crate::clock::coarse_now_us(), Ordering::Relaxed);
        let r = &mut *r;
        let mut seen = Seen::default();
        let mut ios = None;
        for event in r.events.iter() {
            match event.token() {
                WAKER_TOKEN => {
                    seen.waker = true;
                    if !blocking {
                        r.wake_pending = true;
                    }
                }
                #[cfg(target_os = "linux")]
                TIMER_TOKEN => {
                    seen.other = true;
                    if let Some(t) = r.timer.as_mut() {
                        t.fired();
                    }
                }
                Token(token) => {
                    seen.other = true;
                    let ios = ios.get_or_insert_with(|| self.lock_ios());
                    if let Some(io) = ios.get(token & KEY_MASK).filter(|io| io.token == token) {
                        io.set_readiness(readiness_bits(event), &mut wake);
                    }
                }
            }
        }
        (wake, seen)
    }

    /// Runtime shutdown: every registration's waiters are woken and later polls fail.
    pub(crate) fn shutdown(&self) {
        // Release: pairs with the Acquire in `is_shutdown`.
        if self.shutdown.swap(true, Ordering::Release) {
            return;
        }
        let mut wake = Vec::new();
        for (_, io) in self.lock_ios().iter() {
            io.shutdown(&mut wake);
        }
        for w in wake {
            w.wake();
        }
    }
}

/// What one poll returned besides readiness.
#[derive(Clone, Copy, Debug, Default)]
struct Seen {
    /// The waker's event (an interrupt).
    waker: bool,
    /// A resource's or the timer's event.
    other: bool,
}

impl Reactor {
    /// The `poll` timeout for a wait until `deadline` (> `now`): none when the timerfd is armed
    /// for it, the millisecond timeout mio rounds up otherwise.
    fn timeout_for(&mut self, deadline: Instant, now: Instant) -> Option<Duration> {
        #[cfg(target_os = "linux")]
        if let Some(t) = self.timer.as_mut() {
            match t.arm(deadline, now) {
                Ok(()) => return None,
                Err(e) => tracing::debug!(err = %e, "timerfd_settime failed"),
            }
        }
        Some(deadline - now)
    }
}

fn readiness_bits(event: &mio::event::Event) -> usize {
    let mut bits = 0;
    if event.is_readable() {
        bits |= scheduled_io::READABLE;
    }
    if event.is_writable() {
        bits |= scheduled_io::WRITABLE;
    }
    if event.is_read_closed() {
        bits |= scheduled_io::READ_CLOSED;
    }
    if event.is_write_closed() {
        bits |= scheduled_io::WRITE_CLOSED;
    }
    if event.is_error() {
        bits |= scheduled_io::ERROR;
    }
    bits
}

pub(crate) fn shutdown_error() -> io::Error {
    io::Error::other("the gmp runtime that owns this I/O resource has shut down")
}
