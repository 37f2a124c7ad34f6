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
//! contend), at its head, and leaves it in O(1), by the shard index packed into its header.
//! Each shard is a small lock and a sentinel node (the list is circular through it, so
//! linking and unlinking never branch on an empty list or an end). An insert touches the
//! shard, the new task's header (hot: it was just written) and the old first node's `prev`; a
//! removal touches the task and its two neighbours. Nothing is allocated.
//!
//! ## Counting
//!
//! `num_tasks()` and the metrics read counters, never a lock: per shard, the tasks inserted
//! (written under its lock) and the completions removed under it; per worker, the completions
//! it counted itself (written by that worker's thread only, a load and a store on a line of
//! its own). `len` is inserted minus completed. A task's completion is counted by
//! `Schedule::release`, before `transition_to_complete`, so a joiner that saw the output sees
//! the count (Release store, Acquire load); completions are read before insertions, so the
//! difference never counts too few (the insertion of every completion read is ordered before
//! it). Every inserted task completes exactly once (by its poll, its cancellation or the
//! sweep), so each is counted out exactly once, however it leaves the list; a task refused by
//! a closed shard is counted in too, since its spawner completes it at once.
//!
//! ## Deferred removal
//!
//! A task that completes on a worker other than its shard's owner (stolen, or spawned from
//! outside the workers) is not unlinked then: taking the owner's lock there made that lock's
//! line, and the neighbours' links, bounce between the owner inserting and the peer removing
//! on every task (`spawn_many`: `Registry::remove` 15% of all cycles, `insert` 8%, most of it
//! on the lock's `xchg` and `cmpxchg`). The peer counts the completion on its own line and
//! pushes the task, with its running reference and the registry's, onto its [`Retired`]
//! buffer; the task stays linked and allocated, and reads as `COMPLETE`, which the dump's walk
//! skips. The worker flushes the buffer between polls once it holds [`RETIRE_BATCH`] tasks,
//! before it searches for work or parks, and when it exits: one lock hold per shard for the
//! whole batch, then the references are dropped outside the lock. A task the shutdown sweep
//! drained meanwhile reads as unlinked: the flush drops only the running reference (the sweep
//! dropped the registry's), so a drained task is never freed while a buffer still points to
//! it. A worker defers its own shard's tasks too: a batch costs one uncontended lock hold per
//! 64 tasks instead of one per task, and the batch's frees go to the thread's free lists
//! (`cell_cache`). Every completion on a thread that is not one of the runtime's workers
//! (blocking pool, sysmon's helper, the sweep) is unlinked at once, and counted under the
//! shard lock.
//!
//! A closed shard (runtime shutting down) refuses inserts, and the shutdown sweep drains it:
//! every reference the registry held moves to the sweeper, and each drained task is marked
//! unlinked so its own completion, or its worker's flush, knows the registry's reference is
//! gone.
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
//! - unlinking a task that completes in its own worker's shard at once (this design until
//!   the task memory came from `cell_cache`, when 64 deferred frees overflowed glibc's
//!   per-thread cache of 7 chunks): with the free lists, batching them too runs
//!   `chained_spawn` in 615 instead of 707 instructions per task (callgrind), 187 instead
//!   of 193 ns;
//! - a peer unlinking a stolen task under the owner's lock at once (gmp until issue 15): see
//!   "Deferred removal";
//! - `num_tasks()` as the sum of per-shard lengths: a deferred task is still linked, and the
//!   length was one more store under the lock per insert and per removal;
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
//! ## The shard lock
//!
//! A test-and-test-and-set spin lock: a CAS to take it, a plain Release store to release it.
//! Every hold is short (an insert or a removal: a few stores; a flush: a batch of unlinks; a
//! dump: one chunk), except the shutdown drain's walk, and the owner worker takes its own
//! shard's lock uncontended almost always (peers take it once per batch). A waiter spins a
//! little, then yields its CPU at each try (a lock holder preempted on a shared CPU gets it).
//! Rejected: `std::sync::Mutex`, whose release is an atomic swap (it must learn whether a
//! sleeper needs a wake-up) plus two poison checks, on every spawn and every completion; a
//! thread sleeping on a futex is worth that only for long holds, which the shard lock does
//! not have on any hot path.
//!
//! Lock fairness: a dump re-taking a shard lock right after releasing it could win every
//! time against a spawner waiting for it (the lock is unfair). A thread that finds the lock
//! taken counts itself in the shard's `waiters` while it waits; the walk, between chunks,
//! lets such waiters go first (yielding a bounded number of times). The fast path pays
//! nothing for this: the count is kept only by a thread that found the lock taken.
//!
//! # Invariants
//!
//! - A shard's list (the `prev`/`next` of its sentinel, of every task linked in it and of the
//!   cursor while it is there) is read and written only under that shard's lock.
//! - A task is linked in the shard recorded in its header from `insert` until its removal or
//!   the drain unlinks it, and holds one reference for the registry throughout, so a linked
//!   node is always a live allocation. An unlinked task's `next` is `None`.
//! - A task in a worker's [`Retired`] buffer holds its running reference there, so it is live
//!   until that worker's flush; only that worker's thread touches the buffer and its counter.
//! - A linked task reads as `COMPLETE` only while its removal is deferred; the walk skips it.
//! - The cursor is linked only between two holds of one `visit`, which holds `dump_lock` and
//!   unlinks it before returning (also when unwinding).
//!
//! Lock order: `dump_lock`, then a shard lock. A shard lock is a leaf: nothing else is locked
//! while holding it, and no task code runs under it (a flush drops references after
//! releasing it).

