//! The per-worker local run queue: Go's `P.runq`, a bounded ring the owner pushes to and pops
//! from, and that idle workers steal half of.
//!
//! # Algorithm
//!
//! A ring of [`LOCAL_QUEUE_CAPACITY`] slots (`UnsafeCell<MaybeUninit<T>>`) indexed by two
//! free-running `u32` counters, reduced modulo the capacity only to address a slot:
//!
//! - `tail`: where the owner writes next. Only the owner stores it.
//! - `head`: one `AtomicU64` packing two counters, `steal` (high half) and `real` (low half).
//!   `real` is the next value to hand out; `steal` trails it while a stealer is copying.
//!
//! A slot is *live* when its index is in `steal..tail`. `real..tail` are the queued values;
//! `steal..real` (empty unless a steal is in flight) were claimed by one stealer that is still
//! moving them out. Every claim is a CAS on `head`, so the owner's `pop`, the owner's overflow and
//! the stealers' claims are totally ordered and never hand out the same index twice.
//!
//! - **push** (owner): if `tail - steal < CAP`, write slot `tail`, then store `tail + 1`. If the
//!   ring is full and no steal is in flight, claim the oldest `CAP / 2` values with one CAS
//!   (`head: (r, r) -> (r + CAP/2, r + CAP/2)`) and hand them, then the new value, to the
//!   caller's `overflow` sink (the scheduler's global injection queue). If a steal *is* in flight
//!   the front of the ring is not ours to move, so the new value alone goes to `overflow`: the
//!   owner never waits for a stealer.
//! - **pop** (owner): CAS `real` forward by one (and `steal` with it when they were equal).
//! - **steal** (any worker, into its own queue `dst`): only when no other steal is in flight
//!   (`steal == real`), claim `ceil(len / 2)` values by CASing `real` forward while leaving
//!   `steal` behind; copy all but the oldest into `dst`'s free slots; CAS `steal` up to the
//!   current `real` to release the slots; publish `dst`'s new tail; return the oldest to run.
//!
//! # Invariants
//!
//! 1. `steal <= real <= tail` and `tail - steal <= CAP` (wrapping `u32` arithmetic) for the
//!    current values. A thread that loads `head` (Acquire) and then `tail` sees `real <= tail`,
//!    but its `head` may be arbitrarily older than its `tail` (`tail - real > CAP`): stealers
//!    treat that snapshot as stale and look again; their CAS on it would fail anyway.
//! 2. `steal != real` only while exactly one stealer is between its claim and its release; no
//!    other steal and no overflow starts in that window (both require `steal == real`).
//! 3. A slot is written only by the owner, only at index `tail`, and only when
//!    `tail - steal < CAP`, so never while any thread may still read it.
//! 4. Each index in `steal..tail` holds an initialised value that exactly one party (the owner
//!    via pop/overflow, or the one stealer that claimed it) will move out exactly once.
//! 5. A stealer's `dst` has at least `CAP / 2` free slots before it claims (`dst.tail -
//!    dst.steal <= CAP / 2`), and a claim is at most `ceil(CAP / 2) = CAP / 2` values.
//!
//! # Orderings
//!
//! - `tail` is stored with Release after the slot write and loaded with Acquire by stealers
//!   before they read slots: the value is visible before its index is.
//! - Every CAS that moves `real` (pop, overflow, claim) is Release, and every load of `head` by a
//!   stealer is Acquire. The owner stores `tail` before it moves `real`, so a stealer that sees a
//!   `real` also sees a `tail` at least that new (invariant 1). RMWs on `head` continue release
//!   sequences, so this holds across chains of CASes by different threads. (Without it a stale
//!   `tail` would make `tail - real` wrap; `claim_half` would retry on that as on a stale `head`,
//!   so these Releases buy consistent snapshots and `len()`, not memory safety.)
//! - The stealer's releasing CAS (`steal := real`) is Release and the owner's load of `head`
//!   before writing a slot is Acquire: a stealer's reads of a slot happen before the owner
//!   reuses it (invariant 3). The same pairing protects `dst` when another worker steals from it.
//!
//! `u32` counters wrap after 2^32 operations; a stealer would have to be preempted between its
//! load and CAS of `head` for that long for the CAS to succeed on a stale value (ABA). `head` is
//! an `AtomicU64`, which rules out targets without 64-bit atomics; we accept that.
//!
//! # Rejected designs
//!
//! - A Chase-Lev deque (crossbeam-deque): unbounded, so growing its buffer needs epoch-based
//!   reclamation, and stealers take one value at a time. Go and tokio use a bounded FIFO ring
//!   that overflows to the injection queue, plus a LIFO *slot* (kept by the worker, not here).
//! - Volatile reads of possibly-overwritten slots, validated afterwards by a CAS (crossbeam's
//!   trick): a data race, i.e. UB. Here a slot is read only after it was claimed (invariant 3).
//! - Letting a second stealer proceed while one is copying: releasing the first claim would then
//!   hand the second one's slots back to the owner. It gives up (returns `None`) and the
//!   scheduler tries another victim.
//! - Making the owner's push wait for an in-flight steal to free slots: an owner must never block
//!   on a thread that may be descheduled, so that single value overflows instead.
//!
//! # Shutdown
//!
//! Dropping a [`Local`] pops and drops every value still queued. The scheduler drains its queues
//! at shutdown (so each task is shut down properly) before dropping them; the `Drop` is the
//! backstop that keeps a forgotten value from leaking.

