//! The multithreaded work-stealing scheduler: Go's G/M/P machinery for futures.
//!
//! # Layer
//!
//! Below `runtime`, above `task`, `time`, `io`, `blocking`, `coop`, `clock` and `loom`, which
//! it may use; it never names `runtime` (the public `Builder` reaches it as a plain
//! [`Config`], and the runtime calls in, never the other way). It owns the thread-local
//! "current worker / runtime" ([`context`]), the workers, their queues and statistics
//! ([`stats`]), parking, sysmon, the unhandled-panic log ([`panics`]) and shutdown.
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

pub(crate) mod context;
mod cpu_clock;
pub(crate) mod idle;
pub(crate) mod inject;
mod netpoll;
pub(crate) mod panics;
pub(crate) mod park;
pub(crate) mod queue;
pub(crate) mod spawn;
pub(crate) mod stats;
pub(crate) mod sysmon;
pub(crate) mod worker;

#[cfg(all(test, loom))]
mod loom_park;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::loom::{AtomicBool, AtomicPtr, AtomicUsize, Condvar, Mutex, Ordering, fence};
use crate::task::header::Header;
use crate::task::raw::{Notified, RawTask, Released, Schedule};
use crate::task::registry::Registry;
use crate::time::TimeDriver;

use self::idle::Idle;
use self::inject::Inject;
use self::park::Parker;
use self::queue::Stealer;
use self::stats::WorkerStats;
use self::worker::{Core, WorkerContext};

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

/// A function run on each worker thread as it starts or stops.
pub(crate) type Callback = Arc<dyn Fn() + Send + Sync>;

/// What the scheduler is told to build: the public `Builder`, resolved (`maxprocs` is a
/// number here) and stripped of what the runtime handles itself (`dump_on_sigquit`).
pub(crate) struct Config {
    pub(crate) maxprocs: usize,
    pub(crate) thread_name: Arc<dyn Fn(usize) -> String + Send + Sync>,
    pub(crate) thread_stack_size: Option<usize>,
    pub(crate) on_thread_start: Option<Callback>,
    pub(crate) on_thread_stop: Option<Callback>,
    pub(crate) global_queue_interval: u32,
    /// Shut the runtime down when a detached task panics (`UnhandledPanic::ShutdownRuntime`).
    pub(crate) shutdown_on_panic: bool,
    /// Read by `runtime::block_on`.
    pub(crate) deadlock_detection: bool,
    pub(crate) max_blocking_threads: usize,
    pub(crate) blocking_keep_alive: Duration,
    pub(crate) sysmon: bool,
    pub(crate) sysmon_threshold: Duration,
    /// Enter the tokio compat handle on every thread that polls tasks (`crate::tokio_compat`;
    /// always false without the `tokio-compat` feature).
    pub(crate) tokio_compat: bool,
}

