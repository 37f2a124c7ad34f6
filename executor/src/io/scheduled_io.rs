//! One registered I/O resource's readiness and waiters.
//!
//! # Readiness word
//!
//! `readiness` packs the readiness bits the reactor has seen (low [`SEQ_SHIFT`] bits) with a
//! sequence number counting the events delivered to this resource (the rest). mio is
//! edge-triggered: an event says "something changed", so the bits are cached here until an
//! operation hits `WouldBlock` and clears them. The sequence number fixes the ABA of that clear:
//! a task reads the word (bits + seq), tries the syscall, gets `WouldBlock`, and clears the bits
//! *only if the sequence is unchanged*. An event delivered between the syscall and the clear
//! bumps the sequence, so the clear is skipped and the new readiness is not lost.
//!
//! # No lost wake-ups
//!
//! The reactor stores readiness *then* locks `waiters` and takes the wakers of the directions
//! that became ready. A task that found no readiness locks `waiters`, stores its waker, and
//! re-reads readiness *under that lock*. Either the reactor's lock came first (the re-read sees
//! the bits: the store happens-before the reactor's unlock, which happens-before our lock), or
//! ours did (the reactor finds and wakes our waker).
//!
//! Several tasks may wait on one direction (two tasks sharing a `&UdpSocket`, say): each
//! direction keeps a list of wakers, deduplicated with `Waker::will_wake`, and all are woken.

use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use crate::loom::{AtomicUsize, Ordering};

/// Readiness bits, as the reactor reports them.
pub(crate) const READABLE: usize = 1;
pub(crate) const WRITABLE: usize = 1 << 1;
pub(crate) const READ_CLOSED: usize = 1 << 2;
pub(crate) const WRITE_CLOSED: usize = 1 << 3;
pub(crate) const ERROR: usize = 1 << 4;
/// Set once at driver shutdown: every later readiness poll fails.
const SHUTDOWN: usize = 1 << 5;

const SEQ_SHIFT: u32 = 8;
const BITS_MASK: usize = (1 << SEQ_SHIFT) - 1;

/// Which half of a resource an operation waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    /// The readiness bits that let an operation in this direction proceed (a closed or failed
    /// socket makes its next syscall return at once: EOF or the error).
    fn mask(self) -> usize {
        match self {
            Direction::Read => READABLE | READ_CLOSED | ERROR,
            Direction::Write => WRITABLE | WRITE_CLOSED | ERROR,
        }
    }

    /// The bits a `WouldBlock` in this direction clears (closed/error states are sticky).
    fn clearable(self) -> usize {
        match self {
            Direction::Read => READABLE,
            Direction::Write => WRITABLE,
        }
    }
}

/// The readiness an operation acted on: given back to [`ScheduledIo::clear_readiness`].
#[derive(Clone, Copy, Debug)]
#[must_use = "a readiness observation is given back to clear_readiness on WouldBlock"]
pub(crate) struct ReadyEvent {
    seq: usize,
    bits: usize,
    dir: Direction,
}

impl ReadyEvent {
    /// Whether the reactor reported an error or hang-up condition.
    pub(crate) fn is_error(&self) -> bool {
        self.bits & ERROR != 0
    }
}

/// The reactor's record of one registration.
pub(crate) struct ScheduledIo {
    /// The token this registration was given: slab key and generation (see `driver`).
    pub(crate) token: usize,
    /// Readiness bits | event sequence << SEQ_SHIFT (module doc).
    readiness: AtomicUsize,
    waiters: Mutex<Waiters>,
}

#[derive(Default)]
struct Waiters {
    read: Vec<Waker>,
    write: Vec<Waker>,
}

impl std::fmt::Debug for ScheduledIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScheduledIo")
            .field("token", &self.token)
            .field(
                "readiness",
                &(self.readiness.load(Ordering::Relaxed) & BITS_MASK),
            )
            .finish_non_exhaustive()
    }
}

