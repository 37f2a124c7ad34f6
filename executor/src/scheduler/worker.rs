//! The worker run loop: one per P, each on its own thread (M).
//!
//! See the [`scheduler`](super) doc for where tasks are queued and looked for. This module owns
//! the per-worker [`Core`] (local queue, tick, LIFO accounting, search flag, RNG), which only its
//! thread touches, and the thread-local [`WorkerContext`] through which a task polled on this
//! worker reaches the core to schedule the tasks it wakes.
//!
//! # How a thief tells a stuck worker from a busy one
//!
//! Each worker counts, on its own stats line, its polls (the poll sequence, odd while a poll
//! runs) and its *progress*: the coop budget units its polls spend (`coop` adds them to the
//! counter `run_task` hands it, one store per gmp leaf operation) plus one after each futex wake it makes. A searching worker
//! that sees a task in a peer's LIFO slot notes both, waits the back-off, and looks again: a new
//! poll means the owner reaches its slot itself; the same poll with no progress means it is
//! stuck (a sleep, a blocking call, a loop without `.await`), and the task is taken. The same
//! poll with progress means it is busy, and the task waits for that poll to end, up to a
//! patience. The counters are `Relaxed` heuristics: a wrong guess only moves a task to another
//! worker, or lets it wait a few microseconds longer; the task itself changes hands through the
//! slot's `compare_exchange`.
//!
//! # Invariants
//!
//! - The core's `RefCell` is never borrowed while task code runs (polls, and drops of tasks
//!   or outputs, which run user destructors): user code may schedule, which borrows it.
//! - The LIFO slot holds a `Notified` turned into a raw pointer; whoever swaps it out owns that
//!   reference.

use std::cell::{Cell, RefCell};
use std::ptr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::queue::Local;
use super::{Shared, context, queue};
use crate::loom::Ordering;
use crate::task::raw::{Notified, RawTask, Released};
use crate::task::registry::Retired;

/// Shortest final spin before a timer's deadline (see `spin_to_due_timer`): covers the cost of
/// leaving the spin itself.
const MIN_TIMER_SPIN: Duration = Duration::from_micros(5);
/// Longest final spin before a timer's deadline, per wake-up.
const MAX_TIMER_SPIN: Duration = Duration::from_micros(50);

/// Consecutive LIFO-slot polls allowed before the worker takes from its queue instead.
const MAX_LIFO_POLLS: u8 = 3;

/// How long a searching worker watches a busy worker's LIFO slot before it may take the task
/// there: if the owner spent no budget and started no poll meanwhile, it is stuck (blocked in a
/// syscall, a lock, a sleep, a loop without `.await`) and the task is taken (Go's `runqgrab`
/// waits ~3 us likewise, but does not look at progress).
const LIFO_STEAL_BACKOFF: Duration = Duration::from_micros(3);

/// How long a task may sit in the LIFO slot of an owner that keeps making progress inside one
/// poll before a searching worker takes it anyway: an active pipeline (a consumer that woke
/// its producer) stays on one core, but a task woken by a long poll that awaits only now and
/// then does not wait for the whole poll.
const LIFO_STEAL_PATIENCE: Duration = Duration::from_micros(100);

/// How long a searching worker keeps looking (stealing, watching busy LIFO slots) before it
/// parks, while another worker is awake: Go's spinning M. Producers see the searcher and skip
/// the futex wake; without the linger, two tasks handing work back and forth on a lightly
/// loaded runtime would pay one wake-up of the idle worker per hand-off (measured: errgroup
/// with a limit of 10 ran 2.5x slower than on tokio). Costs at most this much CPU per wake-up of
/// an otherwise idle worker.
const SEARCH_LINGER: Duration = Duration::from_micros(50);

pub(crate) struct Core {
    local: Local<Notified>,
    tick: u32,
    lifo_polls: u8,
    is_searching: bool,
    rng: u64,
}

impl Core {
    pub(crate) fn new(index: usize, local: Local<Notified>) -> Core {
        Core {
            local,
            tick: 0,
            lifo_polls: 0,
            is_searching: false,
            rng: 0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1),
        }
    }

    fn next_rand(&mut self, n: usize) -> usize {
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        ((self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as usize) % n
    }
}

