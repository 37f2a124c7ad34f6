//! The channel core: which algorithm a channel uses, and the rendezvous (unbuffered) one: one
//! mutex around the hand-off state and the two waiter queues.
//!
//! A channel of capacity >= 1 is *buffered*: it runs on the lock-free ring of `buffered.rs`
//! (its design note describes it), up to [`RING_MAX_CAP`] (the ring allocates its slots up
//! front; larger channels keep the mutex algorithm, whose buffer grows on demand). A channel
//! of capacity 0 keeps the mutex algorithm below,
//! which hands each value directly from sender to receiver: a rendezvous always pairs two
//! parties, so a ring buys nothing there, and the profile of ping-pong (the rendezvous row of
//! the harness) spends its time in the wake-ups, not in this lock. The algorithm below is
//! written for any capacity (it was the only one before the ring), which keeps it easy to
//! compare with Go's `hchan`.
//!
//! # Algorithm
//!
//! Go's `hchan`, re-expressed without `unsafe`. The state is a ring buffer (`VecDeque`) of at
//! most `cap` values, a `closed` flag, and two FIFO queues of parked operations (senders with
//! their value, receivers with an empty slot) in one slab ([`super::waiters`]). Every operation
//! takes the mutex once, decides, and releases it before waking anyone (wakers are collected
//! and woken after unlock, so a woken task never collides with the lock we still hold):
//!
//! - **send**: closed → give the value back. Else, if the buffer is empty and a receiver is
//!   parked, *hand the value directly to it* (write it into the receiver's slot, unlink it,
//!   wake it: under gmp the wake from a worker lands in that worker's LIFO slot, Go's
//!   `runnext`), and complete without parking. Else, if the buffer has room, push. Else park
//!   with the value.
//! - **recv**: if the buffer has a value, pop it and, if a sender is parked, move its value into
//!   the freed place and wake it (Go's `recv` on a full channel). Else take a parked sender's
//!   value directly (unbuffered rendezvous). Else closed → `None`. Else park.
//! - **close**: set the flag, unlink every waiter with status `Closed` and wake it; senders get
//!   their value back, receivers drain the buffer and then see `None`.
//!
//! # Invariants (under the mutex)
//!
//! 1. `buf.len() <= cap`, except for values given back by a cancelled receiver (below), which
//!    may push the buffer past `cap`; no send buffers into an over-full buffer.
//! 2. A sender is queued only while the buffer is full, a receiver only while it is empty,
//!    *except* for waiters skipped because their select was busy (see `selection`); such a
//!    select always polls itself again, and a queued waiter re-tries the opposite side each time
//!    it is polled, so nothing stays paired-but-parked.
//! 3. A waiter's node is removed from the slab only by the future that owns it; the other side
//!    only unlinks it and sets its status (`Done`, `Closed`, or `Dropped` when its select chose
//!    another arm).
//!
//! # Cancellation
//!
//! Dropping a receive whose status is `Done` (a value was handed to it and never returned to the
//! user) gives the value back: to the next parked receiver if the buffer is empty, else to the
//! *front* of the buffer, where it came from, so nothing is lost or reordered. Handed receives
//! are counted in `handed` until they take or give back their value; while one does, a receive on
//! the closed, empty channel parks instead of returning `None`, so `None` stays final (Go's
//! `ok == false` is). Once the last handed value is taken, parked receives are woken one after
//! the other to see `None`. Rejected: letting that receive take the handed value: it may be
//! older than a value the same receive already got from the same sender. Dropping a
//! parked send takes its value back (never delivered). A select arm can never reach `Done`
//! without its select having chosen it (the selection token is claimed under the lock first),
//! so an unchosen arm takes and delivers nothing.
//!
//! # Lock order
//!
//! One channel mutex at a time; no other lock is taken while it is held; no waker is woken or
//! dropped and no user value dropped under it (either may run foreign code that drops a task,
//! whose futures may lock this very channel).
//!
//! # Rejected, and learned
//!
//! Per-waiter `Arc` slots for the hand-off: one allocation per park, where the slab reuses its
//! nodes. A lock-free ring *for the rendezvous case*: there is nothing to buffer. For buffered
//! channels the ring was first rejected here (the hand-off and give-back protocols looked like
//! multi-step races that are hard to make cancel-safe); what was learned building it
//! (`buffered.rs`): a buffered channel needs neither. Receivers are only woken, never handed a
//! value, so a dropped receive passes a wake on instead of giving a value back; a parked
//! sender's value stays in its waiter node until a receiver moves it into the ring under the
//! waiter lock; and a select arm marks its token busy before the ring's CAS, so only the
//! committing arm claims a slot. Under a 4→4 load the single mutex moved between cores on
//! nearly every operation; the ring's two positions and the waiter line do not.

