//! The lock-free bounded ring behind buffered channels (capacity >= 1): the one `unsafe`
//! module of `chan`.
//!
//! # Design
//!
//! Dmitry Vyukov's bounded MPMC queue, the idea crossbeam-channel's array flavor also uses: a
//! fixed array of slots, each with a *stamp*, and two positions `head` (next pop) and `tail`
//! (next push), each on its own cache line. A position packs a lap and an index:
//! `pos = lap * one_lap + index`, where `one_lap` is a power of two larger than twice `cap`, so
//! the bit `mark` (`one_lap / 2`) is never part of an index; in `tail` it is the *closed* bit.
//!
//! - Slot `i` with stamp `lap * one_lap + i` is empty and ready for the push at that position;
//!   with stamp `lap * one_lap + i + 1` it holds the value pushed there, ready for the pop.
//! - **push**: read `tail` and its slot's stamp; if they are equal, claim the position with one
//!   CAS on `tail`, write the value, and publish it with one Release store of `tail + 1` into
//!   the stamp. If the stamp is one lap behind, the slot is not free: the ring is full.
//! - **pop**: symmetric on `head`; it frees the slot by storing the stamp of the *next* lap.
//! - **close**: set the `mark` bit of `tail` (one `fetch_or`); pushes then fail, pops drain
//!   what was pushed before and then report `Closed`.
//!
//! Nobody spins: a pop that finds its slot claimed but not yet written (a push between its CAS
//! and its stamp store) reports `Empty`, and a push that finds its slot claimed but not yet
//! freed reports `Full`. The operation in flight has not completed, so either answer is one a
//! linearizable queue may give, and the channel parks the caller only after registering, which
//! the in-flight operation checks for once it publishes (`buffered.rs`). A thread preempted in
//! that window therefore delays no one but the waiters it is about to wake.
//!
//! Both operations take a `gate` called right before each claiming CAS: `select!` uses it to
//! mark its token busy before the CAS, so that only the arm that commits ever claims a slot
//! (see `buffered.rs`). A gate that says no aborts the operation with nothing claimed.
//!
//! # Invariants
//!
//! 1. A slot's value is initialized exactly when its stamp is `pos + 1` for the position `pos`
//!    it was pushed at and that position has not yet been popped.
//! 2. Only the thread whose CAS moved `tail` past `pos` writes the slot at `pos`, and only the
//!    thread whose CAS moved `head` past `pos` reads (moves out) that value: the CASes make
//!    each position's writer and reader unique, and the stamps order writer before reader
//!    (Release store, Acquire load) and reader before the next lap's writer.
//!
//! # Orderings
//!
//! Stamp stores are Release and stamp loads Acquire: they carry the value from writer to
//! reader and the freed slot back. The position CASes and `close` are SeqCst, as is the fence
//! before an empty pop reads `tail` to tell empty from closed-and-drained. The channel's waiter protocol adds its own
//! fence after each operation (`buffered.rs`).
//!
//! Rejected: a `Mutex<VecDeque>` (today's rendezvous path): one lock word for both ends, which
//! under a 4→4 load moves between cores on nearly every operation; a linked (unbounded) queue:
//! it allocates per message and Go's channels are bounded.

#![allow(unsafe_code)]

use std::mem::MaybeUninit;

use crate::loom::{AtomicUsize, Ordering, UnsafeCell, fence};

/// Keeps `T` on its own cache line (two lines: adjacent-line prefetch on x86).
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct Padded<T>(pub(crate) T);

struct Slot<T> {
    stamp: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

/// Why a push did not happen; the value comes back.
#[derive(Debug)]
pub(crate) enum PushError<T> {
    Full(T),
    Closed(T),
    /// The gate said no.
    Gated(T),
}

/// Why a pop did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PopError {
    Empty,
    /// Closed and drained.
    Closed,
    /// The gate said no.
    Gated,
}

/// A bounded lock-free MPMC ring of `cap >= 1` values with a closed bit.
pub(crate) struct Ring<T> {
    head: Padded<AtomicUsize>,
    tail: Padded<AtomicUsize>,
    slots: Box<[Slot<T>]>,
    cap: usize,
    one_lap: usize,
    mark: usize,
}