pub(crate) struct WorkerContext {
    pub(crate) shared: Arc<Shared>,
    index: usize,
    /// `index` as the tasks' diagnostics record it.
    place: u16,
    core: RefCell<Box<Core>>,
    /// `steal_stranded_lifo`'s view of the other workers' LIFO slots, one entry per worker,
    /// kept across search rounds.
    stranded: RefCell<Vec<Watch>>,
    /// Decaying maximum of how late this worker's timed reactor parks woke up: the final spin
    /// before a timer's deadline covers it (see `spin_to_due_timer`).
    timer_late: Cell<Duration>,
    /// Fewer CPUs are available to this thread (affinity mask, cgroup quota) than there are
    /// workers: a lingering searcher then yields its CPU instead of spinning on it, since the
    /// worker it waits for may need that very CPU.
    cpus_short: bool,
    /// Inside a task's poll (see `schedule_local`'s wake-up rule).
    in_poll: Cell<bool>,
    /// A task went to the LIFO slot outside a poll without waking a peer: the next poll of
    /// another task wakes one if the slot or the queue still holds work.
    wake_owed: Cell<bool>,
    /// Tasks that completed on this worker, whose registry removal waits for a batch (see the
    /// registry's module doc): flushed after a poll once full, before searching or parking,
    /// and when the worker exits.
    retired: Retired,
}

/// What a searching worker last saw of one peer's LIFO slot.
#[derive(Clone, Copy)]
struct Watch {
    /// The task in the slot (null: empty, or not looked at).
    task: *mut crate::task::header::Header,
    /// The owner's poll sequence then (odd: inside a poll); the same sequence means the same
    /// poll.
    seq: u64,
    /// The owner's progress count then.
    progress: u64,
    /// When this task was first seen in the slot during this poll.
    since: Instant,
}

impl Watch {
    /// What to do about the watched task, the back-off after the look, given what its owner
    /// shows now.
    fn verdict(&self, seq: u64, progress: u64, now: Instant) -> Verdict {
        if seq != self.seq {
            Verdict::MovedOn
        } else if progress == self.progress
            || now.saturating_duration_since(self.since) >= LIFO_STEAL_PATIENCE
        {
            Verdict::Take
        } else {
            Verdict::Wait
        }
    }
}

/// A thief's decision about a task in a peer's LIFO slot.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// The owner started another poll: it takes the task itself.
    MovedOn,
    /// The owner is inside the same poll and making progress: the task runs soon.
    Wait,
    /// The owner is stuck (same poll, no budget spent), or has kept the task waiting inside one
    /// poll for `LIFO_STEAL_PATIENCE`: take it.
    Take,
}

pub(crate) fn run(shared: Arc<Shared>, index: usize) {
    let Some(core) = shared.take_core(index) else {
        return;
    };
    let empty = Watch {
        task: ptr::null_mut(),
        seq: 0,
        progress: 0,
        since: Instant::now(),
    };
    let watches = vec![empty; shared.num_workers()];
    // This thread inherited the affinity mask it will run under.
    let cpus_short =
        std::thread::available_parallelism().is_ok_and(|cpus| cpus.get() < shared.num_workers());
    let cx = WorkerContext {
        shared,
        index,
        place: crate::task::header::worker_place(index),
        core: RefCell::new(core),
        stranded: RefCell::new(watches),
        timer_late: Cell::new(MAX_TIMER_SPIN),
        cpus_short,
        in_poll: Cell::new(false),
        wake_owed: Cell::new(false),
        retired: Retired::new(),
    };
    cx.remote().stats.watch.bind_thread();
    let _guard = context::enter_worker(&cx);
    let _time = crate::time::binding::enter(&cx.shared.time, index);
    #[cfg(not(loom))]
    let _io = crate::io::binding::enter(&cx.shared.io);
    #[cfg(target_os = "linux")]
    crate::time::fallback::set_timer_slack();
    let _span = tracing::trace_span!("gmp-worker", index).entered();
    cx.run();
    // Shutdown: give back everything queued here (the tasks are cancelled by the shutdown
    // sweep; we only drop the queue's references, outside the core borrow).
    loop {
        let task = {
            let mut core = cx.core.borrow_mut();
            cx.take_lifo().or_else(|| core.local.pop())
        };
        match task {
            Some(t) => drop(t),
            None => break,
        }
    }
    // Last, so that no deferred removal is left behind (the shutdown sweep may already have
    // drained those tasks: the flush then drops only the running references).
    cx.flush_retired();
}