use std::collections::VecDeque;
use std::fmt;
use std::task::Waker;

use super::buffered::Buffered;
use super::selection::{Claim, SelArm};
use crate::loom::{AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::waitlist::{Queue, Waiters};

/// What became of a parked operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Queued, waiting for a counterpart.
    Waiting,
    /// A counterpart completed it: a receiver's slot holds the value, a sender's value is gone.
    Done,
    /// Woken by `close`: a sender still holds its value.
    Closed,
    /// Unlinked because its select chose another arm; the owner removes it when dropped.
    Dropped,
    /// Buffered channels only: unlinked and woken to retry (no value moved; see
    /// `buffered.rs`).
    Notified,
}

/// One parked send or receive.
pub(crate) struct Waiter<T> {
    /// A sender's value to deliver, or the value handed to a receiver.
    pub(super) value: Option<T>,
    pub(super) waker: Option<Waker>,
    pub(super) status: Status,
    /// Set when the operation is an arm of a select.
    pub(super) sel: Option<SelArm>,
}

impl<T> fmt::Debug for Waiter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waiter")
            .field("has_value", &self.value.is_some())
            .field("status", &self.status)
            .field("select_arm", &self.sel.as_ref().map(|s| s.arm))
            .finish()
    }
}

/// The progress of one send future (or sink): the value while it is not parked, the waiter key
/// while it is.
#[derive(Debug)]
pub(crate) struct SendOp<T> {
    pub(crate) value: Option<T>,
    pub(super) key: Option<usize>,
}

impl<T> SendOp<T> {
    pub(crate) const fn new(value: Option<T>) -> SendOp<T> {
        SendOp { value, key: None }
    }

    pub(crate) fn is_idle(&self) -> bool {
        self.value.is_none() && self.key.is_none()
    }
}

/// The progress of one receive future (or stream poll): the waiter key while parked.
#[derive(Debug, Default)]
pub(crate) struct RecvOp {
    pub(super) key: Option<usize>,
}

impl RecvOp {
    pub(crate) const fn new() -> RecvOp {
        RecvOp { key: None }
    }
}

/// The outcome of polling a send.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SendPoll {
    /// Delivered (to a receiver or into the buffer).
    Sent,
    /// The channel is closed; the value is back in `SendOp::value`.
    Closed,
    /// Would park, but the caller may not (`try_send`, a select with `default`); the value is
    /// in `SendOp::value`.
    Full,
    /// Parked, or lost the select to another arm; the value stays in the op.
    Pending,
}

/// The outcome of polling a receive.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RecvPoll<T> {
    Value(T),
    /// Closed and drained.
    Closed,
    /// Would park, but the caller may not.
    Empty,
    Pending,
}

/// The outcome of `close`.
#[must_use]
#[derive(Debug)]
pub(crate) enum CloseOutcome {
    /// This call closed the channel; wake these parked operations (after unlocking).
    Closed(Vec<Waker>),
    /// It was closed already.
    AlreadyClosed,
}

/// Who to wake once the lock is released.
#[must_use]
#[derive(Debug, Default)]
pub(super) struct Wake {
    /// Counterparts to wake.
    pub(super) other: Option<Waker>,
    pub(super) other2: Option<Waker>,
    /// A waker that left the slab (a replaced or removed registration): dropped after unlock,
    /// since dropping a waker may run executor code that drops a task (and its futures, which
    /// may lock this channel).
    pub(super) stale: Option<Waker>,
    /// A second one (a buffered operation that re-parks after being woken).
    pub(super) stale2: Option<Waker>,
    /// Our select was bounced off while busy: poll ourselves again.
    pub(super) me: bool,
}

