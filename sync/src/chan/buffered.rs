//! Buffered channels (capacity >= 1): the lock-free ring plus a lobby of parked waiters.
//!
//! # Algorithm
//!
//! The values live in a [`Ring`] (stamped slots; one CAS and one Release store per push or
//! pop, no lock). Operations that cannot complete park in the existing waiter queues
//! ([`super::waiters`]) behind their own mutex, the *lobby*, on another cache line, with one
//! count of parked waiters per side, each on its own line (read after every operation, written
//! only when a waiter parks or leaves). The lock is taken only to park, to
//! unpark, and when the count says someone is parked:
//!
//! - **send**: push into the ring; then fence and load `recv_parked`; if it is not zero, lock
//!   and wake the first parked receiver (it retries its pop). If the ring is full: lock,
//!   enqueue a waiter *holding the value*, raise `send_parked`, fence, and push once more
//!   from the waiter (under the lock); if that fails too, stay parked.
//! - **recv**: pop; then fence and load `send_parked`; if it is not zero, lock and *move* the
//!   first parked plain sender's value into the freed slot (status `Done`, wake it), or wake
//!   the first parked `select!` sender (status `Notified`: it retries, see below). If the ring
//!   is empty: lock, enqueue, raise `recv_parked`, fence, pop once more, else stay parked.
//! - **close**: set the ring's closed bit, then lock and wake every waiter with `Closed`:
//!   senders take their value back; receivers drain the ring and then see `None`.
//!
//! No wake-up is lost: the operating side does *op; fence(SeqCst); load count* and the parking
//! side *count += 1; fence(SeqCst); retry op* (the retry under the lobby lock). By the total
//! order of the two fences, either the count load sees the registration (and the operating side
//! takes the lock, which orders it after the registration) or the retry sees the op. When
//! nobody waits, checking costs one fence and one load of a line nobody writes.
//!
//! # Invariants
//!
//! 1. A waiter is linked into a queue exactly while it is counted in that side's count (both
//!    change together, under the lobby lock).
//! 2. A parked sender's value is in its waiter node until a receiver moves it into the ring
//!    (`Done`) or the sender takes it back (cancel, close): a cancelled send owns its value or
//!    the value is in the ring, never both.
//! 3. A receiver is never handed a value; it is only woken (`Notified`). A `Notified` receiver
//!    dropped before it retried passes the wake on to the next parked receiver (if the ring
//!    still holds values), and a `Notified` select sender dropped unchosen passes its wake on
//!    to the next parked sender (if the ring has room), so a wake is never swallowed.
//! 4. A waiter's node is removed only by its owner (as in `state.rs`).
//!
//! # `select!`
//!
//! A select arm claims a slot only if its select commits to it: the arm's gate marks the
//! selection token `BUSY` right before the ring's claiming CAS (`try_busy`), commits it after a
//! successful CAS (`finish_busy`), and backs out when the ring turns out full or empty
//! (`abort_busy`; a counterpart that bounced off the busy token makes it poll again). If the
//! token was already taken by another arm, the gate refuses and nothing is claimed. Nobody but
//! the select's own thread ever commits a select arm on a buffered channel: counterparts only
//! wake parked select waiters (skipping those whose select chose another arm), so a losing
//! arm consumes nothing and delivers nothing.
//!
//! # Lock order
//!
//! The lobby mutex is a leaf: the ring is lock-free, no other lock is taken under it, and
//! wakers are woken and values dropped after it is released.
//!
//! # Learned (this replaces "Rejected: lock-free ring")
//!
//! The hand-off and give-back protocols that made a lock-free buffer look hard to make
//! cancel-safe are not needed for a buffered channel: a receiver is only ever woken, never
//! handed a value, so a dropped receive has nothing to give back, only a wake to pass on; and a
//! parked sender's value stays in its node, under the lobby lock, until it is moved into the
//! ring, so a cancelled send gets it back exactly once. What is still rejected: committing a
//! parked select sender from the receiving side (the claim and the ring's CAS cannot be made
//! one atomic step without holes in the ring; waking it costs one extra poll instead).
//!
//! Measured (gmp-bench `chan_mpsc`/`chan_mpmc`, 2 workers, a loaded 2-core box): per-message
//! time and CPU at parity with the single-mutex version when producers and consumers run on
//! different cores. The profile moved from the mutex to the tail CAS (~40% of `poll_send`'s
//! samples) and the waiter-count load after the fence (~30%): each message still carries the
//! tail and slot lines, and the count line whenever the consumer parks, from core to core. The
//! ring removes the lock convoy; the rest needs the pipeline kept on one core (scheduler).

