//! The live-task registry (Go's `allgs`): every task from spawn until it completes.
//!
//! It backs `num_tasks()`, the shutdown sweep (which must find tasks that are parked on a
//! waker nobody will ever call, to drop them), the task dump and the leak check, and counts
//! spawns and completions for the runtime's metrics.
//!
//! # Design
//!
//! An intrusive doubly linked list through the task headers ([`Links`]), sharded: a task joins
//! the list of the shard of the worker that spawns it (so spawns on different workers do not
//! contend), at its head, and leaves it in O(1) when it completes, by the shard index packed
//! into its header. Each shard is a small mutex, a sentinel node (the list is circular through
//! it, so linking and unlinking never branch on an empty list or an end), and its length in an
//! atomic so `num_tasks()` never takes a lock. An insert touches the shard, the new task's
//! header (hot: it was just written) and the old first node's `prev`; a removal touches the
//! task and its two neighbours. Nothing is allocated.
//!
//! A closed shard (runtime shutting down) refuses inserts, and the shutdown sweep drains it:
//! every reference the registry held moves to the sweeper, and each drained task is marked
//! unlinked so its own completion later knows the registry's reference is gone.
//!
//! ## The dump's cursor
//!
//! A dump must not hold a shard lock for the whole walk (a million tasks take ~100 ms), so it
//! visits at most [`VISIT_CHUNK`] tasks per lock hold. Between holds it leaves a **cursor
//! node** in the list: a [`Links`] that belongs to the registry, not to a task, linked just
//! before the first unvisited task. Tasks completing meanwhile unlink themselves around it as
//! around any node, so the cursor is always a valid place to resume; the walk unlinks it,
//! continues from its successor, and links it again before releasing the lock. New tasks go
//! to the head, behind the cursor, so the walk ends: a dump is not an atomic snapshot (a task
//! spawned or completed during the walk may or may not be seen), but no task is seen twice
//! and every task live throughout the walk is seen.
//!
//! There is one cursor per registry, so dumps are serialized by `dump_lock` (taken before any
//! shard lock, and never by a spawn or a completion); the walk and the shutdown drain skip
//! the cursor by its address.
//!
//! Rejected:
//! - the sharded slab this replaces: an insert read the slab's free list (a scattered vacant
//!   slot, a cache miss: ~8-11% of `spawn_many`), a million slots cost 8-16 MB of slab, and
//!   the slab grew by reallocating under the lock;
//! - resuming at a *task* held by an extra reference: the task can still be unlinked while the
//!   lock is released, and then its `next` leads nowhere; detecting that needs a per-task
//!   flag and a restart rule that can starve the walk;
//! - many small lists each walked whole under its lock: one busy worker's list can hold every
//!   task, so no per-hold bound follows;
//! - one global lock (contended on every spawn and completion); a lock-free list (unlinking
//!   from the middle of a lock-free doubly linked list needs far more than these two stores).
//!
//! Lock fairness: a dump re-taking a shard lock right after releasing it could win every
//! time against a spawner that went to sleep on it (std's mutex is unfair). A thread that
//! finds the lock taken counts itself in the shard's `waiters` before blocking; the walk,
//! between chunks, lets such waiters go first (yielding a bounded number of times). The fast
//! path pays nothing for this: an uncontended `try_lock` is the same CAS as `lock`.
//!
//! # Invariants
//!
//! - A shard's list (the `prev`/`next` of its sentinel, of every task linked in it and of the
//!   cursor while it is there) is read and written only under that shard's lock.
//! - A task is linked in the shard recorded in its header from `insert` until `remove` or the
//!   drain unlinks it, and holds one reference for the registry throughout, so a linked node is
//!   always a live allocation. An unlinked task's `next` is `None`.
//! - The cursor is linked only between two holds of one `visit`, which holds `dump_lock` and
//!   unlinks it before returning (also when unwinding).
//!
//! Lock order: `dump_lock`, then a shard lock. A shard lock is a leaf: nothing else is locked
//! while holding it, and no task code runs under it.

use std::ptr::NonNull;

use super::header::Header;
use super::raw::RawTask;
use crate::loom::{AtomicUsize, Mutex, MutexGuard, Ordering, UnsafeCell};

/// Shards at most (the shard index is packed into 16 bits of the header).
const MAX_SHARDS: usize = 256;

/// Tasks a dump visits per acquisition of a shard lock.
#[cfg(not(loom))]
pub(crate) const VISIT_CHUNK: usize = 1024;
#[cfg(loom)]
pub(crate) const VISIT_CHUNK: usize = 1;

