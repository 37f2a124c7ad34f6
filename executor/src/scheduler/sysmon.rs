//! sysmon: a monitor thread, like Go's, that notices polls that block their worker and rescues
//! the work queued behind them.
//!
//! # The problem
//!
//! A task that blocks its thread (a `std::thread::sleep`, a synchronous read, a long CPU loop
//! without an `.await`) holds its worker for the whole poll: tasks in that worker's LIFO slot and
//! local queue wait, and if every worker is blocked, nothing runs at all. Go preempts such a
//! goroutine after 10 ms (`forcePreemptNS`) and hands the P of a thread stuck in a syscall to
//! another M (`handoffp`). A future cannot be preempted, so gmp does the rest: it reports the
//! poll and moves the work away from it.
//!
//! # What sysmon does
//!
//! One thread per runtime samples every worker's [`PollWatch`]: a sequence number the worker
//! bumps when a poll starts (to odd) and ends (to even), with the id and spawn site of the task
//! it polls. A worker whose sequence is odd and unchanged since an earlier sample is *stuck* in
//! one poll when either
//!
//! - that sample was at least `threshold` ago (default 10 ms, Go's preemption bound), or
//! - it was at least 200 us ago and the worker's thread spent most of that time off the CPU
//!   (its CPU-time clock, `cpu_clock`, moved less than half as far as the wall clock): it is
//!   blocked in a syscall, a `thread::sleep` or a contended lock, and will not be back soon
//!   (unless the kernel says the thread is runnable: then it only waits for a CPU on an
//!   oversubscribed machine, see `cpu_clock`). Go hands off the P of a thread in a syscall at
//!   sysmon's next tick, which this matches.
//!   A poll that computes (on the CPU) is left alone until the threshold: moving work away from
//!   a busy worker early, or starting an extra thread to compete with it for the CPU, would be
//!   a false hand-off.
//!
//! Then sysmon:
//!
//! 1. reports it once, through `tracing` at `warn` level: task id, spawn site, worker, how
//!    long so far;
//! 2. moves the stuck worker's LIFO task and local queue to the injection queue (stealing from
//!    its queue with the ordinary thief protocol) and wakes a parked worker to take them;
//! 3. polls the I/O reactor itself (without blocking) when sockets are registered and no thread
//!    has polled it for `threshold` (Go's sysmon `netpoll` after 10 ms): every worker is busy,
//!    none is parked in the reactor, and the busy ones reach their 61-tick check too rarely
//!    (long polls) or never (stuck ones). The tasks it readies go to the injection queue;
//!    a reactor owned by a parked worker is left alone (its lock is held);
//! 4. when *every* worker is stuck, fires due timers itself (the timer driver's hand-off) and,
//!    if work is waiting, starts a temporary **helper** thread (Go's `handoffp` + `startm`): it
//!    runs tasks from the injection queue, with the runtime entered so they can spawn and use
//!    timers and sockets, firing due timers and polling the reactor between them, until
//!    sysmon sees a worker free again, and then exits.
//!
//! # Sampling cost
//!
//! Sysmon sleeps between samples with Go's back-off: 20 us after an event (a new long poll,
//! tasks rescued, a helper started), doubling after 50 quiet samples, up to 500 us while some
//! worker is inside a poll (so a poll blocked off the CPU is seen stuck within about 1 ms, and
//! a computing one within `threshold` + 1 ms) and 10 ms otherwise. Once fully backed off with every worker parked, it sleeps until a worker unparks
//! (the worker loop wakes it: one load per unpark, plus a futex wake at most once per sysmon
//! period), so an idle runtime costs nothing. A busy runtime costs up to 2,000 samples a
//! second, a few microseconds each (each reads one cache line and, for a worker inside a poll,
//! the thread's CPU clock per worker, and refreshes the coarse clock of `clock.rs`).
//!
//! # Limits
//!
//! - Sysmon cannot make the stuck poll return: the task's own worker stays blocked until it
//!   does. Tasks the stuck task wakes *during* its poll land in its LIFO slot again; sysmon moves
//!   them at its next sample.
//! - One helper at a time. A helper that itself picks up a blocking task is stuck too, and the
//!   injection queue waits until a worker or the helper frees up.
//! - The helper has no local queue: what it spawns or wakes goes through the injection queue,
//!   and it looks there every 100 us when it finds nothing (sysmon's helper is a rescue path,
//!   not a fast one).
//!
//! Rejected: a helper with a full worker core (handing the stuck worker's core to a new thread,
//! as Go hands off a P): the stuck thread holds its core borrowed for the whole poll, and
//! wrestling it away would need the core behind a lock on every scheduling operation.
//!
//! The thread and its flags use `std` types directly, not the loom shim: sysmon never runs under
//! `cfg(loom)` (the builder turns it off there).