// SAFETY: values move between threads through the ring (so `T: Send`), and each value is
// reached by exactly one thread at a time (invariant 2); no `&T` is ever shared.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Ring<T> {}

impl<T> Ring<T> {
    pub(crate) fn new(cap: usize) -> Ring<T> {
        assert!(cap > 0, "a ring needs room for one value");
        let mark = (cap + 1).next_power_of_two();
        let one_lap = mark * 2;
        let slots = (0..cap)
            .map(|i| Slot {
                stamp: AtomicUsize::new(i),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect();
        Ring {
            head: Padded(AtomicUsize::new(0)),
            tail: Padded(AtomicUsize::new(0)),
            slots,
            cap,
            one_lap,
            mark,
        }
    }

    /// The position after `pos` (which has no mark bit).
    fn next(&self, pos: usize) -> usize {
        let index = pos & (self.mark - 1);
        let lap = pos & !(self.one_lap - 1);
        if index + 1 < self.cap {
            pos + 1
        } else {
            lap.wrapping_add(self.one_lap)
        }
    }

    /// Pushes `value`; `gate` runs before each claiming CAS and may refuse.
    #[inline]
    pub(crate) fn push(
        &self,
        value: T,
        mut gate: impl FnMut() -> bool,
    ) -> Result<(), PushError<T>> {
        // Relaxed: the stamp's Acquire load below decides; the CAS re-validates.
        let mut tail = self.tail.0.load(Ordering::Relaxed);
        loop {
            if tail & self.mark != 0 {
                return Err(PushError::Closed(value));
            }
            let slot = &self.slots[tail & (self.mark - 1)];
            // Acquire: pairs with the Release stamp store of the pop that freed this slot, so
            // its move-out happens-before our write.
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == tail {
                if !gate() {
                    return Err(PushError::Gated(value));
                }
                let next = self.next(tail);
                // SeqCst: one total order with the other position's CAS and the full/empty
                // fences (see the module's orderings).
                match self.tail.0.compare_exchange_weak(
                    tail,
                    next,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: our CAS made us the only writer of this position (invariant
                        // 2) and the stamp says the slot is empty (invariant 1).
                        slot.value.with_mut(|p| unsafe { (*p).write(value) });
                        // Release: publishes the value to the pop that Acquire-loads the stamp.
                        slot.stamp.store(tail + 1, Ordering::Release);
                        return Ok(());
                    }
                    Err(actual) => {
                        tail = actual;
                        continue;
                    }
                }
            }
            if (stamp.wrapping_sub(tail) as isize) < 0 {
                // The slot is not free for this lap: it still holds the previous lap's value,
                // or that lap's pop (or push) is between its CAS and its stamp store, or we see
                // an old stamp. No slot is free for us *now*; the pop that frees it looks for
                // parked senders after its stamp store (`buffered.rs`), so reporting full
                // loses nothing.
                return Err(PushError::Full(value));
            }
            // The slot was filled at this position already: `tail` is stale. The stamp's
            // Acquire load synchronized with that push, so re-reading `tail` makes progress.
            tail = self.tail.0.load(Ordering::Relaxed);
        }
    }

    /// Pops the oldest value; `gate` runs before each claiming CAS and may refuse.
    #[inline]
    pub(crate) fn pop(&self, mut gate: impl FnMut() -> bool) -> Result<T, PopError> {
        // Relaxed: the stamp's Acquire load decides; the CAS re-validates.
        let mut head = self.head.0.load(Ordering::Relaxed);
        loop {
            let slot = &self.slots[head & (self.mark - 1)];
            // Acquire: pairs with the Release stamp store of the push that filled this slot.
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == head + 1 {
                if !gate() {
                    return Err(PopError::Gated);
                }
                let next = self.next(head);
                // SeqCst: see `push`.
                match self.head.0.compare_exchange_weak(
                    head,
                    next,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: our CAS made us the only reader of this position (invariant
                        // 2) and the stamp says it holds an initialized value (invariant 1),
                        // which we move out exactly once.
                        let value = slot.value.with_mut(|p| unsafe { (*p).assume_init_read() });
                        // Release: hands the freed slot to the next lap's push.
                        slot.stamp
                            .store(head.wrapping_add(self.one_lap), Ordering::Release);
                        return Ok(value);
                    }
                    Err(actual) => {
                        head = actual;
                        continue;
                    }
                }
            }
            if (stamp.wrapping_sub(head + 1) as isize) < 0 {
                // Nothing was written at this position yet: empty, closed, or the push that
                // claimed it (or the previous lap's pop) has not stored its stamp yet.
                // SeqCst: pairs with the SeqCst tail CAS and `close` (see the orderings).
                fence(Ordering::SeqCst);
                let tail = self.tail.0.load(Ordering::Relaxed);
                return Err(if tail == head | self.mark {
                    PopError::Closed
                } else {
                    // Empty, or a push in flight: that push looks for parked receivers after
                    // its stamp store (`buffered.rs`), so reporting empty loses nothing.
                    PopError::Empty
                });
            }
            // The slot was emptied at this position already: `head` is stale. The stamp's
            // Acquire load synchronized with that pop, so re-reading `head` makes progress.
            head = self.head.0.load(Ordering::Relaxed);
        }
    }

    /// Sets the closed bit; `false` if it was set already.
    pub(crate) fn close(&self) -> bool {
        // SeqCst: in the total order with the position CASes, so a push either lands before
        // the close (and is drained) or fails.
        self.tail.0.fetch_or(self.mark, Ordering::SeqCst) & self.mark == 0
    }

    pub(crate) fn is_closed(&self) -> bool {
        // SeqCst: see `close`.
        self.tail.0.load(Ordering::SeqCst) & self.mark != 0
    }

    /// The number of values in the ring (a snapshot).
    pub(crate) fn len(&self) -> usize {
        loop {
            #[cfg(loom)]
            crate::loom::thread::yield_now();
            // SeqCst: a consistent pair of positions (tail re-read unchanged around head).
            let tail = self.tail.0.load(Ordering::SeqCst);
            let head = self.head.0.load(Ordering::SeqCst);
            if self.tail.0.load(Ordering::SeqCst) == tail {
                let tail = tail & !self.mark;
                let hix = head & (self.mark - 1);
                let tix = tail & (self.mark - 1);
                return if hix < tix {
                    tix - hix
                } else if hix > tix {
                    self.cap - hix + tix
                } else if tail == head {
                    0
                } else {
                    self.cap
                };
            }
        }
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len() == self.cap
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        // `&mut self`: no other thread can reach the ring; drop the values still in it.
        while let Ok(v) = self.pop(|| true) {
            drop(v);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn fifo_full_close_drain() {
        let r = Ring::new(2);
        assert_eq!(r.pop(|| true), Err(PopError::Empty));
        r.push(1, || true).unwrap();
        r.push(2, || true).unwrap();
        assert!(matches!(r.push(3, || true), Err(PushError::Full(3))));
        assert_eq!(r.len(), 2);
        assert!(r.is_full());
        assert_eq!(r.pop(|| true), Ok(1));
        r.push(3, || true).unwrap();
        assert!(matches!(r.push(4, || false), Err(PushError::Full(4))));
        assert_eq!(r.pop(|| false), Err(PopError::Gated));
        assert!(r.close());
        assert!(!r.close());
        assert!(matches!(r.push(5, || true), Err(PushError::Closed(5))));
        assert_eq!(r.pop(|| true), Ok(2));
        assert_eq!(r.pop(|| true), Ok(3));
        assert_eq!(r.pop(|| true), Err(PopError::Closed));
        for cap in [1, 3, 4] {
            let r = Ring::new(cap);
            for lap in 0..5 {
                for i in 0..cap {
                    r.push(lap * 10 + i, || true).unwrap();
                }
                assert_eq!(r.len(), cap);
                for i in 0..cap {
                    assert_eq!(r.pop(|| true), Ok(lap * 10 + i));
                }
                assert_eq!(r.len(), 0);
            }
        }
    }

    #[test]
    fn drop_drops_remaining_values() {
        let v = std::sync::Arc::new(());
        let r = Ring::new(3);
        r.push(v.clone(), || true).unwrap();
        r.push(v.clone(), || true).unwrap();
        drop(r);
        assert_eq!(std::sync::Arc::strong_count(&v), 1);
    }
}