use std::cell::RefCell;
use std::ptr::NonNull;

use super::header::Header;
use super::raw::RawTask;
use crate::loom::{AtomicBool, AtomicU64, AtomicUsize, Mutex, Ordering, UnsafeCell};

/// Shards at most (the shard index is packed into 16 bits of the header).
const MAX_SHARDS: usize = 256;

/// Tasks a dump visits per acquisition of a shard lock.
#[cfg(not(loom))]
pub(crate) const VISIT_CHUNK: usize = 1024;
#[cfg(loom)]
pub(crate) const VISIT_CHUNK: usize = 1;

/// How many times a dump yields between chunks to let threads waiting for the shard go first.
const MAX_YIELDS: usize = 64;

/// How many times a thread finding a shard locked spins before it yields its CPU instead.
const LOCK_SPINS: u32 = 100;

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
    /// The shard's lock (see "The shard lock"): guards the list and `closed`.
    locked: AtomicBool,
    /// The shard refuses inserts (the runtime is shutting down). Read and written under the
    /// lock (Relaxed: the lock orders it).
    closed: AtomicBool,
    /// The list's sentinel (see `Links`); guarded by the lock.
    sentinel: Links,
    /// Tasks ever inserted here, refused ones included (their completion counts too): written
    /// under the lock (a load and a store), read without it.
    inserted: AtomicU64,
    /// Completions counted by [`Registry::remove`] for tasks of this shard: written under the
    /// lock (a load and a store), read without it.
    removed: AtomicU64,
    /// Threads waiting for the lock (see "Lock fairness").
    waiters: AtomicUsize,
}

/// Holds a shard's lock; releases it when dropped (also when unwinding).
struct ShardGuard<'a>(&'a Shard);

impl Drop for ShardGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // Release: pairs with the Acquire of the next `lock`, publishing every write made
        // under this hold.
        self.0.locked.store(false, Ordering::Release);
    }
}

/// Completions counted by one worker ([`Registry::count_retired`]): written only by that
/// worker's thread, on a line of its own.
#[repr(align(128))]
struct Retirements(AtomicU64);

impl Shard {
    #[inline]
    fn lock(&self) -> ShardGuard<'_> {
        // Acquire: pairs with the Release of the previous holder's unlock.
        if self
            .locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        ShardGuard(self)
    }

    #[cold]
    #[inline(never)]
    fn lock_contended(&self) {
        // Relaxed: a hint for the dump's walk only; the lock orders everything else.
        self.waiters.fetch_add(1, Ordering::Relaxed);
        let mut spins = 0;
        loop {
            // Test, then test-and-set: wait on a shared copy of the line, not by taking it.
            // Acquire on success: as in `lock`.
            if !self.locked.load(Ordering::Relaxed)
                && self
                    .locked
                    .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                break;
            }
            if cfg!(not(loom)) && spins < LOCK_SPINS {
                spins += 1;
                std::hint::spin_loop();
            } else {
                crate::loom::thread::yield_now();
            }
        }
        self.waiters.fetch_sub(1, Ordering::Relaxed);
    }

    fn sentinel(&self) -> NonNull<Links> {
        NonNull::from(&self.sentinel)
    }
}

