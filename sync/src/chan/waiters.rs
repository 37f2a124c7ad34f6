//! Slab-indexed FIFO lists of parked operations.
//!
//! # Design
//!
//! Every parked send or receive is one node in a [`Slab`] owned by the channel state (so it is
//! protected by the channel's mutex and needs no `unsafe`): the node holds the waiter's data and
//! `prev`/`next` keys, so a waiter can be unlinked from the middle of its queue in O(1) when its
//! future is dropped. The channel keeps two [`Queue`]s (senders, receivers) over the one slab.
//!
//! Invariants:
//! - a node is in at most one queue, and `linked` says whether it is in one;
//! - a node's key stays valid until its *owner* (the future that inserted it) removes it: other
//!   parties only unlink nodes and change their data, never remove them, so a key held by a
//!   future can never come to name someone else's node (no ABA).
//!
//! Rejected: an intrusive list threaded through the futures themselves (tokio's and
//! event-listener's design). It avoids the slab lookup but makes every future `!Unpin`, needs
//! `unsafe` for every link, and buys little when the list is already guarded by a mutex.

use slab::Slab;

const NIL: usize = usize::MAX;

/// The head and tail of one FIFO list of nodes in a [`Waiters`] slab.
#[derive(Debug)]
pub(crate) struct Queue {
    head: usize,
    tail: usize,
}

impl Queue {
    pub(crate) const fn new() -> Queue {
        Queue {
            head: NIL,
            tail: NIL,
        }
    }

    /// The first node in the queue.
    pub(crate) fn head(&self) -> Option<usize> {
        (self.head != NIL).then_some(self.head)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.head == NIL
    }
}

#[derive(Debug)]
struct Node<E> {
    prev: usize,
    next: usize,
    linked: bool,
    data: E,
}

/// The slab of waiter nodes shared by a channel's two queues.
#[derive(Debug)]
pub(crate) struct Waiters<E> {
    slab: Slab<Node<E>>,
}

impl<E> Waiters<E> {
    pub(crate) const fn new() -> Waiters<E> {
        Waiters { slab: Slab::new() }
    }

    /// Stores `data` in a new node at the tail of `q` and returns its key.
    pub(crate) fn push_back(&mut self, q: &mut Queue, data: E) -> usize {
        let key = self.slab.insert(Node {
            prev: q.tail,
            next: NIL,
            linked: true,
            data,
        });
        if q.tail == NIL {
            q.head = key;
        } else {
            self.slab[q.tail].next = key;
        }
        q.tail = key;
        key
    }

    /// Removes node `key` from `q` (it must be linked into `q`). The node stays in the slab.
    pub(crate) fn unlink(&mut self, q: &mut Queue, key: usize) {
        let (prev, next) = {
            let n = &mut self.slab[key];
            debug_assert!(n.linked, "unlinking a node that is not in a queue");
            n.linked = false;
            let pn = (n.prev, n.next);
            n.prev = NIL;
            n.next = NIL;
            pn
        };
        if prev == NIL {
            q.head = next;
        } else {
            self.slab[prev].next = next;
        }
        if next == NIL {
            q.tail = prev;
        } else {
            self.slab[next].prev = prev;
        }
    }

    /// Unlinks every node of `q`, front to back, calling `f` on each one's data.
    pub(crate) fn drain_queue(&mut self, q: &mut Queue, mut f: impl FnMut(&mut E)) {
        let mut cur = q.head;
        while cur != NIL {
            let n = &mut self.slab[cur];
            let next = n.next;
            n.linked = false;
            n.prev = NIL;
            n.next = NIL;
            f(&mut n.data);
            cur = next;
        }
        *q = Queue::new();
    }

    /// Frees node `key`, which must not be linked, and returns its data.
    pub(crate) fn remove(&mut self, key: usize) -> E {
        let n = self.slab.remove(key);
        debug_assert!(!n.linked, "removing a node that is still queued");
        n.data
    }

    /// The node after `key` in its queue.
    pub(crate) fn next(&self, key: usize) -> Option<usize> {
        let next = self.slab[key].next;
        (next != NIL).then_some(next)
    }

    pub(crate) fn is_linked(&self, key: usize) -> bool {
        self.slab[key].linked
    }

    pub(crate) fn get(&self, key: usize) -> &E {
        &self.slab[key].data
    }

    pub(crate) fn get_mut(&mut self, key: usize) -> &mut E {
        &mut self.slab[key].data
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn collect(w: &Waiters<u32>, q: &Queue) -> Vec<u32> {
        let mut out = Vec::new();
        let mut cur = q.head();
        while let Some(k) = cur {
            out.push(*w.get(k));
            cur = w.next(k);
        }
        out
    }

    #[test]
    fn fifo_and_unlink_anywhere() {
        let mut w = Waiters::new();
        let mut q = Queue::new();
        let keys: Vec<usize> = (0..5).map(|i| w.push_back(&mut q, i)).collect();
        assert_eq!(collect(&w, &q), [0, 1, 2, 3, 4]);
        w.unlink(&mut q, keys[2]);
        w.unlink(&mut q, keys[0]);
        w.unlink(&mut q, keys[4]);
        assert_eq!(collect(&w, &q), [1, 3]);
        assert!(!w.is_linked(keys[2]));
        assert_eq!(w.remove(keys[2]), 2);
        let k5 = w.push_back(&mut q, 5);
        assert_eq!(collect(&w, &q), [1, 3, 5]);
        let mut seen = Vec::new();
        w.drain_queue(&mut q, |d| seen.push(*d));
        assert_eq!(seen, [1, 3, 5]);
        assert!(q.is_empty());
        assert!(!w.is_linked(k5));
    }
}
