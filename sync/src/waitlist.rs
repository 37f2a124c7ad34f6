//! Slab-indexed FIFO lists of waiters with O(1) removal from the middle, without `unsafe`: the
//! one waiter list of gmp-sync.
//!
//! # Design
//!
//! Every blocking primitive in this crate keeps its waiters here, behind the primitive's own
//! mutex. Nodes live in a [`Slab`] ([`Waiters`]) and are chained by key (`prev`/`next`), so a
//! node can be unlinked in O(1) when its future is dropped, and keys stay stable while a node
//! exists. One slab can carry several queues ([`Queue`]: a head and a tail): a channel keeps
//! its senders and its receivers over one slab. [`WaitList`] is the common case, one slab with
//! one queue (WaitGroup, Semaphore and the locks on it, Notify, context, singleflight).
//!
//! Two operations are deliberately separate:
//! - **unlink** takes a node out of its queue (a notifier does this when it grants the node
//!   what it waited for) but keeps its slot, so the owner future can still read what it was
//!   granted;
//! - **remove** frees the slot. Only the owner future (the one holding the key) frees its node,
//!   on completion or in `Drop`. Keys are therefore never reused under a live future (no ABA).
//!
//! Invariants:
//! - a node is in at most one queue, and `linked` says whether it is in one;
//! - a queue's `head`/`tail` are `NIL` exactly when no node is linked into it; following `next`
//!   from `head` visits every node of the queue once, in link order.
//!
//! Rejected: an intrusive list threaded through the futures themselves (tokio's and
//! event-listener's design). It saves the slab slot but makes every future `!Unpin`, needs
//! `unsafe` for every link, and buys little when the list is already guarded by a mutex; the
//! slab reuses its memory, so the safe version costs little.

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