impl WorkerContext {
    /// This worker's index.
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// A task of this runtime completing on this worker: count it, and take it out of the
    /// registry later, in a batch (the buffer takes over its running and registry
    /// references), whichever shard it is in.
    #[inline]
    pub(crate) fn retire(&self, task: RawTask) -> Released {
        self.shared.registry.count_retired(self.index);
        self.retired.push(task);
        Released::Deferred
    }

    /// Removes the deferred tasks from the registry and frees what they hold (between polls).
    fn flush_retired(&self) {
        self.retired.flush(&self.shared.registry);
    }

    /// Queues `task` on this worker (the caller runs on its thread and checked that the task
    /// belongs to its runtime): into the LIFO slot, or for a yield the back of the queue. Gives
    /// the task back if the core is borrowed (a wake from inside the worker's own bookkeeping).
    pub(crate) fn schedule_local(&self, task: Notified, is_yield: bool) -> Result<(), Notified> {
        let shared = self.shared();
        let Ok(mut core) = self.core.try_borrow_mut() else {
            return Err(task);
        };
        let remote = &shared.remotes[self.index];
        if is_yield {
            if core.local.is_empty() && remote.lifo.load(Ordering::Relaxed).is_null() {
                // Nothing else queued here: the yielding task runs next anyway. Keep it in the
                // LIFO slot, which this worker takes first, rather than the queue, where a
                // searching peer would steal it at once and move a hot task to a cold cache
                // on every budget exhaustion (measured: a single task looping on a Mutex
                // bounced between the two workers every 128 operations). The LIFO cap still
                // lets the injection queue in, and the slot stays stealable if we get stuck.
                // Release: publishes the task to a thief's Acquire load, as below.
                remote
                    .lifo
                    .store(task.into_raw().as_ptr().as_ptr(), Ordering::Release);
                return Ok(());
            }
            core.local
                .push_back_or_overflow(task, |batch| shared.inject.push_batch(batch));
        } else {
            let new = task.into_raw().as_ptr().as_ptr();
            // AcqRel: Release publishes the task to a thief's Acquire load; Acquire takes
            // ownership of the displaced task.
            let prev = remote.lifo.swap(new, Ordering::AcqRel);
            if let Some(prev) = ptr::NonNull::new(prev) {
                // SAFETY: the slot owned the displaced task's Notified reference; now we do.
                let prev = unsafe { Notified::from_raw(RawTask::from_raw(prev)) };
                core.local
                    .push_back_or_overflow(prev, |batch| shared.inject.push_batch(batch));
            }
        }
        // Wake a peer if nobody is searching: it takes queued work, or rescues the LIFO task
        // if this worker stays inside its current poll. A task that only lands in the LIFO
        // slot between polls (a wake from this worker's reactor poll or timers) needs no
        // peer: this worker takes it next, and waking a peer for it costs a futex wake and a
        // context switch per event (tokio's rule, which never wakes for its LIFO slot). Should
        // this worker poll another task first (the fairness check's pick from the injection
        // queue), that poll pays the wake it owes (see `run_task`).
        let stealable = !core.local.is_empty();
        drop(core);
        if !stealable && !self.in_poll.get() {
            self.wake_owed.set(true);
            return Ok(());
        }
        self.notify_peer();
        Ok(())
    }

    /// Wakes a parked peer if nobody is searching.
    fn notify_peer(&self) {
        let shared = self.shared();
        if shared.idle.notify_should_wakeup() {
            shared.notify_parked();
            // Back from the futex call (which may take longer than the thief's back-off): the
            // woken peer must not mistake that wait for a stuck poll.
            self.remote().stats.progress.add(1);
        }
    }

    /// Whether this worker's LIFO slot or local queue holds a task.
    fn has_queued_work(&self) -> bool {
        !self.remote().lifo.load(Ordering::Relaxed).is_null()
            || !self.core.borrow().local.is_empty()
    }
}

impl WorkerContext {
    fn shared(&self) -> &Shared {
        &self.shared
    }