impl ScheduledIo {
    pub(crate) fn new(token: usize) -> ScheduledIo {
        ScheduledIo {
            token,
            readiness: AtomicUsize::new(0),
            waiters: Mutex::new(Waiters::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Waiters> {
        // Waker lists stay consistent if a waker's clone panicked: ignore poisoning.
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reactor side: records `bits`, bumps the sequence and moves the wakers of the directions
    /// that became ready into `wake`.
    pub(crate) fn set_readiness(&self, bits: usize, wake: &mut Vec<Waker>) {
        // AcqRel: Release pairs with the Acquire loads in `poll_ready`; a task that sees the
        // bits sees everything the reactor did before (nothing it relies on, but it keeps the
        // word's history simple to reason about). The waiter hand-off itself is ordered by the
        // `waiters` lock below.
        let _ = self
            .readiness
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |cur| {
                let seq = (cur >> SEQ_SHIFT).wrapping_add(1);
                Some((seq << SEQ_SHIFT) | (cur & BITS_MASK) | bits)
            });
        let mut w = self.lock();
        if bits & Direction::Read.mask() != 0 {
            wake.append(&mut w.read);
        }
        if bits & Direction::Write.mask() != 0 {
            wake.append(&mut w.write);
        }
    }

    /// Driver shutdown: every waiter is woken and every later poll fails.
    pub(crate) fn shutdown(&self, wake: &mut Vec<Waker>) {
        self.set_readiness(SHUTDOWN | READABLE | WRITABLE, wake);
    }

    /// The current readiness in `dir`, if any.
    fn ready(&self, dir: Direction) -> Option<Result<ReadyEvent, ()>> {
        // Acquire: pairs with the Release in `set_readiness`.
        let cur = self.readiness.load(Ordering::Acquire);
        if cur & SHUTDOWN != 0 {
            return Some(Err(()));
        }
        let bits = cur & dir.mask();
        (bits != 0).then_some(Ok(ReadyEvent {
            seq: cur >> SEQ_SHIFT,
            bits,
            dir,
        }))
    }

    /// Ready if the resource may make progress in `dir`; otherwise stores the task's waker.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
    ) -> Poll<Result<ReadyEvent, ()>> {
        if let Some(r) = self.ready(dir) {
            return Poll::Ready(r);
        }
        let mut w = self.lock();
        let list = match dir {
            Direction::Read => &mut w.read,
            Direction::Write => &mut w.write,
        };
        if !list.iter().any(|k| k.will_wake(cx.waker())) {
            list.push(cx.waker().clone());
        }
        // Re-read under the lock (module doc: "No lost wake-ups").
        match self.ready(dir) {
            Some(r) => Poll::Ready(r),
            None => Poll::Pending,
        }
    }

    /// An operation acting on `event` hit `WouldBlock`: clear that readiness unless an event
    /// arrived since it was observed.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        let clear = event.bits & event.dir.clearable();
        let mut cur = self.readiness.load(Ordering::Relaxed);
        loop {
            if cur >> SEQ_SHIFT != event.seq || cur & clear == 0 {
                return;
            }
            // Relaxed: the sequence check, not ordering, is what makes the clear safe; a racing
            // `set_readiness` fails our CAS and we re-check.
            match self.readiness.compare_exchange_weak(
                cur,
                cur & !clear,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noop_cx() -> Context<'static> {
        Context::from_waker(Waker::noop())
    }

    #[test]
    fn stale_clear_keeps_new_readiness() {
        let io = ScheduledIo::new(0);
        let mut wake = Vec::new();
        io.set_readiness(READABLE, &mut wake);
        let Poll::Ready(Ok(ev)) = io.poll_ready(&mut noop_cx(), Direction::Read) else {
            panic!("expected readable")
        };
        // An event arrives between the WouldBlock and the clear.
        io.set_readiness(READABLE, &mut wake);
        io.clear_readiness(ev);
        assert!(io.poll_ready(&mut noop_cx(), Direction::Read).is_ready());
        // A fresh observation can be cleared.
        let Poll::Ready(Ok(ev)) = io.poll_ready(&mut noop_cx(), Direction::Read) else {
            panic!("expected readable")
        };
        io.clear_readiness(ev);
        assert!(io.poll_ready(&mut noop_cx(), Direction::Read).is_pending());
    }

    #[test]
    fn closed_is_sticky_and_directions_are_separate() {
        let io = ScheduledIo::new(0);
        let mut wake = Vec::new();
        assert!(io.poll_ready(&mut noop_cx(), Direction::Write).is_pending());
        io.set_readiness(READABLE | READ_CLOSED, &mut wake);
        assert!(io.poll_ready(&mut noop_cx(), Direction::Write).is_pending());
        let Poll::Ready(Ok(ev)) = io.poll_ready(&mut noop_cx(), Direction::Read) else {
            panic!("expected readable")
        };
        io.clear_readiness(ev);
        assert!(io.poll_ready(&mut noop_cx(), Direction::Read).is_ready());
    }

    struct Count(std::sync::atomic::AtomicUsize);
    impl std::task::Wake for Count {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn wakers_are_taken_per_direction_and_shutdown_fails_polls() {
        let reader = std::sync::Arc::new(Count(Default::default()));
        let writer = std::sync::Arc::new(Count(Default::default()));
        let rw = Waker::from(reader.clone());
        let ww = Waker::from(writer.clone());
        let io = ScheduledIo::new(0);
        let mut wake = Vec::new();
        // The same task polling twice is stored once.
        assert!(
            io.poll_ready(&mut Context::from_waker(&rw), Direction::Read)
                .is_pending()
        );
        assert!(
            io.poll_ready(&mut Context::from_waker(&rw), Direction::Read)
                .is_pending()
        );
        assert!(
            io.poll_ready(&mut Context::from_waker(&ww), Direction::Write)
                .is_pending()
        );
        io.set_readiness(WRITABLE, &mut wake);
        assert_eq!(
            wake.len(),
            1,
            "the write waiter only; the read waiter stays"
        );
        wake.drain(..).for_each(Waker::wake);
        assert_eq!(writer.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        io.shutdown(&mut wake);
        assert_eq!(wake.len(), 1);
        wake.drain(..).for_each(Waker::wake);
        assert_eq!(reader.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(matches!(
            io.poll_ready(&mut noop_cx(), Direction::Read),
            Poll::Ready(Err(()))
        ));
    }
}
