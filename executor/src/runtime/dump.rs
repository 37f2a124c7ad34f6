//! The task dump: pprof's goroutine profile for gmp.
//!
//! # Design
//!
//! A dump walks the live-task registry (Go's `allgs`) and copies each task's header
//! diagnostics: id, spawn site, state, spawn time, time of the last state change, poll count and
//! worker (see the header module for how they are kept and how the state is derived). The walk
//! holds one registry shard lock for at most a chunk of tasks at a time (leaving a cursor in
//! the shard's list in between; see the registry module), and moves each chunk into the dump
//! only after releasing it (growing a vector of a million entries page-faults for
//! milliseconds), so a dump of a million tasks never holds up a spawn or a completion for more
//! than a chunk's copying (tens of microseconds; the ignored `million_parked_tasks` test in
//! `executor/tests/rt_profile.rs` measures a dump and a profile of a million tasks). The
//! copy is therefore not an atomic snapshot: tasks spawned or completed during the walk may or
//! may not appear, and a task's state may be a few microseconds stale.
//!
//! A waiting task's state reads as the reason its leaf future recorded (`chan receive`,
//! `sync.Mutex.Lock`; see [`WaitReason`]), as Go's does, or `waiting` when it waits on a future
//! gmp does not know.
//!
//! Times come from the coarse clock (see `clock.rs`): ages and state durations are accurate to
//! about 10 ms.
//!
//! Where Go prints a stack for each goroutine, gmp has nothing to print: a suspended future
//! has no stack, only its state machine. The spawn site (captured by `#[track_caller]` on every
//! spawn function) is what identifies a task, as Go's "created by" line does.

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use crate::clock;
use crate::scheduler::Shared;
use crate::task::Id;
use crate::task::header::{Diag, Header, PLACE_BLOCKING, PLACE_MAX_WORKER};
use crate::task::wait::{ShowWait, Wait, WaitReason};

/// What a task is doing, named after Go's goroutine states.
///
/// # Examples
///
/// ```
/// use gmp_executor::runtime::TaskState;
/// assert_eq!(TaskState::Waiting.to_string(), "waiting");
/// assert_eq!(TaskState::Blocking.to_string(), "in spawn_blocking");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskState {
    /// Queued to run: woken, spawned or yielded, and not yet picked up (Go's `_Grunnable`).
    Runnable,
    /// Being polled right now, by a worker or sysmon's helper thread (Go's `_Grunning`).
    Running,
    /// Idle until something wakes it: a channel, a timer, a lock, a join (Go's `_Gwaiting`).
    /// [`TaskInfo::wait_reason`] says which, when a gmp future recorded it.
    Waiting,
    /// A [`spawn_blocking`](crate::spawn_blocking) job running on the blocking pool (Go's
    /// `_Gsyscall`: the thread is away from the scheduler).
    Blocking,
}

impl TaskState {
    /// The state's name as a dump prints it.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(gmp_executor::runtime::TaskState::Runnable.as_str(), "runnable");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Runnable => "runnable",
            TaskState::Running => "running",
            TaskState::Waiting => "waiting",
            TaskState::Blocking => "in spawn_blocking",
        }
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One task in a [`Dump`].
///
/// # Examples
///
/// ```
/// let rt = gmp_executor::Builder::new().maxprocs(1).build().unwrap();
/// let (tx, rx) = futures::channel::oneshot::channel::<()>();
/// let h = rt.spawn(async move { let _ = rx.await; });
/// # while rt.handle().dump().tasks()[0].state != gmp_executor::runtime::TaskState::Waiting {
/// #     std::thread::yield_now();
/// # }
/// let dump = rt.handle().dump();
/// let task: &gmp_executor::runtime::TaskInfo = &dump.tasks()[0];
/// assert_eq!(task.id, h.id());
/// assert_eq!(task.state, gmp_executor::runtime::TaskState::Waiting);
/// assert!(task.spawn_site.file().ends_with(".rs"));
/// assert!(task.polls >= 1);
/// // A foreign future (`futures`' oneshot) records no reason: plain "waiting".
/// assert_eq!(task.wait_reason(), Some(gmp_executor::runtime::WaitReason::Other));
/// drop(tx);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TaskInfo {
    /// The task's id (Go's `goid`).
    pub id: Id,
    /// What it is doing.
    pub state: TaskState,
    /// Where it was spawned (Go's "created by").
    pub spawn_site: &'static Location<'static>,
    /// Time since it was spawned (accurate to about 10 ms).
    pub age: Duration,
    /// Time since it entered its current state (accurate to about 10 ms).
    pub in_state: Duration,
    /// Polls started so far.
    pub polls: u64,
    /// The worker running it (if [`TaskState::Running`]) or that polled it last; `None` if it
    /// never ran on a worker (not yet polled, a blocking job, or run by sysmon's helper).
    pub worker: Option<usize>,
    /// What it waits for (`Waiting` tasks only).
    wait: Option<Wait>,
}