    fn run(&self) {
        while !self.shared().is_shutdown() {
            let task = self.next_task();
            if let Some(task) = task {
                self.run_task(task);
                continue;
            }
            if let Some(task) = self.steal_work() {
                self.run_task(task);
                continue;
            }
            if self.spin_to_due_timer() {
                continue;
            }
            self.remote().stats.parks.add(1);
            self.park();
            // Parking was a syscall anyway: one more clock read keeps the tasks' timestamps
            // fresh when sysmon is off.
            crate::clock::refresh();
            self.shared.sysmon.on_worker_unparked();
        }
    }

    fn run_task(&self, task: Notified) {
        {
            let mut core = self.core.borrow_mut();
            if core.is_searching {
                core.is_searching = false;
                drop(core);
                if self.shared().idle.transition_worker_from_searching() {
                    // The last searcher found work: more may be coming; keep one searching.
                    self.shared().notify_parked();
                }
            }
        }
        if self.wake_owed.replace(false) && self.has_queued_work() {
            // Work this worker queued between polls without waking a peer is still waiting
            // while it polls something else: the poll may block, so wake a peer now.
            self.notify_peer();
        }
        let stats = &self.remote().stats;
        let header = task.header();
        header.on_poll_start(self.place);
        stats.watch.begin(header.id.0, header.spawn_site());
        self.in_poll.set(true);
        let ((), exhausted) =
            crate::coop::with_budget_counting(stats.progress.as_atomic(), || task.run());
        self.in_poll.set(false);
        stats.watch.end();
        if self.retired.is_full() {
            self.flush_retired();
        }
        if exhausted {
            stats.budget_exhaustions.add(1);
            // A task that ran out of budget is a busy one: check the timers now rather than at
            // the next 61-tick check, which busy loops of long polls reach only every few
            // hundred microseconds (Go checks its timers at every schedule). One clock read per
            // budget (128 leaf operations), and only while a timer is armed.
            self.fire_due_timers();
        }
    }

    fn remote(&self) -> &super::Remote {
        &self.shared.remotes[self.index]
    }

    fn take_lifo(&self) -> Option<Notified> {
        let slot = &self.shared().remotes[self.index].lifo;
        if slot.load(Ordering::Relaxed).is_null() {
            return None;
        }
        // Acquire: pairs with the Release of the swap that put the task there.
        let p = slot.swap(ptr::null_mut(), Ordering::Acquire);
        let p = ptr::NonNull::new(p)?;
        self.remote().stats.lifo_hits.add(1);
        // SAFETY: the slot owned this Notified reference; now we do.
        Some(unsafe { Notified::from_raw(RawTask::from_raw(p)) })
    }

    fn next_task(&self) -> Option<Notified> {
        let mut core = self.core.borrow_mut();
        core.tick = core.tick.wrapping_add(1);
        let tick = core.tick;
        let shared = self.shared();
        if tick % shared.config.global_queue_interval == 0 {
            drop(core);
            self.fire_due_timers();
            // Busy workers keep I/O flowing: a non-blocking reactor poll unless a parked worker
            // is blocked in it (see `crate::io`).
            shared.poll_io_nonblocking();
            core = self.core.borrow_mut();
            if let Some(t) = shared.inject.pop() {
                self.remote().stats.inject_pops.add(1);
                core.lifo_polls = 0;
                return Some(t);
            }
        }
        if core.lifo_polls < MAX_LIFO_POLLS {
            if let Some(t) = self.take_lifo() {
                core.lifo_polls += 1;
                return Some(t);
            }
        }
        if let Some(t) = core.local.pop() {
            core.lifo_polls = 0;
            return Some(t);
        }
        if let Some(t) = self.pop_inject_batch(&mut core) {
            core.lifo_polls = 0;
            return Some(t);
        }
        // Capped, but nothing else to run.
        core.lifo_polls = 0;
        self.take_lifo()
    }