/// Adds one to a counter that only the calling thread writes (a load and a store, no
/// read-modify-write). Release: pairs with the Acquire loads in [`Registry::completed`].
fn bump(counter: &AtomicU64) {
    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Release);
}

pub(crate) struct Registry {
    shards: Box<[Shard]>,
    /// One per worker, by index.
    retired: Box<[Retirements]>,
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
    /// A registry of `shards` lists (at most [`MAX_SHARDS`]) for a runtime of `workers` workers.
    pub(crate) fn new(shards: usize, workers: usize) -> Registry {
        let shards = shards.clamp(1, MAX_SHARDS);
        let registry = Registry {
            shards: (0..shards)
                .map(|_| Shard {
                    locked: AtomicBool::new(false),
                    closed: AtomicBool::new(false),
                    sentinel: Links::new(),
                    inserted: AtomicU64::new(0),
                    removed: AtomicU64::new(0),
                    waiters: AtomicUsize::new(0),
                })
                .collect(),
            retired: (0..workers)
                .map(|_| Retirements(AtomicU64::new(0)))
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
        let _locked = shard.lock();
        // Counted even when refused: the caller completes the task at once, and every
        // completion is counted.
        let inserted = shard.inserted.load(Ordering::Relaxed);
        shard.inserted.store(inserted + 1, Ordering::Relaxed);
        if shard.closed.load(Ordering::Relaxed) {
            return Insert::Closed;
        }
        let s = shard.sentinel();
        // SAFETY: we hold the shard lock; the task is not published yet and its node is in no
        // list; the sentinel is linked (to itself at least). Insert at the head.
        unsafe {
            let first = get(s).next.expect("sentinel is always linked");
            link_before(node_of(task), first);
        }
        Insert::Ok
    }

    /// Counts a completing task and unregisters it now (the immediate path: any thread).
    /// Returns the references the caller drops once it is done with the task: its running
    /// one and the registry's (2), or only its own (1) if the shutdown sweep took the
    /// registry's, or the task was refused.
    pub(crate) fn remove(&self, header: &Header) -> usize {
        let shard = &self.shards[header.registry_shard()];
        let _locked = shard.lock();
        // Under the lock, so a load and a store suffice.
        bump(&shard.removed);
        let node = NonNull::from(&header.links);
        // SAFETY: we hold the lock of the shard the task was inserted in; the caller's
        // reference keeps the header live. A drained or refused task reads as unlinked.
        unsafe {
            if get(node).next.is_none() {
                return 1;
            }
            unlink(node);
        }
        2
    }

    /// Counts a task completing on worker `worker`, whose removal that worker defers
    /// ([`Retired`]). Only that worker's thread may call it.
    #[inline]
    pub(crate) fn count_retired(&self, worker: usize) {
        bump(&self.retired[worker].0);
    }

    /// Unregisters a worker's deferred removals and drops the references they hold, taking
    /// each shard lock once; leaves `batch` empty. No lock is held while references are
    /// dropped (a free runs destructors).
    fn remove_batch(&self, batch: &mut Vec<RawTask>) {
        // One group per shard (mostly one shard: a peer's tasks, or this worker's own).
        batch.sort_unstable_by_key(|t| t.header().registry_shard());
        let mut rest = &mut batch[..];
        while let Some(first) = rest.first() {
            let index = first.header().registry_shard();
            let n = rest
                .iter()
                .take_while(|t| t.header().registry_shard() == index)
                .count();
            let (group, tail) = std::mem::take(&mut rest).split_at_mut(n);
            rest = tail;
            // Linked tasks first, then those the shutdown sweep drained (it took the
            // registry's reference), at `linked..`.
            let mut linked = group.len();
            {
                let _locked = self.shards[index].lock();
                let mut i = 0;
                while i < linked {
                    let node = node_of(group[i]);
                    // SAFETY: we hold the lock of the task's shard; the batch's running
                    // reference keeps it live.
                    unsafe {
                        if get(node).next.is_none() {
                            linked -= 1;
                            group.swap(i, linked);
                        } else {
                            unlink(node);
                            i += 1;
                        }
                    }
                }
            }
            let (linked, drained) = group.split_at(linked);
            for t in linked {
                // SAFETY: the batch held the running reference; unlinking it handed over the
                // registry's.
                unsafe { t.drop_references(2) };
            }
            for t in drained {
                // SAFETY: the batch held the running reference.
                unsafe { t.drop_reference() };
            }
        }
        batch.clear();
    }

    /// Acquire-loads every completion counter: whatever a completing task did before it was
    /// counted (a panic counting itself in `in_flight`) is then visible to the caller (see
    /// `runtime::panics`). Returns the sum.
    pub(crate) fn sync_with_removals(&self) -> u64 {
        self.completed()
    }

    /// Completions counted so far. Acquire: pairs with the Release stores in `bump`, so the
    /// insertions of the tasks counted (which happened before their completion) are visible
    /// to a later read of `inserted`.
    fn completed(&self) -> u64 {
        let removed: u64 = self
            .shards
            .iter()
            .map(|s| s.removed.load(Ordering::Acquire))
            .sum();
        let retired: u64 = self
            .retired
            .iter()
            .map(|r| r.0.load(Ordering::Acquire))
            .sum();
        removed + retired
    }

    fn inserted(&self) -> u64 {
        // Relaxed: read after `completed`, whose Acquire loads order it (see there).
        self.shards
            .iter()
            .map(|s| s.inserted.load(Ordering::Relaxed))
            .sum()
    }

    /// Live tasks: a racy but cheap difference of counters. Completions are read first, so a
    /// concurrent spawn or completion can only make it count too many, never too few, and a
    /// task whose completion the caller has seen (its join returned) no longer counts.
    pub(crate) fn len(&self) -> usize {
        let completed = self.completed();
        self.inserted().saturating_sub(completed) as usize
    }

    /// Closes every shard and takes all registered tasks (with the registry's references).
    /// Called repeatedly by shutdown until it returns nothing.
    pub(crate) fn close_and_drain(&self) -> Vec<RawTask> {
        let cursor = NonNull::from(&self.cursor);
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let _locked = shard.lock();
            shard.closed.store(true, Ordering::Relaxed);
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
                let locked = shard.lock();
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
                        let task = task_of(node);
                        // A completed task awaiting its deferred removal is not live.
                        if !task.header().state.load().is_complete() {
                            buf.push(read(task.header()));
                        }
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
                drop(locked);
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

    /// Tasks ever registered (refused ones included), and tasks that completed (for metrics).
    pub(crate) fn counts(&self) -> (u64, u64) {
        let completed = self.completed();
        (self.inserted(), completed)
    }
}

/// Tasks a worker lets pile up in its [`Retired`] buffer before it removes them.
pub(crate) const RETIRE_BATCH: usize = 64;

/// A worker's deferred removals: tasks that completed on it, each still holding its running
/// reference and (unless the shutdown sweep took it) the registry's, so each is still
/// allocated. Owned by one worker thread (see the module doc).
pub(crate) struct Retired {
    tasks: RefCell<Vec<RawTask>>,
}

impl Retired {
    pub(crate) fn new() -> Retired {
        Retired {
            tasks: RefCell::new(Vec::with_capacity(RETIRE_BATCH)),
        }
    }

    /// Defers the removal of a completing task whose completion the owner counted
    /// (`count_retired`); takes over its running reference and the registry's.
    #[inline]
    pub(crate) fn push(&self, task: RawTask) {
        self.tasks.borrow_mut().push(task);
    }

    /// Whether the buffer holds a batch's worth of tasks.
    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.tasks.borrow().len() >= RETIRE_BATCH
    }

    /// Removes every deferred task from `registry` and drops the references the buffer held.
    /// The caller must not be inside a completion of one of them (the worker calls it between
    /// polls).
    pub(crate) fn flush(&self, registry: &Registry) {
        if self.tasks.borrow().is_empty() {
            return;
        }
        // Out of the cell while references drop: a destructor that completes a task on this
        // thread pushes to a fresh buffer, taken in below.
        let mut batch = std::mem::take(&mut *self.tasks.borrow_mut());
        registry.remove_batch(&mut batch);
        let mut tasks = self.tasks.borrow_mut();
        batch.append(&mut tasks);
        *tasks = batch;
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
            let _locked = self.shard.lock();
            // SAFETY: the cursor is linked in this shard, whose lock we hold.
            unsafe { unlink(self.cursor) };
        }
    }
}

