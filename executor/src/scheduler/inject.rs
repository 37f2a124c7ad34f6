//! The global injection queue (Go's global run queue): spawns and wakes from threads outside
//! the runtime, and overflow from full local queues.

use concurrent_queue::ConcurrentQueue;

use crate::task::raw::Notified;

pub(crate) struct Inject {
    queue: ConcurrentQueue<Notified>,
}

impl Inject {
    pub(crate) fn new() -> Inject {
        Inject {
            queue: ConcurrentQueue::unbounded(),
        }
    }

    pub(crate) fn push(&self, task: Notified) {
        // An unbounded queue is only closed by `close`, which we never call.
        if let Err(e) = self.queue.push(task) {
            drop(e.into_inner());
        }
    }

    pub(crate) fn push_batch(&self, batch: &mut dyn Iterator<Item = Notified>) {
        for task in batch {
            self.push(task);
        }
    }

    /// Takes the oldest task (a worker taking one counts it in its own stats).
    pub(crate) fn pop(&self) -> Option<Notified> {
        self.queue.pop().ok()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }
}