use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::Shared;
use super::cpu_clock;
use super::queue;
use crate::task::header::PLACE_HELPER;
use crate::task::raw::{Notified, RawTask};

/// Go's `forcePreemptNS`.
pub(crate) const DEFAULT_THRESHOLD: Duration = Duration::from_millis(10);
/// A poll this long that kept its thread off the CPU for most of it (asleep in a syscall, a
/// `thread::sleep`, a contended lock) is stuck: Go hands off the P of a thread in a syscall at
/// sysmon's next tick. Shorter than [`MAX_DELAY_BUSY`], so the second sample that sees the
/// same poll decides.
const BLOCKED_AFTER: Duration = Duration::from_micros(200);
/// Shortest sleep between samples (Go's 20 us).
const MIN_DELAY: Duration = Duration::from_micros(20);
/// Longest sleep while some worker is inside a poll: a poll blocked off the CPU is seen by
/// the second sample in it, so within twice this.
const MAX_DELAY_BUSY: Duration = Duration::from_micros(500);
/// Longest sleep otherwise (Go's 10 ms).
const MAX_DELAY_IDLE: Duration = Duration::from_millis(10);
/// Quiet samples before the sleep starts doubling (Go's 50).
const QUIET_SAMPLES: u32 = 50;
/// How long the helper sleeps when it finds nothing to run.
const HELPER_NAP: Duration = Duration::from_micros(100);

/// A worker's current poll, as sysmon sees it. Written only by the worker.
#[derive(Default)]
pub(crate) struct PollWatch {
    /// Twice the polls started, plus one while a poll runs.
    seq: AtomicU64,
    /// Id of the task being polled.
    task_id: AtomicU64,
    /// Its spawn site.
    site: AtomicPtr<Location<'static>>,
    /// The worker thread's CPU-time clock (see [`cpu_clock`]), set once when the worker starts.
    clock: cpu_clock::Slot,
}

impl PollWatch {
    /// The worker thread starts: let sysmon read this thread's CPU time.
    pub(crate) fn bind_thread(&self) {
        self.clock.bind_current_thread();
    }

    /// The worker starts polling a task.
    #[inline]
    pub(crate) fn begin(&self, task_id: u64, site: &'static Location<'static>) {
        self.task_id.store(task_id, Ordering::Relaxed);
        self.site.store(
            site as *const Location<'static> as *mut _,
            Ordering::Relaxed,
        );
        let seq = self.seq.load(Ordering::Relaxed);
        // Release: publishes `task_id` and `site` to sysmon's Acquire load of `seq`.
        self.seq.store(seq + 1, Ordering::Release);
    }

    /// The poll returned.
    #[inline]
    pub(crate) fn end(&self) {
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq + 1, Ordering::Relaxed);
    }

    /// Polls started so far.
    pub(crate) fn polls(&self) -> u64 {
        self.seq.load(Ordering::Relaxed).div_ceil(2)
    }

    /// Twice the polls started, plus one while a poll runs; Relaxed, for a thief's heuristic
    /// (the task it may take changes hands through the LIFO slot).
    pub(crate) fn seq_relaxed(&self) -> u64 {
        self.seq.load(Ordering::Relaxed)
    }

    fn seq(&self) -> u64 {
        // Acquire: pairs with the Release in `begin`.
        self.seq.load(Ordering::Acquire)
    }

    /// The task of the poll numbered `seq`, if that poll is still running.
    fn task(&self, seq: u64) -> Option<(u64, &'static Location<'static>)> {
        let id = self.task_id.load(Ordering::Relaxed);
        let site = self.site.load(Ordering::Relaxed);
        // Re-check: if the worker moved on meanwhile, the fields may be the next poll's.
        if self.seq() != seq || site.is_null() {
            return None;
        }
        // SAFETY: `site` was stored from a `&'static Location<'static>` in `begin`.
        Some((id, unsafe { &*site }))
    }
}