#![cfg_attr(
    any(not(test), loom),
    allow(
        dead_code,
        reason = "the worker loop that uses the queue is not written yet"
    )
)]

use std::fmt;
use std::iter::FusedIterator;
use std::mem::MaybeUninit;
use std::ptr;

use crate::loom::{
    Arc, AtomicU32, AtomicU64,
    Ordering::{Acquire, Relaxed, Release},
    UnsafeCell,
};

/// Slots in each worker's local run queue (Go's `len(p.runq)`). Shrunk under loom so models stay
/// small.
pub(crate) const LOCAL_QUEUE_CAPACITY: usize = if cfg!(loom) { 4 } else { 256 };

const CAP: u32 = LOCAL_QUEUE_CAPACITY as u32;
const MASK: usize = LOCAL_QUEUE_CAPACITY - 1;

// The ring is indexed with `& MASK`, and a claim of `ceil(CAP / 2)` must fit in `CAP / 2` slots.
const _: () = assert!(LOCAL_QUEUE_CAPACITY.is_power_of_two() && LOCAL_QUEUE_CAPACITY >= 2);
// Counters are `u32` compared by wrapping subtraction: keep the ring far below 2^31.
const _: () = assert!(LOCAL_QUEUE_CAPACITY <= 1 << 16);

/// Creates a local run queue: the owner's end and a shareable stealer end.
#[must_use]
pub(crate) fn local<T>() -> (Local<T>, Stealer<T>) {
    let slots: Box<[UnsafeCell<MaybeUninit<T>>]> = (0..LOCAL_QUEUE_CAPACITY)
        .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
        .collect();
    let Ok(buffer) = slots.try_into() else {
        unreachable!("collected exactly LOCAL_QUEUE_CAPACITY slots")
    };
    let inner = Arc::new(Inner {
        head: AtomicU64::new(0),
        tail: AtomicU32::new(0),
        buffer,
    });
    (
        Local {
            inner: inner.clone(),
        },
        Stealer(inner),
    )
}

/// The owner's end of a local run queue. Exactly one worker holds it.
pub(crate) struct Local<T> {
    inner: Arc<Inner<T>>,
}

/// Another worker's handle on a local run queue, for stealing.
pub(crate) struct Stealer<T>(Arc<Inner<T>>);

struct Inner<T> {
    /// `pack(steal, real)`; see the module docs.
    head: AtomicU64,
    /// Next index the owner writes. Stored only by the owner.
    tail: AtomicU32,
    buffer: Box<[UnsafeCell<MaybeUninit<T>>; LOCAL_QUEUE_CAPACITY]>,
}

// SAFETY: `Inner` hands `T` values from one thread to another (owner to stealer), hence
// `T: Send`. Shared access to the slots is made exclusive per slot by the claim protocol
// (module invariants 3 and 4); the counters are atomics. No `&T` is ever shared, so `T: Sync`
// is not needed.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Inner<T> {}

/// `(steal, real)` from a packed head.
#[inline]
fn unpack(head: u64) -> (u32, u32) {
    ((head >> 32) as u32, head as u32)
}

#[inline]
fn pack(steal: u32, real: u32) -> u64 {
    (u64::from(steal) << 32) | u64::from(real)
}