    /// Takes a fair share of the injection queue into the local queue, returning one task.
    fn pop_inject_batch(&self, core: &mut Core) -> Option<Notified> {
        let shared = self.shared();
        // A fair share of the injection queue (Go's `globrunqget`: len / workers + 1), bounded
        // by half the free local slots: the other half stays free for what the batch's tasks
        // wake or spawn, which would otherwise overflow (half the queue at a time) straight
        // back into the injection queue. The cap at half a queue states Go's bound on its own;
        // it is implied by the first today (free slots never exceed the capacity), and keeps
        // the batch bounded should `remaining_slots` ever over-report.
        let room = (core.local.remaining_slots() / 2).min(queue::LOCAL_QUEUE_CAPACITY / 2);
        let workers = shared.num_workers();
        // `remaining_slots` counts slots a stealer has claimed as taken, so the batch fits and
        // nothing overflows; should it ever, the overflow waits in `spill` until the injection
        // queue's lock is released (its callback must not use the queue).
        let mut spill = Vec::new();
        let (first, n) = shared.inject.pop_batch(
            |len| (len / workers + 1).min(room),
            |t| {
                core.local
                    .push_back_or_overflow(t, |batch| spill.extend(batch))
            },
        )?;
        if !spill.is_empty() {
            shared.inject.push_batch(&mut spill.into_iter());
        }
        self.remote().stats.inject_pops.add(n as u64 + 1);
        Some(first)
    }

    fn steal_work(&self) -> Option<Notified> {
        // Out of local work: a good moment for the deferred removals.
        self.flush_retired();
        let shared = self.shared();
        let n = shared.num_workers();
        {
            let mut core = self.core.borrow_mut();
            if !core.is_searching {
                if !shared.idle.transition_worker_to_searching() {
                    return None;
                }
                core.is_searching = true;
            }
        }
        let mut linger_until = Instant::now() + SEARCH_LINGER;
        loop {
            {
                let mut core = self.core.borrow_mut();
                let start = core.next_rand(n);
                for i in 0..n {
                    let victim = (start + i) % n;
                    if victim == self.index {
                        continue;
                    }
                    if let Some(t) = shared.remotes[victim].steal.steal_into(&mut core.local) {
                        self.remote().stats.steals.add(1);
                        return Some(t);
                    }
                }
                if let Some(t) = self.pop_inject_batch(&mut core) {
                    return Some(t);
                }
            }
            // Last resort: a task stranded in a busy worker's LIFO slot.
            if n == 1 || shared.is_shutdown() {
                return None;
            }
            match self.steal_stranded_lifo() {
                Stranded::Took(t) => {
                    self.remote().stats.steals.add(1);
                    self.remote().stats.lifo_steals.add(1);
                    return Some(t);
                }
                // Stay until the watched task's patience runs out, should its owner stay in
                // the same poll that long.
                Stranded::Watching(since) => {
                    linger_until = linger_until.max(since + LIFO_STEAL_PATIENCE);
                }
                Stranded::Nothing => {}
            }
            // Linger while another worker is awake (it may hand us work), then park.
            if Instant::now() >= linger_until || shared.idle.num_parked() + 1 >= n {
                return None;
            }
            if self.cpus_short {
                // Go's `osyield` in place of `procyield`: let the peer this worker waits for
                // have the CPU they may share.
                std::thread::yield_now();
            } else {
                for _ in 0..64 {
                    std::hint::spin_loop();
                }
            }
        }
    }