/// Tasks for the registry's tests and loom models, with a scheduler that releases them as the
/// runtime's does: removed at once, or deferred to a worker's [`Retired`] buffer.
#[cfg(test)]
pub(crate) mod testing {
    use std::collections::HashMap;

    use super::*;
    use crate::loom::Arc;
    use crate::task::raw::{Notified, Released, Schedule};
    use crate::task::{Id, JoinHandle};

    /// A worker's deferred removals, for the test thread standing for worker `index`.
    pub(crate) struct Worker {
        pub(crate) index: usize,
        /// Only the thread standing for the worker touches it (the mutex makes it `Sync`).
        pub(crate) retired: std::sync::Mutex<Retired>,
        /// The thread standing for the worker: tasks completing there defer their removal,
        /// elsewhere (a sweep) they are removed at once, as in the runtime.
        thread: std::sync::Mutex<Option<crate::loom::thread::ThreadId>>,
    }

    impl Worker {
        /// A worker whose thread is the calling one (see [`bind`](Self::bind)).
        pub(crate) fn new(index: usize) -> std::sync::Arc<Worker> {
            let worker = std::sync::Arc::new(Worker {
                index,
                retired: std::sync::Mutex::new(Retired::new()),
                thread: std::sync::Mutex::new(None),
            });
            worker.bind();
            worker
        }

