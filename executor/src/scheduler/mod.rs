//! The multithreaded work-stealing scheduler: Go's G/M/P machinery for futures.
//!
//! # Where a task goes
//!
//! - Woken or spawned **on a worker** (by a task that worker is running): into that worker's
//!   **LIFO slot** (Go's `runnext`): the task most recently readied runs next, while its data
//!   is hot in cache. The task it displaces goes to the back of the local queue. A task that
//!   wakes *itself* (a yield, or an exhausted budget) goes to the back of the local queue.
//! - Woken or spawned **from outside** (another runtime, a plain thread, `block_on`): into
//!   the **global injection queue**.
//! - A full local queue (256) moves half of itself to the injection queue.
//!
//! # Where a worker looks for work ([`worker`])
//!
//! Every 61st tick the injection queue first (so it cannot starve); otherwise the LIFO slot (at
//! most 3 LIFO polls in a row, so two tasks waking each other cannot starve the queue), the
//! local queue, the injection queue, then steal half of a random other worker's queue. As a
//! last resort it takes a task stranded in another worker's LIFO slot: one whose owner is
//! *stuck*, inside the same poll and without spending any coop budget over a short back-off
//! (3 us), or has kept the task waiting inside one poll for a longer patience (100 us). That
//! is what keeps a task woken by a task that then blocks its thread from waiting for the whole
//! block (tokio's LIFO slot cannot be stolen), while a busy pipeline stays on its core: a
//! consumer that wakes its producer and goes on receiving is making progress, so the producer
//! runs after the consumer's poll, on the same core, instead of next to it on another core,
//! where the two would fight over the channel's cache lines.
//!
//! Rejected: stealing from the slot after the back-off whatever the owner does (Go's
//! `runqgrab`; gmp until issue 13): it split every producer/consumer pair of a fan-in across
//! the two cores (51k steals per 2M messages, 5x slower). A long back-off alone (1 ms) kept the
//! pair together but left a task woken by a blocked worker stranded for that long.
//!
//! # Parking ([`idle`])
//!
//! Idle workers park on their own [`park::Parker`]; see `idle` for the protocol that avoids
//! both lost wakeups and thundering herds. Pushing work wakes a parked worker only if no worker
//! is searching, which also holds for the LIFO slot: a worker busy in a long poll therefore
//! always has an awake peer able to take the task it just readied.

pub(crate) mod blocking;
pub(crate) mod deadlock;
pub(crate) mod idle;
pub(crate) mod inject;
mod netpoll;
pub(crate) mod park;
pub(crate) mod queue;
pub(crate) mod sysmon;
pub(crate) mod worker;

#[cfg(all(test, loom))]
mod loom_park;

use std::future::Future;
use std::panic::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::loom::{AtomicBool, AtomicPtr, AtomicUsize, Condvar, Mutex, Ordering, fence};
use crate::runtime::metrics::WorkerStats;
use crate::runtime::{Builder, UnhandledPanic, context};
use crate::task::header::Header;
use crate::task::raw::{Notified, RawTask, Schedule};
use crate::task::registry::{Insert, Registry};
use crate::task::{Id, JoinHandle};
use crate::time::driver::TimeDriver;

use self::idle::Idle;
use self::inject::Inject;
use self::park::Parker;
use self::queue::Stealer;
use self::worker::Core;

/// What other threads may see of a worker.
pub(crate) struct Remote {
    pub(crate) steal: Stealer<Notified>,
    /// The LIFO slot: a `Notified` turned into a raw pointer, or null. The owner swaps tasks
    /// in and out; a thief may take a stranded one with a CAS.
    pub(crate) lifo: AtomicPtr<Header>,
    pub(crate) parker: Parker,
    /// The worker's counters and sysmon's view of its current poll: one cache line of its own
    /// that only the worker writes. A thief reads the poll sequence and the progress count
    /// there to tell a stuck owner from a busy one (see `worker`).
    pub(crate) stats: WorkerStats,
}

pub(crate) struct Config {
    pub(crate) global_queue_interval: u32,
    pub(crate) unhandled_panic: UnhandledPanic,
    pub(crate) deadlock_detection: bool,
}