/// What pairing with the opposite queue found.
#[must_use]
enum Pair {
    /// This waiter is claimed and unlinked: complete the transfer with it.
    Found(usize),
    /// Our own select already chose another arm.
    LostOwn,
    /// Nobody to pair with; `bounced`: our select must poll itself again.
    NotFound { bounced: bool },
}

struct State<T> {
    buf: VecDeque<T>,
    closed: bool,
    waiters: Waiters<Waiter<T>>,
    sendq: Queue,
    recvq: Queue,
    /// Receivers handed a value they have not taken yet (status `Done`). While there is one, a
    /// receive on the closed, empty channel may not say `None`: the value could still come
    /// back (its receive dropped). It parks instead (see `poll_recv`).
    handed: usize,
}

/// The largest capacity served by the lock-free ring, which allocates all its slots up front
/// (as Go's `makechan` does). A larger channel keeps the mutex algorithm, whose buffer grows
/// only as values arrive, so `bounded(usize::MAX)` works as a practically unbounded queue.
pub(crate) const RING_MAX_CAP: usize = 1 << 16;

/// The shared part of a channel.
pub(crate) struct Chan<T> {
    cap: usize,
    flavor: Flavor<T>,
    /// Live `Sender` handles; the last one closes the channel.
    pub(crate) senders: AtomicUsize,
    /// Live `Receiver` handles; the last one closes the channel and drops the buffer.
    pub(crate) receivers: AtomicUsize,
}

/// Rendezvous channels (and buffered ones larger than [`RING_MAX_CAP`]) keep the
/// mutex-protected hand-off; buffered ones use the ring.
// The buffered variant is large on purpose (its positions sit on their own cache lines); a
// channel is allocated once, behind its `Arc`.
#[allow(clippy::large_enum_variant)]
enum Flavor<T> {
    Locked(Mutex<State<T>>),
    Buffered(Buffered<T>),
}

impl<T> fmt::Debug for Chan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.flavor {
            Flavor::Buffered(b) => b.fmt(f),
            Flavor::Locked(m) => {
                let st = lock(m);
                f.debug_struct("Chan")
                    .field("cap", &self.cap)
                    .field("len", &st.buf.len())
                    .field("closed", &st.closed)
                    .field("senders_parked", &!st.sendq.is_empty())
                    .field("receivers_parked", &!st.recvq.is_empty())
                    .finish()
            }
        }
    }
}

fn lock<T>(m: &Mutex<State<T>>) -> MutexGuard<'_, State<T>> {
    // No user code runs under the lock (values are dropped and wakers woken after it), so a
    // poisoned lock can only come from an allocation failure: the state is still consistent.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Commits `me` directly (no counterpart token involved). `true` for a plain operation.
pub(super) fn select_final(me: Option<&SelArm>) -> bool {
    me.is_none_or(|m| m.sel.try_select(m.arm))
}

/// Finds the first waiter of `q` that `me` may pair with, claims it (and `me`'s own token),
/// unlinks it and returns its key. See `selection` for the protocol.
fn pair<T>(waiters: &mut Waiters<Waiter<T>>, q: &mut Queue, me: Option<&SelArm>) -> Pair {
    let mut busy = false;
    let mut cur = q.head();
    while let Some(k) = cur {
        cur = waiters.next(k);
        let w = waiters.get_mut(k);
        debug_assert_eq!(w.status, Status::Waiting);
        if let Some(their) = &w.sel {
            if me.is_some_and(|m| m.same_select(their)) {
                // Go's rule: a select never pairs its own send arm with its own recv arm.
                continue;
            }
            if let Some(m) = me
                && !busy
            {
                if !m.sel.try_busy() {
                    return Pair::LostOwn;
                }
                busy = true;
            }
            match their.sel.claim(their.arm) {
                Claim::Won => {}
                Claim::Busy => continue,
                Claim::Lost => {
                    w.status = Status::Dropped;
                    waiters.unlink(q, k);
                    continue;
                }
            }
        }
        if let Some(m) = me {
            if busy {
                m.sel.finish_busy(m.arm);
            } else if !m.sel.try_select(m.arm) {
                return Pair::LostOwn;
            }
        }
        waiters.unlink(q, k);
        return Pair::Found(k);
    }
    let bounced = busy && me.is_some_and(|m| m.sel.abort_busy());
    Pair::NotFound { bounced }
}

