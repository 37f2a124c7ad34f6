//! The live-task registry (Go's `allgs`): every task from spawn until it completes.
//!
//! It backs `num_tasks()`, the shutdown sweep (which must find tasks that are parked on a
//! waker nobody will ever call, to drop them), the task dump and the leak check, and counts
//! spawns and completions for the runtime's metrics.
//!
//! # Design
//!
//! Sharded slabs behind locks: a task is inserted into the shard of the worker that spawns it
//! (so spawns on different workers do not contend) and removed, by the key stored in its
//! header, when it completes. Each shard also keeps its length in an atomic so `num_tasks()`
//! never takes a lock. A closed shard (runtime shutting down) refuses inserts, and the shutdown
//! sweep drains it: every reference the registry held moves to the sweeper.
//!
//! Rejected: an intrusive doubly linked list through the task headers (16 bytes per task
//! instead of a slab slot, but unsafe and no faster at this size); one global lock (contended
//! on every spawn and completion).
//!
//! A dump visits the tasks in chunks of [`VISIT_CHUNK`] slots, releasing the shard lock between
//! chunks, so even a dump of a million tasks delays a spawn or a completion on that shard by
//! one chunk's worth of copying (tens of microseconds), never by the whole walk. The lock is a
//! `RwLock` for that reason, not for concurrent reads: std's is writer-preferring, so a spawn
//! or completion waiting for it gets it at the next chunk boundary, where an (unfair) mutex
//! would let the walker, which is on the CPU, re-take it chunk after chunk while the waiter is
//! still waking up. The price is
//! that the walk is not a consistent snapshot: a task spawned or completed meanwhile may or may
//! not be seen (none is seen twice: a slot is only reused by a new task, and each slot is
//! visited once).
//!
//! Lock order: a shard lock is a leaf: nothing else is locked while holding it, and no task
//! code runs under it.

use slab::Slab;

use super::header::Header;
use super::raw::RawTask;
use crate::loom::{AtomicUsize, Ordering, RwLock};

const SHARD_BITS: u32 = 8;
const SHARD_MASK: usize = (1 << SHARD_BITS) - 1;

/// Slots a dump visits per acquisition of a shard lock.
pub(crate) const VISIT_CHUNK: usize = 2048;

#[repr(align(128))]
struct Shard {
    inner: RwLock<ShardInner>,
    len: AtomicUsize,
}

struct ShardInner {
    tasks: Slab<RawTask>,
    closed: bool,
    /// Tasks ever registered in this shard.
    inserted: u64,
    /// Tasks unregistered by completing (not by the shutdown sweep).
    completed: u64,
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
                    inner: RwLock::new(ShardInner {
                        tasks: Slab::new(),
                        closed: false,
                        inserted: 0,
                        completed: 0,
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
        let mut inner = shard.inner.write().unwrap();
        if inner.closed {
            return Insert::Closed;
        }
        let entry = inner.tasks.vacant_entry();
        task.header()
            .set_registry_key((entry.key() << SHARD_BITS) | index);
        entry.insert(task);
        inner.inserted += 1;
        shard.len.store(inner.tasks.len(), Ordering::Relaxed);
        Insert::Ok
    }

    /// Unregisters a completed task. True if the registry's reference passes to the caller;
    /// false if the shutdown sweep already took it.
    pub(crate) fn remove(&self, header: &Header) -> bool {
        let key = header.registry_key();
        let shard = &self.shards[key & SHARD_MASK];
        let mut inner = shard.inner.write().unwrap();
        let slot = key >> SHARD_BITS;
        // Check identity: after a sweep the slot may be vacant (closed shards never reuse it).
        let ours = inner
            .tasks
            .get(slot)
            .is_some_and(|t| std::ptr::eq(t.header(), header));
        if ours {
            inner.tasks.remove(slot);
            inner.completed += 1;
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
            let mut inner = shard.inner.write().unwrap();
            inner.closed = true;
            out.extend(inner.tasks.drain());
            shard.len.store(0, Ordering::Relaxed);
        }
        out
    }

    /// Reads every live task with `read` (for the task dump), holding a shard lock for at most
    /// [`VISIT_CHUNK`] slots at a time, and hands each chunk's results to `sink` after
    /// releasing the lock (so whatever `sink` allocates or copies never delays a spawn). See the
    /// module doc for what a concurrent spawn or completion does to the walk. `read` runs under
    /// the lock: it must only read the header.
    pub(crate) fn visit<T>(&self, read: impl Fn(&Header) -> T, mut sink: impl FnMut(&mut Vec<T>)) {
        let mut buf = Vec::with_capacity(VISIT_CHUNK);
        for shard in self.shards.iter() {
            let mut cursor = 0;
            loop {
                let inner = shard.inner.read().unwrap();
                let end = inner.tasks.capacity().min(cursor + VISIT_CHUNK);
                for slot in cursor..end {
                    if let Some(t) = inner.tasks.get(slot) {
                        buf.push(read(t.header()));
                    }
                }
                let more = end < inner.tasks.capacity();
                drop(inner);
                sink(&mut buf);
                buf.clear();
                if !more {
                    break;
                }
                cursor = end;
            }
        }
    }

    /// Tasks ever registered, and tasks that completed (for metrics).
    pub(crate) fn counts(&self) -> (u64, u64) {
        self.shards.iter().fold((0, 0), |(ins, done), shard| {
            let inner = shard.inner.read().unwrap();
            (ins + inner.inserted, done + inner.completed)
        })
    }
}