/// The state of one runtime shared by its workers, handles and tasks.
pub(crate) struct Shared {
    pub(crate) remotes: Box<[Remote]>,
    pub(crate) inject: Inject,
    pub(crate) idle: Idle,
    pub(crate) registry: Registry,
    pub(crate) config: Config,
    pub(crate) blocking: blocking::Pool,
    /// Timers: one wheel per worker.
    pub(crate) time: Arc<TimeDriver>,
    /// The I/O reactor (see `crate::io` and `netpoll`).
    #[cfg(not(loom))]
    pub(crate) io: Arc<crate::io::IoDriver>,
    /// The parked worker that sleeps until the next timer deadline (`NO_TIMER_OWNER` if none).
    /// Only one parked worker watches the clock, so a deadline wakes one thread, not all.
    pub(crate) timer_owner: AtomicUsize,
    shutdown: AtomicBool,
    /// Set when a detached task panicked under `UnhandledPanic::ShutdownRuntime`.
    panicked: AtomicBool,
    /// Every unhandled task panic, for `Handle::unhandled_panics` (and `#[gmp::test]`).
    pub(crate) panics: crate::runtime::panics::Log,
    /// Worker cores not yet claimed by their threads.
    cores: Mutex<Vec<Option<Box<Core>>>>,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
    /// Number of worker threads that have left their run loop, with a condvar for timed joins.
    exited: Mutex<usize>,
    exited_cvar: Condvar,
    /// Parkers of threads inside `block_on`, woken when the runtime shuts down on a panic.
    block_on_parkers: Mutex<slab::Slab<Arc<BlockOnParker>>>,
    /// User-visible `Handle`s alive (all but the runtime's own): threads that may spawn from
    /// outside (see `deadlock`).
    pub(crate) user_handles: AtomicUsize,
    pub(crate) sysmon: sysmon::Sysmon,
}

impl Shared {
    pub(crate) fn start(builder: &Builder) -> std::io::Result<Arc<Shared>> {
        let n = builder.resolved_maxprocs()?;
        crate::clock::refresh();
        #[cfg(not(loom))]
        let io = Arc::new(crate::io::IoDriver::new()?);
        let mut remotes = Vec::with_capacity(n);
        let mut cores = Vec::with_capacity(n);
        for index in 0..n {
            let (local, steal) = queue::local();
            remotes.push(Remote {
                steal,
                lifo: AtomicPtr::new(std::ptr::null_mut()),
                parker: netpoll::worker_parker(
                    #[cfg(not(loom))]
                    &io,
                ),
                stats: WorkerStats::default(),
            });
            cores.push(Some(Box::new(Core::new(index, local))));
        }
        let shared = Arc::new_cyclic(|weak: &std::sync::Weak<Shared>| {
            let weak = weak.clone();
            let unpark = Arc::new(move || {
                if let Some(s) = weak.upgrade() {
                    s.unpark_timer_owner();
                }
            });
            Shared {
                remotes: remotes.into_boxed_slice(),
                inject: Inject::new(),
                idle: Idle::new(n),
                registry: Registry::new(n + 1),
                config: Config {
                    global_queue_interval: builder.global_queue_interval,
                    unhandled_panic: builder.unhandled_panic,
                    deadlock_detection: builder.deadlock_detection,
                },
                blocking: blocking::Pool::new(builder),
                time: Arc::new(TimeDriver::new(n, unpark)),
                #[cfg(not(loom))]
                io,
                timer_owner: AtomicUsize::new(NO_TIMER_OWNER),
                shutdown: AtomicBool::new(false),
                panicked: AtomicBool::new(false),
                panics: Default::default(),
                cores: Mutex::new(cores),
                threads: Mutex::new(Vec::with_capacity(n)),
                exited: Mutex::new(0),
                exited_cvar: Condvar::new(),
                block_on_parkers: Mutex::new(slab::Slab::new()),
                user_handles: AtomicUsize::new(0),
                sysmon: sysmon::Sysmon::new(builder.sysmon_threshold),
            }
        });
        for index in 0..n {
            let mut tb = std::thread::Builder::new().name((builder.thread_name)(index));
            if let Some(size) = builder.thread_stack_size {
                tb = tb.stack_size(size);
            }
            let s = shared.clone();
            let (on_start, on_stop) = (
                builder.on_thread_start.clone(),
                builder.on_thread_stop.clone(),
            );
            let spawned = tb.spawn(move || {
                if let Some(f) = on_start {
                    f();
                }
                worker::run(s.clone(), index);
                if let Some(f) = on_stop {
                    f();
                }
                *s.exited.lock().unwrap() += 1;
                s.exited_cvar.notify_all();
            });
            match spawned {
                Ok(h) => shared.threads.lock().unwrap().push(h),
                Err(e) => {
                    shared.shutdown(None);
                    return Err(e);
                }
            }
        }
        if builder.sysmon {
            if let Err(e) = sysmon::Sysmon::start(&shared) {
                shared.shutdown(None);
                return Err(e);
            }
        }
        if builder.dump_on_sigquit {
            #[cfg(all(target_os = "linux", not(loom)))]
            if let Err(e) = crate::runtime::signal::register(&shared) {
                shared.shutdown(None);
                return Err(e);
            }
            #[cfg(not(all(target_os = "linux", not(loom))))]
            tracing::warn!("gmp: dump_on_sigquit is only supported on Linux; ignored");
        }
        tracing::debug!(maxprocs = n, "gmp runtime started");
        Ok(shared)
    }