/// Re-registers `waker` (no clone if it would wake the same task); returns a replaced waker.
pub(super) fn update_waker(slot: &mut Option<Waker>, waker: &Waker) -> Option<Waker> {
    match slot {
        Some(w) if w.will_wake(waker) => None,
        _ => slot.replace(waker.clone()),
    }
}

impl<T> State<T> {
    /// Frees an (unlinked) waiter node; its waker, if any, leaves through `wake.stale`.
    fn remove_waiter(&mut self, key: usize, wake: &mut Wake) -> Waiter<T> {
        let mut w = self.waiters.remove(key);
        if let Some(old) = w.waker.take() {
            debug_assert!(wake.stale.is_none(), "one stale waker per operation");
            wake.stale = Some(old);
        }
        w
    }

    /// Takes the value of a send that is about to complete, unqueueing its waiter if it has one.
    fn take_send_value(&mut self, op: &mut SendOp<T>, wake: &mut Wake) -> T {
        match op.key.take() {
            Some(key) => {
                if self.waiters.is_linked(key) {
                    self.waiters.unlink(&mut self.sendq, key);
                }
                self.remove_waiter(key, wake)
                    .value
                    .expect("a queued sender holds its value")
            }
            None => op.value.take().expect("send polled after completion"),
        }
    }

    /// Hands `v` to the claimed, unlinked receiver `rk` and wakes it (after unlock).
    fn hand_to(&mut self, rk: usize, v: T, wake: &mut Wake) {
        self.handed += 1;
        let r = self.waiters.get_mut(rk);
        r.value = Some(v);
        r.status = Status::Done;
        wake.other = r.waker.take();
    }

    /// Unlinks a receive's waiter from `recvq`, or, if a value was handed to it, stops
    /// counting it in `handed` (a handed waiter is already unlinked).
    fn unlink_recv(&mut self, key: usize) {
        if self.waiters.get(key).status == Status::Done {
            self.handed -= 1;
        } else if self.waiters.is_linked(key) {
            self.waiters.unlink(&mut self.recvq, key);
        }
    }

    /// On a closed channel with no value handed out any more, wakes the first parked receive
    /// to see `None`. Each receive that then returns `None` (or is dropped) wakes the next, so
    /// one wake at a time reaches every receive that parked behind a handed value.
    fn wake_next_closed_receiver(&mut self, wake: &mut Wake) {
        if self.closed
            && self.handed == 0
            && let Some(k) = self.recvq.head()
        {
            self.waiters.unlink(&mut self.recvq, k);
            let w = self.waiters.get_mut(k);
            w.status = Status::Closed;
            wake.push(w.waker.take());
        }
    }

    /// Forgets a receive's waiter when the receive completes another way.
    fn drop_recv_waiter(&mut self, op: &mut RecvOp, wake: &mut Wake) {
        if let Some(key) = op.key.take() {
            self.unlink_recv(key);
            let w = self.remove_waiter(key, wake);
            debug_assert!(w.value.is_none());
        }
    }

