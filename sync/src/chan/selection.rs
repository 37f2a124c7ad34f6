//! The selection token: how `select!` makes exactly one arm commit.
//!
//! # Design
//!
//! A `select!` invocation owns one [`Selection`], shared (through an `Arc`) by every waiter its
//! channel arms park. The token is a consensus object with Go's `selectDone` role: an arm may
//! complete only by moving the token from `WAITING` to `SELECTED(arm)`, whether the select's own
//! poll finds the arm ready or a counterpart on another thread pairs with its parked waiter.
//! The loser of that race does nothing: an unchosen send keeps its value and an unchosen receive
//! takes none.
//!
//! States of the word:
//! - `WAITING` (0): no arm has committed.
//! - `BUSY` (1), optionally with `BOUNCED` (2): the select's *own* thread is pairing one of its
//!   arms with a counterpart that is itself a select, under that channel's lock, and may still
//!   back out (the counterpart's token can be lost to a third party). Only the owner sets and
//!   clears `BUSY`. A counterpart that meets `BUSY` neither waits (it holds another channel's
//!   lock) nor drops the waiter: it sets `BOUNCED` and skips it; the owner, when it backs out,
//!   sees `BOUNCED` and re-polls itself, so the skipped pairing is found again.
//! - `SELECTED(k)` (`(k + 1) << 2`): arm `k` committed; final.
//!
//! Go needs no `BUSY`: its select locks every channel it names (in address order) while it
//! checks and enqueues. Rejected here: taking several channel locks at once would need a global
//! lock order and a lock-all step in every select poll; the token keeps each channel's mutex
//! independent (the lock order of `sync::chan` is: one channel mutex at a time, never two).
//!
//! Orderings: the token only decides *who* commits; the values themselves move under the
//! channel mutex, which orders them. Successful CASes are `AcqRel` and loads `Acquire` so that
//! the thread that observes `SELECTED(k)` also observes everything the committer did before.

use crate::loom::{Arc, AtomicUsize, Ordering};

const WAITING: usize = 0;
const BUSY: usize = 1;
const BOUNCED: usize = 2;

const fn selected(arm: usize) -> usize {
    (arm + 1) << 2
}

/// One `select!` invocation's token.
#[derive(Debug)]
pub(crate) struct Selection {
    state: AtomicUsize,
    /// A select with a `default` arm: channel arms never park, they only try.
    nonblocking: bool,
}

/// What a counterpart's attempt to claim a parked select waiter found.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// The waiter's arm is now the select's chosen arm: complete it.
    Won,
    /// The select's owner is busy pairing elsewhere; skip the waiter but leave it queued.
    Busy,
    /// The select already chose another arm: unlink the waiter.
    Lost,
}

impl Selection {
    pub(crate) fn new(nonblocking: bool) -> Selection {
        Selection {
            state: AtomicUsize::new(WAITING),
            nonblocking,
        }
    }

    pub(crate) fn is_nonblocking(&self) -> bool {
        self.nonblocking
    }

    /// The arm that committed, if one has.
    pub(crate) fn selected(&self) -> Option<usize> {
        // Acquire: pairs with the AcqRel CAS/swap that wrote SELECTED, so the winner's channel
        // work happens-before our poll of that arm.
        let s = self.state.load(Ordering::Acquire);
        (s >= selected(0)).then(|| (s >> 2) - 1)
    }

    /// A counterpart (holding some channel's lock) tries to commit the parked waiter of `arm`.
    pub(crate) fn claim(&self, arm: usize) -> Claim {
        // Acquire on the load/failure: pairs with the owner's AcqRel swaps out of BUSY.
        let mut cur = self.state.load(Ordering::Acquire);
        loop {
            let next = match cur {
                WAITING => selected(arm),
                BUSY => BUSY | BOUNCED,
                s if s == BUSY | BOUNCED => return Claim::Busy,
                _ => return Claim::Lost,
            };
            // AcqRel: Release publishes our decision to the select's `selected()` load; Acquire
            // orders us after whoever wrote the value we replace.
            match self
                .state
                .compare_exchange(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) if next == selected(arm) => return Claim::Won,
                Ok(_) => return Claim::Busy,
                Err(actual) => cur = actual,
            }
        }
    }

    /// The owner commits `arm` directly (no counterpart token involved).
    /// `false`: another arm already committed.
    pub(crate) fn try_select(&self, arm: usize) -> bool {
        // AcqRel: see `claim`.
        self.state
            .compare_exchange(WAITING, selected(arm), Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// The owner reserves the token while it claims a counterpart's. `false`: another arm
    /// already committed.
    pub(crate) fn try_busy(&self) -> bool {
        // AcqRel: see `claim`.
        self.state
            .compare_exchange(WAITING, BUSY, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// The owner, after `try_busy`, commits `arm`.
    pub(crate) fn finish_busy(&self, arm: usize) {
        // AcqRel: Release pairs with the Acquire in `selected()`/`claim`.
        let prev = self.state.swap(selected(arm), Ordering::AcqRel);
        debug_assert!(prev & BUSY != 0);
    }

    /// The owner, after `try_busy`, backs out. Returns whether a counterpart bounced off the
    /// token meanwhile (the owner must then poll again).
    #[must_use]
    pub(crate) fn abort_busy(&self) -> bool {
        // AcqRel: Acquire pairs with the bouncer's CAS (so its queued waiter is visible once we
        // take that channel's lock); Release pairs with the Acquire in `claim`.
        let prev = self.state.swap(WAITING, Ordering::AcqRel);
        debug_assert!(prev & BUSY != 0);
        prev & BOUNCED != 0
    }
}

/// A channel operation taking part in a select: the token and the operation's arm index.
#[derive(Debug, Clone)]
pub(crate) struct SelArm {
    pub(crate) sel: Arc<Selection>,
    pub(crate) arm: usize,
}

impl SelArm {
    pub(crate) fn same_select(&self, other: &SelArm) -> bool {
        Arc::ptr_eq(&self.sel, &other.sel)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn token_transitions() {
        let s = Selection::new(false);
        assert_eq!(s.selected(), None);
        assert!(s.try_busy());
        assert_eq!(s.claim(3), Claim::Busy);
        assert_eq!(s.claim(3), Claim::Busy);
        assert!(s.abort_busy());
        assert!(s.try_busy());
        assert!(!s.abort_busy());
        assert_eq!(s.claim(2), Claim::Won);
        assert_eq!(s.selected(), Some(2));
        assert_eq!(s.claim(1), Claim::Lost);
        assert!(!s.try_select(0));
        assert!(!s.try_busy());
        let t = Selection::new(true);
        assert!(t.is_nonblocking());
        assert!(t.try_busy());
        t.finish_busy(0);
        assert_eq!(t.selected(), Some(0));
    }
}