/// The state of one runtime shared by its workers, handles and tasks.
pub(crate) struct Shared {
    pub(crate) remotes: Box<[Remote]>,
    pub(crate) inject: Inject,
    pub(crate) idle: Idle,
    pub(crate) registry: Registry,
    pub(crate) config: Config,
    pub(crate) blocking: Arc<crate::blocking::Pool>,
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
    pub(crate) panics: panics::Log,
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
    pub(crate) fn start(config: Config) -> std::io::Result<Arc<Shared>> {
        let n = config.maxprocs;
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
            let weak_spawn = weak.clone();
            let unpark = Arc::new(move || {
                if let Some(s) = weak.upgrade() {
                    s.unpark_timer_owner();
                }
            });
            // `after_func` runs its function as a task of this runtime (an internal spawn: it
            // does not count as a `Handle`, see the deadlock check). Once the runtime is gone
            // the function is dropped, as a spawn onto a shut-down runtime would drop it.
            let spawner: crate::time::Spawner = Arc::new(
                move |f: Box<dyn FnOnce() + Send>,
                      location: &'static std::panic::Location<'static>| {
                    if let Some(s) = weak_spawn.upgrade() {
                        drop(spawn::spawn_on(&s, async move { f() }, location));
                    }
                },
            );
            Shared {
                remotes: remotes.into_boxed_slice(),
                inject: Inject::new(),
                idle: Idle::new(n),
                registry: Registry::new(n + 1, n),
                blocking: Arc::new(crate::blocking::Pool::new(
                    config.max_blocking_threads,
                    config.blocking_keep_alive,
                    config.tokio_compat,
                )),
                time: Arc::new(TimeDriver::new(n, unpark).with_spawner(spawner)),
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
                sysmon: sysmon::Sysmon::new(config.sysmon_threshold),
                config,
            }
        });
        let config = &shared.config;
        for index in 0..n {
            let mut tb = std::thread::Builder::new().name((config.thread_name)(index));
            if let Some(size) = config.thread_stack_size {
                tb = tb.stack_size(size);
            }
            let s = shared.clone();
            let (on_start, on_stop) = (
                config.on_thread_start.clone(),
                config.on_thread_stop.clone(),
            );
            let spawned = tb.spawn(move || {
                #[cfg(all(feature = "tokio-compat", not(loom)))]
                let _tokio = crate::tokio_compat::enter(s.config.tokio_compat);
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
        if config.sysmon {
            if let Err(e) = sysmon::Sysmon::start(&shared) {
                shared.shutdown(None);
                return Err(e);
            }
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

    /// Queues a runnable task: on this runtime's worker thread into its LIFO slot (or, for a
    /// yield, the back of its queue); elsewhere into the injection queue.
    pub(crate) fn schedule_task(&self, task: Notified, is_yield: bool) {
        context::with_worker(|cx| {
            let cx = cx.filter(|cx| std::ptr::eq::<Shared>(&*cx.shared, self));
            self.schedule_task_on(cx, task, is_yield);
        });
    }

    /// [`schedule_task`](Self::schedule_task) with the thread's worker already looked up
    /// (`Some` only if it is one of this runtime's).
    #[inline]
    pub(crate) fn schedule_task_on(
        &self,
        worker: Option<&WorkerContext>,
        task: Notified,
        is_yield: bool,
    ) {
        task.header().on_scheduled();
        let task = match worker {
            Some(cx) => match cx.schedule_local(task, is_yield) {
                Ok(()) => return,
                Err(task) => task,
            },
            None => task,
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

    /// Enters this runtime on a thread that is not one of its workers (`block_on`, sysmon's
    /// helper) for the guard's lifetime: tasks spawn onto it, timers register on its wheel 0,
    /// sockets on its reactor.
    pub(crate) fn enter(self: &Arc<Shared>) -> Entered {
        Entered {
            #[cfg(all(feature = "tokio-compat", not(loom)))]
            _tokio: crate::tokio_compat::enter(self.config.tokio_compat),
            _context: context::enter(self.clone()),
            _time: crate::time::binding::enter(&self.time, 0),
            #[cfg(not(loom))]
            _io: crate::io::binding::enter(&self.io),
        }
    }

    /// Whether a detached task panicked under `UnhandledPanic::ShutdownRuntime` (then
    /// `block_on` panics too).
    pub(crate) fn panicked(&self) -> bool {
        self.panicked.load(Ordering::Acquire)
    }

    /// Registers the parker of a thread entering `block_on`, to be woken if a task panic shuts
    /// the runtime down; the registration ends when the guard is dropped.
    pub(crate) fn register_block_on(&self, parker: Arc<BlockOnParker>) -> BlockOnRegistration<'_> {
        let key = self.block_on_parkers.lock().unwrap().insert(parker);
        BlockOnRegistration { shared: self, key }
    }

    /// Whether every `block_on` thread of this runtime other than `me` is parked (for the
    /// deadlock check).
    pub(crate) fn other_block_on_threads_parked(&self, me: &BlockOnParker) -> bool {
        self.block_on_parkers
            .lock()
            .unwrap()
            .iter()
            .all(|(_, p)| std::ptr::eq(&**p, me) || p.is_parked())
    }

    /// I/O sources registered with the reactor (none under loom, which has no reactor).
    pub(crate) fn io_registrations(&self) -> usize {
        #[cfg(not(loom))]
        return self.io.registrations();
        #[cfg(loom)]
        0
    }

    pub(crate) fn unhandled_panic(&self, task: &Header, payload: &(dyn std::any::Any + Send)) {
        let message = crate::task::panic_message(payload);
        tracing::error!(
            task.id = task.id.0,
            spawn_site = %task.spawn_site(),
            "task {} spawned at {} panicked: {message}",
            task.id,
            task.spawn_site()
        );
        self.panics.record(task.id, task.spawn_site(), message);
        if self.config.shutdown_on_panic {
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
        // (Sockets made by destructors go to this runtime's reactor, which refuses them.)
        #[cfg(not(loom))]
        let _enter = (!context::is_entered()).then(|| {
            (
                context::enter(self.clone()),
                crate::io::binding::enter(&self.io),
            )
        });
        #[cfg(loom)]
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

    fn release(&self, task: RawTask) -> Released {
        context::with_worker(|cx| match cx {
            // A worker of this runtime counts the completion itself, and defers the removal
            // to its next batch, whichever shard the task is in (see the registry's module doc).
            Some(cx) if std::ptr::eq::<Shared>(&*cx.shared, &**self) => cx.retire(task),
            _ => Released::Now(self.registry.remove(task.header())),
        })
    }

    fn unhandled_panic(&self, task: &Header, payload: &(dyn std::any::Any + Send)) {
        Shared::unhandled_panic(self, task, payload);
    }

    fn panic_completing(&self, begin: bool) {
        self.panics.completing(begin);
    }
}

pub(crate) const NO_TIMER_OWNER: usize = usize::MAX;

/// A non-worker thread's entry into a runtime ([`Shared::enter`]).
pub(crate) struct Entered {
    #[cfg(all(feature = "tokio-compat", not(loom)))]
    _tokio: crate::tokio_compat::Entered,
    _context: context::EnterGuard,
    _time: crate::time::binding::EnterGuard,
    #[cfg(not(loom))]
    _io: crate::io::binding::EnterGuard,
}

/// The waker of a `block_on` future.
pub(crate) struct BlockOnParker {
    pub(crate) parker: Parker,
    /// Whether the thread is parked (for other `block_on` threads' deadlock checks).
    parked: AtomicBool,
}

impl BlockOnParker {
    pub(crate) fn new() -> BlockOnParker {
        BlockOnParker {
            parker: Parker::new(),
            parked: AtomicBool::new(false),
        }
    }

    /// Parks until woken or `deadline`, marked as parked meanwhile; true if woken.
    pub(crate) fn park_marked(&self, deadline: Instant) -> bool {
        // Relaxed: read by other `block_on` threads' heuristic snapshots only.
        self.parked.store(true, Ordering::Relaxed);
        let woken = self.parker.park(Some(deadline));
        self.parked.store(false, Ordering::Relaxed);
        woken
    }

    fn is_parked(&self) -> bool {
        // Relaxed: see `park_marked`.
        self.parked.load(Ordering::Relaxed)
    }
}

/// A `block_on` thread's registration with its runtime ([`Shared::register_block_on`]).
pub(crate) struct BlockOnRegistration<'a> {
    shared: &'a Shared,
    key: usize,
}

impl Drop for BlockOnRegistration<'_> {
    fn drop(&mut self) {
        self.shared
            .block_on_parkers
            .lock()
            .unwrap()
            .remove(self.key);
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