impl TaskInfo {
    /// Why the task waits: `Some` for a [`TaskState::Waiting`] task, with
    /// [`WaitReason::Other`] when it waits on a future gmp does not know; `None` in the other
    /// states.
    ///
    /// # Examples
    ///
    /// ```
    /// use gmp_executor::runtime::{TaskState, WaitReason};
    /// let rt = gmp_executor::Builder::new().maxprocs(1).build().unwrap();
    /// let _h = rt.spawn(gmp_executor::time::sleep(std::time::Duration::from_secs(60)));
    /// # while rt.handle().dump().tasks()[0].state != TaskState::Waiting {
    /// #     std::thread::yield_now();
    /// # }
    /// let dump = rt.handle().dump();
    /// assert_eq!(dump.tasks()[0].wait_reason(), Some(WaitReason::Sleep));
    /// assert!(dump.to_string().contains("[sleep, "));
    /// ```
    pub fn wait_reason(&self) -> Option<WaitReason> {
        self.wait.map(Wait::reason)
    }

    /// The arm count of the `select!` the task waits in, if it waits in one (saturated at 255).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// let _h = rt.spawn(std::future::pending::<()>());
    /// assert_eq!(rt.handle().dump().tasks()[0].select_arms(), None);
    /// ```
    pub fn select_arms(&self) -> Option<u16> {
        self.wait.and_then(Wait::select_arms)
    }

    pub(crate) fn wait(&self) -> Option<Wait> {
        self.wait
    }

    fn read(header: &Header, now_us: u64) -> TaskInfo {
        let diag = header.diag();
        let state = state_of(header, &diag);
        TaskInfo {
            id: header.id,
            state,
            spawn_site: header.spawn_site(),
            age: clock::between(diag.spawned_us, now_us),
            in_state: clock::between(diag.since_us, now_us),
            polls: diag.polls,
            worker: (diag.place <= PLACE_MAX_WORKER).then_some(usize::from(diag.place)),
            wait: (state == TaskState::Waiting).then(|| Wait::from_bits(diag.wait)),
        }
    }
}

/// The task's state as the dump shows it (see the header module's table).
pub(crate) fn state_of(header: &Header, diag: &Diag) -> TaskState {
    let snapshot = header.state.load();
    if snapshot.is_running() || snapshot.is_complete() {
        // COMPLETE only in a race: the walk skips completed tasks (see the registry), but the
        // state may change between that check and this read.
        if diag.place == PLACE_BLOCKING {
            TaskState::Blocking
        } else {
            TaskState::Running
        }
    } else if snapshot.is_notified() {
        TaskState::Runnable
    } else {
        TaskState::Waiting
    }
}

impl fmt::Display for TaskInfo {
    /// Go's goroutine header and "created by" lines, with the spawn site for a stack:
    ///
    /// ```text
    /// task 7 [chan receive, 1.204s]:
    ///     age 1.310s, 3 polls, last on worker 1
    /// created at
    ///     src/main.rs:20:9
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.wait {
            Some(w) => write!(
                f,
                "task {} [{}",
                self.id,
                ShowWait(w.reason(), w.select_arms())
            )?,
            None => write!(f, "task {} [{}", self.id, self.state)?,
        }
        if let (TaskState::Running, Some(w)) = (self.state, self.worker) {
            write!(f, " on worker {w}")?;
        }
        writeln!(f, ", {}]:", HumanDuration(self.in_state))?;
        write!(
            f,
            "\tage {}, {} poll{}",
            HumanDuration(self.age),
            self.polls,
            if self.polls == 1 { "" } else { "s" }
        )?;
        match (self.state, self.worker) {
            (TaskState::Running, _) | (_, None) => writeln!(f)?,
            (_, Some(w)) => writeln!(f, ", last on worker {w}")?,
        }
        write!(f, "created at\n\t{}", self.spawn_site)
    }
}

/// Every live task of a runtime at one moment: the result of [`dump()`] and
/// [`Handle::dump`](crate::Handle::dump).
///
/// Its `Display` form reads like Go's goroutine profile with `debug=2` (what a Go program
/// prints on `SIGQUIT`), with spawn sites where Go prints stacks. Tasks are sorted by id.
///
/// # Examples
///
/// ```
/// let rt = gmp_executor::Builder::new().maxprocs(1).build().unwrap();
/// let _h = rt.spawn(std::future::pending::<()>());
/// let dump = rt.handle().dump();
/// assert_eq!(dump.len(), 1);
/// let text = dump.to_string();
/// assert!(text.starts_with("gmp task dump: 1 task"));
/// assert!(text.contains("created at"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Dump {
    tasks: Vec<TaskInfo>,
}