    #[inline]
    fn poll_send(
        &mut self,
        cap: usize,
        op: &mut SendOp<T>,
        me: Option<&SelArm>,
        waker: Option<&Waker>,
    ) -> (SendPoll, Wake) {
        let mut wake = Wake::default();
        if let Some(key) = op.key {
            match self.waiters.get(key).status {
                Status::Done => {
                    let w = self.remove_waiter(key, &mut wake);
                    debug_assert!(w.value.is_none());
                    op.key = None;
                    return (SendPoll::Sent, wake);
                }
                Status::Dropped => return (SendPoll::Pending, wake),
                Status::Closed => {
                    if !select_final(me) {
                        return (SendPoll::Pending, wake);
                    }
                    op.value = self.remove_waiter(key, &mut wake).value;
                    op.key = None;
                    return (SendPoll::Closed, wake);
                }
                Status::Waiting => {}
                Status::Notified => unreachable!("only buffered channels notify"),
            }
        }
        if self.closed {
            debug_assert!(op.key.is_none(), "close unqueues every sender");
            if !select_final(me) {
                return (SendPoll::Pending, wake);
            }
            return (SendPoll::Closed, wake);
        }
        if self.buf.is_empty() {
            match pair(&mut self.waiters, &mut self.recvq, me) {
                Pair::Found(rk) => {
                    let v = self.take_send_value(op, &mut wake);
                    self.hand_to(rk, v, &mut wake);
                    return (SendPoll::Sent, wake);
                }
                Pair::LostOwn => return (SendPoll::Pending, wake),
                Pair::NotFound { bounced } => wake.me = bounced,
            }
        }
        if self.buf.len() < cap {
            if !select_final(me) {
                return (SendPoll::Pending, wake);
            }
            let v = self.take_send_value(op, &mut wake);
            self.buf.push_back(v);
            return (SendPoll::Sent, wake);
        }
        let Some(waker) = waker.filter(|_| !me.is_some_and(|m| m.sel.is_nonblocking())) else {
            return (SendPoll::Full, wake);
        };
        match op.key {
            Some(key) => wake.stale = update_waker(&mut self.waiters.get_mut(key).waker, waker),
            None => {
                let w = Waiter {
                    value: op.value.take(),
                    waker: Some(waker.clone()),
                    status: Status::Waiting,
                    sel: me.cloned(),
                };
                op.key = Some(self.waiters.push_back(&mut self.sendq, w));
            }
        }
        (SendPoll::Pending, wake)
    }

    #[inline]
    fn poll_recv(
        &mut self,
        cap: usize,
        op: &mut RecvOp,
        me: Option<&SelArm>,
        waker: Option<&Waker>,
    ) -> (RecvPoll<T>, Wake) {
        let mut wake = Wake::default();
        if let Some(key) = op.key {
            match self.waiters.get(key).status {
                Status::Done => {
                    op.key = None;
                    self.unlink_recv(key);
                    self.wake_next_closed_receiver(&mut wake);
                    let v = self
                        .remove_waiter(key, &mut wake)
                        .value
                        .expect("a completed receive holds its value");
                    return (RecvPoll::Value(v), wake);
                }
                Status::Dropped => return (RecvPoll::Pending, wake),
                // Re-run as a fresh receive: a value may have been given back meanwhile.
                Status::Closed => self.drop_recv_waiter(op, &mut wake),
                Status::Waiting => {}
                Status::Notified => unreachable!("only buffered channels notify"),
            }
        }
        if !self.buf.is_empty() {
            if !select_final(me) {
                return (RecvPoll::Pending, wake);
            }
            let v = self.buf.pop_front().expect("checked non-empty");
            self.drop_recv_waiter(op, &mut wake);
            if self.buf.len() < cap
                && let Pair::Found(sk) = pair(&mut self.waiters, &mut self.sendq, None)
            {
                let s = self.waiters.get_mut(sk);
                let sv = s.value.take().expect("a queued sender holds its value");
                s.status = Status::Done;
                wake.other = s.waker.take();
                self.buf.push_back(sv);
            }
            return (RecvPoll::Value(v), wake);
        }
        match pair(&mut self.waiters, &mut self.sendq, me) {
            Pair::Found(sk) => {
                let s = self.waiters.get_mut(sk);
                let v = s.value.take().expect("a queued sender holds its value");
                s.status = Status::Done;
                wake.other = s.waker.take();
                self.drop_recv_waiter(op, &mut wake);
                return (RecvPoll::Value(v), wake);
            }
            Pair::LostOwn => return (RecvPoll::Pending, wake),
            Pair::NotFound { bounced } => wake.me = bounced,
        }
        if self.closed && self.handed == 0 {
            if !select_final(me) {
                return (RecvPoll::Pending, wake);
            }
            self.drop_recv_waiter(op, &mut wake);
            self.wake_next_closed_receiver(&mut wake);
            return (RecvPoll::Closed, wake);
        }
        // Open, or closed with a value still handed to a receive that has not taken it: `None`
        // must be final, and that value comes back if its receive is dropped, so wait for one
        // or the other (the value is given to us, or the last handed value is taken and
        // `wake_next_closed_receiver` wakes us to see `None`). Not taking the value from its receiver:
        // it may be older than values this receive already got from the same sender.
        let Some(waker) = waker.filter(|_| !me.is_some_and(|m| m.sel.is_nonblocking())) else {
            return (RecvPoll::Empty, wake);
        };
        match op.key {
            Some(key) => wake.stale = update_waker(&mut self.waiters.get_mut(key).waker, waker),
            None => {
                let w = Waiter {
                    value: None,
                    waker: Some(waker.clone()),
                    status: Status::Waiting,
                    sel: me.cloned(),
                };
                op.key = Some(self.waiters.push_back(&mut self.recvq, w));
            }
        }
        (RecvPoll::Pending, wake)
    }