/// Sysmon's state in `Shared`.
pub(crate) struct Sysmon {
    pub(crate) threshold: Duration,
    /// Wakes the sysmon thread: a flag ("woken") and a condvar.
    wake: Mutex<bool>,
    cvar: Condvar,
    /// Set while sysmon sleeps until a worker unparks.
    deep_sleep: AtomicBool,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Whether a helper thread is running, and whether sysmon still wants it to.
    helper_running: AtomicBool,
    helper_wanted: AtomicBool,
    helper_polls: AtomicU64,
    long_polls: AtomicU64,
    helpers_started: AtomicU64,
    /// Tasks woken by sysmon's (or the helper's) own polls of the I/O reactor.
    io_wakeups: AtomicU64,
    /// Queued tasks moved off stuck workers by `rescue`.
    rescued: AtomicU64,
}

/// sysmon's counters, for `RuntimeMetrics`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SysmonCounts {
    pub(crate) long_polls: u64,
    pub(crate) helpers_started: u64,
    pub(crate) io_wakeups: u64,
    pub(crate) rescued_tasks: u64,
}

impl Sysmon {
    pub(crate) fn new(threshold: Duration) -> Sysmon {
        Sysmon {
            threshold,
            wake: Mutex::new(false),
            cvar: Condvar::new(),
            deep_sleep: AtomicBool::new(false),
            thread: Mutex::new(None),
            helper_running: AtomicBool::new(false),
            helper_wanted: AtomicBool::new(false),
            helper_polls: AtomicU64::new(0),
            long_polls: AtomicU64::new(0),
            helpers_started: AtomicU64::new(0),
            io_wakeups: AtomicU64::new(0),
            rescued: AtomicU64::new(0),
        }
    }

    /// Starts the sysmon thread of `shared`.
    pub(crate) fn start(shared: &Arc<Shared>) -> std::io::Result<()> {
        let s = shared.clone();
        let handle = std::thread::Builder::new()
            .name("gmp-sysmon".into())
            .spawn(move || run(&s))?;
        *shared.sysmon.thread.lock().unwrap() = Some(handle);
        Ok(())
    }

    /// A worker left park: wake sysmon if it sleeps until that happens.
    #[inline]
    pub(crate) fn on_worker_unparked(&self) {
        // SeqCst: pairs with the SeqCst store of `deep_sleep` and load of the idle state in
        // `run` (Dekker: either sysmon sees this worker unparked, or we see it asleep).
        if self.deep_sleep.load(Ordering::SeqCst) && self.deep_sleep.swap(false, Ordering::SeqCst) {
            self.unpark();
        }
    }

    fn unpark(&self) {
        *self.wake.lock().unwrap() = true;
        self.cvar.notify_one();
    }

    /// Sleeps until woken or `deadline` (forever if `None`).
    fn park(&self, deadline: Option<Instant>) {
        let mut woken = self.wake.lock().unwrap();
        while !*woken {
            match deadline {
                None => woken = self.cvar.wait(woken).unwrap(),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        break;
                    }
                    woken = self.cvar.wait_timeout(woken, d - now).unwrap().0;
                }
            }
        }
        *woken = false;
    }

    /// Shutdown: wake the thread (it sees the flag and exits) and wait for it.
    pub(crate) fn stop(&self) {
        self.unpark();
        let handle = self.thread.lock().unwrap().take();
        if let Some(h) = handle {
            let _ = h.join();
        }
    }

    /// Wakes the thread at shutdown without waiting for it.
    pub(crate) fn wake_for_shutdown(&self) {
        self.unpark();
    }

    pub(crate) fn counts(&self) -> SysmonCounts {
        SysmonCounts {
            long_polls: self.long_polls.load(Ordering::Relaxed),
            helpers_started: self.helpers_started.load(Ordering::Relaxed),
            io_wakeups: self.io_wakeups.load(Ordering::Relaxed),
            rescued_tasks: self.rescued.load(Ordering::Relaxed),
        }
    }

    /// Polls the I/O reactor if no thread has for `after`, counting the tasks it wakes.
    fn poll_io(&self, shared: &Shared, after: Duration) -> usize {
        let woken = shared.poll_io_if_overdue(crate::clock::coarse_now_us(), after);
        if woken > 0 {
            self.io_wakeups.fetch_add(woken as u64, Ordering::Relaxed);
            tracing::trace!(woken, "sysmon polled the I/O reactor");
        }
        woken
    }

    pub(crate) fn helper_is_running(&self) -> bool {
        self.helper_running.load(Ordering::Relaxed)
    }

    pub(crate) fn helper_polls(&self) -> u64 {
        self.helper_polls.load(Ordering::Relaxed)
    }
}