    pub(crate) fn take_core(&self, index: usize) -> Option<Box<Core>> {
        self.cores.lock().unwrap()[index].take()
    }

    pub(crate) fn num_workers(&self) -> usize {
        self.remotes.len()
    }

    pub(crate) fn num_tasks(&self) -> usize {
        self.registry.len()
    }

    /// Long polls reported, extra workers started and I/O wake-ups by sysmon.
    pub(crate) fn sysmon_counts(&self) -> sysmon::SysmonCounts {
        self.sysmon.counts()
    }

    /// Polls started by sysmon's helper thread.
    pub(crate) fn helper_polls(&self) -> u64 {
        self.sysmon.helper_polls()
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }

    pub(crate) fn spawn<F>(
        this: &Arc<Shared>,
        future: F,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let id = next_id();
        let shard = this
            .registry
            .shard_for(worker::current_index().unwrap_or(this.num_workers()));
        let raw = RawTask::new(future, this.clone(), id, location, shard);
        tracing::trace!(task.id = id.0, spawn_site = %location, "spawn");
        // SAFETY: a new task holds a reference for its first Notified.
        let notified = unsafe { Notified::from_raw(raw) };
        let join = JoinHandle::new(raw);
        match this.registry.insert(raw) {
            Insert::Ok => this.schedule_task(notified, false),
            Insert::Closed => cancel_unregistered(raw, notified),
        }
        join
    }

