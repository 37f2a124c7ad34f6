//! Prometheus metrics for a gmp runtime (feature `prometheus`; the `gmp` facade's `metrics`):
//! `go_goroutines` and the rest of Go's runtime metrics, for gmp.
//!
//! A [`RuntimeCollector`] is a [`prometheus_client`] collector: registered once, it reads the
//! runtime's counters ([`RuntimeMetrics`]) at every scrape and
//! turns them into metric families: live tasks (`gmp_tasks`, gmp's `go_goroutines`), tasks by
//! state and by wait reason, spawned/completed/panicked totals, workers (parked, searching),
//! per-worker polls, steals, LIFO hits and budget-forced yields, queue depths, sysmon's
//! hand-offs, the blocking pool, live timers and reactor registrations. [`render`] encodes a
//! registry for an HTTP response, in the format the scraper asked for.
//!
//! ```
//! use gmp_executor::prometheus::prometheus_client::registry::Registry;
//! use gmp_executor::prometheus::{RuntimeCollector, render};
//!
//! let rt = gmp_executor::Builder::new().maxprocs(2).build().unwrap();
//! let mut registry = Registry::default();
//! registry.register_collector(Box::new(RuntimeCollector::new(rt.handle())));
//!
//! let _parked = rt.spawn(std::future::pending::<()>());
//! let (content_type, body) = render(&registry, None).unwrap();
//! assert!(content_type.starts_with("text/plain; version=0.0.4"));
//! assert!(body.contains("\ngmp_tasks 1\n"));
//! assert!(body.contains("\ngmp_workers 2\n"));
//! ```
//!
//! # Why `prometheus-client`
//!
//! It is the Prometheus project's own Rust client, and it renders the OpenMetrics (and classic
//! Prometheus) text format itself, from a registry the program owns: no global recorder, no
//! separate exporter crate. Its [`Collector`] is called at scrape time, which is exactly how
//! gmp's counters want to be read: the runtime already counts (per-worker counters on lines
//! the worker owns, cold-path counters elsewhere), so a collector that reads them when
//! Prometheus asks costs nothing between scrapes. The `metrics` facade was the alternative: it
//! records each value as an event through a process-wide recorder that an exporter
//! (`metrics-exporter-prometheus`) installs, so gmp would either push every poll and spawn into
//! it (a hot-path cost) or run a task that copies the counters into gauges on a timer (stale
//! values, and one more moving part); a library that installs nothing global fits a runtime
//! crate better.
//!
//! # Cost of a scrape
//!
//! Reading [`RuntimeMetrics`] takes a few locks once, briefly (see its module): microseconds,
//! whatever the number of tasks. Tasks by state and wait reason come from the grouped [profile](crate::runtime::profile), which walks the live-task
//! registry (a chunk of tasks per lock hold, never stopping the runtime) and only counts:
//! proportional to the number of live tasks, 60 to 200 ms for a million on a busy 2-core
//! machine (`examples/metrics_million.rs`). A service with millions of live tasks scraped
//! often can leave those families out with [`RuntimeCollector::task_states`]`(false)`.
//!
//! The collector only reads: no scrape can change the runtime.

use std::fmt;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use crate::runtime::{Handle, RuntimeMetrics, TaskState, WaitReason};
use crate::scheduler::Shared;

/// The `prometheus-client` crate this module builds on, for registering metrics of your own
/// next to the runtime's with the same version.
pub use prometheus_client;