use std::fmt;
use std::task::Waker;

use super::ring::{Padded, PopError, PushError, Ring};
use super::selection::SelArm;
use super::state::{
    RecvOp, RecvPoll, SendOp, SendPoll, Status, Waiter, Wake, select_final, update_waker,
};
use crate::loom::{AtomicUsize, Mutex, MutexGuard, Ordering, fence};
use crate::waitlist::{Queue, Waiters};

/// The parked operations (under the lobby mutex).
struct Parked<T> {
    waiters: Waiters<Waiter<T>>,
    sendq: Queue,
    recvq: Queue,
}

/// The per-side counts of parked waiters: read after every operation, written only when a
/// waiter parks or leaves, so each line stays shared (cheap to read) while nobody parks. Two
/// lines: receivers parking (the usual case for a fast consumer) do not disturb the count
/// every receiver reads.
struct Lobby {
    /// Senders linked into `sendq` (invariant 1).
    send_parked: Padded<AtomicUsize>,
    /// Receivers linked into `recvq` (invariant 1).
    recv_parked: Padded<AtomicUsize>,
}

/// The shared part of a buffered channel: the ring's two positions, the counts, and the
/// lobby's mutex (written by every lock and unlock) each on their own cache lines.
pub(crate) struct Buffered<T> {
    ring: Ring<T>,
    lobby: Lobby,
    parked: Padded<Mutex<Parked<T>>>,
}

impl<T> fmt::Debug for Buffered<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chan")
            .field("len", &self.ring.len())
            .field("closed", &self.ring.is_closed())
            .field(
                "senders_parked",
                &(self.lobby.send_parked.0.load(Ordering::Relaxed) > 0),
            )
            .field(
                "receivers_parked",
                &(self.lobby.recv_parked.0.load(Ordering::Relaxed) > 0),
            )
            .finish()
    }
}

/// A select arm's access to its token around one ring operation (see the module docs).
struct Gate<'a> {
    me: Option<&'a SelArm>,
    busy: bool,
}

impl<'a> Gate<'a> {
    fn new(me: Option<&'a SelArm>) -> Gate<'a> {
        Gate { me, busy: false }
    }

    /// Called before each claiming CAS: marks the token busy. `false`: another arm committed.
    fn enter(&mut self) -> bool {
        match self.me {
            None => true,
            Some(_) if self.busy => true,
            Some(m) => {
                self.busy = m.sel.try_busy();
                self.busy
            }
        }
    }

    /// The operation completes (a CAS succeeded, or the channel is closed): commit the arm.
    /// `false`: another arm committed first (only possible when not busy).
    fn commit(&mut self) -> bool {
        match self.me {
            None => true,
            Some(m) if self.busy => {
                self.busy = false;
                m.sel.finish_busy(m.arm);
                true
            }
            m => select_final(m),
        }
    }

    /// The operation cannot complete now: back out. `true`: a counterpart bounced off the busy
    /// token, so the select must poll itself again.
    fn abort(&mut self) -> bool {
        match self.me {
            Some(m) if self.busy => {
                self.busy = false;
                m.sel.abort_busy()
            }
            _ => false,
        }
    }
}

/// The waker to park with, unless the caller may not park (`try_*`, a select with `default`).
fn may_park<'w>(me: Option<&SelArm>, waker: Option<&'w Waker>) -> Option<&'w Waker> {
    waker.filter(|_| !me.is_some_and(|m| m.sel.is_nonblocking()))
}

/// Whether a parked select waiter's select already chose another arm.
fn chose_other(w: &Waiter<impl Sized>) -> bool {
    w.sel
        .as_ref()
        .is_some_and(|s| s.sel.selected().is_some_and(|k| k != s.arm))
}

