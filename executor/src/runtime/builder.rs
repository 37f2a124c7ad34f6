//! Runtime configuration.

use std::fmt;
use std::io;
use std::sync::Arc;

use super::Runtime;
use crate::scheduler::{Callback, Config};

/// What the runtime does when a task panics and nobody holds its `JoinHandle` to see it.
///
/// # Examples
///
/// ```
/// use gmp_executor::{Builder, runtime::UnhandledPanic};
/// let rt = Builder::new().unhandled_panic(UnhandledPanic::ShutdownRuntime).build().unwrap();
/// # drop(rt);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnhandledPanic {
    /// Report the panic through `tracing` (at `error` level, with the task's spawn site) and
    /// keep running. The default.
    #[default]
    Report,
    /// Go's crash semantics: shut the runtime down; `block_on` then panics.
    ShutdownRuntime,
}

/// Builds a [`Runtime`] with custom settings.
///
/// # Examples
///
/// ```
/// let rt = gmp_executor::Builder::new()
///     .maxprocs(2)
///     .thread_name("my-worker")
///     .build()
///     .unwrap();
/// assert_eq!(rt.handle().maxprocs(), 2);
/// ```
#[derive(Clone)]
pub struct Builder {
    pub(crate) maxprocs: Option<usize>,
    pub(crate) thread_name: Arc<dyn Fn(usize) -> String + Send + Sync>,
    pub(crate) thread_stack_size: Option<usize>,
    pub(crate) on_thread_start: Option<Callback>,
    pub(crate) on_thread_stop: Option<Callback>,
    pub(crate) unhandled_panic: UnhandledPanic,
    pub(crate) global_queue_interval: u32,
    pub(crate) max_blocking_threads: usize,
    pub(crate) blocking_keep_alive: std::time::Duration,
    pub(crate) deadlock_detection: bool,
    pub(crate) sysmon: bool,
    pub(crate) sysmon_threshold: std::time::Duration,
    pub(crate) dump_on_sigquit: bool,
    #[cfg(all(feature = "tokio-compat", not(loom)))]
    pub(crate) tokio_compat: bool,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("maxprocs", &self.maxprocs)
            .field("thread_stack_size", &self.thread_stack_size)
            .field("unhandled_panic", &self.unhandled_panic)
            .field("global_queue_interval", &self.global_queue_interval)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("deadlock_detection", &self.deadlock_detection)
            .field("sysmon", &self.sysmon)
            .field("sysmon_threshold", &self.sysmon_threshold)
            .field("dump_on_sigquit", &self.dump_on_sigquit)
            .finish_non_exhaustive()
    }
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// The default configuration.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Builder::new().build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn new() -> Builder {
        Builder {
            maxprocs: None,
            thread_name: Arc::new(|i| format!("gmp-worker-{i}")),
            thread_stack_size: None,
            on_thread_start: None,
            on_thread_stop: None,
            unhandled_panic: UnhandledPanic::Report,
            global_queue_interval: 61,
            max_blocking_threads: 512,
            blocking_keep_alive: std::time::Duration::from_secs(10),
            deadlock_detection: true,
            // Sysmon is a real thread with real time: loom models run without it.
            sysmon: !cfg!(loom),
            sysmon_threshold: crate::scheduler::sysmon::DEFAULT_THRESHOLD,
            dump_on_sigquit: false,
            #[cfg(all(feature = "tokio-compat", not(loom)))]
            tokio_compat: false,
        }
    }

    /// Number of workers (Go's `GOMAXPROCS`). Default: the `GOMAXPROCS` environment variable
    /// when set, otherwise the number of available cores.
    ///
    /// # Panics
    ///
    /// Panics if `n` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Builder::new().maxprocs(1).build().unwrap();
    /// assert_eq!(rt.handle().maxprocs(), 1);
    /// ```
    #[track_caller]
    pub fn maxprocs(&mut self, n: usize) -> &mut Self {
        assert!(n > 0, "maxprocs must be at least 1");
        self.maxprocs = Some(n);
        self
    }

    /// Names worker threads `"{name}-{index}"`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Builder::new().thread_name("svc").build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Self {
        let name = name.into();
        self.thread_name = Arc::new(move |i| format!("{name}-{i}"));
        self
    }

    /// Names worker threads with a function of the worker index.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Builder::new().thread_name_fn(|i| format!("p{i}")).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn thread_name_fn(
        &mut self,
        f: impl Fn(usize) -> String + Send + Sync + 'static,
    ) -> &mut Self {
        self.thread_name = Arc::new(f);
        self
    }

    /// Stack size of worker threads, in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Builder::new().thread_stack_size(4 << 20).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn thread_stack_size(&mut self, bytes: usize) -> &mut Self {
        self.thread_stack_size = Some(bytes);
        self
    }

    /// Runs `f` on each worker thread when it starts.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, atomic::{AtomicUsize, Ordering}};
    /// let started = Arc::new(AtomicUsize::new(0));
    /// let s = started.clone();
    /// let rt = gmp_executor::Builder::new()
    ///     .maxprocs(2)
    ///     .on_thread_start(move || { s.fetch_add(1, Ordering::SeqCst); })
    ///     .build()
    ///     .unwrap();
    /// drop(rt);
    /// assert_eq!(started.load(Ordering::SeqCst), 2);
    /// ```
    pub fn on_thread_start(&mut self, f: impl Fn() + Send + Sync + 'static) -> &mut Self {
        self.on_thread_start = Some(Arc::new(f));
        self
    }

    /// Runs `f` on each worker thread just before it exits.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Builder::new().on_thread_stop(|| {}).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn on_thread_stop(&mut self, f: impl Fn() + Send + Sync + 'static) -> &mut Self {
        self.on_thread_stop = Some(Arc::new(f));
        self
    }

    /// What to do when a detached task panics; see [`UnhandledPanic`].
    ///
    /// # Examples
    ///
    /// ```
    /// use gmp_executor::runtime::UnhandledPanic;
    /// let rt = gmp_executor::Builder::new().unhandled_panic(UnhandledPanic::Report).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn unhandled_panic(&mut self, behavior: UnhandledPanic) -> &mut Self {
        self.unhandled_panic = behavior;
        self
    }

    /// How many scheduling ticks pass between checks of the global queue when local work is
    /// available (default 61, as Go).
    ///
    /// # Panics
    ///
    /// Panics if `ticks` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Builder::new().global_queue_interval(31).build().unwrap();
    /// # drop(rt);
    /// ```
    #[track_caller]
    pub fn global_queue_interval(&mut self, ticks: u32) -> &mut Self {
        assert!(ticks > 0, "global_queue_interval must be at least 1");
        self.global_queue_interval = ticks;
        self
    }

    /// Upper bound on blocking-pool threads (default 512).
    ///
    /// # Panics
    ///
    /// Panics if `n` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Builder::new().max_blocking_threads(16).build().unwrap();
    /// # drop(rt);
    /// ```
    #[track_caller]
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Self {
        assert!(n > 0, "max_blocking_threads must be at least 1");
        self.max_blocking_threads = n;
        self
    }

    /// How long an idle blocking-pool thread waits for work before exiting (default 10 s).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Builder::new()
    ///     .blocking_keep_alive(std::time::Duration::from_secs(1))
    ///     .build()
    ///     .unwrap();
    /// # drop(rt);
    /// ```
    pub fn blocking_keep_alive(&mut self, d: std::time::Duration) -> &mut Self {
        self.blocking_keep_alive = d;
        self
    }

    /// Whether `block_on` panics with "all tasks are asleep - deadlock!" and a task dump when
    /// its future and every task wait with nothing left to wake them (default: on), as Go's
    /// runtime does.
    ///
    /// "Nothing left" means: no task running or runnable, no timer armed (context deadlines
    /// and timers made outside the runtime included), no I/O registered, no blocking job or
    /// `after_func` callback thread running, and no [`Handle`](crate::Handle) alive besides
    /// the runtime's own
    /// (a handle can spawn from another thread). gmp cannot see other threads that hold a
    /// `Waker` or a channel end: a program whose `block_on` is woken that way (by a plain
    /// `std::thread`, another runtime, a C callback, a scoped thread spawning through
    /// `&Runtime`) must turn the check off. The check runs on the `block_on` thread while it
    /// waits (parked with a timeout backing off to 100 ms) and reports after the runtime has
    /// stayed quiescent, with no progress, for 50 ms.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Builder::new().deadlock_detection(false).build().unwrap();
    /// let (tx, rx) = futures::channel::oneshot::channel();
    /// std::thread::spawn(move || {
    ///     std::thread::sleep(std::time::Duration::from_millis(100));
    ///     tx.send(1).unwrap();
    /// });
    /// // Woken by a thread gmp does not know about: no false alarm while it sleeps.
    /// assert_eq!(rt.block_on(rx).unwrap(), 1);
    /// ```
    ///
    /// With the check on, a true deadlock is reported instead of hanging:
    ///
    /// ```should_panic
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (_tx, rx) = futures::channel::oneshot::channel::<()>();
    ///     rx.await.ok(); // nobody will ever send: "all tasks are asleep - deadlock!"
    /// });
    /// ```
    pub fn deadlock_detection(&mut self, enabled: bool) -> &mut Self {
        self.deadlock_detection = enabled;
        self
    }

    /// Whether to run sysmon (default: on), the monitor thread that reports a task whose single
    /// poll runs longer than [`sysmon_threshold`](Self::sysmon_threshold) and moves the work
    /// queued behind it to other workers, starting a temporary extra worker when every worker
    /// is stuck (Go's sysmon and `handoffp`).
    ///
    /// Sysmon samples the workers every 20 us to 10 ms, backing off like Go's, and sleeps
    /// while every worker is parked: an idle runtime costs nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Builder::new().sysmon(false).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn sysmon(&mut self, enabled: bool) -> &mut Self {
        self.sysmon = enabled;
        self
    }

    /// How long one poll may run before sysmon reports it and rescues its worker's queue
    /// (default 10 ms, Go's `forcePreemptNS`).
    ///
    /// A poll blocked off the CPU (a blocking syscall, `std::thread::sleep`, a contended lock)
    /// is rescued sooner, about 1 ms in, as Go hands off the P of a thread in a syscall; it is
    /// reported only at the threshold. A poll that computes keeps its worker's queue until the
    /// threshold.
    ///
    /// # Panics
    ///
    /// Panics if `threshold` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = gmp_executor::Builder::new()
    ///     .maxprocs(1)
    ///     .sysmon_threshold(Duration::from_millis(5))
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async {
    ///     // Blocks the only worker for 50 ms: sysmon reports it (a `tracing` warning), and a
    ///     // helper thread runs the task spawned meanwhile.
    ///     let blocker = gmp_executor::spawn(async { std::thread::sleep(Duration::from_millis(50)) });
    ///     let quick = gmp_executor::spawn(async { 1 });
    ///     assert_eq!(quick.await.unwrap(), 1);
    ///     blocker.await.unwrap();
    /// });
    /// assert!(rt.metrics().long_polls >= 1);
    /// ```
    #[track_caller]
    pub fn sysmon_threshold(&mut self, threshold: std::time::Duration) -> &mut Self {
        assert!(!threshold.is_zero(), "sysmon_threshold must be positive");
        self.sysmon_threshold = threshold;
        self
    }

    /// On `SIGQUIT` (Ctrl-\\ in a terminal, `kill -QUIT pid`), write the task dump of this
    /// runtime (and of every other runtime that opted in) to stderr and exit with status 2, as
    /// a Go program prints its goroutines and exits (default: off).
    ///
    /// The handler only writes a byte to a pipe; a `gmp-sigquit` thread takes the dumps. It is
    /// installed once per process, replacing any other `SIGQUIT` handler. Linux only: elsewhere
    /// the switch logs a warning and does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Builder::new().dump_on_sigquit(true).build().unwrap();
    /// // `kill -QUIT <pid>` now prints "SIGQUIT: quit" and every task, then exits with 2.
    /// # drop(rt);
    /// ```
    pub fn dump_on_sigquit(&mut self, enabled: bool) -> &mut Self {
        self.dump_on_sigquit = enabled;
        self
    }

    /// The number of workers this builder will start.
    pub(crate) fn resolved_maxprocs(&self) -> io::Result<usize> {
        if let Some(n) = self.maxprocs {
            return Ok(n);
        }
        match std::env::var("GOMAXPROCS") {
            Ok(v) => match v.trim().parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("GOMAXPROCS must be a positive integer, got {v:?}"),
                )),
            },
            Err(_) => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
        }
    }

    /// The tokio-compat route (feature `tokio-compat`, default off): enter a tokio runtime's
    /// handle on every worker thread, every blocking-pool thread, and the thread in
    /// [`block_on`](Runtime::block_on) for the call, so that tokio's timer, reactor and spawner
    /// work inside this runtime's tasks (`tokio::time::sleep`, `tokio::net`, `tower::timeout`,
    /// `reqwest`). One tokio thread, started on the first build with this on, drives tokio's
    /// drivers for the whole process; see [`crate::runtime::tokio_compat`] for the design, the
    /// costs, and the trap of a tokio future made outside the context.
    ///
    /// Turning it on turns [deadlock detection](Self::deadlock_detection) off: tokio's thread
    /// wakes tasks through wakers gmp cannot see.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = gmp_executor::Builder::new().tokio_compat(true).build().unwrap();
    /// let n = rt.block_on(async {
    ///     let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let accept = gmp_executor::spawn(async move { listener.accept().await.map(|_| 1) });
    ///     let _conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    ///     tokio::time::sleep(Duration::from_millis(1)).await;
    ///     accept.await.unwrap().unwrap()
    /// });
    /// assert_eq!(n, 1);
    /// ```
    #[cfg(all(feature = "tokio-compat", not(loom)))]
    pub fn tokio_compat(&mut self, enabled: bool) -> &mut Self {
        self.tokio_compat = enabled;
        self
    }

    /// Starts the runtime's worker threads.
    ///
    /// # Errors
    ///
    /// Fails if `GOMAXPROCS` is malformed or a thread cannot be spawned (or, with
    /// [`tokio_compat`](Self::tokio_compat), if the tokio runtime cannot be started).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Builder::new().maxprocs(2).build().unwrap();
    /// assert_eq!(rt.block_on(async { 1 }), 1);
    /// ```
    pub fn build(&mut self) -> io::Result<Runtime> {
        #[allow(unused_mut)]
        let mut config = self.config()?;
        #[cfg(all(feature = "tokio-compat", not(loom)))]
        if self.tokio_compat {
            crate::tokio_compat::handle()?;
            // tokio's thread holds wakers gmp cannot see: a task asleep on a tokio timer would
            // read as a deadlock.
            config.deadlock_detection = false;
            config.tokio_compat = true;
        }
        let shared = crate::scheduler::Shared::start(config)?;
        if self.dump_on_sigquit {
            #[cfg(all(target_os = "linux", not(loom)))]
            if let Err(e) = super::signal::register(&shared) {
                shared.shutdown(None);
                return Err(e);
            }
            #[cfg(not(all(target_os = "linux", not(loom))))]
            tracing::warn!("gmp: dump_on_sigquit is only supported on Linux; ignored");
        }
        Ok(Runtime::from_shared(shared))
    }

    /// The scheduler's view of this builder: `maxprocs` resolved, the rest copied.
    fn config(&self) -> io::Result<Config> {
        Ok(Config {
            maxprocs: self.resolved_maxprocs()?,
            thread_name: self.thread_name.clone(),
            thread_stack_size: self.thread_stack_size,
            on_thread_start: self.on_thread_start.clone(),
            on_thread_stop: self.on_thread_stop.clone(),
            global_queue_interval: self.global_queue_interval,
            shutdown_on_panic: self.unhandled_panic == UnhandledPanic::ShutdownRuntime,
            deadlock_detection: self.deadlock_detection,
            max_blocking_threads: self.max_blocking_threads,
            blocking_keep_alive: self.blocking_keep_alive,
            sysmon: self.sysmon,
            sysmon_threshold: self.sysmon_threshold,
            tokio_compat: false,
        })
    }
}