/// How many times a dump yields between chunks to let threads waiting for the shard go first.
const MAX_YIELDS: usize = 64;

/// A node of a shard's list: the two links in a task's header, a shard's sentinel, or the
/// dump's cursor. Guarded by the lock of the shard whose list it is in.
pub(crate) struct Links {
    cell: UnsafeCell<Pointers>,
}

#[derive(Clone, Copy)]
struct Pointers {
    /// `None` while the node is in no list.
    prev: Option<NonNull<Links>>,
    next: Option<NonNull<Links>>,
}

// SAFETY: the pointers are only followed and written under the lock of the shard whose list
// the node is in (module invariants), which orders every access between threads.
unsafe impl Send for Links {}
// SAFETY: as above.
unsafe impl Sync for Links {}

impl Links {
    pub(crate) fn new() -> Links {
        Links {
            cell: UnsafeCell::new(Pointers {
                prev: None,
                next: None,
            }),
        }
    }
}

/// Reads a node's links.
///
/// # Safety
/// `node` is live, and the caller holds the lock of the shard whose list it is in (or owns it
/// exclusively: a task not yet published, a sentinel being initialized).
unsafe fn get(node: NonNull<Links>) -> Pointers {
    // SAFETY: caller contract: live, and no other thread accesses it meanwhile.
    unsafe { node.as_ref() }.cell.with(|p| unsafe { *p })
}

/// Writes a node's links. Same contract as [`get`].
unsafe fn set(node: NonNull<Links>, prev: Option<NonNull<Links>>, next: Option<NonNull<Links>>) {
    // SAFETY: caller contract: live, and no other thread accesses it meanwhile.
    unsafe { node.as_ref() }
        .cell
        .with_mut(|p| unsafe { *p = Pointers { prev, next } });
}

unsafe fn set_prev(node: NonNull<Links>, prev: NonNull<Links>) {
    // SAFETY: as `set`.
    unsafe { node.as_ref() }
        .cell
        .with_mut(|p| unsafe { (*p).prev = Some(prev) });
}

unsafe fn set_next(node: NonNull<Links>, next: NonNull<Links>) {
    // SAFETY: as `set`.
    unsafe { node.as_ref() }
        .cell
        .with_mut(|p| unsafe { (*p).next = Some(next) });
}

/// Links `node` in just before `at` (which is in a list).
///
/// # Safety
/// Both are live, `node` is in no list, and the caller holds the lock of `at`'s list.
unsafe fn link_before(node: NonNull<Links>, at: NonNull<Links>) {
    // SAFETY: caller contract; a linked node's `prev` is set and live (module invariants).
    unsafe {
        let prev = get(at).prev.expect("linked node without prev");
        set(node, Some(prev), Some(at));
        set_next(prev, node);
        set_prev(at, node);
    }
}

/// Unlinks `node` from its list and marks it unlinked.
///
/// # Safety
/// `node` is live and in a list whose lock the caller holds.
unsafe fn unlink(node: NonNull<Links>) {
    // SAFETY: caller contract; a linked node's neighbours are live (module invariants).
    unsafe {
        let Pointers { prev, next } = get(node);
        let (prev, next) = (prev.expect("unlinked"), next.expect("unlinked"));
        set_next(prev, next);
        set_prev(next, prev);
        set(node, None, None);
    }
}

/// The node in a task's header.
fn node_of(task: RawTask) -> NonNull<Links> {
    // SAFETY: in bounds of the header; no reference is created, so the pointer keeps the
    // task's provenance and `task_of` can go back to the header.
    unsafe { NonNull::new_unchecked(&raw mut (*task.as_ptr().as_ptr()).links) }
}

/// The task whose header holds `node`.
///
/// # Safety
/// `node` is a task's node (not a sentinel or the cursor), obtained from `node_of`.
unsafe fn task_of(node: NonNull<Links>) -> RawTask {
    let offset = std::mem::offset_of!(Header, links);
    // SAFETY: caller contract: `node` points `offset` bytes into a header, with its provenance.
    RawTask::from_raw(unsafe { node.byte_sub(offset) }.cast::<Header>())
}

#[repr(align(128))]
struct Shard {
    inner: Mutex<ShardInner>,
    /// The list's sentinel (see `Links`); guarded by `inner`.
    sentinel: Links,
    /// Tasks linked, for `num_tasks()` without the lock (written under it).
    len: AtomicUsize,
    /// Threads blocked on `inner` (see "Lock fairness").
    waiters: AtomicUsize,
}