        /// Makes the calling thread the one standing for the worker.
        pub(crate) fn bind(&self) {
            *self.thread.lock().unwrap() = Some(crate::loom::thread::current().id());
        }

        fn is_current(&self) -> bool {
            *self.thread.lock().unwrap() == Some(crate::loom::thread::current().id())
        }

        pub(crate) fn flush(&self, registry: &Registry) {
            self.retired.lock().unwrap().flush(registry);
        }
    }

    pub(crate) struct Sched {
        pub(crate) registry: Arc<Registry>,
        /// Completions are deferred removals of this worker (as on a runtime's worker thread),
        /// or, if `None`, immediate removals (as on any other thread).
        pub(crate) worker: Option<std::sync::Arc<Worker>>,
    }

    impl Schedule for Sched {
        fn schedule(&self, task: Notified) {
            drop(task);
        }
        fn release(&self, task: RawTask) -> Released {
            match &self.worker {
                Some(w) if w.is_current() => {
                    self.registry.count_retired(w.index);
                    w.retired.lock().unwrap().push(task);
                    Released::Deferred
                }
                _ => Released::Now(self.registry.remove(task.header())),
            }
        }
        fn unhandled_panic(&self, _: &Header, _: &(dyn std::any::Any + Send)) {}
    }

    /// Spawns a task whose future is ready at once: returns its first `Notified` (running it
    /// completes the task, which unregisters it) and its join handle.
    #[track_caller]
    pub(crate) fn spawn(
        registry: &Arc<Registry>,
        id: u64,
        shard: u16,
    ) -> (Notified, JoinHandle<()>) {
        spawn_on(registry, id, shard, None)
    }

