//! Runtime metrics: what each worker did, and how many tasks came and went.
//!
//! # Design
//!
//! Each worker counts its own events in a block of its own (`scheduler::stats`) (one cache line,
//! written only by that worker with `Relaxed` load + store pairs, never a read-modify-write),
//! so counting costs a few cycles on a line the worker already owns. Task counts come from the
//! live-task registry's counters (a worker counts the completions it runs on a line of its
//! own; see the registry). The other
//! runtime-wide counters sit on cold paths (a panic, sysmon's thread) or are read from state
//! the runtime keeps anyway (the idle workers' word, the blocking pool's queue, the timer
//! wheels, the reactor's registrations), so counting them costs the hot paths nothing. Reading
//! the metrics takes the blocking pool's lock, each timer wheel's
//! lock and the reactor's registration lock once, briefly; the per-worker counters are read
//! without synchronization, so a snapshot taken while the runtime runs is approximate (each
//! counter is exact, but they are not read at one instant).

use std::fmt;

use crate::scheduler::Shared;

/// What one worker (Go's P) has done since the runtime started, and its queues now.
///
/// # Examples
///
/// ```
/// let rt = gmp_executor::Builder::new().maxprocs(2).build().unwrap();
/// rt.block_on(async { gmp_executor::spawn(async {}).await.unwrap() });
/// let m = rt.metrics();
/// let w: &gmp_executor::runtime::WorkerMetrics = &m.workers[0];
/// assert!(m.workers.iter().map(|w| w.polls).sum::<u64>() >= 1);
/// # let _ = w;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerMetrics {
    /// Task polls started.
    pub polls: u64,
    /// Successful steals from another worker's queue or LIFO slot.
    pub steals: u64,
    /// Of `steals`, tasks taken from another worker's LIFO slot: its owner was stuck inside
    /// one poll, or kept the task waiting there too long.
    pub lifo_steals: u64,
    /// Times the worker parked for lack of work.
    pub parks: u64,
    /// Tasks taken from the LIFO slot (Go's `runnext`).
    pub lifo_hits: u64,
    /// Tasks taken from the global injection queue.
    pub inject_pops: u64,
    /// Polls that used up their whole cooperative budget (see [`coop`](crate::coop)).
    pub budget_exhaustions: u64,
    /// Tasks in the worker's local run queue now.
    pub local_queue_depth: usize,
    /// Whether the LIFO slot holds a task now.
    pub lifo_occupied: bool,
}

/// A snapshot of a runtime's counters: [`Runtime::metrics`](crate::Runtime::metrics).
///
/// # Examples
///
/// ```
/// let rt = gmp_executor::Builder::new().maxprocs(2).build().unwrap();
/// rt.block_on(async {
///     for _ in 0..10 {
///         gmp_executor::spawn(async {}).await.unwrap();
///     }
/// });
/// let m = rt.metrics();
/// assert_eq!(m.workers.len(), 2);
/// assert_eq!(m.tasks_spawned, 10);
/// assert_eq!(m.tasks_completed, 10);
/// assert_eq!(m.tasks_alive, 0);
/// println!("{m}");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuntimeMetrics {
    /// One entry per worker, by index.
    pub workers: Vec<WorkerMetrics>,
    /// Tasks spawned so far (blocking jobs included, and spawns refused while the runtime
    /// shuts down, which complete at once as cancelled).
    pub tasks_spawned: u64,
    /// Tasks that completed (with an output, a panic or a cancellation).
    pub tasks_completed: u64,
    /// Tasks alive now (Go's `go_goroutines`).
    pub tasks_alive: usize,
    /// Tasks in the global injection queue now.
    pub injection_queue_depth: usize,
    /// Task polls sysmon found running longer than its threshold (each reported once).
    pub long_polls: u64,
    /// Temporary extra workers sysmon started because every worker was stuck.
    pub extra_workers_started: u64,
    /// Tasks sysmon (or its extra worker) woke by polling the I/O reactor itself, because no
    /// worker had for longer than sysmon's threshold (Go's sysmon `netpoll`).
    pub sysmon_io_wakeups: u64,
    /// Queued tasks sysmon handed off from a stuck worker (its LIFO slot and local queue) to the
    /// injection queue, for the other workers to run (the work part of Go's `handoffp`).
    pub sysmon_rescued_tasks: u64,
    /// Task polls run by sysmon's temporary extra workers.
    pub sysmon_helper_polls: u64,
    /// Tasks whose output was a panic, observed through their `JoinHandle` or not.
    pub tasks_panicked: u64,
    /// Of those, the unhandled ones (see
    /// [`Handle::unhandled_panics`](crate::Handle::unhandled_panics)).
    pub unhandled_panics: u64,
    /// Workers parked for lack of work now (Go's idle Ps).
    pub workers_parked: usize,
    /// Workers awake and looking for work to steal now (Go's spinning Ms).
    pub workers_searching: usize,
    /// Blocking-pool threads alive now, idle or busy ([`spawn_blocking`](crate::spawn_blocking);
    /// Go's Ms in syscalls).
    pub blocking_threads: usize,
    /// Of those, the ones running a job now.
    pub blocking_busy_threads: usize,
    /// Blocking jobs queued and waiting for a pool thread now.
    pub blocking_queue_depth: usize,
    /// Timers registered on the runtime's timer wheels now (sleeps, timeouts, tickers, timers).
    pub live_timers: usize,
    /// Sockets registered with the runtime's I/O reactor now.
    pub io_registrations: usize,
}