    fn cancel_recv(&mut self, op: &mut RecvOp) -> Wake {
        let mut wake = Wake::default();
        let Some(key) = op.key.take() else {
            return wake;
        };
        self.unlink_recv(key);
        let w = self.remove_waiter(key, &mut wake);
        if w.status == Status::Closed {
            // Woken to see `None` and dropped instead: pass the wake on.
            self.wake_next_closed_receiver(&mut wake);
        }
        if let Some(v) = w.value {
            debug_assert_eq!(w.status, Status::Done);
            // Give the value back: it is older than anything buffered since it was handed over.
            if self.buf.is_empty()
                && let Pair::Found(rk) = pair(&mut self.waiters, &mut self.recvq, None)
            {
                self.hand_to(rk, v, &mut wake);
            } else {
                self.buf.push_front(v);
            }
        }
        wake
    }

    fn cancel_send(&mut self, op: &mut SendOp<T>) -> Wake {
        let mut wake = Wake::default();
        let Some(key) = op.key.take() else {
            return wake;
        };
        if self.waiters.is_linked(key) {
            self.waiters.unlink(&mut self.sendq, key);
        }
        // `None` if a receiver took it (status Done).
        op.value = self.remove_waiter(key, &mut wake).value;
        wake
    }

    fn close(&mut self) -> CloseOutcome {
        if self.closed {
            return CloseOutcome::AlreadyClosed;
        }
        self.closed = true;
        let mut wakers = Vec::new();
        let mut mark = |w: &mut Waiter<T>| {
            w.status = Status::Closed;
            wakers.extend(w.waker.take());
        };
        self.waiters.drain_queue(&mut self.recvq, &mut mark);
        self.waiters.drain_queue(&mut self.sendq, &mut mark);
        CloseOutcome::Closed(wakers)
    }
}

impl Wake {
    /// Keeps a waker that left the slab, to be dropped after unlock (at most two per
    /// operation).
    pub(super) fn retire(&mut self, w: Option<Waker>) {
        if self.stale.is_none() {
            self.stale = w;
        } else if w.is_some() {
            debug_assert!(
                self.stale2.is_none(),
                "two stale wakers per operation at most"
            );
            self.stale2 = w;
        }
    }

    /// Adds a counterpart to wake (at most two per operation).
    pub(super) fn push(&mut self, w: Option<Waker>) {
        if self.other.is_none() {
            self.other = w;
        } else if w.is_some() {
            debug_assert!(
                self.other2.is_none(),
                "two counterparts per operation at most"
            );
            self.other2 = w;
        }
    }

    #[inline]
    pub(super) fn run(self, me: Option<&Waker>) {
        if self.other.is_none() && self.stale.is_none() && !self.me {
            // The common case: nothing to wake or drop (the second slots fill only after the
            // first ones).
            debug_assert!(self.other2.is_none() && self.stale2.is_none());
            std::mem::forget(self);
            return;
        }
        self.run_slow(me);
    }

    fn run_slow(self, me: Option<&Waker>) {
        if let Some(w) = self.other {
            w.wake();
        }
        if let Some(w) = self.other2 {
            w.wake();
        }
        if self.me
            && let Some(w) = me
        {
            w.wake_by_ref();
        }
    }
}