impl<T> Buffered<T> {
    pub(crate) fn new(cap: usize) -> Buffered<T> {
        Buffered {
            ring: Ring::new(cap),
            lobby: Lobby {
                send_parked: Padded(AtomicUsize::new(0)),
                recv_parked: Padded(AtomicUsize::new(0)),
            },
            parked: Padded(Mutex::new(Parked {
                waiters: Waiters::new(),
                sendq: Queue::new(),
                recvq: Queue::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Parked<T>> {
        // No user code runs under the lock: poisoning can only come from an allocation
        // failure, and the state is still consistent.
        self.parked
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn len(&self) -> usize {
        self.ring.len()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.ring.is_closed()
    }

    // ---- lobby bookkeeping (under the lock) ----

    /// The slab, the queue and the count of one side.
    fn side<'p>(
        &self,
        p: &'p mut Parked<T>,
        send: bool,
    ) -> (&'p mut Waiters<Waiter<T>>, &'p mut Queue, &AtomicUsize) {
        let Parked {
            waiters,
            sendq,
            recvq,
        } = p;
        if send {
            (waiters, sendq, &self.lobby.send_parked.0)
        } else {
            (waiters, recvq, &self.lobby.recv_parked.0)
        }
    }

    /// Registers a waiter (a sender holding `value`, or a receiver), then fences: the caller
    /// retries its operation next, under the lock (the parking side of the protocol).
    fn park(
        &self,
        p: &mut Parked<T>,
        send: bool,
        value: Option<T>,
        me: Option<&SelArm>,
        waker: &Waker,
    ) -> usize {
        let w = Waiter {
            value,
            waker: Some(waker.clone()),
            status: Status::Waiting,
            sel: me.cloned(),
        };
        let (waiters, q, count) = self.side(p, send);
        let key = waiters.push_back(q, w);
        // Relaxed: the SeqCst fence below orders it; other writers hold the lock.
        count.fetch_add(1, Ordering::Relaxed);
        // SeqCst: pairs with the fence in `after_pop` / `after_push` (see the module docs).
        fence(Ordering::SeqCst);
        key
    }

    fn unlink(&self, p: &mut Parked<T>, send: bool, key: usize) {
        let (waiters, q, count) = self.side(p, send);
        waiters.unlink(q, key);
        // Relaxed: a stale non-zero read only costs a lock; writers hold the lock.
        count.fetch_sub(1, Ordering::Relaxed);
    }

    /// A cancelled operation leaves: unqueue its node if still queued, and free it.
    fn leave(
        &self,
        p: &mut Parked<T>,
        send: bool,
        key: usize,
        wake: &mut Wake,
    ) -> (Status, Waiter<T>) {
        let status = p.waiters.get(key).status;
        if status == Status::Waiting {
            self.unlink(p, send, key);
        }
        (status, Self::remove(p, key, wake))
    }

    /// Frees an (unlinked) waiter node; its waker leaves through `wake.stale`.
    fn remove(p: &mut Parked<T>, key: usize, wake: &mut Wake) -> Waiter<T> {
        let mut w = p.waiters.remove(key);
        wake.retire(w.waker.take());
        w
    }

    /// Wakes the first parked receiver whose select (if any) may still choose it.
    fn wake_receiver(&self, p: &mut Parked<T>, wake: &mut Wake) {
        while let Some(k) = p.recvq.head() {
            let w = p.waiters.get_mut(k);
            if chose_other(w) {
                w.status = Status::Dropped;
                self.unlink(p, false, k);
                continue;
            }
            w.status = Status::Notified;
            wake.push(w.waker.take());
            self.unlink(p, false, k);
            return;
        }
    }

    /// One slot was freed: move the first parked plain sender's value into the ring, or wake
    /// the first parked select sender to retry.
    fn serve_sender(&self, p: &mut Parked<T>, wake: &mut Wake) {
        while let Some(k) = p.sendq.head() {
            let w = p.waiters.get_mut(k);
            if w.sel.is_some() {
                let lost = chose_other(w);
                w.status = if lost {
                    Status::Dropped
                } else {
                    wake.push(w.waker.take());
                    Status::Notified
                };
                self.unlink(p, true, k);
                if lost {
                    continue;
                }
                return;
            }
            let v = w.value.take().expect("a queued sender holds its value");
            match self.ring.push(v, || true) {
                Ok(()) => {
                    w.status = Status::Done;
                    wake.push(w.waker.take());
                    self.unlink(p, true, k);
                    // A new value in the ring: under the lock `recvq` is exact.
                    self.wake_receiver(p, wake);
                }
                // Full again (a fast-path send took the slot; the next pop serves us), or
                // closed (close wakes us): the value stays in the node.
                Err(PushError::Full(v) | PushError::Closed(v) | PushError::Gated(v)) => {
                    w.value = Some(v);
                }
            }
            return;
        }
    }

    /// After a push: wake a parked receiver, if the count says there is one.
    fn after_push(&self, wake: &mut Wake) {
        // SeqCst: pairs with the fence after a receiver's registration (`poll_recv`): either
        // we see its count or its retry sees our value.
        fence(Ordering::SeqCst);
        if self.lobby.recv_parked.0.load(Ordering::Relaxed) != 0 {
            self.wake_receiver(&mut self.lock(), wake);
        }
    }

    /// After a pop: serve a parked sender, if the count says there is one.
    fn after_pop(&self, wake: &mut Wake) {
        // SeqCst: pairs with the fence after a sender's registration (`poll_send`).
        fence(Ordering::SeqCst);
        if self.lobby.send_parked.0.load(Ordering::Relaxed) != 0 {
            self.serve_sender(&mut self.lock(), wake);
        }
    }

    // ---- send ----

    #[inline]
    pub(crate) fn poll_send(
        &self,
        op: &mut SendOp<T>,
        me: Option<&SelArm>,
        waker: Option<&Waker>,
    ) -> SendPoll {
        let mut wake = Wake::default();
        let res = self.poll_send_inner(op, me, waker, &mut wake);
        wake.run(waker);
        res
    }

    #[inline]
    fn poll_send_inner(
        &self,
        op: &mut SendOp<T>,
        me: Option<&SelArm>,
        waker: Option<&Waker>,
        wake: &mut Wake,
    ) -> SendPoll {
        if let Some(key) = op.key {
            let mut p = self.lock();
            match p.waiters.get(key).status {
                Status::Waiting => return self.send_parked(&mut p, op, key, me, waker, wake),
                Status::Dropped => return SendPoll::Pending,
                Status::Done => {
                    let w = Self::remove(&mut p, key, wake);
                    debug_assert!(w.value.is_none());
                    op.key = None;
                    return SendPoll::Sent;
                }
                Status::Closed => {
                    if !select_final(me) {
                        return SendPoll::Pending;
                    }
                    op.value = Self::remove(&mut p, key, wake).value;
                    op.key = None;
                    return SendPoll::Closed;
                }
                Status::Notified => {
                    op.value = Self::remove(&mut p, key, wake).value;
                    op.key = None;
                }
            }
        }
        let value = op.value.take().expect("send polled after completion");
        let mut gate = Gate::new(me);
        match self.ring.push(value, || gate.enter()) {
            Ok(()) => {
                let committed = gate.commit();
                debug_assert!(committed, "a busy token always commits");
                self.after_push(wake);
                return SendPoll::Sent;
            }
            Err(PushError::Gated(v)) => {
                op.value = Some(v);
                return SendPoll::Pending;
            }
            Err(PushError::Closed(v)) => {
                op.value = Some(v);
                return if gate.commit() {
                    SendPoll::Closed
                } else {
                    SendPoll::Pending
                };
            }
            Err(PushError::Full(v)) => {
                op.value = Some(v);
                wake.me |= gate.abort();
            }
        }
        let Some(waker) = may_park(me, waker) else {
            return SendPoll::Full;
        };
        let mut p = self.lock();
        let key = self.park(&mut p, true, op.value.take(), me, waker);
        op.key = Some(key);
        // The node has this poll's waker already: nothing to update.
        self.send_parked(&mut p, op, key, me, None, wake)
    }

    /// A parked send (linked, `Waiting`) tries the ring again under the lock.
    fn send_parked(
        &self,
        p: &mut Parked<T>,
        op: &mut SendOp<T>,
        key: usize,
        me: Option<&SelArm>,
        waker: Option<&Waker>,
        wake: &mut Wake,
    ) -> SendPoll {
        let v = p
            .waiters
            .get_mut(key)
            .value
            .take()
            .expect("a queued sender holds its value");
        let mut gate = Gate::new(me);
        match self.ring.push(v, || gate.enter()) {
            Ok(()) => {
                let committed = gate.commit();
                debug_assert!(committed, "a busy token always commits");
                self.unlink(p, true, key);
                Self::remove(p, key, wake);
                op.key = None;
                // Under the lock `recvq` is exact: no fence needed.
                self.wake_receiver(p, wake);
                SendPoll::Sent
            }
            Err(PushError::Closed(v)) if gate.commit() => {
                self.unlink(p, true, key);
                Self::remove(p, key, wake);
                op.key = None;
                op.value = Some(v);
                SendPoll::Closed
            }
            Err(PushError::Gated(v) | PushError::Closed(v)) => {
                // Our select chose another arm: it detaches this one, taking the value back.
                p.waiters.get_mut(key).value = Some(v);
                SendPoll::Pending
            }
            Err(PushError::Full(v)) => {
                wake.me |= gate.abort();
                let w = p.waiters.get_mut(key);
                w.value = Some(v);
                if let Some(waker) = waker {
                    wake.retire(update_waker(&mut w.waker, waker));
                }
                SendPoll::Pending
            }
        }
    }

    /// Abandons a send; its value, unless delivered, is back in `op.value`.
    pub(crate) fn cancel_send(&self, op: &mut SendOp<T>) {
        let Some(key) = op.key.take() else {
            return;
        };
        let mut wake = Wake::default();
        {
            let mut p = self.lock();
            let (status, w) = self.leave(&mut p, true, key, &mut wake);
            // `None` if a receiver moved it into the ring (`Done`).
            op.value = w.value;
            if status == Status::Notified && !self.ring.is_full() {
                // Woken for a free slot and leaving unchosen: pass the wake on (invariant 3).
                self.serve_sender(&mut p, &mut wake);
            }
        }
        wake.run(None);
    }

    // ---- receive ----

    #[inline]
    pub(crate) fn poll_recv(
        &self,
        op: &mut RecvOp,
        me: Option<&SelArm>,
        waker: Option<&Waker>,
    ) -> RecvPoll<T> {
        let mut wake = Wake::default();
        let res = self.poll_recv_inner(op, me, waker, &mut wake);
        wake.run(waker);
        res
    }

    #[inline]
    fn poll_recv_inner(
        &self,
        op: &mut RecvOp,
        me: Option<&SelArm>,
        waker: Option<&Waker>,
        wake: &mut Wake,
    ) -> RecvPoll<T> {
        if let Some(key) = op.key {
            let mut p = self.lock();
            match p.waiters.get(key).status {
                Status::Waiting => return self.recv_parked(&mut p, op, key, me, waker, wake),
                Status::Dropped => return RecvPoll::Pending,
                Status::Notified | Status::Closed => {
                    Self::remove(&mut p, key, wake);
                    op.key = None;
                }
                Status::Done => unreachable!("a buffered receive is never handed a value"),
            }
        }
        let mut gate = Gate::new(me);
        match self.ring.pop(|| gate.enter()) {
            Ok(v) => {
                let committed = gate.commit();
                debug_assert!(committed, "a busy token always commits");
                self.after_pop(wake);
                return RecvPoll::Value(v);
            }
            Err(PopError::Gated) => return RecvPoll::Pending,
            Err(PopError::Closed) => {
                return if gate.commit() {
                    RecvPoll::Closed
                } else {
                    RecvPoll::Pending
                };
            }
            Err(PopError::Empty) => wake.me |= gate.abort(),
        }
        let Some(waker) = may_park(me, waker) else {
            return RecvPoll::Empty;
        };
        let mut p = self.lock();
        let key = self.park(&mut p, false, None, me, waker);
        op.key = Some(key);
        // The node has this poll's waker already: nothing to update.
        self.recv_parked(&mut p, op, key, me, None, wake)
    }

    /// A parked receive (linked, `Waiting`) tries the ring again under the lock.
    fn recv_parked(
        &self,
        p: &mut Parked<T>,
        op: &mut RecvOp,
        key: usize,
        me: Option<&SelArm>,
        waker: Option<&Waker>,
        wake: &mut Wake,
    ) -> RecvPoll<T> {
        let mut gate = Gate::new(me);
        match self.ring.pop(|| gate.enter()) {
            Ok(v) => {
                let committed = gate.commit();
                debug_assert!(committed, "a busy token always commits");
                self.unlink(p, false, key);
                Self::remove(p, key, wake);
                op.key = None;
                // Under the lock `sendq` is exact: no fence needed.
                self.serve_sender(p, wake);
                RecvPoll::Value(v)
            }
            Err(PopError::Closed) if gate.commit() => {
                self.unlink(p, false, key);
                Self::remove(p, key, wake);
                op.key = None;
                RecvPoll::Closed
            }
            // Our select chose another arm: it detaches this one.
            Err(PopError::Gated | PopError::Closed) => RecvPoll::Pending,
            Err(PopError::Empty) => {
                wake.me |= gate.abort();
                if let Some(waker) = waker {
                    wake.retire(update_waker(&mut p.waiters.get_mut(key).waker, waker));
                }
                RecvPoll::Pending
            }
        }
    }

    /// Abandons a receive; a wake it received and did not use goes to the next receiver.
    pub(crate) fn cancel_recv(&self, op: &mut RecvOp) {
        let Some(key) = op.key.take() else {
            return;
        };
        let mut wake = Wake::default();
        {
            let mut p = self.lock();
            let (status, w) = self.leave(&mut p, false, key, &mut wake);
            debug_assert!(w.value.is_none());
            if status == Status::Notified && self.ring.len() > 0 {
                // Woken for a value and leaving without it: pass the wake on (invariant 3).
                self.wake_receiver(&mut p, &mut wake);
            }
        }
        wake.run(None);
    }

    /// For models and tests at quiescence: no waiter is parked while its operation could
    /// complete, and the counts match the queues (invariant 1).
    #[cfg(all(test, loom))]
    pub(crate) fn assert_settled(&self) {
        let p = self.lock();
        let (senders, receivers) = (
            self.lobby.send_parked.0.load(Ordering::Relaxed),
            self.lobby.recv_parked.0.load(Ordering::Relaxed),
        );
        let count = |q: &Queue| {
            let mut n = 0;
            let mut cur = q.head();
            while let Some(k) = cur {
                n += 1;
                cur = p.waiters.next(k);
            }
            n
        };
        assert_eq!(senders, count(&p.sendq));
        assert_eq!(receivers, count(&p.recvq));
        let len = self.ring.len();
        assert!(
            len == 0 || receivers == 0,
            "a receiver is parked beside {len} values"
        );
        assert!(
            !self.ring.is_closed() || senders + receivers == 0,
            "a waiter is parked on a closed channel"
        );
        if senders > 0 {
            assert!(self.ring.is_full(), "a sender is parked beside a free slot");
        }
    }

    // ---- close ----

    /// Closes the channel, waking every parked operation. `false` if it was closed already.
    pub(crate) fn close(&self) -> bool {
        if !self.ring.close() {
            return false;
        }
        let mut wakers = Vec::new();
        {
            let mut p = self.lock();
            let Parked {
                waiters,
                sendq,
                recvq,
            } = &mut *p;
            let mut mark = |w: &mut Waiter<T>| {
                w.status = Status::Closed;
                wakers.extend(w.waker.take());
            };
            waiters.drain_queue(recvq, &mut mark);
            waiters.drain_queue(sendq, &mut mark);
            // Relaxed: under the lock, with the queues (invariant 1).
            self.lobby.recv_parked.0.store(0, Ordering::Relaxed);
            self.lobby.send_parked.0.store(0, Ordering::Relaxed);
        }
        wakers.into_iter().for_each(Waker::wake);
        true
    }

    /// The last receiver is gone: close, and drop the buffered values (no lock held).
    pub(crate) fn close_and_drain(&self) {
        self.close();
        while let Ok(v) = self.ring.pop(|| true) {
            drop(v);
        }
    }
}