/// The `Content-Type` of the OpenMetrics text format 1.0.0, which [`render`] produces for a
/// scraper that accepts it (Prometheus does).
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The `Content-Type` of the classic Prometheus text format 0.0.4, which [`render`] produces
/// for every other client (`curl`, older scrapers).
pub const TEXT_CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// A [`Collector`] of one gmp runtime's metrics, read at every scrape.
///
/// The metric families (counters end in `_total` in the output):
///
/// | family | type | what |
/// | --- | --- | --- |
/// | `gmp_tasks` | gauge | tasks alive now (Go's `go_goroutines`) |
/// | `gmp_tasks_by_state{state}` | gauge | live tasks by state: `runnable`, `running`, `waiting`, `blocking` |
/// | `gmp_tasks_waiting{reason}` | gauge | waiting tasks by [wait reason](WaitReason) (`chan receive`, `select`, `sleep`, `IO wait (read)`, `sync.Mutex.Lock`, ...; `waiting` for a foreign future) |
/// | `gmp_tasks_spawned` | counter | tasks spawned (blocking jobs included) |
/// | `gmp_tasks_completed` | counter | tasks completed (output, panic or cancellation) |
/// | `gmp_tasks_panicked` | counter | tasks whose output was a panic |
/// | `gmp_unhandled_panics` | counter | of those, panics no `JoinHandle` observed |
/// | `gmp_workers` | gauge | workers (Go's `GOMAXPROCS`) |
/// | `gmp_workers_parked` | gauge | workers parked for lack of work now |
/// | `gmp_workers_searching` | gauge | workers looking for work to steal now |
/// | `gmp_worker_polls{worker}` | counter | task polls started |
/// | `gmp_worker_steals{worker}` | counter | tasks stolen from other workers |
/// | `gmp_worker_lifo_steals{worker}` | counter | of those, taken from a LIFO slot |
/// | `gmp_worker_lifo_hits{worker}` | counter | tasks run from the LIFO slot (Go's `runnext`) |
/// | `gmp_worker_injection_pops{worker}` | counter | tasks taken from the injection queue |
/// | `gmp_worker_parks{worker}` | counter | times the worker parked |
/// | `gmp_worker_budget_forced_yields{worker}` | counter | polls that spent their whole [coop](crate::coop) budget and were made to yield |
/// | `gmp_worker_local_queue_depth{worker}` | gauge | tasks in the worker's run queue now |
/// | `gmp_injection_queue_depth` | gauge | tasks in the global injection queue now |
/// | `gmp_sysmon_long_polls` | counter | polls sysmon found blocking their worker |
/// | `gmp_sysmon_handoff_tasks` | counter | queued tasks sysmon moved off stuck workers |
/// | `gmp_sysmon_helpers_started` | counter | extra workers sysmon started (Go's `handoffp`) |
/// | `gmp_sysmon_helper_polls` | counter | polls run by those extra workers |
/// | `gmp_sysmon_io_wakeups` | counter | tasks sysmon woke by polling the reactor itself |
/// | `gmp_blocking_threads` | gauge | blocking-pool threads alive now |
/// | `gmp_blocking_busy_threads` | gauge | of those, running a job now |
/// | `gmp_blocking_queue_depth` | gauge | blocking jobs waiting for a thread now |
/// | `gmp_timers` | gauge | timers registered now |
/// | `gmp_io_registrations` | gauge | sockets registered with the reactor now |
///
/// The collector holds the runtime's shared state, not a [`Handle`]: it never spawns, so it
/// does not silence `block_on`'s deadlock detection as a handle held elsewhere does.
///
/// # Examples
///
/// ```
/// use gmp_executor::prometheus::prometheus_client::registry::Registry;
/// use gmp_executor::prometheus::{RuntimeCollector, render};
///
/// let rt = gmp_executor::Builder::new().maxprocs(1).build().unwrap();
/// let mut registry = Registry::default();
/// registry.register_collector(Box::new(RuntimeCollector::new(rt.handle())));
/// rt.block_on(async { gmp_executor::spawn(async {}).await.unwrap() });
/// let (_, body) = render(&registry, None).unwrap();
/// assert!(body.contains("\ngmp_tasks_spawned_total 1\n"));
/// assert!(body.contains("gmp_worker_polls_total{worker=\"0\"} 1\n"));
/// ```
#[derive(Clone)]
pub struct RuntimeCollector {
    shared: Arc<Shared>,
    task_states: bool,
}

impl fmt::Debug for RuntimeCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeCollector")
            .field("task_states", &self.task_states)
            .finish_non_exhaustive()
    }
}

