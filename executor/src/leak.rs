//! Leak checks: uber-go/goleak for gmp tasks.
//!
//! A *leaked* task is one still alive after the code that spawned it is done with it: blocked
//! forever on a channel nobody reads or closes, or looping on a cancellation that never comes.
//! It is invisible until memory runs out (Go's most common resource leak).
//!
//! `#[gmp::test]` checks every test for leaks after its body returns. Elsewhere (a test on a
//! hand-built runtime, another harness) call [`verify_none`] at the end of `block_on`'s future,
//! or [`find`] / [`check_runtime`] after `block_on` returns.
//!
//! # How it works
//!
//! A runtime's live-task registry already knows every task from spawn to completion; a check
//! waits until the registry holds no task that the [`Options`] do not ignore, for at most the
//! grace period (default [`DEFAULT_GRACE`]: tasks that are finishing, a timer about to fire,
//! a cancellation on its way). What is still there after the grace period is reported with its
//! spawn site and state, in the task dump's format.
//!
//! Each runtime has its own registry, so tests running in parallel, each on its own runtime as
//! `#[gmp::test]` makes them, never see each other's tasks (unlike `runtime.NumGoroutine()`
//! comparisons in Go, which see the whole process).
//!
//! # Examples
//!
//! ```
//! use gmp_executor::leak;
//!
//! let rt = gmp_executor::Builder::new().maxprocs(2).build().unwrap();
//! rt.block_on(async {
//!     let (tx, rx) = futures::channel::oneshot::channel::<()>();
//!     gmp_executor::spawn(async move { rx.await.ok(); }).detach();
//!     drop(tx); // without this, the task would wait forever: a leak
//! });
//! leak::check_runtime(&rt, &leak::Options::new());
//! ```

use std::fmt;
use std::panic::Location;
use std::time::{Duration, Instant};

use crate::runtime::{Dump, TaskInfo};
use crate::scheduler::Shared;
use crate::task::Id;
use crate::{Handle, Runtime};

/// How long a check waits for tasks to finish before calling them leaked.
pub const DEFAULT_GRACE: Duration = Duration::from_millis(100);

/// What a leak check ignores, and how long it waits.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let options = gmp_executor::leak::Options::new()
///     .grace(Duration::from_millis(500))
///     .ignore_spawn_site("src/pool.rs")       // every task spawned in that file
///     .ignore_spawn_site("src/metrics.rs:42"); // or on that line
/// # let _ = options;
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    grace: Duration,
    ignore_sites: Vec<SitePattern>,
    ignore_ids: Vec<Id>,
}

impl Default for Options {
    fn default() -> Self {
        Options::new()
    }
}

impl Options {
    /// Ignore nothing; wait [`DEFAULT_GRACE`].
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = gmp_executor::leak::Options::new();
    /// ```
    pub fn new() -> Options {
        Options {
            grace: DEFAULT_GRACE,
            ignore_sites: Vec::new(),
            ignore_ids: Vec::new(),
        }
    }

    /// How long to wait for tasks to finish before reporting them.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = gmp_executor::leak::Options::new().grace(std::time::Duration::ZERO);
    /// ```
    pub fn grace(mut self, grace: Duration) -> Options {
        self.grace = grace;
        self
    }

    /// Ignores tasks spawned at `pattern`: `"path/file.rs"` (any line of a file whose path ends
    /// with it), `"file.rs:42"` (that line) or `"file.rs:42:9"` (that call). Goleak's
    /// `IgnoreTopFunction`, with spawn sites for function names.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = gmp_executor::leak::Options::new().ignore_spawn_site("tests/common/server.rs");
    /// ```
    pub fn ignore_spawn_site(mut self, pattern: impl AsRef<str>) -> Options {
        self.ignore_sites.push(SitePattern::parse(pattern.as_ref()));
        self
    }

    /// Ignores one task, by id.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// let daemon = rt.spawn(std::future::pending::<()>());
    /// let options = gmp_executor::leak::Options::new().ignore_task(daemon.id());
    /// assert!(gmp_executor::leak::find(rt.handle(), &options).is_ok());
    /// ```
    pub fn ignore_task(mut self, id: Id) -> Options {
        self.ignore_ids.push(id);
        self
    }

    /// Ignores every task alive now in `handle`'s runtime: goleak's `IgnoreCurrent`, for
    /// checking only what the code after this call leaks.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// let _daemon = rt.spawn(std::future::pending::<()>());
    /// let options = gmp_executor::leak::Options::new().ignore_current(rt.handle());
    /// assert!(gmp_executor::leak::find(rt.handle(), &options).is_ok());
    /// ```
    pub fn ignore_current(mut self, handle: &Handle) -> Options {
        self.ignore_ids
            .extend(handle.dump().tasks().iter().map(|t| t.id));
        self
    }