struct ShardInner {
    closed: bool,
    /// Tasks ever registered in this shard.
    inserted: u64,
    /// Tasks unregistered by completing (not by the shutdown sweep).
    completed: u64,
}

impl Shard {
    fn lock(&self) -> MutexGuard<'_, ShardInner> {
        if let Ok(guard) = self.inner.try_lock() {
            return guard;
        }
        // Relaxed: a hint for the dump's walk only; the mutex orders everything else.
        self.waiters.fetch_add(1, Ordering::Relaxed);
        let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        self.waiters.fetch_sub(1, Ordering::Relaxed);
        guard
    }

    fn sentinel(&self) -> NonNull<Links> {
        NonNull::from(&self.sentinel)
    }

    /// Adds `delta` to the length (under the lock).
    fn add_len(&self, delta: isize) {
        let len = self.len.load(Ordering::Relaxed);
        self.len
            .store(len.wrapping_add_signed(delta), Ordering::Relaxed);
    }
}

pub(crate) struct Registry {
    shards: Box<[Shard]>,
    /// Serializes dumps: there is one cursor.
    dump_lock: Mutex<()>,
    /// The dump's cursor (see the module doc); guarded by `dump_lock`, and by the lock of the
    /// shard it is linked in while it is.
    cursor: Links,
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
        let shards = shards.clamp(1, MAX_SHARDS);
        let registry = Registry {
            shards: (0..shards)
                .map(|_| Shard {
                    inner: Mutex::new(ShardInner {
                        closed: false,
                        inserted: 0,
                        completed: 0,
                    }),
                    sentinel: Links::new(),
                    len: AtomicUsize::new(0),
                    waiters: AtomicUsize::new(0),
                })
                .collect(),
            dump_lock: Mutex::new(()),
            cursor: Links::new(),
        };
        for shard in registry.shards.iter() {
            let s = shard.sentinel();
            // SAFETY: the shards are not shared yet; the boxed slice never moves them.
            unsafe { set(s, Some(s), Some(s)) };
        }
        registry
    }

    /// The shard a task spawned from `hint` (a worker index, or any number for other threads)
    /// registers in; goes into its header at creation.
    pub(crate) fn shard_for(&self, hint: usize) -> u16 {
        let n = self.shards.len();
        // Worker indices (and the outside-thread hint, `num_workers`) are below `n`: no division.
        (if hint < n { hint } else { hint % n }) as u16
    }

    /// Registers a new task (before it is first queued) in the shard its header names.
    pub(crate) fn insert(&self, task: RawTask) -> Insert {
        let shard = &self.shards[task.header().registry_shard()];
        let mut inner = shard.lock();
        if inner.closed {
            return Insert::Closed;
        }
        let s = shard.sentinel();
        // SAFETY: we hold the shard lock; the task is not published yet and its node is in no
        // list; the sentinel is linked (to itself at least). Insert at the head.
        unsafe {
            let first = get(s).next.expect("sentinel is always linked");
            link_before(node_of(task), first);
        }
        inner.inserted += 1;
        shard.add_len(1);
        Insert::Ok
    }

    /// Unregisters a completed task. True if the registry's reference passes to the caller;
    /// false if the shutdown sweep already took it.
    pub(crate) fn remove(&self, header: &Header) -> bool {
        let shard = &self.shards[header.registry_shard()];
        let mut inner = shard.lock();
        let node = NonNull::from(&header.links);
        // SAFETY: we hold the lock of the shard the task was inserted in; the caller's
        // reference keeps the header live. A drained task reads as unlinked.
        unsafe {
            if get(node).next.is_none() {
                return false;
            }
            unlink(node);
        }
        inner.completed += 1;
        shard.add_len(-1);
        true
    }

    /// Takes and releases every shard's lock: whatever a completing task did before its
    /// removal that `len` has shown is then visible to the caller (see `runtime::panics`).
    pub(crate) fn sync_with_removals(&self) {
        for shard in self.shards.iter() {
            drop(shard.lock());
        }
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
        let cursor = NonNull::from(&self.cursor);
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let mut inner = shard.lock();
            inner.closed = true;
            let s = shard.sentinel();
            let mut cursor_here = false;
            // SAFETY: we hold the shard lock; every node in the list is live (invariants).
            unsafe {
                let mut node = get(s).next.expect("sentinel is always linked");
                while node != s {
                    let next = get(node).next.expect("linked");
                    if node == cursor {
                        cursor_here = true;
                    } else {
                        set(node, None, None);
                        // SAFETY: not the sentinel, not the cursor: a task's node.
                        out.push(task_of(node));
                    }
                    node = next;
                }
                // Only the sentinel, and the cursor if a dump is between two holds here.
                set(s, Some(s), Some(s));
                if cursor_here {
                    link_before(cursor, s);
                }
            }
            shard.len.store(0, Ordering::Relaxed);
        }
        out
    }

    /// Reads every live task with `read` (for the task dump), holding a shard lock for at most
    /// [`VISIT_CHUNK`] tasks at a time, and hands each chunk's results to `sink` after
    /// releasing the lock (so whatever `sink` allocates or copies never delays a spawn). See the
    /// module doc for what a concurrent spawn or completion does to the walk. `read` runs under
    /// the lock: it must only read the header. Concurrent calls run one after the other.
    pub(crate) fn visit<T>(&self, read: impl Fn(&Header) -> T, mut sink: impl FnMut(&mut Vec<T>)) {
        let _dumping = self.dump_lock.lock().unwrap_or_else(|e| e.into_inner());
        let cursor = NonNull::from(&self.cursor);
        let mut buf = Vec::with_capacity(VISIT_CHUNK);
        for shard in self.shards.iter() {
            let s = shard.sentinel();
            // Unlinks the cursor from this shard if a panic in `sink` leaves it there.
            let mut parked = CursorGuard {
                shard,
                cursor,
                linked: false,
            };
            loop {
                let inner = shard.lock();
                // SAFETY: we hold the shard lock, so every node in its list is live
                // (invariants); the cursor is ours (`dump_lock`) and linked here iff `linked`.
                let more = unsafe {
                    let mut node = if parked.linked {
                        let next = get(cursor).next.expect("linked");
                        unlink(cursor);
                        next
                    } else {
                        get(s).next.expect("sentinel is always linked")
                    };
                    let mut n = 0;
                    while node != s && n < VISIT_CHUNK {
                        // SAFETY: neither the sentinel nor the (unlinked) cursor: a task's
                        // node; the registry's reference keeps the task live.
                        buf.push(read(task_of(node).header()));
                        node = get(node).next.expect("linked");
                        n += 1;
                    }
                    let more = node != s;
                    if more {
                        link_before(cursor, node);
                    }
                    parked.linked = more;
                    more
                };
                drop(inner);
                sink(&mut buf);
                buf.clear();
                if !more {
                    break;
                }
                // Let threads that blocked on the lock during that chunk have it first.
                for _ in 0..MAX_YIELDS {
                    // Relaxed: a hint (see "Lock fairness").
                    if shard.waiters.load(Ordering::Relaxed) == 0 {
                        break;
                    }
                    crate::loom::thread::yield_now();
                }
            }
        }
    }

    /// Tasks ever registered, and tasks that completed (for metrics).
    pub(crate) fn counts(&self) -> (u64, u64) {
        self.shards.iter().fold((0, 0), |(ins, done), shard| {
            let inner = shard.lock();
            (ins + inner.inserted, done + inner.completed)
        })
    }
}