/// What sysmon remembers of a worker between samples.
#[derive(Clone, Copy)]
struct View {
    seq: u64,
    first_seen: Instant,
    /// The worker thread's CPU time at `first_seen`, if the platform tells.
    cpu_at_first_seen: Option<Duration>,
    reported: bool,
}

impl View {
    fn new(seq: u64, now: Instant, cpu: Option<Duration>) -> View {
        View {
            seq,
            first_seen: now,
            cpu_at_first_seen: cpu,
            reported: false,
        }
    }

    /// Whether the poll this view has watched since `first_seen` is stuck at `now`, when its
    /// thread has used `cpu` of CPU time: it ran `threshold` (on the CPU or not, Go's
    /// preemption bound), or it spent most of at least [`BLOCKED_AFTER`] off the CPU (a
    /// blocking call: Go's syscall hand-off).
    fn is_stuck(&self, now: Instant, cpu: Option<Duration>, threshold: Duration) -> bool {
        let elapsed = now - self.first_seen;
        if elapsed >= threshold {
            return true;
        }
        match (self.cpu_at_first_seen, cpu) {
            (Some(before), Some(after)) if elapsed >= BLOCKED_AFTER => {
                after.saturating_sub(before) * 2 < elapsed
            }
            _ => false,
        }
    }
}