    /// Looks at the other workers' LIFO slots; if one holds a task, waits the back-off and takes
    /// it if its owner is stuck (still inside the same poll, no budget spent), or has kept it
    /// waiting inside one poll for longer than `LIFO_STEAL_PATIENCE`.
    fn steal_stranded_lifo(&self) -> Stranded {
        let shared = self.shared();
        let mut watches = self.stranded.borrow_mut();
        let now = Instant::now();
        let mut any = false;
        for (i, (r, w)) in shared.remotes.iter().zip(watches.iter_mut()).enumerate() {
            if i == self.index {
                continue;
            }
            let task = r.lifo.load(Ordering::Relaxed);
            let seq = r.stats.watch.seq_relaxed();
            if task.is_null() || seq % 2 == 0 {
                // Empty, or the owner is between polls: it looks at its slot before it can park.
                w.task = ptr::null_mut();
                continue;
            }
            any = true;
            if task != w.task || seq != w.seq {
                // A new task, or a new poll: start the patience clock again. (A task pointer
                // reused by a new task within one poll only makes the thief take it sooner.)
                w.since = now;
            }
            w.task = task;
            w.seq = seq;
            w.progress = r.stats.progress.get();
        }
        if !any {
            return Stranded::Nothing;
        }
        let until = now + LIFO_STEAL_BACKOFF;
        let mut now = Instant::now();
        while now < until {
            // Yield rather than spin: should the owner share this CPU (its thread preempted,
            // say by us waking up on it), it runs and shows its progress.
            std::thread::yield_now();
            now = Instant::now();
        }
        let mut oldest: Option<Instant> = None;
        for (i, w) in watches.iter().enumerate() {
            if w.task.is_null() || i == self.index {
                continue;
            }
            let r = &shared.remotes[i];
            let seq = r.stats.watch.seq_relaxed();
            let progress = r.stats.progress.get();
            match w.verdict(seq, progress, now) {
                Verdict::MovedOn => continue,
                Verdict::Wait => {
                    oldest = Some(oldest.map_or(w.since, |o| o.min(w.since)));
                    continue;
                }
                Verdict::Take => {}
            }
            // Acquire on success: take ownership of the task published by the owner's swap.
            if r.lifo
                .compare_exchange(
                    w.task,
                    ptr::null_mut(),
                    Ordering::Acquire,
                    Ordering::Relaxed,
                )
                .is_ok()
            {
                tracing::trace!(victim = i, "took a stranded LIFO task");
                // SAFETY: the slot owned this Notified reference; the CAS moved it to us.
                return Stranded::Took(unsafe {
                    Notified::from_raw(RawTask::from_raw(ptr::NonNull::new(w.task).unwrap()))
                });
            }
        }
        match oldest {
            Some(since) => Stranded::Watching(since),
            None => Stranded::Nothing,
        }
    }

    /// Fires expired timers (the wakes land in this worker's queues).
    fn fire_due_timers(&self) {
        let time = &self.shared().time;
        if let Some(deadline) = time.next_deadline() {
            let now = Instant::now();
            if deadline <= now {
                time.process(now);
            }
        }
    }

    /// How long before a timer's deadline this worker stops parking and spins.
    fn timer_spin_window(&self) -> Duration {
        let late = self.timer_late.get();
        (late + late / 4).clamp(MIN_TIMER_SPIN, MAX_TIMER_SPIN)
    }

    /// The final stretch of a wait for a timer: with nothing to run and the next deadline within
    /// the spin window, spin to it instead of parking, then fire the timers. A parked thread
    /// wakes tens of microseconds late (the timerfd, the scheduler, an idle vCPU's exit on a
    /// VM); the duty holder parks until the window opens (`park`) and spins from there. The
    /// worker holds timer duty while it spins, so no peer parks in the reactor for the same
    /// deadline, and stops early when work arrives in the injection queue. Costs at most
    /// [`MAX_TIMER_SPIN`] of CPU per wake-up, only when a timer is that close: none between
    /// timers. Returns whether it spun (and fired the timers due).
    fn spin_to_due_timer(&self) -> bool {
        let shared = self.shared();
        let Some(deadline) = shared.time.next_deadline() else {
            return false;
        };
        if deadline > Instant::now() + self.timer_spin_window() {
            return false;
        }
        let owner = &shared.timer_owner;
        // SeqCst: as in `park`'s claim of the duty.
        if owner
            .compare_exchange(
                super::NO_TIMER_OWNER,
                self.index,
                Ordering::SeqCst,
                Ordering::SeqCst,
            )
            .is_err()
        {
            return false;
        }
        loop {
            let now = Instant::now();
            if now >= deadline
                || shared.time.next_deadline().is_none_or(|d| d <= now)
                || !shared.inject.is_empty()
            {
                break;
            }
            std::hint::spin_loop();
        }
        owner.store(super::NO_TIMER_OWNER, Ordering::SeqCst);
        self.fire_due_timers();
        true
    }