impl<T> Inner<T> {
    /// Moves the value out of slot `idx`.
    ///
    /// # Safety
    ///
    /// The caller has exclusively claimed index `idx` (invariant 4), the slot's initialising
    /// write happens-before this call, and no one else reads or writes the slot until the claim
    /// is released.
    #[inline]
    unsafe fn read(&self, idx: u32) -> T {
        self.buffer[idx as usize & MASK].with(|p| {
            // SAFETY: the caller guarantees the slot is initialised and ours alone; reading it
            // moves the value out, and the claim protocol ensures nobody reads it again.
            unsafe { ptr::read(p).assume_init() }
        })
    }

    /// Writes `value` into slot `idx` (whose previous value, if any, was already moved out).
    ///
    /// # Safety
    ///
    /// Only the owner of the ring calls this, with `idx == tail` and `tail - steal < CAP` for a
    /// `steal` loaded with Acquire (invariant 3), or on behalf of the owner of `dst` during a
    /// steal with invariant 5 established.
    #[inline]
    unsafe fn write(&self, idx: u32, value: T) {
        self.buffer[idx as usize & MASK].with_mut(|p| {
            // SAFETY: the caller guarantees no other thread accesses this slot now; it holds no
            // live value, so overwriting leaks nothing.
            unsafe { ptr::write(p, MaybeUninit::new(value)) };
        })
    }

    /// Queued values as seen by a thread that does not own the ring.
    fn len_shared(&self) -> usize {
        // Acquire: pairs with the Release of every CAS that moves `real`, so the `tail` load
        // below is at least as new as the `tail` the mover had seen: `real <= tail`.
        let (_, real) = unpack(self.head.load(Acquire));
        // Relaxed: freshness comes from the Acquire above; no slot is read.
        let tail = self.tail.load(Relaxed);
        // `real <= tail`, but `head` may be older than `tail` by any amount: clamp.
        tail.wrapping_sub(real).min(CAP) as usize
    }
}

impl<T> Local<T> {
    /// Pushes `value` to the back of the queue.
    ///
    /// If the ring is full, the oldest half of it (`LOCAL_QUEUE_CAPACITY / 2` values, oldest
    /// first) followed by `value` are moved out through `overflow` in one batch; the scheduler
    /// pushes them to its global injection queue. If the ring is full while another worker is
    /// mid-steal from it, only `value` goes through `overflow` (the stealer is about to free half
    /// the ring). Either way the push succeeds and nothing waits.
    ///
    /// The iterator passed to `overflow` is exact-size; values `overflow` leaves in it are
    /// dropped when it returns (or unwinds), so it should consume them all.
    pub(crate) fn push_back_or_overflow(
        &mut self,
        value: T,
        overflow: impl FnOnce(&mut dyn Iterator<Item = T>),
    ) {
        // Relaxed: only this thread stores `tail`.
        let tail = self.inner.tail.load(Relaxed);
        loop {
            // Acquire: pairs with the Release of a stealer's releasing CAS in `release_claim`,
            // so its reads of the slots it copied out happen before we reuse them.
            let (steal, real) = unpack(self.inner.head.load(Acquire));
            if tail.wrapping_sub(steal) < CAP {
                // SAFETY: we own the ring, `idx == tail`, and `tail - steal < CAP` with `steal`
                // loaded with Acquire above: the slot is free and no reader remains (inv. 3).
                unsafe { self.inner.write(tail, value) };
                // Release: pairs with the Acquire load of `tail` in `claim_half`, publishing
                // the slot write before its index.
                self.inner.tail.store(tail.wrapping_add(1), Release);
                return;
            }
            if steal != real {
                // Full, and a stealer owns the front of the ring until it releases its claim.
                overflow(&mut std::iter::once(value));
                return;
            }
            debug_assert_eq!(tail.wrapping_sub(real), CAP);
            let half = CAP / 2;
            let next = real.wrapping_add(half);
            // Release: pairs with the Acquire head loads of stealers (`claim_half`,
            // `len_shared`): whoever sees `next` sees `tail >= next`. Relaxed on failure: we
            // only retry, reloading `head` with Acquire.
            if self
                .inner
                .head
                .compare_exchange(pack(real, real), pack(next, next), Release, Relaxed)
                .is_ok()
            {
                let mut batch = Overflow {
                    inner: &self.inner,
                    next: real,
                    end: next,
                    last: Some(value),
                };
                overflow(&mut batch);
                return;
            }
            // A stealer claimed or a steal finished in between; look again.
        }
    }