fn run(shared: &Arc<Shared>) {
    let sysmon = &shared.sysmon;
    let n = shared.num_workers();
    let mut views = vec![View::new(0, Instant::now(), None); n];
    // Where rescued tasks pass on their way to the injection queue.
    let (mut local, _stealer) = queue::local::<Notified>();
    let mut delay = MIN_DELAY;
    let mut quiet = 0u32;
    loop {
        if shared.is_shutdown() {
            break;
        }
        // Quiet for a while (fully backed off) and every worker parked: sleep until one wakes.
        let all_parked =
            shared.idle.num_parked() == n && !sysmon.helper_running.load(Ordering::Relaxed);
        if delay >= MAX_DELAY_IDLE && all_parked {
            // SeqCst: see `on_worker_unparked`.
            sysmon.deep_sleep.store(true, Ordering::SeqCst);
            if shared.idle.num_parked() == n && !shared.is_shutdown() {
                sysmon.park(None);
            }
            sysmon.deep_sleep.store(false, Ordering::SeqCst);
            // A worker woke: look again soon, but do not restart the back-off from scratch
            // (a runtime that parks and unparks often would keep sysmon at 20 us).
            delay = MAX_DELAY_BUSY;
            quiet = QUIET_SAMPLES;
            continue;
        }
        sysmon.park(Some(Instant::now() + delay));
        if shared.is_shutdown() {
            break;
        }
        crate::clock::refresh();
        let now = Instant::now();
        let mut in_poll = false;
        let mut stuck = 0;
        // Something happened that deserves a closer look: a new long poll, tasks rescued, a
        // helper started.
        let mut event = false;
        for (w, view) in views.iter_mut().enumerate() {
            let watch = &shared.remotes[w].stats.watch;
            let seq = watch.seq();
            if seq % 2 == 0 {
                view.seq = seq;
                continue;
            }
            in_poll = true;
            let cpu = watch.clock.thread_cpu_time();
            if seq != view.seq {
                *view = View::new(seq, now, cpu);
                continue;
            }
            if !view.is_stuck(now, cpu, sysmon.threshold) {
                continue;
            }
            if now - view.first_seen < sysmon.threshold && watch.clock.is_runnable() == Some(true) {
                // Short of CPU time but not asleep: a computing poll on an oversubscribed
                // machine, waiting for a CPU like every other thread. Handing its queue off
                // would be a false hand-off; the threshold still applies.
                continue;
            }
            stuck += 1;
            let elapsed = now - view.first_seen;
            if !view.reported && elapsed >= sysmon.threshold {
                view.reported = true;
                event = true;
                sysmon.long_polls.fetch_add(1, Ordering::Relaxed);
                if let Some((id, site)) = watch.task(seq) {
                    tracing::warn!(
                        worker = w,
                        task.id = id,
                        spawn_site = %site,
                        elapsed_ms = elapsed.as_millis() as u64,
                        "task {id} spawned at {site} has run for {} ms in one poll on worker {w}: \
                         it is blocking its thread (move blocking calls to spawn_blocking, add \
                         yield_now to long loops); its worker's queued tasks go to other workers",
                        elapsed.as_millis()
                    );
                }
            }
            event |= rescue(shared, w, &mut local) > 0;
        }
        // Go's sysmon netpoll: a reactor nobody has polled for `threshold` (every worker busy,
        // none parked in it) is polled here; the tasks it readies go to the injection queue.
        event |= sysmon.poll_io(shared, sysmon.threshold) > 0;
        if stuck == n {
            event |= hand_off(shared, now);
        } else {
            sysmon.helper_wanted.store(false, Ordering::Relaxed);
        }
        // Back off as Go does: 20 us after an event, doubling after 50 quiet samples, up to
        // 500 us while a poll runs (it may be the next stuck one) and 10 ms otherwise.
        if event {
            quiet = 0;
            delay = MIN_DELAY;
        } else {
            quiet = quiet.saturating_add(1);
            if quiet > QUIET_SAMPLES {
                delay *= 2;
            }
            delay = delay.min(if in_poll {
                MAX_DELAY_BUSY
            } else {
                MAX_DELAY_IDLE
            });
        }
    }
    sysmon.helper_wanted.store(false, Ordering::Relaxed);
    // Anything left in our staging queue goes back (it is empty between samples).
    while let Some(t) = local.pop() {
        shared.inject.push(t);
    }
}

/// Moves a stuck worker's LIFO task and local queue to the injection queue; returns how many
/// tasks moved.
fn rescue(shared: &Shared, w: usize, local: &mut queue::Local<Notified>) -> usize {
    let remote = &shared.remotes[w];
    let mut moved = 0usize;
    // Acquire: pairs with the Release of the swap that put the task in the slot (worker
    // `schedule_local`); the owner swaps with AcqRel too, so exactly one of us gets each task.
    let p = remote.lifo.swap(std::ptr::null_mut(), Ordering::Acquire);
    if let Some(p) = std::ptr::NonNull::new(p) {
        // SAFETY: the slot owned this Notified reference; the swap moved it to us.
        let task = unsafe { Notified::from_raw(RawTask::from_raw(p)) };
        shared.inject.push(task);
        moved += 1;
    }
    // Steal half at a time until the queue is empty (or another thief is at it).
    while let Some(first) = remote.steal.steal_into(local) {
        shared.inject.push(first);
        moved += 1;
        while let Some(t) = local.pop() {
            shared.inject.push(t);
            moved += 1;
        }
    }
    if moved > 0 {
        shared
            .sysmon
            .rescued
            .fetch_add(moved as u64, Ordering::Relaxed);
        tracing::debug!(
            worker = w,
            moved,
            "sysmon moved a stuck worker's queued tasks"
        );
        shared.notify_parked();
    }
    moved
}

