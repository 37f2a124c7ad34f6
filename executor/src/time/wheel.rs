//! The hierarchical timing wheel: a plain data structure with no synchronization of its own (the
//! driver keeps each wheel behind a `Mutex`).
//!
//! # Design
//!
//! Time is counted in *ticks* of [`TICK_NS`] (1,024 ns, so a tick is a shift, not a division)
//! since the process-wide clock base (`crate::clock::base`). An entry keeps its deadline to the
//! nanosecond (its owner reads it back: a registered `Sleep` keeps no copy); the wheel files it
//! by its tick, rounded *up*, and a wheel advanced to `now` rounds `now` *down*, so a timer never
//! fires before its deadline and at most one tick (about 1 us) after it, plus however late the
//! driver runs.
//!
//! Timers live in a [`Slab`] of entries; every list is index-linked (`prev`/`next` are slab keys),
//! so inserting, removing and moving a timer is O(1) and needs no `unsafe`. An entry does not
//! record which list it is on: the first entry of a list has `prev == HEAD | list` (keys stay
//! below `HEAD`), which is all unlinking needs to update the list's head; the pending list's
//! tail is the one other place that names an entry. That keeps an entry at 32 bytes (a million
//! sleeping tasks hold a million entries). An entry on no list has `prev == NIL`. There are
//! [`LEVELS`] levels of 64 slots; a slot of level `k` spans `64^k` ticks, so level 0 resolves single
//! ticks and level 5 spans `2^36` ticks (about 19.5 hours). A timer goes into the level given by
//! the highest 6-bit group in which its deadline differs from `elapsed` (the tick the wheel has
//! been advanced to) and into the slot given by that group of its deadline.
//!
//! Invariant: after [`Wheel::advance`] every occupied slot starts strictly after `elapsed` and lies
//! in the same level epoch as `elapsed`. Hence the earliest slot is the first occupied slot of the
//! lowest non-empty level, found with one `trailing_zeros` per level: [`Wheel::next_expiration`]
//! is O(`LEVELS`) however many timers are live. Advancing takes the earliest slot whose start has
//! passed, sets `elapsed` to that start and re-files each of its timers: those due at that start
//! move to the *pending* list, the rest drop to a lower level (a *cascade*; a timer cascades at
//! most `LEVELS - 1` times in its life). Because slots are visited in time order, the pending
//! list is in deadline order (to the tick) even when the wheel is advanced late. Deadlines beyond the wheel's `2^36`-tick epoch wait in an
//! *overflow* list that is re-filed when the epoch ends.
//!
//! Firing is split in two so the driver never wakes a task while holding the wheel's lock:
//! `advance` only moves entries to the pending list; the driver pops wakers from it in small
//! batches, unlocking between batches. A pending entry can still be cancelled in O(1).
//!
//! An entry belongs to whoever registered it (a `Sleep`, a `Timer`, an `after_func`): the wheel
//! unlinks it when it fires but only [`Wheel::remove`] frees its slot, so a key held by a timer
//! future is never reused under it.
//!
//! Rejected: a per-entry list id (8 more bytes per entry once padded); lists circular around
//! sentinel entries in the slab (also no list id, but every link and unlink then goes through
//! the slab's checked indexing instead of the head array: ~20% more instructions to fire a
//! timer); a binary heap (O(log n) insert, O(n) cancel unless entries carry heap indices that
//! move on every sift); intrusive lists inside the `Sleep` (needs pinning and `unsafe`, and makes
//! every `Sleep` as large as a list node plus bookkeeping); coarse 1 ms ticks (tokio's choice)
//! which alone would cost up to 1 ms of lateness.

use std::task::Waker;

use slab::Slab;

/// Nanoseconds per tick, as a shift: a tick is `1 << TICK_SHIFT` ns.
pub(crate) const TICK_SHIFT: u32 = 10;
/// Nanoseconds per tick (1,024).
pub(crate) const TICK_NS: u64 = 1 << TICK_SHIFT;

const LEVEL_BITS: u32 = 6;
const SLOTS: usize = 1 << LEVEL_BITS;
/// Number of wheel levels; level `k`'s slots span `64^k` ticks.
pub(crate) const LEVELS: usize = 6;
/// Ticks covered by the whole wheel (one top-level epoch): `2^36`.
const EPOCH_BITS: u32 = LEVEL_BITS * LEVELS as u32;