impl RuntimeCollector {
    /// A collector of `handle`'s runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// let collector = gmp_executor::prometheus::RuntimeCollector::new(rt.handle());
    /// # let _ = collector;
    /// ```
    pub fn new(handle: &Handle) -> RuntimeCollector {
        RuntimeCollector {
            shared: handle.shared.clone(),
            task_states: true,
        }
    }

    /// A collector of the runtime the current thread runs in.
    ///
    /// # Panics
    ///
    /// Panics outside a runtime, as [`Handle::current`] does.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// use gmp_executor::prometheus::RuntimeCollector;
    /// let collector = rt.block_on(async { RuntimeCollector::current() });
    /// # let _ = collector;
    /// ```
    #[track_caller]
    pub fn current() -> RuntimeCollector {
        RuntimeCollector::new(&Handle::current())
    }

    /// Whether to export `gmp_tasks_by_state` and `gmp_tasks_waiting` (default: yes). They
    /// walk the live-task registry at each scrape, about 0.1 s per million live tasks;
    /// `gmp_tasks` is exported either way.
    ///
    /// # Examples
    ///
    /// ```
    /// use gmp_executor::prometheus::prometheus_client::registry::Registry;
    /// use gmp_executor::prometheus::{RuntimeCollector, render};
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// let mut registry = Registry::default();
    /// let collector = RuntimeCollector::new(rt.handle()).task_states(false);
    /// registry.register_collector(Box::new(collector));
    /// let (_, body) = render(&registry, None).unwrap();
    /// assert!(!body.contains("gmp_tasks_by_state") && !body.contains("gmp_tasks_waiting"));
    /// ```
    #[must_use]
    pub fn task_states(mut self, on: bool) -> RuntimeCollector {
        self.task_states = on;
        self
    }

    /// Live tasks counted by state, and waiting tasks by wait reason; every state and reason
    /// present, zeros included (a series that vanishes at zero breaks `rate` and alerts).
    fn count_states(&self) -> ([Row; 4], Vec<Row>) {
        let mut states = [
            ("runnable", 0),
            ("running", 0),
            ("waiting", 0),
            ("blocking", 0),
        ];
        let mut reasons: Vec<(WaitReason, u64)> = WaitReason::ALL.iter().map(|&r| (r, 0)).collect();
        // The grouped profile reads a small key per task and counts; no copy of the tasks.
        let profile = crate::runtime::Profile::collect(&self.shared);
        for group in profile.groups() {
            let i = match group.state {
                TaskState::Runnable => 0,
                TaskState::Running => 1,
                TaskState::Waiting => 2,
                TaskState::Blocking => 3,
            };
            states[i].1 += group.count as u64;
            if let Some(reason) = group.wait_reason() {
                // `ALL` lists the reasons in discriminant order.
                match reasons.get_mut(reason as usize) {
                    Some((r, n)) if *r == reason => *n += group.count as u64,
                    _ => match reasons.iter_mut().find(|(r, _)| *r == reason) {
                        Some((_, n)) => *n += group.count as u64,
                        None => reasons.push((reason, group.count as u64)),
                    },
                }
            }
        }
        let reasons = reasons.into_iter().map(|(r, n)| (r.as_str(), n)).collect();
        (states, reasons)
    }
}

