//! The live-task registry (Go's `allgs`): every task from spawn until it completes.
//!
//! It backs `num_tasks()`, the shutdown sweep (which must find tasks that are parked on a
//! waker nobody will ever call, to drop them), and the task dump.
//!
//! # Design
//!
//! Sharded slabs behind mutexes: a task is inserted into the shard of the worker that spawns it
//! (so spawns on different workers do not contend) and removed, by the key stored in its
//! header, when it completes. Each shard also keeps its length in an atomic so `num_tasks()`
//! never takes a lock. A closed shard (runtime shutting down) refuses inserts, and the shutdown
//! sweep drains it: every reference the registry held moves to the sweeper.
//!
//! Rejected: an intrusive doubly linked list through the task headers (16 bytes per task
//! instead of a slab slot, but unsafe and no faster at this size); one global lock (contended
//! on every spawn and completion).
//!
//! Lock order: a shard lock is a leaf: nothing else is locked while holding it, and no task
//! code runs under it.

use slab::Slab;

use super::header::Header;
use super::raw::RawTask;
use crate::loom::{AtomicUsize, Mutex, Ordering};

const SHARD_BITS: u32 = 8;
const SHARD_MASK: usize = (1 << SHARD_BITS) - 1;

#[repr(align(128))]
struct Shard {
    inner: Mutex<ShardInner>,
    len: AtomicUsize,
}

struct ShardInner {
    tasks: Slab<RawTask>,
    closed: bool,
}

pub(crate) struct Registry {
    shards: Box<[Shard]>,
}

/// Result of [`Registry::insert`].
#[must_use]
pub(crate) enum Insert {
    /// Registered; the registry holds one of the task's references.
    Ok,
    /// The runtime is shutting down: the caller must cancel the task and drop the registry's
    /// reference itself.
    Closed,
}

impl Registry {
    pub(crate) fn new(shards: usize) -> Registry {
        let shards = shards.clamp(1, 1 << SHARD_BITS);
        Registry {
            shards: (0..shards)
                .map(|_| Shard {
                    inner: Mutex::new(ShardInner {
                        tasks: Slab::new(),
                        closed: false,
                    }),
                    len: AtomicUsize::new(0),
                })
                .collect(),
        }
    }

    /// Registers a new task (before it is first queued) in shard `hint % shards`.
    pub(crate) fn insert(&self, task: RawTask, hint: usize) -> Insert {
        let index = hint % self.shards.len();
        let shard = &self.shards[index];
        let mut inner = shard.inner.lock().unwrap();
        if inner.closed {
            return Insert::Closed;
        }
        let entry = inner.tasks.vacant_entry();
        task.header()
            .set_registry_key((entry.key() << SHARD_BITS) | index);
        entry.insert(task);
        shard.len.store(inner.tasks.len(), Ordering::Relaxed);
        Insert::Ok
    }

    /// Unregisters a completed task. True if the registry's reference passes to the caller;
    /// false if the shutdown sweep already took it.
    pub(crate) fn remove(&self, header: &Header) -> bool {
        let key = header.registry_key();
        let shard = &self.shards[key & SHARD_MASK];
        let mut inner = shard.inner.lock().unwrap();
        let slot = key >> SHARD_BITS;
        // Check identity: after a sweep the slot may be vacant (closed shards never reuse it).
        let ours = inner
            .tasks
            .get(slot)
            .is_some_and(|t| std::ptr::eq(t.header(), header));
        if ours {
            inner.tasks.remove(slot);
            shard.len.store(inner.tasks.len(), Ordering::Relaxed);
        }
        ours
    }

    /// Live tasks (a racy but cheap sum of per-shard counts).
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.len.load(Ordering::Relaxed))
            .sum()
    }

    /// Closes every shard and takes all registered tasks (with the registry's references).
    /// Called repeatedly by shutdown until it returns nothing.
    pub(crate) fn close_and_drain(&self) -> Vec<RawTask> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let mut inner = shard.inner.lock().unwrap();
            inner.closed = true;
            out.extend(inner.tasks.drain());
            shard.len.store(0, Ordering::Relaxed);
        }
        out
    }

    /// Calls `f` on every live task, one shard lock at a time (for the task dump).
    #[allow(dead_code)]
    pub(crate) fn for_each(&self, mut f: impl FnMut(&Header)) {
        for shard in self.shards.iter() {
            let inner = shard.inner.lock().unwrap();
            for (_, t) in inner.tasks.iter() {
                f(t.header());
            }
        }
    }
}