/// "No entry": the end of a list, and the `prev` of an entry on no list (fired, or expired when
/// it was reset).
const NIL: u32 = u32::MAX;
/// Tags a `prev` that names a list, not an entry: the entry is first on list `prev & !HEAD`.
/// Keys are below it.
const HEAD: u32 = 1 << 31;
/// List ids: `0..LEVELS * SLOTS` are slots; then the overflow and pending lists.
const OVERFLOW: u16 = (LEVELS * SLOTS) as u16;
const PENDING: u16 = OVERFLOW + 1;
const NUM_LISTS: usize = LEVELS * SLOTS + 2;

/// Converts a deadline in nanoseconds since the base to its tick, rounding up.
#[inline]
pub(crate) fn ns_to_tick_ceil(ns: u64) -> u64 {
    ns.div_ceil(TICK_NS)
}

/// Converts `now` in nanoseconds since the base to its tick, rounding down.
#[inline]
pub(crate) fn ns_to_tick_floor(ns: u64) -> u64 {
    ns >> TICK_SHIFT
}

/// One timer.
#[derive(Debug)]
struct Entry {
    /// Deadline, in nanoseconds since the clock base (exact: the owner's deadline).
    deadline_ns: u64,
    /// Replaced by a no-op waker when the entry fires. (Not an `Option`: the waker's non-null
    /// vtable pointer is the niche that keeps a slab slot at 32 bytes.)
    waker: Waker,
    /// Neighbours on the entry's list: `prev` is a key, `HEAD | list` for the first entry, or
    /// `NIL` when the entry is on no list; `next` is a key or `NIL`.
    prev: u32,
    next: u32,
}

impl Entry {
    /// The tick the entry is filed under: its deadline rounded up.
    #[inline]
    fn tick(&self) -> u64 {
        ns_to_tick_ceil(self.deadline_ns)
    }
}

/// Why an entry was not inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InsertError {
    /// The deadline tick is not after `elapsed`: the timer is already due.
    Expired,
    /// The wheel was shut down.
    Shutdown,
}

/// What [`Wheel::reset`] did.
#[derive(Debug)]
#[must_use]
pub(crate) enum ResetOutcome {
    /// The entry is filed under its new deadline.
    Rescheduled,
    /// The new deadline is already due (or the wheel is shut down): the entry is unlinked and the
    /// caller must wake this waker (outside the lock) so its owner observes the expiry.
    Fire(Option<Waker>),
}

/// A hierarchical timing wheel. See the module documentation.
#[derive(Debug)]
pub(crate) struct Wheel {
    entries: Slab<Entry>,
    heads: [u32; NUM_LISTS],
    /// Tail of the pending list, which is FIFO so due timers are woken in deadline order.
    pending_tail: u32,
    /// Bit `s` of `occupied[k]`: slot `s` of level `k` is non-empty.
    occupied: [u64; LEVELS],
    /// The tick the wheel has been advanced to.
    elapsed: u64,
    shutdown: bool,
}

impl Wheel {
    pub(crate) fn new() -> Wheel {
        Wheel {
            entries: Slab::new(),
            heads: [NIL; NUM_LISTS],
            pending_tail: NIL,
            occupied: [0; LEVELS],
            elapsed: 0,
            shutdown: false,
        }
    }