    pub(crate) fn spawn_blocking<F, R>(
        this: &Arc<Shared>,
        f: F,
        location: &'static Location<'static>,
    ) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let id = next_id();
        let raw = RawTask::new(
            blocking::BlockingTask::new(f),
            blocking::BlockingSchedule(this.clone()),
            id,
            location,
            this.registry.shard_for(this.num_workers()) | crate::task::header::BLOCKING_JOB,
        );
        // SAFETY: a new task holds a reference for its first Notified.
        let notified = unsafe { Notified::from_raw(raw) };
        let join = JoinHandle::new(raw);
        match this.registry.insert(raw) {
            Insert::Ok => this.blocking.push(notified, this),
            Insert::Closed => cancel_unregistered(raw, notified),
        }
        join
    }

    /// Queues a runnable task: on this runtime's worker thread into its LIFO slot (or, for a
    /// yield, the back of its queue); elsewhere into the injection queue.
    pub(crate) fn schedule_task(&self, task: Notified, is_yield: bool) {
        task.header().on_scheduled();
        let task = match worker::schedule_local(self, task, is_yield) {
            Ok(()) => return,
            Err(task) => task,
        };
        if self.is_shutdown() {
            // Workers are gone or going; the shutdown sweep cancels the task.
            drop(task);
            return;
        }
        self.inject.push(task);
        self.notify_parked();
    }

    /// Wakes a parked worker if no worker is searching (see `idle`).
    pub(crate) fn notify_parked(&self) {
        // SeqCst fence: the producer half of the StoreLoad pairing in `idle`.
        fence(Ordering::SeqCst);
        if let Some(index) = self.idle.worker_to_notify() {
            self.remotes[index].parker.unpark();
        }
    }

    /// A timer registration made the earliest deadline earlier: wake the worker sleeping until
    /// the old one so it re-arms.
    fn unpark_timer_owner(&self) {
        // SeqCst fence: the registration published its deadline before calling us; pairs with
        // the fence between the owner's claim and its read of the deadline (worker `park`).
        fence(Ordering::SeqCst);
        let owner = self.timer_owner.load(Ordering::SeqCst);
        if owner != NO_TIMER_OWNER {
            self.remotes[owner].parker.unpark();
        }
    }

    /// Whether any queue holds work (the last searcher's re-check before parking).
    pub(crate) fn has_pending_work(&self) -> bool {
        fence(Ordering::SeqCst);
        !self.inject.is_empty()
            || self
                .remotes
                .iter()
                .any(|r| !r.steal.is_empty() || !r.lifo.load(Ordering::SeqCst).is_null())
    }

    pub(crate) fn block_on<F: Future>(self: &Arc<Shared>, future: F) -> F::Output {
        if context::is_entered() {
            panic!(
                "Runtime::block_on called from a thread that is already running a gmp runtime (a \
                 worker or another block_on): `.await` the future instead, or move the blocking \
                 work into `gmp::spawn_blocking`"
            );
        }
        let _enter = context::enter(self.clone());
        let _time = crate::time::driver::enter(self.time.clone(), 0);
        let parker = Arc::new(BlockOnParker {
            parker: Parker::new(),
            parked: AtomicBool::new(false),
        });
        let key = self.block_on_parkers.lock().unwrap().insert(parker.clone());
        struct Unregister<'a>(&'a Shared, usize);
        impl Drop for Unregister<'_> {
            fn drop(&mut self) {
                self.0.block_on_parkers.lock().unwrap().remove(self.1);
            }
        }
        let _unregister = Unregister(self, key);
        let waker = std::task::Waker::from(parker.clone());
        let mut cx = std::task::Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if self.panicked.load(Ordering::Acquire) {
                panic!(
                    "a task panicked and the runtime was built with UnhandledPanic::ShutdownRuntime; \
                     the runtime has shut down: {:#}",
                    self.panics.snapshot()
                );
            }
            let (res, _) = crate::coop::with_budget(|| future.as_mut().poll(&mut cx));
            if let std::task::Poll::Ready(v) = res {
                return v;
            }
            self.park_block_on(&parker);
        }
    }

    /// Parks a `block_on` thread until its future is woken, checking for a deadlock meanwhile
    /// if that is enabled (see `deadlock`).
    fn park_block_on(&self, parker: &BlockOnParker) {
        if !self.config.deadlock_detection {
            parker.parker.park(None);
            return;
        }
        let mut detector = deadlock::Detector::new();
        let mut deadline = detector.first_deadline(Instant::now());
        loop {
            // Relaxed: read by other `block_on` threads' heuristic snapshots only.
            parker.parked.store(true, Ordering::Relaxed);
            let woken = parker.parker.park(Some(deadline));
            parker.parked.store(false, Ordering::Relaxed);
            if woken {
                return;
            }
            let snapshot = self.quiescence(parker);
            match detector.observe(snapshot, Instant::now()) {
                deadlock::Verdict::Wait(d) => deadline = d,
                deadlock::Verdict::Deadlock => panic!("{}", self.deadlock_report()),
            }
        }
    }

    /// The dump of every live task, as text.
    pub(crate) fn dump_all(&self) -> String {
        crate::runtime::Dump::collect(self, |_| true).to_string()
    }

    pub(crate) fn unhandled_panic(&self, task: &Header, payload: &(dyn std::any::Any + Send)) {
        let message = crate::task::harness::panic_message(payload);
        tracing::error!(
            task.id = task.id.0,
            spawn_site = %task.spawn_site(),
            "task {} spawned at {} panicked: {message}",
            task.id,
            task.spawn_site()
        );
        self.panics.record(task.id, task.spawn_site(), message);
        if self.config.unhandled_panic == UnhandledPanic::ShutdownRuntime {
            self.panicked.store(true, Ordering::Release);
            self.begin_shutdown();
            for (_, p) in self.block_on_parkers.lock().unwrap().iter() {
                p.parker.unpark();
            }
        }
    }

    /// Sets the shutdown flag and wakes every worker so it leaves its loop. Returns false if
    /// shutdown had already begun.
    fn begin_shutdown(&self) -> bool {
        if self.shutdown.swap(true, Ordering::AcqRel) {
            return false;
        }
        for r in self.remotes.iter() {
            r.parker.unpark();
        }
        self.blocking.shutdown();
        self.sysmon.wake_for_shutdown();
        true
    }

    /// Full shutdown: stop the workers (waiting at most `timeout` for them), then cancel every
    /// task still registered, dropping its future on this thread.
    pub(crate) fn shutdown(self: &Arc<Shared>, timeout: Option<Duration>) {
        // Saturating (`Duration::MAX` waits for good), and computed before anything is taken.
        let deadline = timeout.map(crate::time::deadline_after);
        self.begin_shutdown();
        let me = std::thread::current().id();
        let handles: Vec<_> = std::mem::take(&mut *self.threads.lock().unwrap());
        let n = handles.len();
        // Wait for the workers to leave their loops (they drain their own queues on the way).
        let on_worker = handles.iter().any(|h| h.thread().id() == me);
        if !on_worker {
            let mut exited = self.exited.lock().unwrap();
            while *exited < n {
                match deadline {
                    None => exited = self.exited_cvar.wait(exited).unwrap(),
                    Some(d) => {
                        let now = Instant::now();
                        if now >= d {
                            break;
                        }
                        exited = self.exited_cvar.wait_timeout(exited, d - now).unwrap().0;
                    }
                }
            }
            let all_exited = *exited >= n;
            drop(exited);
            if all_exited {
                for h in handles {
                    let _ = h.join();
                }
            }
        }
        // Sysmon never runs task code: it leaves at once.
        self.sysmon.stop();
        // Pending timers complete now; later ones complete at once.
        self.time.shutdown();
        // Tasks waiting on sockets are woken; later socket operations fail.
        #[cfg(not(loom))]
        self.io.shutdown();
        // Cancel everything still alive. Dropping futures can wake or spawn tasks; those land
        // in the closed registry or the injection queue, so loop until both are empty.
        let _enter = (!context::is_entered()).then(|| context::enter(self.clone()));
        loop {
            let tasks = self.registry.close_and_drain();
            let mut progressed = !tasks.is_empty();
            for t in tasks {
                t.shutdown();
                // SAFETY: the registry's reference was handed to us by `close_and_drain`.
                unsafe { t.drop_reference() };
            }
            while let Some(task) = self.inject.pop() {
                progressed = true;
                drop(task);
            }
            if !progressed {
                break;
            }
        }
    }
}