impl<T> Chan<T> {
    pub(crate) fn new(cap: usize) -> Chan<T> {
        let flavor = if cap == 0 || cap > RING_MAX_CAP {
            Flavor::Locked(Mutex::new(State {
                // A rendezvous channel still needs room for given-back values, but rarely.
                buf: VecDeque::new(),
                closed: false,
                waiters: Waiters::new(),
                sendq: Queue::new(),
                recvq: Queue::new(),
                handed: 0,
            }))
        } else {
            Flavor::Buffered(Buffered::new(cap))
        };
        Chan {
            cap,
            flavor,
            senders: AtomicUsize::new(1),
            receivers: AtomicUsize::new(1),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }

    pub(crate) fn len(&self) -> usize {
        match &self.flavor {
            Flavor::Locked(m) => lock(m).buf.len(),
            Flavor::Buffered(b) => b.len(),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        match &self.flavor {
            Flavor::Locked(m) => lock(m).closed,
            Flavor::Buffered(b) => b.is_closed(),
        }
    }

    /// Polls a send. `waker: None` never parks (`try_send`).
    #[inline]
    pub(crate) fn poll_send(
        &self,
        op: &mut SendOp<T>,
        me: Option<&SelArm>,
        waker: Option<&Waker>,
    ) -> SendPoll {
        match &self.flavor {
            Flavor::Buffered(b) => b.poll_send(op, me, waker),
            Flavor::Locked(m) => {
                let (res, wake) = lock(m).poll_send(self.cap, op, me, waker);
                wake.run(waker);
                res
            }
        }
    }

    /// Polls a receive. `waker: None` never parks (`try_recv`).
    #[inline]
    pub(crate) fn poll_recv(
        &self,
        op: &mut RecvOp,
        me: Option<&SelArm>,
        waker: Option<&Waker>,
    ) -> RecvPoll<T> {
        match &self.flavor {
            Flavor::Buffered(b) => b.poll_recv(op, me, waker),
            Flavor::Locked(m) => {
                let (res, wake) = lock(m).poll_recv(self.cap, op, me, waker);
                wake.run(waker);
                res
            }
        }
    }

    /// Abandons a receive; a value already handed to it goes back to the channel.
    pub(crate) fn cancel_recv(&self, op: &mut RecvOp) {
        if op.key.is_none() {
            return;
        }
        match &self.flavor {
            Flavor::Buffered(b) => b.cancel_recv(op),
            Flavor::Locked(m) => {
                let wake = lock(m).cancel_recv(op);
                wake.run(None);
            }
        }
    }

    /// Abandons a send; its value, unless delivered, is back in `op.value`.
    pub(crate) fn cancel_send(&self, op: &mut SendOp<T>) {
        if op.key.is_none() {
            return;
        }
        match &self.flavor {
            Flavor::Buffered(b) => b.cancel_send(op),
            Flavor::Locked(m) => {
                let wake = lock(m).cancel_send(op);
                wake.run(None);
            }
        }
    }

    /// Closes the channel, waking every parked operation. `false` if it was closed already.
    pub(crate) fn close(&self) -> bool {
        let m = match &self.flavor {
            Flavor::Buffered(b) => return b.close(),
            Flavor::Locked(m) => m,
        };
        let outcome = lock(m).close();
        match outcome {
            CloseOutcome::Closed(wakers) => {
                wakers.into_iter().for_each(Waker::wake);
                true
            }
            CloseOutcome::AlreadyClosed => false,
        }
    }

    /// The last receiver is gone: close, and drop the buffered values (outside the lock).
    pub(crate) fn close_and_drain(&self) {
        let m = match &self.flavor {
            Flavor::Buffered(b) => return b.close_and_drain(),
            Flavor::Locked(m) => m,
        };
        let (outcome, drained) = {
            let mut st = lock(m);
            let outcome = st.close();
            (outcome, std::mem::take(&mut st.buf))
        };
        if let CloseOutcome::Closed(wakers) = outcome {
            wakers.into_iter().for_each(Waker::wake);
        }
        drop(drained);
    }

    /// See `Buffered::assert_settled`.
    #[cfg(all(test, loom))]
    pub(crate) fn assert_settled(&self) {
        if let Flavor::Buffered(b) = &self.flavor {
            b.assert_settled();
        }
    }

    /// Drops one handle count; `true` if it was the last.
    pub(crate) fn release(count: &AtomicUsize) -> bool {
        // AcqRel: the last handle's decrement acquires every other handle's earlier release,
        // so their operations happen-before the implicit close.
        count.fetch_sub(1, Ordering::AcqRel) == 1
    }
}