/// The dump's cursor, parked in `shard` between two holds while `linked`.
struct CursorGuard<'a> {
    shard: &'a Shard,
    cursor: NonNull<Links>,
    linked: bool,
}

impl Drop for CursorGuard<'_> {
    fn drop(&mut self) {
        if self.linked {
            let _inner = self.shard.lock();
            // SAFETY: the cursor is linked in this shard, whose lock we hold.
            unsafe { unlink(self.cursor) };
        }
    }
}

/// Tasks for the registry's tests and loom models, with a scheduler whose `release` is the
/// registry's `remove`, as the runtime's is.
#[cfg(test)]
pub(crate) mod testing {
    use std::collections::HashMap;

    use super::*;
    use crate::loom::Arc;
    use crate::task::raw::{Notified, Schedule};
    use crate::task::{Id, JoinHandle};

    pub(crate) struct Sched(pub(crate) Arc<Registry>);

    impl Schedule for Sched {
        fn schedule(&self, task: Notified) {
            drop(task);
        }
        fn release(&self, task: &Header) -> bool {
            self.0.remove(task)
        }
        fn unhandled_panic(&self, _: &Header, _: &(dyn std::any::Any + Send)) {}
    }

    /// Spawns a task whose future is ready at once: returns its first `Notified` (running it
    /// completes the task, which unregisters it) and its join handle.
    pub(crate) fn spawn(
        registry: &Arc<Registry>,
        id: u64,
        shard: u16,
    ) -> (Notified, JoinHandle<()>) {
        let raw = RawTask::new(
            std::future::ready(()),
            Sched(registry.clone()),
            Id(id),
            std::panic::Location::caller(),
            shard,
        );
        // SAFETY: a new task holds a reference for its first Notified.
        let notified = unsafe { Notified::from_raw(raw) };
        let join = JoinHandle::new(raw);
        assert!(matches!(registry.insert(raw), Insert::Ok));
        (notified, join)
    }