impl Dump {
    pub(crate) fn collect(shared: &Shared, mut keep: impl FnMut(&TaskInfo) -> bool) -> Dump {
        let now = clock::refresh();
        let mut tasks = Vec::with_capacity(shared.num_tasks());
        shared.registry.visit(
            |header| TaskInfo::read(header, now),
            |chunk| tasks.extend(chunk.drain(..).filter(|t| keep(t))),
        );
        tasks.sort_unstable_by_key(|t| t.id);
        Dump { tasks }
    }

    /// The tasks, sorted by id.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// assert!(rt.handle().dump().tasks().is_empty());
    /// ```
    pub fn tasks(&self) -> &[TaskInfo] {
        &self.tasks
    }

    /// The tasks, by value.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// let tasks: Vec<gmp_executor::runtime::TaskInfo> = rt.handle().dump().into_tasks();
    /// assert!(tasks.is_empty());
    /// ```
    pub fn into_tasks(self) -> Vec<TaskInfo> {
        self.tasks
    }

    /// Number of tasks.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// assert_eq!(rt.handle().dump().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether there are no tasks.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// assert!(rt.handle().dump().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Number of tasks in `state`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gmp_executor::runtime::TaskState;
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// assert_eq!(rt.handle().dump().count(TaskState::Running), 0);
    /// ```
    pub fn count(&self, state: TaskState) -> usize {
        self.tasks.iter().filter(|t| t.state == state).count()
    }

    /// Number of waiting tasks by wait reason (reasons no task waits for are absent).
    ///
    /// # Examples
    ///
    /// ```
    /// use gmp_executor::runtime::{TaskState, WaitReason};
    /// let rt = gmp_executor::Builder::new().maxprocs(1).build().unwrap();
    /// let _h = rt.spawn(std::future::pending::<()>());
    /// # while rt.handle().dump().tasks()[0].state != TaskState::Waiting {
    /// #     std::thread::yield_now();
    /// # }
    /// let by_reason = rt.handle().dump().count_by_reason();
    /// assert_eq!(by_reason.get(&WaitReason::Other), Some(&1));
    /// ```
    pub fn count_by_reason(&self) -> std::collections::BTreeMap<WaitReason, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for reason in self.tasks.iter().filter_map(TaskInfo::wait_reason) {
            *counts.entry(reason).or_insert(0) += 1;
        }
        counts
    }
}

impl fmt::Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.tasks.len();
        write!(
            f,
            "gmp task dump: {n} task{} ({} running, {} runnable, {} waiting, {} in spawn_blocking)",
            if n == 1 { "" } else { "s" },
            self.count(TaskState::Running),
            self.count(TaskState::Runnable),
            self.count(TaskState::Waiting),
            self.count(TaskState::Blocking),
        )?;
        for t in &self.tasks {
            write!(f, "\n\n{t}")?;
        }
        Ok(())
    }
}

/// Lists every live task of the current runtime; see [`Dump`].
///
/// # Panics
///
/// Panics outside a runtime (use [`Handle::dump`](crate::Handle::dump) from other threads).
///
/// # Examples
///
/// ```
/// let rt = gmp_executor::Runtime::new().unwrap();
/// rt.block_on(async {
///     let (tx, rx) = futures::channel::oneshot::channel::<()>();
///     let h = gmp_executor::spawn(async move { let _ = rx.await; });
///     let dump = gmp_executor::runtime::dump();
///     assert_eq!(dump.len(), 1);
///     println!("{dump}");
///     drop(tx);
///     h.await.unwrap();
/// });
/// ```
#[track_caller]
pub fn dump() -> Dump {
    super::with_current("gmp::runtime::dump", |s| Dump::collect(s, |_| true))
}

/// The dump of every live task of `shared`, as text (for the deadlock report and `SIGQUIT`).
pub(crate) fn dump_all(shared: &Shared) -> String {
    Dump::collect(shared, |_| true).to_string()
}

/// Formats a duration the way a person reads a dump: `850us`, `15ms`, `2.104s`, `3m12s`.
pub(crate) struct HumanDuration(pub(crate) Duration);

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d < Duration::from_millis(1) {
            write!(f, "{}us", d.as_micros())
        } else if d < Duration::from_secs(1) {
            write!(f, "{}ms", d.as_millis())
        } else if d < Duration::from_secs(60) {
            write!(f, "{}.{:03}s", d.as_secs(), d.subsec_millis())
        } else if d < Duration::from_secs(3600) {
            write!(f, "{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
        } else {
            let s = d.as_secs();
            write!(f, "{}h{:02}m", s / 3600, (s / 60) % 60)
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn human_durations() {
        let h = |d| HumanDuration(d).to_string();
        assert_eq!(h(Duration::from_micros(850)), "850us");
        assert_eq!(h(Duration::from_millis(15)), "15ms");
        assert_eq!(h(Duration::from_millis(2104)), "2.104s");
        assert_eq!(h(Duration::from_secs(192)), "3m12s");
        assert_eq!(h(Duration::from_secs(3 * 3600 + 120)), "3h02m");
    }
}