    /// Number of entries holding a slot (linked or fired but not yet removed by their owner).
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown
    }

    /// The key the next [`insert`](Self::insert) will use, so an owner can be built around it.
    pub(crate) fn vacant_key(&self) -> u32 {
        key_u32(self.entries.vacant_key())
    }

    /// Files a timer due at `deadline_ns` (since the clock base). The entry's slot is owned by the
    /// caller until [`remove`](Self::remove).
    pub(crate) fn insert(&mut self, deadline_ns: u64, waker: Waker) -> Result<u32, InsertError> {
        self.check_insert(deadline_ns)?;
        let key = key_u32(self.entries.insert(Entry {
            deadline_ns,
            waker,
            prev: NIL,
            next: NIL,
        }));
        self.link(key, self.list_for(ns_to_tick_ceil(deadline_ns)));
        Ok(key)
    }

    /// Whether a timer due at `deadline_ns` can be inserted now.
    pub(crate) fn check_insert(&self, deadline_ns: u64) -> Result<(), InsertError> {
        if self.shutdown {
            Err(InsertError::Shutdown)
        } else if ns_to_tick_ceil(deadline_ns) <= self.elapsed {
            Err(InsertError::Expired)
        } else {
            Ok(())
        }
    }

    /// Frees `key`'s slot, cancelling the timer if it has not fired. Returns whether it was still
    /// linked (had not fired).
    pub(crate) fn remove(&mut self, key: u32) -> bool {
        self.remove_entry(key).linked
    }

    /// [`remove`](Self::remove), also handing back the entry's waker so the caller can drop it
    /// after unlocking (dropping a waker can run arbitrary code), and its deadline.
    pub(crate) fn remove_entry(&mut self, key: u32) -> Removed {
        let linked = self.unlink(key);
        let entry = self.entries.remove(key as usize);
        if self.entries.is_empty() && self.entries.capacity() > 4096 {
            // Give back the memory of a burst (a million sleeps) once it is over.
            self.entries = Slab::new();
        }
        Removed {
            linked,
            waker: entry.waker,
            deadline_ns: entry.deadline_ns,
        }
    }

    /// Whether `key` is still waiting (not fired, not expired by a reset).
    pub(crate) fn is_linked(&self, key: u32) -> bool {
        self.entries[key as usize].prev != NIL
    }

    /// `key`'s deadline, in nanoseconds since the clock base.
    pub(crate) fn deadline_ns(&self, key: u32) -> u64 {
        self.entries[key as usize].deadline_ns
    }

    /// Stores `waker` for `key` unless the stored one would wake the same task.
    pub(crate) fn set_waker(&mut self, key: u32, waker: &Waker) {
        let entry = &mut self.entries[key as usize];
        if !entry.waker.will_wake(waker) {
            entry.waker.clone_from(waker);
        }
    }

    /// Moves `key` to a new deadline, re-arming it even if it had fired.
    pub(crate) fn reset(&mut self, key: u32, deadline_ns: u64) -> ResetOutcome {
        self.unlink(key);
        self.entries[key as usize].deadline_ns = deadline_ns;
        let tick = ns_to_tick_ceil(deadline_ns);
        if self.shutdown || tick <= self.elapsed {
            return ResetOutcome::Fire(Some(take_waker(&mut self.entries[key as usize])));
        }
        self.link(key, self.list_for(tick));
        ResetOutcome::Rescheduled
    }

    /// Unlinks `key` as if it had fired now, returning its waker for the caller to wake (outside
    /// the lock). Used when a reset moves a deadline to a past instant.
    pub(crate) fn expire(&mut self, key: u32, deadline_ns: u64) -> Option<Waker> {
        self.unlink(key);
        let entry = &mut self.entries[key as usize];
        entry.deadline_ns = deadline_ns;
        Some(take_waker(entry))
    }

    /// The tick at which the wheel next has work: the start of its earliest occupied slot (the
    /// exact deadline for level 0; earlier than every deadline in it for higher levels), or
    /// `elapsed` when entries are pending. `None` when no timer is waiting.
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        if self.heads[PENDING as usize] != NIL {
            return Some(self.elapsed);
        }
        self.earliest_slot().map(|(start, _)| start)
    }

    /// Advances the wheel to `now` (a tick, rounded down), moving every timer due by then to the
    /// pending list. Does nothing if `now` is not after `elapsed`.
    pub(crate) fn advance(&mut self, now: u64) {
        while let Some((start, list)) = self.earliest_slot() {
            if start > now {
                break;
            }
            // Slots are taken in time order, so `elapsed` only grows; re-filing relative to the
            // slot's start sends each later timer to a lower level (never back to this slot).
            // Even a timer already due by `now` cascades rather than going straight to pending:
            // the loop then reaches its level-0 slot in turn, so the pending list stays in
            // deadline order when the wheel is advanced late.
            self.elapsed = self.elapsed.max(start);
            let mut cur = self.take_list(list);
            while cur != NIL {
                let next = self.entries[cur as usize].next;
                let tick = self.entries[cur as usize].tick();
                let to = if tick <= self.elapsed {
                    PENDING
                } else {
                    self.list_for(tick)
                };
                self.link(cur, to);
                cur = next;
            }
        }
        self.elapsed = self.elapsed.max(now);
    }

    /// The start tick and list of the earliest occupied slot, or of the overflow list (which is
    /// due when the current epoch ends).
    fn earliest_slot(&self) -> Option<(u64, u16)> {
        for level in 0..LEVELS {
            let occupied = self.occupied[level];
            if occupied == 0 {
                continue;
            }
            let shift = LEVEL_BITS * level as u32;
            let pos = (self.elapsed >> shift) & (SLOTS as u64 - 1);
            debug_assert_eq!(
                occupied & !(u64::MAX << pos),
                0,
                "slot behind the wheel at level {level}"
            );
            let slot = u64::from(occupied.trailing_zeros());
            let level_start = self.elapsed & !((1u64 << (shift + LEVEL_BITS)) - 1);
            return Some((
                level_start + (slot << shift),
                (level * SLOTS) as u16 + slot as u16,
            ));
        }
        if self.heads[OVERFLOW as usize] != NIL {
            return Some((((self.elapsed >> EPOCH_BITS) + 1) << EPOCH_BITS, OVERFLOW));
        }
        None
    }

    /// Pops one due timer's waker from the pending list. The entry stays allocated (unlinked)
    /// until its owner removes it.
    pub(crate) fn pop_pending(&mut self) -> Option<Waker> {
        let key = self.heads[PENDING as usize];
        if key == NIL {
            return None;
        }
        self.unlink(key);
        Some(take_waker(&mut self.entries[key as usize]))
    }

    /// Shuts the wheel down: every waiting timer becomes pending (to be woken by the caller) and
    /// later insertions fail with [`InsertError::Shutdown`].
    pub(crate) fn shutdown(&mut self) {
        self.shutdown = true;
        for list in 0..NUM_LISTS as u16 {
            if list == PENDING {
                continue;
            }
            let mut cur = self.take_list(list);
            while cur != NIL {
                let next = self.entries[cur as usize].next;
                self.link(cur, PENDING);
                cur = next;
            }
        }
    }

    /// The list a timer due at `tick` belongs on, relative to `elapsed`.
    fn list_for(&self, tick: u64) -> u16 {
        debug_assert!(tick > self.elapsed);
        let significant = 63 - ((self.elapsed ^ tick) | (SLOTS as u64 - 1)).leading_zeros();
        let level = (significant / LEVEL_BITS) as usize;
        if level >= LEVELS {
            return OVERFLOW;
        }
        let slot = (tick >> (LEVEL_BITS * level as u32)) as usize & (SLOTS - 1);
        (level * SLOTS + slot) as u16
    }

    fn link(&mut self, key: u32, list: u16) {
        if list == PENDING {
            return self.push_pending(key);
        }
        let head = self.heads[list as usize];
        let entry = &mut self.entries[key as usize];
        entry.prev = HEAD | u32::from(list);
        entry.next = head;
        if head != NIL {
            self.entries[head as usize].prev = key;
        }
        self.heads[list as usize] = key;
        if (list as usize) < LEVELS * SLOTS {
            self.occupied[list as usize / SLOTS] |= 1 << (list as usize % SLOTS);
        }
    }

    /// Appends `key` to the pending list.
    fn push_pending(&mut self, key: u32) {
        let tail = self.pending_tail;
        let entry = &mut self.entries[key as usize];
        entry.next = NIL;
        if tail == NIL {
            entry.prev = HEAD | u32::from(PENDING);
            self.heads[PENDING as usize] = key;
        } else {
            entry.prev = tail;
            self.entries[tail as usize].next = key;
        }
        self.pending_tail = key;
    }

    /// Unlinks `key` from its list; returns whether it was on one.
    fn unlink(&mut self, key: u32) -> bool {
        let entry = &mut self.entries[key as usize];
        let (prev, next) = (entry.prev, entry.next);
        if prev == NIL {
            return false;
        }
        entry.prev = NIL;
        entry.next = NIL;
        if prev & HEAD != 0 {
            let list = (prev & !HEAD) as usize;
            self.heads[list] = next;
            if next == NIL && list < LEVELS * SLOTS {
                self.occupied[list / SLOTS] &= !(1 << (list % SLOTS));
            }
        } else {
            self.entries[prev as usize].next = next;
        }
        if next != NIL {
            // A first entry's `HEAD | list` passes on to its successor.
            self.entries[next as usize].prev = prev;
        } else if self.pending_tail == key {
            // Only the pending list's last entry is its tail.
            self.pending_tail = if prev & HEAD != 0 { NIL } else { prev };
        }
        true
    }

    /// Detaches a whole list, returning its head. The entries keep their `next` links for the
    /// caller to walk, and must each be re-linked (which overwrites `prev` and `next`).
    fn take_list(&mut self, list: u16) -> u32 {
        debug_assert_ne!(list, PENDING, "the pending list is drained, not taken");
        if (list as usize) < LEVELS * SLOTS {
            self.occupied[list as usize / SLOTS] &= !(1 << (list as usize % SLOTS));
        }
        std::mem::replace(&mut self.heads[list as usize], NIL)
    }
}