    fn park(&self) {
        // Nothing completed on a parked worker waits for its removal.
        self.flush_retired();
        let shared = self.shared();
        let was_searching = std::mem::replace(&mut self.core.borrow_mut().is_searching, false);
        if shared
            .idle
            .transition_worker_to_parked(self.index, was_searching)
            && shared.has_pending_work()
        {
            shared.notify_parked();
        }
        // Idle: cached task memory goes back to the allocator; the last worker to park takes
        // the global lists too (one load each when there is nothing cached).
        crate::task::cell_cache::trim(shared.idle.num_parked() == shared.num_workers());
        if shared.is_shutdown() {
            return;
        }
        // Claim timer duty if nobody holds it: then sleep only until the next deadline.
        let owner = &shared.timer_owner;
        let has_duty = owner
            .compare_exchange(
                super::NO_TIMER_OWNER,
                self.index,
                Ordering::SeqCst,
                Ordering::SeqCst,
            )
            .is_ok();
        let deadline = if has_duty {
            // SeqCst fence: pairs with the one in `unpark_timer_owner` (a registration either
            // sees us as owner and unparks us, or we see its deadline here).
            crate::loom::fence(Ordering::SeqCst);
            // Wake when the final spin's window opens (`spin_to_due_timer`).
            let window = self.timer_spin_window();
            shared
                .time
                .next_deadline()
                .map(|d| d.checked_sub(window).unwrap_or(d))
        } else {
            None
        };
        // The duty holder parks in the I/O reactor, woken by I/O, its deadline or an unpark.
        let readied = if has_duty {
            let readied = shared.park_in_reactor(self.index, deadline);
            if let Some(target) = deadline {
                // A timed-out park: learn its lateness (a wake-up before `target` teaches
                // nothing). Decay slowly, so one punctual wake-up does not shrink the window.
                let woke = Instant::now();
                if woke >= target {
                    let late = self.timer_late.get();
                    self.timer_late.set((woke - target).max(late - late / 16));
                }
            }
            Some(readied)
        } else {
            shared.remotes[self.index].parker.park(None);
            None
        };
        if has_duty {
            owner.store(super::NO_TIMER_OWNER, Ordering::SeqCst);
        }
        let notified = shared.idle.transition_worker_from_parked(self.index);
        self.core.borrow_mut().is_searching = notified;
        // Wake what I/O and timers readied only now that this worker counts as running: the
        // tasks land in its own queues and may wake a parked peer, never this worker itself.
        if let Some(readied) = readied {
            shared.wake_readied(readied);
            self.fire_due_timers();
        }
        // Leaving timer duty while timers are pending or sockets registered, with every other
        // worker parked: hand the duty to a parked peer (which re-parks in the reactor), so a
        // long poll here cannot delay them. If another worker is awake, no wake-up is spent:
        // it claims the duty when it parks, and polls timers and the reactor every 61 ticks
        // until then (a context switch per reactor wake-up saved under load).
        let others_parked = shared.idle.num_parked() + 1 >= shared.num_workers();
        if has_duty
            && others_parked
            && (shared.time.next_deadline().is_some() || shared.io_needs_poller())
        {
            if let Some(peer) = shared.idle.any_sleeper() {
                shared.remotes[peer].parker.unpark();
            }
        }
    }
}

enum Stranded {
    Took(Notified),
    /// A task waits in the slot of an owner making progress, watched since then (the oldest).
    Watching(Instant),
    Nothing,
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn watch(since: Instant) -> Watch {
        Watch {
            task: ptr::null_mut(),
            seq: 7,
            progress: 100,
            since,
        }
    }

    #[test]
    fn a_stuck_owner_loses_its_lifo_task() {
        let now = Instant::now();
        assert_eq!(
            watch(now).verdict(7, 100, now + LIFO_STEAL_BACKOFF),
            Verdict::Take
        );
    }

    #[test]
    fn a_progressing_owner_keeps_its_lifo_task_for_a_while() {
        let t0 = Instant::now();
        let w = watch(t0);
        assert_eq!(w.verdict(7, 164, t0 + LIFO_STEAL_BACKOFF), Verdict::Wait);
        assert_eq!(w.verdict(7, 164, t0 + LIFO_STEAL_PATIENCE), Verdict::Take);
    }

    #[test]
    fn an_owner_that_moved_on_takes_the_task_itself() {
        let t0 = Instant::now();
        let w = watch(t0);
        assert_eq!(
            w.verdict(8, 100, t0 + LIFO_STEAL_PATIENCE),
            Verdict::MovedOn
        );
        assert_eq!(w.verdict(8, 101, t0 + LIFO_STEAL_BACKOFF), Verdict::MovedOn);
    }
}