    /// [`spawn`], completing as a task polled by `worker` does (a deferred removal).
    #[track_caller]
    pub(crate) fn spawn_on(
        registry: &Arc<Registry>,
        id: u64,
        shard: u16,
        worker: Option<std::sync::Arc<Worker>>,
    ) -> (Notified, JoinHandle<()>) {
        let raw = RawTask::new(
            std::future::ready(()),
            Sched {
                registry: registry.clone(),
                worker,
            },
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

    use super::testing::{Worker, dump, spawn, spawn_on};
    use super::*;
    use crate::task::JoinHandle;
    use crate::task::raw::Notified;

    /// Tasks complete and new ones are spawned between every two chunks of a dump: every task
    /// live throughout is seen exactly once, none twice, and the list stays intact.
    #[test]
    fn dump_survives_churn_between_chunks() {
        let registry = Arc::new(Registry::new(2, 2));
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
        let registry = Arc::new(Registry::new(1, 1));
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
        let registry = Arc::new(Registry::new(1, 1));
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
        assert!(dump(&registry).is_empty());
        // A drained task counts until the sweep completes it.
        assert_eq!(registry.len(), tasks.len());
        for t in drained {
            t.shutdown();
            // SAFETY: the drain handed us the registry's reference.
            unsafe { t.drop_reference() };
        }
        assert_eq!(registry.len(), 0);
        drop(tasks);
    }

    /// Tasks linked in the registry's lists, completed or not.
    fn linked(registry: &Registry) -> usize {
        let mut n = 0;
        for shard in registry.shards.iter() {
            let _locked = shard.lock();
            let s = shard.sentinel();
            // SAFETY: we hold the shard lock; every node in its list is live.
            unsafe {
                let mut node = get(s).next.unwrap();
                while node != s {
                    n += 1;
                    node = get(node).next.unwrap();
                }
            }
        }
        n
    }

    /// A task completing on a peer worker counts as completed at once and leaves the dump,
    /// but stays linked and allocated until the peer flushes; the flush unlinks and frees it.
    #[test]
    fn deferred_removal_is_counted_at_once_and_freed_by_the_flush() {
        let registry = Arc::new(Registry::new(2, 2));
        let peer = Worker::new(1);
        let (notified, join) = spawn_on(&registry, 1, 0, Some(peer.clone()));
        notified.run();
        assert!(join.is_finished());
        assert_eq!(registry.len(), 0);
        assert_eq!(registry.counts(), (1, 1));
        assert!(dump(&registry).is_empty());
        assert_eq!(linked(&registry), 1);
        drop(join);
        // The task's scheduler holds the second reference to `peer`: still allocated.
        assert_eq!(Arc::strong_count(&peer), 2);
        peer.flush(&registry);
        assert_eq!(linked(&registry), 0);
        assert_eq!(Arc::strong_count(&peer), 1);
    }

    /// The sweep drains tasks whose removal is pending (taking the registry's references);
    /// the flush then drops only the running ones. Each task is freed once, counted once.
    #[test]
    fn drain_then_flush_frees_deferred_tasks_once() {
        let registry = Arc::new(Registry::new(2, 2));
        let peer = Worker::new(1);
        for id in 0..3 {
            let (notified, _join) = spawn_on(&registry, id, 0, Some(peer.clone()));
            notified.run();
        }
        let drained = registry.close_and_drain();
        assert_eq!(drained.len(), 3);
        for t in drained {
            t.shutdown();
            // SAFETY: the drain handed us the registry's reference.
            unsafe { t.drop_reference() };
        }
        assert_eq!(Arc::strong_count(&peer), 4);
        peer.flush(&registry);
        assert_eq!(Arc::strong_count(&peer), 1);
        assert_eq!(registry.len(), 0);
        assert_eq!(registry.counts(), (3, 3));
    }

    /// One flush of tasks from several shards unlinks each from its own list.
    #[test]
    fn flush_groups_tasks_by_shard() {
        let registry = Arc::new(Registry::new(3, 3));
        let peer = Worker::new(1);
        let keep: Vec<_> = (0..4)
            .map(|id| spawn(&registry, 100 + id, (id % 3) as u16))
            .collect();
        for id in 0..30 {
            let shard = [0, 2][id as usize % 2];
            let (notified, _join) = spawn_on(&registry, id, shard, Some(peer.clone()));
            notified.run();
        }
        assert_eq!(linked(&registry), 34);
        peer.flush(&registry);
        assert_eq!(linked(&registry), 4);
        assert_eq!(Arc::strong_count(&peer), 1);
        let live: HashMap<u64, usize> = (100..104).map(|id| (id, 1)).collect();
        assert_eq!(dump(&registry), live);
        for (notified, _join) in keep {
            notified.run();
        }
        assert_eq!(registry.len(), 0);
        assert_eq!(linked(&registry), 0);
    }
}
