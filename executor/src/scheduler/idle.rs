//! Which workers are parked, and which are searching for work.
//!
//! # The parking protocol
//!
//! Go's `proc.go` states the problem: parking an idle worker must not lose a wakeup, and a
//! burst of new work must not wake every worker at once. gmp follows the same plan as Go (and
//! tokio after it):
//!
//! - A *searching* worker is awake and looking for work (stealing). At most half the workers
//!   search at once; more would only contend on the same victims.
//! - A producer that makes work available (a push to a run queue, the LIFO slot or the global
//!   queue) wakes a parked worker only if **no worker is searching** and some worker is parked
//!   ([`Idle::worker_to_notify`]). The woken worker starts out searching. A searcher that finds
//!   work stops searching and, if it was the last searcher, wakes one more worker: work tends to
//!   arrive in batches, and this passes the baton without a herd.
//! - A worker about to park first records itself as parked (decrementing the unparked count,
//!   and the searching count if it was searching). If it was the **last searcher**, it then
//!   re-checks every queue and wakes a worker if it finds anything.
//!
//! Why no wakeup is lost: the producer does `push work; SeqCst fence; read state`, the last
//! searcher does `write state (SeqCst RMW); SeqCst fence; read queues`. By the StoreLoad
//! ordering of the two fences, either the producer sees the searcher gone (and wakes a worker),
//! or the searcher sees the work (and wakes a worker). A worker that parks without having been
//! the last searcher leaves another searcher awake, which will in turn either find the work or
//! become the last searcher and re-check.
//!
//! Rejected: waking a worker on every push (a herd of futex calls per message); a lock-free
//! sleeper stack (the sleeper list is touched only on park/unpark, which already cost a
//! syscall, so a mutex costs nothing measurable).
//!
//! Lock order: `sleepers` is a leaf lock.

use crate::loom::{AtomicUsize, Mutex, Ordering};

const UNPARKED_SHIFT: u32 = 16;
const SEARCH_MASK: usize = (1 << UNPARKED_SHIFT) - 1;

pub(crate) struct Idle {
    /// `unparked << 16 | searching`.
    state: AtomicUsize,
    sleepers: Mutex<Vec<usize>>,
    num_workers: usize,
}

fn searching(state: usize) -> usize {
    state & SEARCH_MASK
}

fn unparked(state: usize) -> usize {
    state >> UNPARKED_SHIFT
}

impl Idle {
    pub(crate) fn new(num_workers: usize) -> Idle {
        assert!(num_workers < SEARCH_MASK, "too many workers");
        Idle {
            state: AtomicUsize::new(num_workers << UNPARKED_SHIFT),
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
            num_workers,
        }
    }

    /// The cheap check a producer makes after publishing work (and a `SeqCst` fence).
    pub(crate) fn notify_should_wakeup(&self) -> bool {
        // SeqCst: the load half of the producer's StoreLoad pairing (module doc).
        let s = self.state.load(Ordering::SeqCst);
        searching(s) == 0 && unparked(s) < self.num_workers
    }

    /// Picks a parked worker to wake, counting it as unparked and searching.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        if !self.notify_should_wakeup() {
            return None;
        }
        let mut sleepers = self.sleepers.lock().unwrap();
        // Re-check under the lock: another producer may have woken one meanwhile.
        if !self.notify_should_wakeup() {
            return None;
        }
        let index = sleepers.pop()?;
        // SeqCst: ordered with the parking worker's RMW (module doc).
        self.state
            .fetch_add((1 << UNPARKED_SHIFT) | 1, Ordering::SeqCst);
        Some(index)
    }

    /// A worker with nothing to do wants to search. False if enough workers search already.
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let s = self.state.load(Ordering::SeqCst);
        if 2 * searching(s) >= self.num_workers {
            return false;
        }
        self.state.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// A searcher found work. True if it was the last searcher (then it must wake another).
    #[must_use]
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, Ordering::SeqCst);
        debug_assert!(searching(prev) > 0);
        searching(prev) == 1
    }

    /// A worker parks. True if it was the last searcher (then it must re-check the queues).
    #[must_use]
    pub(crate) fn transition_worker_to_parked(&self, index: usize, is_searching: bool) -> bool {
        let mut sleepers = self.sleepers.lock().unwrap();
        let dec = (1 << UNPARKED_SHIFT) | usize::from(is_searching);
        // SeqCst: the store half of the last searcher's StoreLoad pairing (module doc).
        let prev = self.state.fetch_sub(dec, Ordering::SeqCst);
        sleepers.push(index);
        is_searching && searching(prev) == 1
    }

    /// A parked worker woke up. Returns whether it was notified (and so counted as searching
    /// by its notifier); otherwise (a timeout, or a shutdown unpark) it removes itself from the
    /// sleepers and counts itself as unparked, not searching.
    #[must_use]
    pub(crate) fn transition_worker_from_parked(&self, index: usize) -> bool {
        let mut sleepers = self.sleepers.lock().unwrap();
        match sleepers.iter().position(|&i| i == index) {
            Some(pos) => {
                sleepers.swap_remove(pos);
                self.state.fetch_add(1 << UNPARKED_SHIFT, Ordering::SeqCst);
                false
            }
            None => true,
        }
    }

    /// Some parked worker, left parked in the list (for a timer-duty hand-off: it wakes, finds
    /// itself still listed, counts itself unparked, and re-parks holding the duty).
    pub(crate) fn any_sleeper(&self) -> Option<usize> {
        self.sleepers.lock().unwrap().last().copied()
    }

    pub(crate) fn num_searching(&self) -> usize {
        searching(self.state.load(Ordering::SeqCst))
    }

    pub(crate) fn num_parked(&self) -> usize {
        self.num_workers - unparked(self.state.load(Ordering::SeqCst))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn at_most_half_search() {
        let idle = Idle::new(4);
        assert!(idle.transition_worker_to_searching());
        assert!(idle.transition_worker_to_searching());
        assert!(!idle.transition_worker_to_searching());
        assert!(!idle.transition_worker_from_searching());
        assert!(idle.transition_worker_from_searching());
    }

    #[test]
    fn notify_wakes_one_sleeper_and_counts_it_searching() {
        let idle = Idle::new(2);
        assert!(!idle.notify_should_wakeup());
        assert!(!idle.transition_worker_to_parked(1, false));
        assert!(idle.notify_should_wakeup());
        assert_eq!(idle.worker_to_notify(), Some(1));
        // A searcher is now awake: no second wakeup.
        assert_eq!(idle.worker_to_notify(), None);
        assert!(idle.transition_worker_from_parked(1));
        assert_eq!(searching(idle.state.load(Ordering::SeqCst)), 1);
    }

    #[test]
    fn last_searcher_parking_is_reported() {
        let idle = Idle::new(2);
        assert!(idle.transition_worker_to_searching());
        assert!(idle.transition_worker_to_parked(0, true));
        assert!(!idle.transition_worker_from_parked(0));
        assert_eq!(idle.num_parked(), 0);
    }
}