/// What [`Wheel::remove_entry`] hands back.
#[derive(Debug)]
pub(crate) struct Removed {
    /// Whether the timer was still waiting (had not fired).
    pub(crate) linked: bool,
    /// Its waker, to drop outside the lock.
    pub(crate) waker: Waker,
    /// Its deadline, ns since the clock base.
    pub(crate) deadline_ns: u64,
}

/// Takes an entry's waker, leaving a no-op one (a fired entry re-armed by a reset wakes nobody
/// until its owner polls again and stores a real waker).
fn take_waker(entry: &mut Entry) -> Waker {
    std::mem::replace(&mut entry.waker, Waker::noop().clone())
}

fn key_u32(key: usize) -> u32 {
    u32::try_from(key)
        .ok()
        .filter(|&k| k < HEAD)
        .expect("more than 2 billion live timers in one wheel")
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    /// A waker that records its id in a shared log when woken.
    struct Recorder {
        id: u64,
        log: Arc<std::sync::Mutex<Vec<u64>>>,
        wakes: AtomicUsize,
    }

    impl Wake for Recorder {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.wakes.fetch_add(1, Ordering::Relaxed);
            self.log.lock().unwrap().push(self.id);
        }
    }

    fn waker(id: u64, log: &Arc<std::sync::Mutex<Vec<u64>>>) -> Waker {
        Waker::from(Arc::new(Recorder {
            id,
            log: log.clone(),
            wakes: AtomicUsize::new(0),
        }))
    }

    impl Wheel {
        /// Inserts a timer due exactly at the start of `tick`.
        fn insert_tick(&mut self, tick: u64, waker: Waker) -> Result<u32, InsertError> {
            self.insert(tick * TICK_NS, waker)
        }

        fn reset_tick(&mut self, key: u32, tick: u64) -> ResetOutcome {
            self.reset(key, tick * TICK_NS)
        }
    }

    fn drain(wheel: &mut Wheel) -> usize {
        let mut n = 0;
        while let Some(w) = wheel.pop_pending() {
            w.wake();
            n += 1;
        }
        n
    }

    /// Advances through `0..=until` in steps of `step` (jumping over idle stretches to the
    /// wheel's next expiration, which is never after a deadline), recording the tick at which
    /// each id fired.
    fn run_until(
        wheel: &mut Wheel,
        log: &Arc<std::sync::Mutex<Vec<u64>>>,
        until: u64,
        step: u64,
    ) -> Vec<(u64, u64)> {
        let mut fired = Vec::new();
        let mut now = 0;
        while now <= until {
            wheel.advance(now);
            drain(wheel);
            for id in log.lock().unwrap().drain(..) {
                fired.push((id, now));
            }
            now = (now + step).max(wheel.next_expiration().unwrap_or(u64::MAX).min(until + 1));
        }
        fired
    }

    #[test]
    fn fires_in_deadline_order_never_early_at_most_a_step_late() {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        // Deadlines spread over every level (ids are the deadlines).
        let mut deadlines: Vec<u64> = Vec::new();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let level = x % 5;
            deadlines.push(1 + x % (64u64.pow(level as u32 + 1)));
        }
        for &d in &deadlines {
            wheel.insert_tick(d, waker(d, &log)).unwrap();
        }
        assert_eq!(wheel.len(), 2000);
        let step = 7;
        let fired = run_until(&mut wheel, &log, 64u64.pow(5) + step, step);
        assert_eq!(fired.len(), 2000);
        // Each fires in the first step at or after its deadline, so the log is in deadline
        // order up to the step's granularity.
        for &(id, at) in &fired {
            assert!(at >= id, "timer {id} fired early at {at}");
            assert!(at < id + step, "timer {id} fired late at {at}");
        }
        assert_eq!(wheel.next_expiration(), None);
        // Fired entries keep their slots until their owners remove them.
        assert_eq!(wheel.len(), 2000);
    }

    #[test]
    fn late_advance_wakes_in_deadline_order() {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        let mut x: u64 = 12345;
        let mut deadlines = Vec::new();
        for _ in 0..300 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let d = 1 + (x >> 33) % 5_000_000;
            deadlines.push(d);
            wheel.insert_tick(d, waker(d, &log)).unwrap();
        }
        // One advance far past every deadline, as a driver that woke up very late would do.
        wheel.advance(10_000_000);
        assert_eq!(drain(&mut wheel), 300);
        deadlines.sort_unstable();
        assert_eq!(*log.lock().unwrap(), deadlines);
    }

    #[test]
    fn insert_due_or_after_shutdown_is_refused() {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        wheel.advance(100);
        assert_eq!(
            wheel.insert_tick(100, waker(1, &log)),
            Err(InsertError::Expired)
        );
        assert_eq!(
            wheel.insert_tick(50, waker(1, &log)),
            Err(InsertError::Expired)
        );
        let k = wheel.insert_tick(101, waker(1, &log)).unwrap();
        wheel.shutdown();
        assert_eq!(
            wheel.insert_tick(500, waker(2, &log)),
            Err(InsertError::Shutdown)
        );
        assert_eq!(drain(&mut wheel), 1);
        assert!(!wheel.is_linked(k));
        assert!(!wheel.remove(k));
        assert_eq!(wheel.len(), 0);
    }

    #[test]
    fn remove_cancels_in_any_list() {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        let keys: Vec<u32> = (1..=6)
            .map(|l| {
                wheel
                    .insert_tick(64u64.pow(l) - 1, waker(u64::from(l), &log))
                    .unwrap()
            })
            .collect();
        let far = wheel.insert_tick(1 << 40, waker(99, &log)).unwrap();
        for &k in &keys {
            assert!(wheel.is_linked(k));
            assert!(wheel.remove(k));
        }
        assert_eq!(wheel.next_expiration(), Some(1 << 36));
        assert!(wheel.remove(far));
        assert_eq!(wheel.next_expiration(), None);
        assert_eq!(wheel.occupied, [0; LEVELS]);
        assert!(wheel.heads.iter().all(|&h| h == NIL));
        assert_eq!(wheel.len(), 0);
        wheel.advance(1 << 41);
        assert_eq!(drain(&mut wheel), 0);
    }

    #[test]
    fn pending_entries_can_be_cancelled() {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        let a = wheel.insert_tick(10, waker(1, &log)).unwrap();
        let b = wheel.insert_tick(10, waker(2, &log)).unwrap();
        wheel.advance(10);
        assert_eq!(wheel.next_expiration(), Some(10));
        assert!(wheel.remove(a));
        assert_eq!(drain(&mut wheel), 1);
        assert_eq!(*log.lock().unwrap(), vec![2]);
        assert!(!wheel.is_linked(b));
    }

    /// Unlinking the pending list's last, middle and only entries keeps its tail right: later
    /// due timers still queue behind the survivors, in order.
    #[test]
    fn pending_tail_survives_cancels() {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        let keys: Vec<u32> = (1..=4)
            .map(|i| wheel.insert_tick(i, waker(i, &log)).unwrap())
            .collect();
        wheel.advance(4);
        assert!(wheel.remove(keys[3]), "the tail");
        assert!(wheel.remove(keys[1]), "a middle entry");
        let k5 = wheel.insert_tick(5, waker(5, &log)).unwrap();
        wheel.advance(5);
        assert_eq!(drain(&mut wheel), 3);
        assert_eq!(*log.lock().unwrap(), vec![1, 3, 5]);
        let k6 = wheel.insert_tick(6, waker(6, &log)).unwrap();
        wheel.advance(6);
        assert!(wheel.remove(k6), "the only entry");
        let k7 = wheel.insert_tick(7, waker(7, &log)).unwrap();
        wheel.advance(7);
        assert_eq!(drain(&mut wheel), 1);
        assert_eq!(*log.lock().unwrap(), vec![1, 3, 5, 7]);
        for k in [keys[0], keys[2], k5, k7] {
            assert!(!wheel.remove(k));
        }
        assert_eq!(wheel.len(), 0);
        assert!(wheel.heads.iter().all(|&h| h == NIL));
        assert_eq!(wheel.pending_tail, NIL);
    }

    #[test]
    fn reset_earlier_later_and_into_the_past() {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        let a = wheel.insert_tick(5000, waker(1, &log)).unwrap();
        let b = wheel.insert_tick(20, waker(2, &log)).unwrap();
        assert!(matches!(wheel.reset_tick(a, 10), ResetOutcome::Rescheduled));
        assert!(matches!(
            wheel.reset_tick(b, 300_000),
            ResetOutcome::Rescheduled
        ));
        assert_eq!(wheel.next_expiration(), Some(10));
        let fired = run_until(&mut wheel, &log, 300_010, 1);
        assert_eq!(fired, vec![(1, 10), (2, 300_000)]);
        // A fired entry can be re-armed by reset.
        assert!(matches!(
            wheel.reset_tick(a, 300_100),
            ResetOutcome::Rescheduled
        ));
        assert!(wheel.is_linked(a));
        // Its waker was taken when it fired; its owner stores a new one when it next polls.
        wheel.set_waker(a, &waker(1, &log));
        match wheel.reset_tick(a, 5) {
            ResetOutcome::Fire(Some(w)) => w.wake(),
            other => panic!("expected Fire, got {other:?}"),
        }
        assert!(!wheel.is_linked(a));
        // Re-armed after firing without a new waker: expiring it wakes a no-op waker.
        assert!(matches!(
            wheel.reset_tick(a, 300_200),
            ResetOutcome::Rescheduled
        ));
        match wheel.reset_tick(a, 6) {
            ResetOutcome::Fire(Some(w)) => w.wake(), // a no-op: nobody was registered
            other => panic!("expected Fire, got {other:?}"),
        }
        assert!(!wheel.is_linked(a));
    }

    #[test]
    fn far_future_overflow_and_long_jumps() {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        let epoch = 1u64 << 36;
        let deadlines = [3 * epoch + 17, epoch - 1, epoch, epoch + 1, 10 * epoch];
        for (i, &d) in deadlines.iter().enumerate() {
            wheel.insert_tick(d, waker(i as u64, &log)).unwrap();
        }
        wheel.advance(epoch - 2);
        assert_eq!(drain(&mut wheel), 0);
        wheel.advance(epoch);
        assert_eq!(drain(&mut wheel), 2);
        wheel.advance(3 * epoch + 16);
        assert_eq!(drain(&mut wheel), 1);
        wheel.advance(3 * epoch + 17);
        assert_eq!(drain(&mut wheel), 1);
        // Jump far past the last one in a single advance.
        wheel.advance(100 * epoch);
        assert_eq!(drain(&mut wheel), 1);
        assert_eq!(*log.lock().unwrap(), vec![1, 2, 3, 0, 4]);
        assert_eq!(wheel.next_expiration(), None);
    }

    #[test]
    fn many_timers_do_not_slow_next_expiration() {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        let w = waker(0, &log);
        let keys: Vec<u32> = (0..200_000u64)
            .map(|i| wheel.insert_tick(1_000_000 + i * 13, w.clone()).unwrap())
            .collect();
        let first = wheel.next_expiration().unwrap();
        assert!(first <= 1_000_000);
        for &k in &keys {
            assert!(wheel.remove(k));
        }
        assert_eq!(wheel.len(), 0);
        assert_eq!(wheel.next_expiration(), None);
    }

    #[test]
    fn entry_is_small() {
        // A million sleeping tasks hold a million entries.
        assert_eq!(std::mem::size_of::<Entry>(), 32);
        // The slab's slot (`Vacant(next free key) | Occupied(entry)`) fits in the waker's niche.
        #[allow(dead_code)]
        enum Slot {
            Vacant(usize),
            Occupied(Entry),
        }
        assert_eq!(std::mem::size_of::<Slot>(), 32);
    }

    #[test]
    fn tick_rounding() {
        assert_eq!(ns_to_tick_ceil(0), 0);
        assert_eq!(ns_to_tick_ceil(1), 1);
        assert_eq!(ns_to_tick_ceil(1024), 1);
        assert_eq!(ns_to_tick_ceil(1025), 2);
        assert_eq!(ns_to_tick_floor(1023), 0);
        assert_eq!(ns_to_tick_floor(2048), 2);
    }
}