    /// Pops the value at the front of the queue (the oldest), if any.
    #[must_use]
    pub(crate) fn pop(&mut self) -> Option<T> {
        // Relaxed: only this thread stores `tail`.
        let tail = self.inner.tail.load(Relaxed);
        // Relaxed: we read only slots we wrote ourselves; the CAS below orders the claim.
        let mut head = self.inner.head.load(Relaxed);
        let idx = loop {
            let (steal, real) = unpack(head);
            if real == tail {
                return None;
            }
            let next_real = real.wrapping_add(1);
            let next = if steal == real {
                pack(next_real, next_real)
            } else {
                // A steal is in flight: leave `steal` for the stealer to release.
                pack(steal, next_real)
            };
            // Release: pairs with the Acquire head loads of stealers, so whoever sees this
            // `real` sees `tail >= real` (we stored `tail` before). Relaxed on failure: we only
            // retry with the fresh value.
            match self
                .inner
                .head
                .compare_exchange_weak(head, next, Release, Relaxed)
            {
                Ok(_) => break real,
                Err(actual) => head = actual,
            }
        };
        // SAFETY: the CAS claimed `idx` for us alone (inv. 4); we wrote the slot ourselves, so
        // its write happens-before this read.
        Some(unsafe { self.inner.read(idx) })
    }

    /// Values queued and not being stolen.
    pub(crate) fn len(&self) -> usize {
        // Relaxed (both): `tail` is ours; `real` only ever moves to values `<=` some `tail`
        // we stored, so `tail - real` cannot wrap even with a stale `head`.
        let (_, real) = unpack(self.inner.head.load(Relaxed));
        let tail = self.inner.tail.load(Relaxed);
        tail.wrapping_sub(real) as usize
    }

    /// Whether no values are queued (some may still be in flight to a stealer).
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Pushes that will succeed without overflowing. Slots still being copied out by a stealer
    /// count as taken, so this can be less than `LOCAL_QUEUE_CAPACITY - len()`.
    pub(crate) fn remaining_slots(&self) -> usize {
        // Relaxed (both): as in `len`; a stale `steal` only under-reports free slots.
        let (steal, _) = unpack(self.inner.head.load(Relaxed));
        let tail = self.inner.tail.load(Relaxed);
        (CAP - tail.wrapping_sub(steal)) as usize
    }
}

impl<T> Drop for Local<T> {
    /// Drops every value still queued. Values a stealer has claimed are its to drop. If a
    /// value's destructor panics, the ones behind it leak (never double-drop).
    fn drop(&mut self) {
        while let Some(value) = self.pop() {
            drop(value);
        }
    }
}

impl<T> Stealer<T> {
    /// Steals about half (`ceil(len / 2)`) of this queue's values into `dst`, the calling
    /// worker's own queue, and returns the oldest stolen one to run now. The rest are appended
    /// to `dst` in their original order.
    ///
    /// Returns `None`, stealing nothing, if this queue is empty, if another worker is mid-steal
    /// from it, or if `dst` is more than half full (`dst` must be able to take half a ring).
    /// `dst` must not be this queue's own `Local`.
    #[must_use]
    pub(crate) fn steal_into(&self, dst: &mut Local<T>) -> Option<T> {
        debug_assert!(
            !Arc::ptr_eq(&self.0, &dst.inner),
            "a worker stealing from itself"
        );
        // Relaxed: we own `dst`, so we are the only thread that stores its `tail`.
        let dst_tail = dst.inner.tail.load(Relaxed);
        // Acquire: pairs with the Release in `release_claim` of any worker stealing from `dst`,
        // so its reads of `dst` slots happen before our writes below (inv. 3 for `dst`).
        let (dst_steal, _) = unpack(dst.inner.head.load(Acquire));
        if dst_tail.wrapping_sub(dst_steal) > CAP / 2 {
            return None;
        }

        let (claimed, first, n) = self.claim_half()?;
        for i in 1..n {
            // SAFETY: `first..first + n` is ours by the claim (inv. 4) and its writes were
            // published by the `tail` we loaded with Acquire in `claim_half`.
            let value = unsafe { self.0.read(first.wrapping_add(i)) };
            let idx = dst_tail.wrapping_add(i - 1);
            // SAFETY: we own `dst`; before this loop `dst_tail - dst_steal <= CAP / 2` with
            // `dst_steal` loaded with Acquire, and we write at most `n - 1 < CAP / 2` slots from
            // `dst_tail`, all outside `dst_steal..dst_tail` (inv. 5).
            unsafe { dst.inner.write(idx, value) };
        }
        // SAFETY: as for the other claimed slots.
        let oldest = unsafe { self.0.read(first) };
        self.release_claim(claimed);
        if n > 1 {
            // Release: pairs with the Acquire load of `tail` in `claim_half` by workers
            // stealing from `dst`, publishing the slots we just wrote.
            dst.inner.tail.store(dst_tail.wrapping_add(n - 1), Release);
        }
        Some(oldest)
    }

