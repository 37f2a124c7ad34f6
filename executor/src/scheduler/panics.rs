//! Unhandled task panics: the record a runtime keeps so a test can fail on them.
//!
//! # What "unhandled" means
//!
//! A task's panic is *observed* when its [`JoinHandle`](crate::JoinHandle) is polled to
//! completion and returns the `Err(JoinError)` that carries it (`h.await`, or a `select!` arm on
//! the handle that wins). What the awaiting code then does with the error is its own business:
//! re-panicking with `.unwrap()` makes a new panic in the awaiting task, which is itself observed
//! or not. Every other panic is *unhandled*:
//! - the task was detached, or its handle was dropped before it panicked;
//! - its handle was dropped after it panicked, unread (only `is_finished` looked at it);
//! - its handle was aborted and then dropped, and the task panicked before the abort took
//!   effect;
//! - its future's destructor panicked while the task was being cancelled or completed (the
//!   handle reports the cancellation or the output, never this panic).
//!
//! Each unhandled panic is logged through `tracing` at `error` level, counted, and the first
//! [`KEPT_PANICS`] are kept with their message and spawn site. `#[gmp::test]` fails a test whose
//! runtime holds any (Go's test binary fails on any goroutine's panic); `allow_panics` turns
//! that off. [`UnhandledPanic::ShutdownRuntime`](super::UnhandledPanic::ShutdownRuntime)
//! additionally stops the runtime at the first one.
//!
//! Recording takes a mutex on the panic path only; tasks that complete normally never touch it.
//!
//! # Not missing a report on its way
//!
//! A task is counted out of the registry before it learns whether anyone will read its output
//! (so a joiner never sees `num_tasks()` count a task it has joined), so a checker that saw
//! the registry empty could read the record just before a detached task's report lands in it.
//! A completing task whose output is a panic therefore counts itself in `in_flight` before it
//! is counted as completed and out once its panic is reported or handed to its joiner, and
//! [`Handle::unhandled_panics`](crate::Handle::unhandled_panics) first reads the registry's
//! completion counters with Acquire (which orders it after every completion its `num_tasks()`
//! saw: each is counted with a Release store, after the increment) and then waits for
//! `in_flight` to drain.

use std::fmt;
use std::panic::Location;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::task::Id;

/// How many unhandled panics a runtime keeps in full; later ones are only counted.
pub const KEPT_PANICS: usize = 16;

/// The runtime's record (one per `Shared`).
#[derive(Default)]
pub(crate) struct Log {
    inner: Mutex<UnhandledPanics>,
    /// Panicked tasks between "about to unregister" and "reported or handed to the joiner".
    in_flight: AtomicUsize,
    /// Tasks whose output was a panic, handled or not (`RuntimeMetrics::tasks_panicked`).
    /// Relaxed: a statistic, counted on the panic path only.
    panicked: AtomicU64,
}

/// How long a snapshot waits for reports on their way (a few instructions each, unless a
/// `tracing` subscriber or a joiner's waker is slow).
const IN_FLIGHT_WAIT: Duration = Duration::from_secs(1);

impl Log {
    /// See the module docs.
    pub(crate) fn completing(&self, begin: bool) {
        if begin {
            // SeqCst (a full barrier): sequenced before the registry counts the completion,
            // which a checker orders itself after by its Acquire loads of the counters.
            self.in_flight.fetch_add(1, Ordering::SeqCst);
            self.panicked.fetch_add(1, Ordering::Relaxed);
        } else {
            // Release: pairs with the Acquire in `snapshot`, publishing the record made just
            // before (which the mutex publishes too).
            self.in_flight.fetch_sub(1, Ordering::Release);
        }
    }

    pub(crate) fn record(&self, id: Id, spawn_site: &'static Location<'static>, message: &str) {
        let mut log = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        log.count += 1;
        if log.panics.len() < KEPT_PANICS {
            log.panics.push(PanicRecord {
                id,
                spawn_site,
                message: message.to_owned(),
            });
        }
    }

    /// Tasks that panicked so far, and of those the unhandled ones recorded (for metrics: no
    /// wait for reports on their way).
    pub(crate) fn counts(&self) -> (u64, u64) {
        let unhandled = self.inner.lock().unwrap_or_else(|e| e.into_inner()).count;
        (self.panicked.load(Ordering::Relaxed), unhandled)
    }