/// A label value and its count.
type Row = (&'static str, u64);

/// Encodes one unlabelled gauge.
fn gauge(e: &mut DescriptorEncoder<'_>, name: &str, help: &str, v: u64) -> fmt::Result {
    let g = ConstGauge::new(i64::try_from(v).unwrap_or(i64::MAX));
    g.encode(e.encode_descriptor(name, help, None, g.metric_type())?)
}

/// Encodes one unlabelled counter.
fn counter(e: &mut DescriptorEncoder<'_>, name: &str, help: &str, v: u64) -> fmt::Result {
    let c = ConstCounter::new(v);
    c.encode(e.encode_descriptor(name, help, None, c.metric_type())?)
}

/// Encodes a family with one sample per worker, labelled `worker="<index>"`.
fn per_worker(
    e: &mut DescriptorEncoder<'_>,
    m: &RuntimeMetrics,
    name: &str,
    help: &str,
    kind: MetricType,
    value: impl Fn(&crate::runtime::WorkerMetrics) -> u64,
) -> fmt::Result {
    let mut family = e.encode_descriptor(name, help, None, kind)?;
    for (i, w) in m.workers.iter().enumerate() {
        let labels = [("worker", i.to_string())];
        let mut sample = family.encode_family(&labels)?;
        match kind {
            MetricType::Counter => ConstCounter::new(value(w)).encode(sample)?,
            _ => sample.encode_gauge(&value(w))?,
        }
    }
    Ok(())
}

impl Collector for RuntimeCollector {
    fn encode(&self, mut e: DescriptorEncoder<'_>) -> fmt::Result {
        let m = RuntimeMetrics::collect(&self.shared);
        let e = &mut e;
        gauge(
            e,
            "gmp_tasks",
            "Tasks alive now (Go's go_goroutines).",
            m.tasks_alive as u64,
        )?;
        if self.task_states {
            let mut family = e.encode_descriptor(
                "gmp_tasks_by_state",
                "Live tasks by state (runnable, running, waiting, blocking: in spawn_blocking).",
                None,
                MetricType::Gauge,
            )?;
            let (states, reasons) = self.count_states();
            for (state, n) in states {
                family
                    .encode_family(&[("state", state)])?
                    .encode_gauge(&n)?;
            }
            let mut family = e.encode_descriptor(
                "gmp_tasks_waiting",
                "Waiting tasks by wait reason (Go's [chan receive], [select], [IO wait], ...; \
                 \"waiting\" for a future gmp does not know).",
                None,
                MetricType::Gauge,
            )?;
            for (reason, n) in reasons {
                family
                    .encode_family(&[("reason", reason)])?
                    .encode_gauge(&n)?;
            }
        }
        counter(
            e,
            "gmp_tasks_spawned",
            "Tasks spawned, blocking jobs included.",
            m.tasks_spawned,
        )?;
        counter(
            e,
            "gmp_tasks_completed",
            "Tasks completed with an output, a panic or a cancellation.",
            m.tasks_completed,
        )?;
        counter(
            e,
            "gmp_tasks_panicked",
            "Tasks whose output was a panic.",
            m.tasks_panicked,
        )?;
        counter(
            e,
            "gmp_unhandled_panics",
            "Task panics no JoinHandle observed (detached or dropped handles).",
            m.unhandled_panics,
        )?;
        gauge(
            e,
            "gmp_workers",
            "Worker threads (Go's GOMAXPROCS).",
            m.workers.len() as u64,
        )?;
        gauge(
            e,
            "gmp_workers_parked",
            "Workers parked for lack of work now (Go's idle Ps).",
            m.workers_parked as u64,
        )?;
        gauge(
            e,
            "gmp_workers_searching",
            "Workers awake and looking for work to steal now (Go's spinning Ms).",
            m.workers_searching as u64,
        )?;
        use MetricType::{Counter, Gauge};
        per_worker(
            e,
            &m,
            "gmp_worker_polls",
            "Task polls started.",
            Counter,
            |w| w.polls,
        )?;
        per_worker(
            e,
            &m,
            "gmp_worker_steals",
            "Tasks stolen from other workers' queues or LIFO slots.",
            Counter,
            |w| w.steals,
        )?;
        per_worker(
            e,
            &m,
            "gmp_worker_lifo_steals",
            "Of the steals, tasks taken from another worker's LIFO slot.",
            Counter,
            |w| w.lifo_steals,
        )?;
        per_worker(
            e,
            &m,
            "gmp_worker_lifo_hits",
            "Tasks run from the worker's LIFO slot (Go's runnext).",
            Counter,
            |w| w.lifo_hits,
        )?;
        per_worker(
            e,
            &m,
            "gmp_worker_injection_pops",
            "Tasks taken from the global injection queue.",
            Counter,
            |w| w.inject_pops,
        )?;
        per_worker(
            e,
            &m,
            "gmp_worker_parks",
            "Times the worker parked.",
            Counter,
            |w| w.parks,
        )?;
        per_worker(
            e,
            &m,
            "gmp_worker_budget_forced_yields",
            "Polls that spent their whole cooperative budget: gmp's leaf futures made them yield.",
            Counter,
            |w| w.budget_exhaustions,
        )?;
        per_worker(
            e,
            &m,
            "gmp_worker_local_queue_depth",
            "Tasks in the worker's local run queue now.",
            Gauge,
            |w| w.local_queue_depth as u64,
        )?;
        gauge(
            e,
            "gmp_injection_queue_depth",
            "Tasks in the global injection queue now.",
            m.injection_queue_depth as u64,
        )?;
        counter(
            e,
            "gmp_sysmon_long_polls",
            "Task polls sysmon found blocking their worker longer than its threshold.",
            m.long_polls,
        )?;
        counter(
            e,
            "gmp_sysmon_handoff_tasks",
            "Queued tasks sysmon handed off from stuck workers to the injection queue.",
            m.sysmon_rescued_tasks,
        )?;
        counter(
            e,
            "gmp_sysmon_helpers_started",
            "Extra workers sysmon started because every worker was stuck (Go's handoffp).",
            m.extra_workers_started,
        )?;
        counter(
            e,
            "gmp_sysmon_helper_polls",
            "Task polls run by sysmon's extra workers.",
            m.sysmon_helper_polls,
        )?;
        counter(
            e,
            "gmp_sysmon_io_wakeups",
            "Tasks sysmon woke by polling the I/O reactor itself (Go's sysmon netpoll).",
            m.sysmon_io_wakeups,
        )?;
        gauge(
            e,
            "gmp_blocking_threads",
            "Blocking-pool threads alive now (spawn_blocking).",
            m.blocking_threads as u64,
        )?;
        gauge(
            e,
            "gmp_blocking_busy_threads",
            "Blocking-pool threads running a job now.",
            m.blocking_busy_threads as u64,
        )?;
        gauge(
            e,
            "gmp_blocking_queue_depth",
            "Blocking jobs waiting for a pool thread now.",
            m.blocking_queue_depth as u64,
        )?;
        gauge(
            e,
            "gmp_timers",
            "Timers registered now.",
            m.live_timers as u64,
        )?;
        gauge(
            e,
            "gmp_io_registrations",
            "Sockets registered with the I/O reactor now.",
            m.io_registrations as u64,
        )?;
        Ok(())
    }
}

/// Encodes `registry` for a scrape whose `Accept` header is `accept`: the OpenMetrics text
/// format when the scraper accepts it (Prometheus says so), the classic Prometheus text format
/// 0.0.4 otherwise. Returns the `Content-Type` to answer with, and the body.
///
/// # Errors
///
/// The formatting error of a metric that cannot be encoded (a collector or metric of the
/// registry failed); gmp's own collector never fails.
///
/// # Examples
///
/// ```
/// use gmp_executor::prometheus::prometheus_client::registry::Registry;
/// use gmp_executor::prometheus::{OPENMETRICS_CONTENT_TYPE, render};
///
/// let registry = Registry::default();
/// let accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";
/// let (content_type, body) = render(&registry, Some(accept)).unwrap();
/// assert_eq!(content_type, OPENMETRICS_CONTENT_TYPE);
/// assert_eq!(body, "# EOF\n");
/// ```
pub fn render(
    registry: &Registry,
    accept: Option<&str>,
) -> Result<(&'static str, String), fmt::Error> {
    let mut body = String::new();
    if accept.is_some_and(|a| a.contains("application/openmetrics-text")) {
        prometheus_client::encoding::text::encode(&mut body, registry)?;
        Ok((OPENMETRICS_CONTENT_TYPE, body))
    } else {
        prometheus_client::encoding::prometheus_text::encode(&mut body, registry)?;
        Ok((TEXT_CONTENT_TYPE, body))
    }
}