/// The slab of waiter nodes shared by one or more [`Queue`]s.
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
        // Linked as it is made (not `insert` + `link_back`): this is on every parked channel
        // operation, and the one slab write keeps the poll functions small enough to inline.
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

    /// Links the (unlinked) node `key` at the tail of `q`.
    pub(crate) fn link_back(&mut self, q: &mut Queue, key: usize) {
        let n = &mut self.slab[key];
        debug_assert!(!n.linked, "linking a node that is already queued");
        n.prev = q.tail;
        n.next = NIL;
        n.linked = true;
        if q.tail == NIL {
            q.head = key;
        } else {
            self.slab[q.tail].next = key;
        }
        q.tail = key;
    }

    /// Links the (unlinked) node `key` at the head of `q`: a waiter that was woken, lost the
    /// race for what it waited for and must keep its place ahead of later arrivals.
    pub(crate) fn link_front(&mut self, q: &mut Queue, key: usize) {
        let n = &mut self.slab[key];
        debug_assert!(!n.linked, "linking a node that is already queued");
        n.prev = NIL;
        n.next = q.head;
        n.linked = true;
        if q.head == NIL {
            q.tail = key;
        } else {
            self.slab[q.head].prev = key;
        }
        q.head = key;
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

/// One FIFO of waiter records `T` over a slab of its own; see the module docs.
#[derive(Debug)]
pub(crate) struct WaitList<T> {
    nodes: Waiters<T>,
    queue: Queue,
    linked: usize,
}

impl<T> Default for WaitList<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> WaitList<T> {
    pub(crate) const fn new() -> Self {
        WaitList {
            nodes: Waiters::new(),
            queue: Queue::new(),
            linked: 0,
        }
    }

    /// Appends a new linked node; returns its key.
    pub(crate) fn push_back(&mut self, value: T) -> usize {
        self.linked += 1;
        self.nodes.push_back(&mut self.queue, value)
    }

    /// Links an existing (unlinked) node at the back again.
    pub(crate) fn link_back(&mut self, key: usize) {
        self.nodes.link_back(&mut self.queue, key);
        self.linked += 1;
    }

    /// Links an existing (unlinked) node at the front again (see [`Waiters::link_front`]).
    pub(crate) fn link_front(&mut self, key: usize) {
        self.nodes.link_front(&mut self.queue, key);
        self.linked += 1;
    }

    /// Takes the node out of the queue, keeping its slot. No-op if not linked.
    pub(crate) fn unlink(&mut self, key: usize) {
        if self.nodes.is_linked(key) {
            self.nodes.unlink(&mut self.queue, key);
            self.linked -= 1;
        }
    }

    /// Unlinks (if needed) and frees the node, returning its value.
    pub(crate) fn remove(&mut self, key: usize) -> T {
        self.unlink(key);
        self.nodes.remove(key)
    }

    /// Whether the node is still queued.
    pub(crate) fn is_linked(&self, key: usize) -> bool {
        self.nodes.is_linked(key)
    }

    /// The first linked node.
    pub(crate) fn front(&self) -> Option<usize> {
        self.queue.head()
    }

    /// Unlinks the first linked node and returns its key (its slot stays allocated).
    pub(crate) fn pop_front(&mut self) -> Option<usize> {
        let key = self.queue.head()?;
        self.unlink(key);
        Some(key)
    }

    pub(crate) fn get_mut(&mut self, key: usize) -> &mut T {
        self.nodes.get_mut(key)
    }

    /// Number of linked nodes.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn len(&self) -> usize {
        self.linked
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.linked == 0
    }

    /// Unlinks every linked node, calling `f` on each (in FIFO order).
    pub(crate) fn drain_linked(&mut self, f: impl FnMut(&mut T)) {
        self.nodes.drain_queue(&mut self.queue, f);
        self.linked = 0;
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
        w.link_front(&mut q, keys[0]);
        assert_eq!(collect(&w, &q), [0, 1, 3, 5]);
        w.unlink(&mut q, keys[0]);
        let mut seen = Vec::new();
        w.drain_queue(&mut q, |d| seen.push(*d));
        assert_eq!(seen, [1, 3, 5]);
        assert!(q.is_empty());
        assert!(!w.is_linked(k5));
    }

    #[test]
    fn two_queues_share_one_slab() {
        let mut w = Waiters::new();
        let (mut a, mut b) = (Queue::new(), Queue::new());
        let a0 = w.push_back(&mut a, 10);
        let b0 = w.push_back(&mut b, 20);
        let a1 = w.push_back(&mut a, 11);
        assert_eq!(collect(&w, &a), [10, 11]);
        assert_eq!(collect(&w, &b), [20]);
        w.unlink(&mut a, a0);
        w.link_back(&mut b, a0);
        assert_eq!(collect(&w, &a), [11]);
        assert_eq!(collect(&w, &b), [20, 10]);
        w.unlink(&mut b, b0);
        assert_eq!(w.remove(b0), 20);
        assert_eq!(collect(&w, &b), [10]);
        w.unlink(&mut a, a1);
        assert!(a.is_empty());
    }

    #[test]
    fn fifo_and_middle_removal() {
        let mut l = WaitList::new();
        let a = l.push_back('a');
        let b = l.push_back('b');
        let c = l.push_back('c');
        assert_eq!(l.len(), 3);
        assert_eq!(l.remove(b), 'b');
        assert_eq!(l.pop_front(), Some(a));
        assert!(!l.is_linked(a));
        l.link_back(a);
        let mut seen = Vec::new();
        l.drain_linked(|v| seen.push(*v));
        assert_eq!(seen, ['c', 'a']);
        l.link_front(c);
        l.link_front(a);
        let mut seen = Vec::new();
        l.drain_linked(|v| seen.push(*v));
        assert_eq!(seen, ['a', 'c']);
        assert!(l.is_empty());
        assert_eq!(l.front(), None);
        assert_eq!(l.remove(c), 'c');
        assert_eq!(l.remove(a), 'a');
    }
}