    /// The record, once the reports on their way have landed (bounded by `IN_FLIGHT_WAIT`).
    pub(crate) fn snapshot(&self) -> UnhandledPanics {
        let start = Instant::now();
        // Acquire: pairs with the Release in `completing(false)`.
        while self.in_flight.load(Ordering::Acquire) != 0 && start.elapsed() < IN_FLIGHT_WAIT {
            std::thread::yield_now();
        }
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// One unhandled panic: which task, where it was spawned, and what it said.
///
/// # Examples
///
/// ```
/// let rt = gmp_executor::Runtime::new().unwrap();
/// rt.block_on(async {
///     gmp_executor::spawn(async { panic!("boom") }).detach();
///     while rt.handle().unhandled_panics().is_empty() {
///         gmp_executor::yield_now().await;
///     }
/// });
/// let panics = rt.handle().unhandled_panics();
/// let p = &panics.panics()[0];
/// assert_eq!(p.message, "boom");
/// assert_eq!(p.spawn_site.line(), line!() - 8);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PanicRecord {
    /// The task that panicked.
    pub id: Id,
    /// Where it was spawned.
    pub spawn_site: &'static Location<'static>,
    /// The panic's message (`"Box<dyn Any>"` for a payload that is not a string).
    pub message: String,
}

impl fmt::Display for PanicRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "task {} spawned at {} panicked: {}",
            self.id.as_u64(),
            self.spawn_site,
            self.message
        )
    }
}

/// The unhandled task panics of a runtime so far: see [`Handle::unhandled_panics`].
///
/// Its `Display` form lists each kept panic with its task's spawn site and says how to handle
/// it (the alternate form, `{:#}`, only lists them); [`assert_none`](Self::assert_none) panics with that text.
///
/// [`Handle::unhandled_panics`]: crate::Handle::unhandled_panics
///
/// # Examples
///
/// ```
/// let rt = gmp_executor::Runtime::new().unwrap();
/// let h = rt.spawn(async { panic!("handled") });
/// assert!(rt.block_on(h).unwrap_err().is_panic()); // observed: awaited, Err handled
/// rt.handle().unhandled_panics().assert_none();
/// ```
#[derive(Clone, Debug, Default)]
pub struct UnhandledPanics {
    count: u64,
    panics: Vec<PanicRecord>,
}

impl UnhandledPanics {
    /// Whether no task panicked unobserved.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// assert!(rt.handle().unhandled_panics().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// How many tasks panicked unobserved (including those past [`KEPT_PANICS`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// assert_eq!(rt.handle().unhandled_panics().count(), 0);
    /// ```
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The first [`KEPT_PANICS`] unhandled panics, in the order they were reported.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// assert!(rt.handle().unhandled_panics().panics().is_empty());
    /// ```
    pub fn panics(&self) -> &[PanicRecord] {
        &self.panics
    }

    /// Panics with the report if any task panicked unobserved: what `#[gmp::test]` runs after
    /// the test body returns.
    ///
    /// # Panics
    ///
    /// If [`is_empty`](Self::is_empty) is false.
    ///
    /// # Examples
    ///
    /// ```should_panic
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     drop(gmp_executor::spawn(async { panic!("boom") }));
    ///     while gmp_executor::runtime::num_tasks() > 0 {
    ///         gmp_executor::yield_now().await;
    ///     }
    /// });
    /// // panics: "1 task panicked and nobody observed it: task 1 spawned at ... panicked: boom"
    /// rt.handle().unhandled_panics().assert_none();
    /// ```
    #[track_caller]
    pub fn assert_none(&self) {
        if !self.is_empty() {
            panic!("{self}");
        }
    }
}

impl fmt::Display for UnhandledPanics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.count;
        write!(
            f,
            "{n} task{} panicked and nobody observed it:",
            if n == 1 { "" } else { "s" },
        )?;
        for p in &self.panics {
            write!(f, "\n\t{p}")?;
        }
        let more = n.saturating_sub(self.panics.len() as u64);
        if more > 0 {
            write!(f, "\n\t... and {more} more")?;
        }
        if f.alternate() {
            // `{:#}`: the list only.
            return Ok(());
        }
        write!(
            f,
            "\n\nA task's panic is observed only when its JoinHandle is awaited and returns the \
             Err(JoinError): await the handle and handle the error (`if let Err(e) = h.await`), \
             or return the failure as a value through a channel or an errgroup. If the panic is \
             expected, allow it with #[gmp::test(allow_panics)]."
        )
    }
}