    /// Claims the oldest `ceil(len / 2)` values: returns the packed head written by the claim,
    /// the first claimed index and the count (`>= 1`).
    fn claim_half(&self) -> Option<(u64, u32, u32)> {
        // Acquire: pairs with the Release of every CAS that moves `real`, so the `tail` we load
        // next is at least as new as the mover's (`real <= tail`, inv. 1).
        let mut head = self.0.head.load(Acquire);
        loop {
            let (steal, real) = unpack(head);
            if steal != real {
                // Another worker is mid-steal; try elsewhere.
                return None;
            }
            // Acquire: pairs with the Release stores of `tail` in `push_back_or_overflow` and
            // `steal_into`, so the slot writes below `tail` are visible.
            let tail = self.0.tail.load(Acquire);
            let len = tail.wrapping_sub(real);
            if len > CAP {
                // `head` is stale: we were preempted between the two loads while the owner
                // pushed and popped past it. The CAS would fail anyway; look again.
                // Acquire: as for the first load of `head`.
                head = self.0.head.load(Acquire);
                continue;
            }
            let n = len - len / 2;
            if n == 0 {
                return None;
            }
            let next = pack(steal, real.wrapping_add(n));
            // Release: pairs with the Acquire head loads of other stealers (`real <= tail` for
            // them too). Acquire on failure: the retry loads `tail` again and needs it fresh
            // relative to the new `real`, as for the initial load.
            match self
                .0
                .head
                .compare_exchange_weak(head, next, Release, Acquire)
            {
                Ok(_) => return Some((next, real, n)),
                Err(actual) => head = actual,
            }
        }
    }

    /// Ends a steal by moving `steal` up to `real`, handing the copied-out slots back to the
    /// owner. `head` is the value our claim wrote; the owner may have moved `real` since.
    fn release_claim(&self, mut head: u64) {
        loop {
            let (steal, real) = unpack(head);
            debug_assert_ne!(steal, real, "released a claim twice");
            // Release: pairs with the owner's Acquire head load in `push_back_or_overflow` (and
            // a stealer-into-`dst`'s in `steal_into`): our slot reads happen before reuse.
            // Relaxed on failure: only the owner's pops can intervene; we just retry.
            match self
                .0
                .head
                .compare_exchange_weak(head, pack(real, real), Release, Relaxed)
            {
                Ok(_) => return,
                Err(actual) => head = actual,
            }
        }
    }

    /// Whether the queue looks empty (a racy snapshot, for choosing a victim).
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Values queued and not being stolen (a racy snapshot).
    pub(crate) fn len(&self) -> usize {
        self.0.len_shared()
    }
}

impl<T> Clone for Stealer<T> {
    fn clone(&self) -> Self {
        Stealer(self.0.clone())
    }
}

impl<T> fmt::Debug for Local<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Local").field("len", &self.len()).finish()
    }
}

impl<T> fmt::Debug for Stealer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stealer").field("len", &self.len()).finish()
    }
}

/// The batch handed to `overflow`: the claimed slots `next..end`, then the pushed value.
struct Overflow<'a, T> {
    inner: &'a Inner<T>,
    next: u32,
    end: u32,
    last: Option<T>,
}

impl<T> Iterator for Overflow<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.next == self.end {
            return self.last.take();
        }
        let idx = self.next;
        self.next = idx.wrapping_add(1);
        // SAFETY: the owner's overflow CAS claimed `next..end` (inv. 4), the owner wrote those
        // slots itself, and each index is read once as `next` advances.
        Some(unsafe { self.inner.read(idx) })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end.wrapping_sub(self.next) as usize + usize::from(self.last.is_some());
        (n, Some(n))
    }
}

impl<T> ExactSizeIterator for Overflow<'_, T> {}
impl<T> FusedIterator for Overflow<'_, T> {}

impl<T> Drop for Overflow<'_, T> {
    /// Drops what the `overflow` sink left: the claimed slots are no longer in the ring.
    fn drop(&mut self) {
        self.for_each(drop);
    }
}

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_models;