impl RuntimeMetrics {
    pub(crate) fn collect(shared: &Shared) -> RuntimeMetrics {
        let workers = shared
            .remotes
            .iter()
            .map(|r| WorkerMetrics {
                polls: r.stats.watch.polls(),
                steals: r.stats.steals.get(),
                lifo_steals: r.stats.lifo_steals.get(),
                parks: r.stats.parks.get(),
                lifo_hits: r.stats.lifo_hits.get(),
                inject_pops: r.stats.inject_pops.get(),
                budget_exhaustions: r.stats.budget_exhaustions.get(),
                local_queue_depth: r.steal.len(),
                lifo_occupied: !r.lifo.load(crate::loom::Ordering::Relaxed).is_null(),
            })
            .collect();
        let (tasks_spawned, tasks_completed) = shared.registry.counts();
        let sysmon = shared.sysmon_counts();
        let (tasks_panicked, unhandled_panics) = shared.panics.counts();
        let (blocking_threads, blocking_busy_threads, blocking_queue_depth) =
            shared.blocking.counts();
        #[cfg(not(loom))]
        let io_registrations = shared.io.registrations();
        #[cfg(loom)]
        let io_registrations = 0;
        RuntimeMetrics {
            workers,
            tasks_spawned,
            tasks_completed,
            tasks_alive: shared.num_tasks(),
            injection_queue_depth: shared.inject.len(),
            long_polls: sysmon.long_polls,
            extra_workers_started: sysmon.helpers_started,
            sysmon_io_wakeups: sysmon.io_wakeups,
            sysmon_rescued_tasks: sysmon.rescued_tasks,
            sysmon_helper_polls: shared.helper_polls(),
            tasks_panicked,
            unhandled_panics,
            workers_parked: shared.idle.num_parked(),
            workers_searching: shared.idle.num_searching(),
            blocking_threads,
            blocking_busy_threads,
            blocking_queue_depth,
            live_timers: shared.time.live_timers(),
            io_registrations,
        }
    }
}

impl fmt::Display for RuntimeMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "tasks: {} alive, {} spawned, {} completed; injection queue {}; sysmon: {} long polls, \
             {} extra workers, {} I/O wake-ups",
            self.tasks_alive,
            self.tasks_spawned,
            self.tasks_completed,
            self.injection_queue_depth,
            self.long_polls,
            self.extra_workers_started,
            self.sysmon_io_wakeups,
        )?;
        writeln!(
            f,
            "{} panicked ({} unhandled); workers: {} parked, {} searching; sysmon handed off {} \
             tasks, its helpers ran {} polls; blocking pool: {} threads ({} busy), queue {}; \
             {} timers; {} I/O registrations",
            self.tasks_panicked,
            self.unhandled_panics,
            self.workers_parked,
            self.workers_searching,
            self.sysmon_rescued_tasks,
            self.sysmon_helper_polls,
            self.blocking_threads,
            self.blocking_busy_threads,
            self.blocking_queue_depth,
            self.live_timers,
            self.io_registrations,
        )?;
        for (i, w) in self.workers.iter().enumerate() {
            write!(
                f,
                "worker {i}: {} polls, {} steals ({} from LIFO), {} parks, {} LIFO hits, \
                 {} injection pops, {} budget exhaustions; queue {}{}",
                w.polls,
                w.steals,
                w.lifo_steals,
                w.parks,
                w.lifo_hits,
                w.inject_pops,
                w.budget_exhaustions,
                w.local_queue_depth,
                if w.lifo_occupied { " + LIFO" } else { "" },
            )?;
            if i + 1 < self.workers.len() {
                writeln!(f)?;
            }
        }
        Ok(())
    }
}
