//! A FIFO list of waiters with O(1) removal from the middle, without `unsafe`.
//!
//! # Design
//!
//! Every blocking primitive in this crate (WaitGroup, Semaphore and the locks on it, Notify,
//! context, singleflight) keeps its waiters in a `WaitList` behind the primitive's own mutex.
//! Nodes live in a [`slab::Slab`] and are chained by index (`prev`/`next`), so a node can be
//! unlinked in O(1) when its future is dropped, and keys stay stable while a node exists.
//!
//! Two operations are deliberately separate:
//! - **unlink** takes a node out of the queue (a notifier does this when it grants the node what
//!   it waited for) but keeps its slot, so the owner future can still read what it was granted;
//! - **remove** frees the slot. Only the owner future (the one holding the key) frees its node,
//!   on completion or in `Drop`. Keys are therefore never reused under a live future (no ABA).
//!
//! Invariants: `head`/`tail` are `None` exactly when no node is linked; a node is linked iff
//! `linked` is set; following `next` from `head` visits every linked node once, in push order.
//!
//! Rejected: an intrusive list with nodes inside the pinned futures (tokio, event-listener). It
//! saves one slab slot per waiter but needs `unsafe` pointer juggling; our waiters are already
//! behind a mutex, and the slab reuses its memory, so the safe version costs little.

use slab::Slab;

#[derive(Debug)]
struct Node<T> {
    prev: Option<usize>,
    next: Option<usize>,
    linked: bool,
    value: T,
}

/// FIFO of waiter records `T`; see the module docs.
#[derive(Debug)]
pub(crate) struct WaitList<T> {
    nodes: Slab<Node<T>>,
    head: Option<usize>,
    tail: Option<usize>,
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
            nodes: Slab::new(),
            head: None,
            tail: None,
            linked: 0,
        }
    }

    /// Appends a new linked node; returns its key.
    pub(crate) fn push_back(&mut self, value: T) -> usize {
        let key = self.nodes.insert(Node {
            prev: None,
            next: None,
            linked: false,
            value,
        });
        self.link_back(key);
        key
    }

    /// Links an existing (unlinked) node at the back again.
    pub(crate) fn link_back(&mut self, key: usize) {
        debug_assert!(!self.nodes[key].linked);
        let tail = self.tail;
        {
            let node = &mut self.nodes[key];
            node.prev = tail;
            node.next = None;
            node.linked = true;
        }
        match tail {
            Some(t) => self.nodes[t].next = Some(key),
            None => self.head = Some(key),
        }
        self.tail = Some(key);
        self.linked += 1;
    }

    /// Links an existing (unlinked) node at the front again: a waiter that was woken, lost the
    /// race for what it waited for and must keep its place ahead of later arrivals.
    pub(crate) fn link_front(&mut self, key: usize) {
        debug_assert!(!self.nodes[key].linked);
        let head = self.head;
        {
            let node = &mut self.nodes[key];
            node.prev = None;
            node.next = head;
            node.linked = true;
        }
        match head {
            Some(h) => self.nodes[h].prev = Some(key),
            None => self.tail = Some(key),
        }
        self.head = Some(key);
        self.linked += 1;
    }

    /// Takes the node out of the queue, keeping its slot. No-op if not linked.
    pub(crate) fn unlink(&mut self, key: usize) {
        let (prev, next) = {
            let node = &mut self.nodes[key];
            if !node.linked {
                return;
            }
            node.linked = false;
            (node.prev.take(), node.next.take())
        };
        match prev {
            Some(p) => self.nodes[p].next = next,
            None => self.head = next,
        }
        match next {
            Some(n) => self.nodes[n].prev = prev,
            None => self.tail = prev,
        }
        self.linked -= 1;
    }

    /// Unlinks (if needed) and frees the node, returning its value.
    pub(crate) fn remove(&mut self, key: usize) -> T {
        self.unlink(key);
        self.nodes.remove(key).value
    }

    /// Whether the node is still queued.
    pub(crate) fn is_linked(&self, key: usize) -> bool {
        self.nodes[key].linked
    }

    /// The first linked node.
    pub(crate) fn front(&self) -> Option<usize> {
        self.head
    }

    /// Unlinks the first linked node and returns its key (its slot stays allocated).
    pub(crate) fn pop_front(&mut self) -> Option<usize> {
        let key = self.head?;
        self.unlink(key);
        Some(key)
    }

    pub(crate) fn get_mut(&mut self, key: usize) -> &mut T {
        &mut self.nodes[key].value
    }

    /// Number of linked nodes.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.linked
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.linked == 0
    }

    /// Unlinks every linked node, calling `f` on each (in FIFO order).
    pub(crate) fn drain_linked(&mut self, mut f: impl FnMut(&mut T)) {
        while let Some(key) = self.pop_front() {
            f(&mut self.nodes[key].value);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::WaitList;

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
