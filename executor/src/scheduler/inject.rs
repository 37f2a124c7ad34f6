//! The global injection queue (Go's global run queue): spawns and wakes from threads outside
//! the runtime, and overflow from full local queues.
//!
//! # Design
//!
//! A mutex around a ring of task pointers (`VecDeque`), plus its length in an atomic so the
//! frequent "anything there?" checks of busy and searching workers never take the lock. Like
//! Go's `globrunqputbatch` / `globrunqget`, work moves in batches: a full local queue hands
//! half of itself over in one lock hold, and a worker takes its fair share (up to half a
//! local queue) in one lock hold, so a spawner feeding another worker pays one lock per 128
//! tasks rather than an atomic read-modify-write per task on each side.
//!
//! The ring keeps its capacity while in use; once drained it gives back all but
//! [`KEEP_CAPACITY`] slots, so a burst of a million queued tasks does not pin 8 MB.
//!
//! # Invariants
//!
//! - `len` equals the ring's length whenever the lock is free (it is stored under the lock
//!   after every change), so an unlocked read is at worst stale, never torn.
//! - No code runs under the lock but the ring's own operations and the caller's `take`
//!   callback in [`Inject::pop_batch`], which must not touch the injection queue.
//!
//! Rejected: `concurrent_queue`'s unbounded queue (the previous design: two contended atomic
//! read-modify-writes per task, a 31-slot block allocated per 31 tasks, and a batch could
//! only be moved one task at a time); an intrusive list through the task headers (tokio's and
//! Go's: no ring memory at all, but 8 more bytes in every task header, live or not).

use std::collections::VecDeque;

use crate::loom::{AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::task::raw::Notified;

/// Slots a drained ring keeps.
const KEEP_CAPACITY: usize = 1024;

pub(crate) struct Inject {
    queue: Mutex<VecDeque<Notified>>,
    /// The ring's length (see the invariants).
    len: AtomicUsize,
}

impl Inject {
    pub(crate) fn new() -> Inject {
        Inject {
            queue: Mutex::new(VecDeque::new()),
            len: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Notified>> {
        // A panic never leaves the ring half-changed: its operations do not unwind midway.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores the length after a change, and trims a drained ring (under the lock).
    fn publish(&self, q: &mut VecDeque<Notified>) {
        if q.is_empty() && q.capacity() > 2 * KEEP_CAPACITY {
            q.shrink_to(KEEP_CAPACITY);
        }
        // Relaxed: readers that must not miss a task pair a SeqCst fence with the pusher's
        // (see `Shared::notify_parked` and `has_pending_work`); the lock orders the rest.
        self.len.store(q.len(), Ordering::Relaxed);
    }

    pub(crate) fn push(&self, task: Notified) {
        let mut q = self.lock();
        q.push_back(task);
        self.publish(&mut q);
    }

    /// Queues every task of `batch` in one lock hold.
    pub(crate) fn push_batch(&self, batch: &mut dyn Iterator<Item = Notified>) {
        let mut q = self.lock();
        q.extend(batch);
        self.publish(&mut q);
    }

    /// Takes the oldest task (a worker taking one counts it in its own stats).
    pub(crate) fn pop(&self) -> Option<Notified> {
        if self.is_empty() {
            return None;
        }
        let mut q = self.lock();
        let task = q.pop_front();
        self.publish(&mut q);
        task
    }

    /// Takes the oldest task and, in the same lock hold, up to `share(len) - 1` more (`len`:
    /// the queue's length with the first one taken), handing each to `take`, which must not
    /// use the injection queue. Returns the first task and how many went to `take`.
    pub(crate) fn pop_batch(
        &self,
        share: impl FnOnce(usize) -> usize,
        mut take: impl FnMut(Notified),
    ) -> Option<(Notified, usize)> {
        if self.is_empty() {
            return None;
        }
        let mut q = self.lock();
        let first = q.pop_front()?;
        let n = share(q.len()).saturating_sub(1).min(q.len());
        for task in q.drain(..n) {
            take(task);
        }
        self.publish(&mut q);
        Some((first, n))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn len(&self) -> usize {
        // Relaxed: a hint, see `publish`.
        self.len.load(Ordering::Relaxed)
    }
}