    fn ignores(&self, task: &TaskInfo) -> bool {
        self.ignore_ids.contains(&task.id)
            || self.ignore_sites.iter().any(|p| p.matches(task.spawn_site))
    }

    fn ignores_nothing(&self) -> bool {
        self.ignore_ids.is_empty() && self.ignore_sites.is_empty()
    }
}

/// `path[:line[:column]]`.
#[derive(Clone, Debug)]
struct SitePattern {
    path: String,
    line: Option<u32>,
    column: Option<u32>,
}

impl SitePattern {
    fn parse(pattern: &str) -> SitePattern {
        // Peel up to two trailing `:number` parts off the path.
        let mut path = pattern;
        let mut numbers = Vec::new();
        for _ in 0..2 {
            match path.rsplit_once(':') {
                Some((head, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                    match n.parse() {
                        Ok(n) => numbers.push(n),
                        Err(_) => break,
                    }
                    path = head;
                }
                _ => break,
            }
        }
        numbers.reverse();
        SitePattern {
            path: path.to_owned(),
            line: numbers.first().copied(),
            column: numbers.get(1).copied(),
        }
    }

    fn matches(&self, site: &Location<'_>) -> bool {
        // Compare paths with `/` separators, whatever the platform wrote.
        let file = site.file().replace('\\', "/");
        file.ends_with(&self.path.replace('\\', "/"))
            && self.line.is_none_or(|l| l == site.line())
            && self.column.is_none_or(|c| c == site.column())
    }
}

/// Tasks found alive after a leak check's grace period: the error of [`find`].
///
/// Its `Display` form lists each task as the task dump does (spawn site and state) and says
/// how to fix or allow it.
///
/// # Examples
///
/// ```
/// let rt = gmp_executor::Runtime::new().unwrap();
/// let _stuck = rt.spawn(std::future::pending::<()>());
/// let options = gmp_executor::leak::Options::new().grace(std::time::Duration::ZERO);
/// let leaks: gmp_executor::leak::Leaks = gmp_executor::leak::find(rt.handle(), &options).unwrap_err();
/// assert_eq!(leaks.tasks().len(), 1);
/// assert!(leaks.to_string().contains("created at"));
/// ```
#[derive(Clone, Debug)]
pub struct Leaks {
    tasks: Vec<TaskInfo>,
    grace: Duration,
}

impl Leaks {
    /// The leaked tasks, sorted by id.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gmp_executor::Runtime::new().unwrap();
    /// # let _stuck = rt.spawn(std::future::pending::<()>());
    /// # let options = gmp_executor::leak::Options::new().grace(std::time::Duration::ZERO);
    /// let leaks = gmp_executor::leak::find(rt.handle(), &options).unwrap_err();
    /// assert!(leaks.tasks()[0].spawn_site.file().ends_with(".rs"));
    /// ```
    pub fn tasks(&self) -> &[TaskInfo] {
        &self.tasks
    }
}

impl fmt::Display for Leaks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.tasks.len();
        write!(
            f,
            "found {n} leaked task{}: still alive {} after the check began",
            if n == 1 { "" } else { "s" },
            crate::runtime::dump::HumanDuration(self.grace),
        )?;
        for t in &self.tasks {
            write!(f, "\n\n{t}")?;
        }
        write!(
            f,
            "\n\nA leaked task waits for something that will never happen. Make it finish before \
             the check: drop or close the channel it waits on, cancel it, or await or abort its \
             JoinHandle. If it is meant to outlive the check, ignore it by spawn site: \
             #[gmp::test(allow_leaks = \"{}\")] or leak::Options::ignore_spawn_site.",
            self.tasks.first().map_or_else(
                || "file.rs:line".to_owned(),
                |t| format!("{}:{}", t.spawn_site.file(), t.spawn_site.line())
            ),
        )
    }
}

impl std::error::Error for Leaks {}

/// Waits up to the grace period for every task of `handle`'s runtime that `options` does not
/// ignore to finish; returns the ones still alive.
///
/// # Panics
///
/// Panics on a worker thread of the same runtime (waiting there would block the worker the
/// tasks may need): call it from `block_on`'s future or from outside the runtime.
///
/// # Examples
///
/// ```
/// let rt = gmp_executor::Runtime::new().unwrap();
/// let h = rt.spawn(async { 1 });
/// assert_eq!(rt.block_on(h).unwrap(), 1);
/// assert!(gmp_executor::leak::find(rt.handle(), &Default::default()).is_ok());
/// ```
#[track_caller]
pub fn find(handle: &Handle, options: &Options) -> Result<(), Leaks> {
    find_in(&handle.shared, options)
}