    /// The ids a dump sees, with how often it saw each.
    pub(crate) fn dump(registry: &Registry) -> HashMap<u64, usize> {
        let mut seen = HashMap::new();
        registry.visit(
            |h| h.id.0,
            |chunk| {
                chunk
                    .drain(..)
                    .for_each(|id| *seen.entry(id).or_insert(0) += 1)
            },
        );
        seen
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use super::testing::{dump, spawn};
    use super::*;
    use crate::task::JoinHandle;
    use crate::task::raw::Notified;

    /// Tasks complete and new ones are spawned between every two chunks of a dump: every task
    /// live throughout is seen exactly once, none twice, and the list stays intact.
    #[test]
    fn dump_survives_churn_between_chunks() {
        let registry = Arc::new(Registry::new(2));
        let n = 5 * VISIT_CHUNK as u64;
        let mut tasks: HashMap<u64, (Notified, JoinHandle<()>)> = (0..n)
            .map(|id| (id, spawn(&registry, id, (id % 2) as u16)))
            .collect();
        let mut next_id = n;
        let mut seen = HashMap::new();
        registry.visit(
            |h| h.id.0,
            |chunk| {
                for id in chunk.drain(..) {
                    *seen.entry(id).or_insert(0) += 1;
                }
                // Complete every task with an id divisible by 3 (seen or not yet), and spawn
                // a few more.
                let doomed: Vec<u64> = tasks.keys().copied().filter(|id| id % 3 == 0).collect();
                for id in doomed.into_iter().take(200) {
                    tasks.remove(&id).unwrap().0.run();
                }
                for _ in 0..50 {
                    tasks.insert(next_id, spawn(&registry, next_id, (next_id % 2) as u16));
                    next_id += 3;
                }
            },
        );
        assert!(seen.values().all(|&c| c == 1), "a task was seen twice");
        for id in (0..n).filter(|id| id % 3 != 0) {
            assert_eq!(
                seen.get(&id),
                Some(&1),
                "task {id} live throughout was missed"
            );
        }
        let live: HashMap<u64, usize> = tasks.keys().map(|&id| (id, 1)).collect();
        assert_eq!(dump(&registry), live);
        assert_eq!(registry.len(), tasks.len());
        for (_, (notified, _join)) in tasks.drain() {
            notified.run();
        }
        assert_eq!(registry.len(), 0);
        assert!(dump(&registry).is_empty());
        let (inserted, completed) = registry.counts();
        assert_eq!(inserted, completed);
    }

    /// A panic in the sink leaves no cursor behind, and later dumps work.
    #[test]
    fn cursor_is_unlinked_when_the_sink_panics() {
        let registry = Arc::new(Registry::new(1));
        let tasks: Vec<_> = (0..3 * VISIT_CHUNK as u64)
            .map(|id| spawn(&registry, id, 0))
            .collect();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            registry.visit(|h| h.id.0, |_| panic!("sink panicked"));
        }));
        assert!(caught.is_err());
        assert_eq!(dump(&registry).len(), tasks.len());
        for (notified, _join) in tasks {
            notified.run();
        }
        assert!(dump(&registry).is_empty());
    }

    /// The drain takes every task once, leaves a parked cursor alone, and refuses later inserts;
    /// a drained task's completion finds the registry's reference gone.
    #[test]
    fn drain_while_a_dump_is_parked() {
        let registry = Arc::new(Registry::new(1));
        let tasks: Vec<_> = (0..3 * VISIT_CHUNK as u64)
            .map(|id| spawn(&registry, id, 0))
            .collect();
        let mut drained = Vec::new();
        let mut seen = 0;
        registry.visit(
            |_| (),
            |chunk| {
                seen += chunk.len();
                if drained.is_empty() {
                    drained = registry.close_and_drain();
                }
            },
        );
        assert_eq!(seen, VISIT_CHUNK);
        assert_eq!(drained.len(), tasks.len());
        assert_eq!(registry.len(), 0);
        assert!(dump(&registry).is_empty());
        for t in drained {
            t.shutdown();
            // SAFETY: the drain handed us the registry's reference.
            unsafe { t.drop_reference() };
        }
        drop(tasks);
    }
}