/// Every worker is stuck: fire due timers and make sure a helper runs what is runnable.
/// Returns whether it started a helper.
fn hand_off(shared: &Arc<Shared>, now: Instant) -> bool {
    let sysmon = &shared.sysmon;
    if shared.time.next_deadline().is_some_and(|d| d <= now) {
        shared.time.process(now);
    }
    if shared.inject.is_empty() {
        return false;
    }
    sysmon.helper_wanted.store(true, Ordering::Relaxed);
    // Acquire: pairs with the Release in the helper's exit, so a new helper starts only after
    // the previous one stopped touching its state.
    if sysmon.helper_running.swap(true, Ordering::Acquire) {
        return false;
    }
    sysmon.helpers_started.fetch_add(1, Ordering::Relaxed);
    tracing::debug!("every worker is stuck: sysmon starts a helper thread");
    let s = shared.clone();
    let spawned = std::thread::Builder::new()
        .name("gmp-sysmon-helper".into())
        .spawn(move || helper(&s));
    if let Err(e) = spawned {
        sysmon.helper_running.store(false, Ordering::Release);
        tracing::error!("gmp: sysmon could not start a helper thread: {e}");
        return false;
    }
    true
}

/// The helper: runs injected tasks while sysmon wants it to.
fn helper(shared: &Arc<Shared>) {
    let sysmon = &shared.sysmon;
    {
        let _enter = shared.enter();
        while sysmon.helper_wanted.load(Ordering::Relaxed) && !shared.is_shutdown() {
            if let Some(task) = shared.inject.pop() {
                task.header().on_poll_start(PLACE_HELPER);
                sysmon.helper_polls.fetch_add(1, Ordering::Relaxed);
                let _ = crate::coop::with_budget(|| task.run());
                continue;
            }
            let now = Instant::now();
            if shared.time.next_deadline().is_some_and(|d| d <= now) {
                shared.time.process(now);
                continue;
            }
            // Every worker is stuck, so nobody else polls the reactor (a zero `after` needs no
            // fresh clock).
            if sysmon.poll_io(shared, Duration::ZERO) > 0 {
                continue;
            }
            std::thread::sleep(HELPER_NAP);
        }
    }
    // Release: pairs with the Acquire swap in `hand_off`.
    sysmon.helper_running.store(false, Ordering::Release);
    // Tasks it left in the injection queue belong to the workers again.
    if !shared.inject.is_empty() {
        shared.notify_parked();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const THRESHOLD: Duration = Duration::from_millis(10);
    const MS: Duration = Duration::from_millis(1);

    fn at(t0: Instant, cpu0: Option<Duration>) -> View {
        View::new(1, t0, cpu0)
    }

    #[test]
    fn a_poll_asleep_off_the_cpu_is_stuck_within_a_millisecond() {
        let t0 = Instant::now();
        let v = at(t0, Some(MS));
        // 1 ms later, 10 us more CPU: blocked in a syscall.
        assert!(v.is_stuck(t0 + MS, Some(MS + Duration::from_micros(10)), THRESHOLD));
    }

    #[test]
    fn a_poll_that_computes_is_not_stuck_before_the_threshold() {
        let t0 = Instant::now();
        let v = at(t0, Some(MS));
        // On the CPU the whole time, or most of it (preempted a while on a loaded machine).
        assert!(!v.is_stuck(t0 + 5 * MS, Some(6 * MS), THRESHOLD));
        assert!(!v.is_stuck(t0 + 5 * MS, Some(4 * MS), THRESHOLD));
        // Go's preemption bound holds for it too.
        assert!(v.is_stuck(t0 + THRESHOLD, Some(MS + THRESHOLD), THRESHOLD));
    }

    #[test]
    fn a_short_pause_is_not_a_blocking_call() {
        let t0 = Instant::now();
        let v = at(t0, Some(MS));
        assert!(!v.is_stuck(t0 + BLOCKED_AFTER / 2, Some(MS), THRESHOLD));
    }

    #[test]
    fn without_a_cpu_clock_only_the_threshold_counts() {
        let t0 = Instant::now();
        assert!(!at(t0, None).is_stuck(t0 + 5 * MS, None, THRESHOLD));
        assert!(!at(t0, Some(MS)).is_stuck(t0 + 5 * MS, None, THRESHOLD));
        assert!(at(t0, None).is_stuck(t0 + THRESHOLD, None, THRESHOLD));
    }
}