#[track_caller]
fn find_in(shared: &Shared, options: &Options) -> Result<(), Leaks> {
    let on_own_worker = crate::scheduler::context::with_worker(|cx| {
        cx.is_some_and(|cx| std::ptr::eq(&*cx.shared, shared))
    });
    if on_own_worker {
        panic!(
            "gmp::leak check called from a task of the runtime it checks (at {}): it would \
             block the worker the other tasks may need; call it at the end of block_on's \
             future, or after block_on returns",
            Location::caller()
        );
    }
    let start = Instant::now();
    // Saturating: `Duration::MAX` waits for good.
    let deadline = crate::time::deadline_after(options.grace);
    let mut pause = Duration::from_micros(100);
    loop {
        let done = if options.ignores_nothing() {
            shared.num_tasks() == 0
        } else {
            Dump::collect(shared, |t| !options.ignores(t)).is_empty()
        };
        if done {
            return Ok(());
        }
        let now = Instant::now();
        if now >= deadline {
            let tasks = Dump::collect(shared, |t| !options.ignores(t)).into_tasks();
            if tasks.is_empty() {
                return Ok(());
            }
            return Err(Leaks {
                tasks,
                grace: now - start,
            });
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}

/// Checks `runtime` for leaked tasks and panics with the report if there are any: what
/// `#[gmp::test]` calls after the test body returns.
///
/// # Panics
///
/// Panics if tasks that `options` does not ignore are still alive after its grace period, or if
/// called on one of `runtime`'s workers.
///
/// # Examples
///
/// ```should_panic
/// let rt = gmp_executor::Runtime::new().unwrap();
/// rt.spawn(std::future::pending::<()>()).detach();
/// // panics: "found 1 leaked task: ..."
/// gmp_executor::leak::check_runtime(&rt, &gmp_executor::leak::Options::new());
/// ```
#[track_caller]
pub fn check_runtime(runtime: &Runtime, options: &Options) {
    if let Err(leaks) = find_in(&runtime.handle().shared, options) {
        panic!("{leaks}");
    }
}

/// Checks the current runtime for leaked tasks with the default [`Options`], panicking with
/// the report: goleak's `VerifyNone`, for harnesses other than `#[gmp::test]`. Call it at the
/// end of `block_on`'s future.
///
/// # Panics
///
/// Panics if tasks are still alive after [`DEFAULT_GRACE`], outside a runtime, or on a worker
/// thread (from inside a task).
///
/// # Examples
///
/// ```
/// let rt = gmp_executor::Runtime::new().unwrap();
/// rt.block_on(async {
///     let h = gmp_executor::spawn(async { 2 });
///     assert_eq!(h.await.unwrap(), 2);
///     gmp_executor::leak::verify_none();
/// });
/// ```
#[track_caller]
pub fn verify_none() {
    verify_none_with(&Options::new());
}

/// [`verify_none`] with custom [`Options`].
///
/// # Panics
///
/// As [`verify_none`].
///
/// # Examples
///
/// ```
/// use gmp_executor::leak::{Options, verify_none_with};
/// let rt = gmp_executor::Runtime::new().unwrap();
/// rt.block_on(async {
///     gmp_executor::spawn(std::future::pending::<()>()).detach(); // a daemon, on purpose
///     verify_none_with(&Options::new().ignore_spawn_site(file!()));
/// });
/// ```
#[track_caller]
pub fn verify_none_with(options: &Options) {
    let result =
        crate::runtime::with_current("gmp::leak::verify_none", |shared| find_in(shared, options));
    if let Err(leaks) = result {
        panic!("{leaks}");
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn site_patterns() {
        let here = Location::caller();
        let file = here.file();
        let m = |p: &str| SitePattern::parse(p).matches(here);
        assert!(m(file));
        assert!(m("leak.rs"));
        assert!(m(&format!("leak.rs:{}", here.line())));
        assert!(m(&format!("leak.rs:{}:{}", here.line(), here.column())));
        assert!(!m(&format!("leak.rs:{}", here.line() + 1)));
        assert!(!m("other.rs"));
        let p = SitePattern::parse("C:/x/y.rs:3:4");
        assert_eq!(
            (p.path.as_str(), p.line, p.column),
            ("C:/x/y.rs", Some(3), Some(4))
        );
    }
}