impl Schedule for Arc<Shared> {
    fn schedule(&self, task: Notified) {
        self.schedule_task(task, false);
    }

    fn yield_now(&self, task: Notified) {
        self.schedule_task(task, true);
    }

    fn release(&self, task: &Header) -> bool {
        self.registry.remove(task)
    }

    fn unhandled_panic(&self, task: &Header, payload: &(dyn std::any::Any + Send)) {
        Shared::unhandled_panic(self, task, payload);
    }

    fn panic_completing(&self, begin: bool) {
        self.panics.completing(begin);
    }
}

pub(crate) const NO_TIMER_OWNER: usize = usize::MAX;

/// A task spawned after shutdown began: complete it as cancelled without running it.
fn cancel_unregistered(raw: RawTask, notified: Notified) {
    drop(notified);
    raw.shutdown();
    // SAFETY: the registry refused the task, so its reference is ours to drop.
    unsafe { raw.drop_reference() };
}

/// The waker of a `block_on` future.
pub(crate) struct BlockOnParker {
    parker: Parker,
    /// Whether the thread is parked (for other `block_on` threads' deadlock checks).
    parked: AtomicBool,
}

impl BlockOnParker {
    fn is_parked(&self) -> bool {
        // Relaxed: see `park_block_on`.
        self.parked.load(Ordering::Relaxed)
    }
}

impl std::task::Wake for BlockOnParker {
    fn wake(self: Arc<Self>) {
        self.parker.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.parker.unpark();
    }
}

/// Task ids: each thread takes a batch from a global counter, so spawning on several workers
/// does not bounce one cache line.
fn next_id() -> Id {
    use std::cell::Cell;
    use std::sync::atomic::AtomicU64;
    const BATCH: u64 = 1024;
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static RANGE: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    }
    RANGE.with(|r| {
        let (mut next, mut end) = r.get();
        if next == end {
            next = NEXT.fetch_add(BATCH, std::sync::atomic::Ordering::Relaxed);
            end = next + BATCH;
        }
        r.set((next + 1, end));
        Id(next)
    })
}
