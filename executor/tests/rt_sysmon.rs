//! sysmon: long polls are reported once, the work behind a stuck worker still runs, and an idle
//! runtime's sysmon sleeps.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use gmp_executor::{Builder, Runtime};

fn rt(n: usize, threshold_ms: u64) -> Runtime {
    Builder::new()
        .maxprocs(n)
        .sysmon_threshold(Duration::from_millis(threshold_ms))
        .build()
        .unwrap()
}

/// Warnings logged through `tracing`, from any thread (sysmon logs from its own).
fn warnings() -> &'static Mutex<Vec<String>> {
    static LOG: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    LOG.get_or_init(|| {
        tracing::subscriber::set_global_default(Capture).unwrap();
        Mutex::new(Vec::new())
    })
}

/// A minimal subscriber that keeps the messages of `warn` events.
struct Capture;

impl tracing::Subscriber for Capture {
    fn enabled(&self, meta: &tracing::Metadata<'_>) -> bool {
        *meta.level() <= tracing::Level::WARN
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut m = Message(String::new());
        event.record(&mut m);
        warnings().lock().unwrap().push(m.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn a_long_poll_is_reported_once_with_its_spawn_site() {
    let log = warnings();
    let rt = rt(2, 10);
    let line = line!() + 1;
    let blocker = rt.spawn(async { std::thread::sleep(Duration::from_millis(150)) });
    rt.block_on(blocker).unwrap();
    let site = format!("{}:{line}:", file!());
    let reports: Vec<String> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.contains(&site))
        .cloned()
        .collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0].contains("in one poll on worker"),
        "{}",
        reports[0]
    );
    assert_eq!(rt.metrics().long_polls, 1);
}

#[test]
fn the_lifo_task_of_the_only_stuck_worker_runs() {
    // One worker: the task woken by the blocker sits in its LIFO slot, where no peer can steal
    // it; sysmon moves it and a helper runs it.
    let rt = rt(1, 10);
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let waited = rt.block_on(async move {
        let start = Instant::now();
        gmp_executor::spawn(async move {
            let r2 = r.clone();
            gmp_executor::spawn(async move { r2.store(true, Ordering::Release) }).detach();
            std::thread::sleep(Duration::from_millis(400));
            r.load(Ordering::Acquire)
        })
        .await
        .unwrap();
        start.elapsed()
    });
    assert!(ran.load(Ordering::Acquire));
    assert!(waited >= Duration::from_millis(400));
    let m = rt.metrics();
    assert_eq!(m.long_polls, 1);
    assert_eq!(m.extra_workers_started, 1);
    // The LIFO task was handed off once, and the helper polled it.
    assert_eq!(m.sysmon_rescued_tasks, 1, "{m}");
    assert!(m.sysmon_helper_polls >= 1, "{m}");
}

#[test]
fn spawns_from_outside_run_while_every_worker_is_stuck() {
    let rt = rt(2, 10);
    let release = Arc::new(AtomicBool::new(false));
    // Two blockers, one per worker (each spins until released, like a CPU-bound loop).
    let blockers: Vec<_> = (0..2)
        .map(|_| {
            let r = release.clone();
            rt.spawn(async move {
                while !r.load(Ordering::Acquire) {
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(30));
    let mut worst = Duration::ZERO;
    for _ in 0..20 {
        let spawned = Instant::now();
        let (tx, rx) = std::sync::mpsc::channel();
        rt.spawn(async move { tx.send(spawned.elapsed()).unwrap() })
            .detach();
        worst = worst.max(rx.recv_timeout(Duration::from_secs(5)).unwrap());
        std::thread::sleep(Duration::from_millis(1));
    }
    release.store(true, Ordering::Release);
    rt.block_on(async {
        for b in blockers {
            b.await.unwrap();
        }
    });
    // Generous: the helper starts within the threshold plus a few sampling periods; on a loaded
    // machine threads are slow to be scheduled.
    assert!(
        worst < Duration::from_millis(500),
        "worst spawn-to-run {worst:?}"
    );
    assert!(rt.metrics().extra_workers_started >= 1);
}

#[test]
fn timers_fire_while_every_worker_is_stuck() {
    let rt = rt(1, 10);
    let fired = rt.block_on(async {
        let timer = gmp_executor::spawn(async {
            let start = Instant::now();
            gmp_executor::time::sleep(Duration::from_millis(20)).await;
            start.elapsed()
        });
        gmp_executor::time::sleep(Duration::from_millis(2)).await;
        let blocker = gmp_executor::spawn(async { std::thread::sleep(Duration::from_millis(300)) });
        let fired = timer.await.unwrap();
        blocker.await.unwrap();
        fired
    });
    assert!(
        fired < Duration::from_millis(200),
        "timer fired after {fired:?}"
    );
}

/// A task waiting on a socket runs when data arrives while every worker is stuck in one poll:
/// nobody is parked in the reactor and no worker reaches its reactor check, so sysmon polls the
/// reactor itself and its helper runs the readied task.
fn io_completes_while_every_worker_is_stuck(workers: usize) {
    use futures::AsyncReadExt;

    let rt = rt(workers, 10);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    server.set_nonblocking(true).unwrap();
    let release = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel();
    let r = release.clone();
    rt.spawn(async move {
        let mut stream = gmp_executor::net::TcpStream::from_std(server).unwrap();
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).await.unwrap();
        // Whether the blockers had been released when the read completed.
        tx.send((byte[0], r.load(Ordering::Acquire))).unwrap();
    })
    .detach();
    // Let the reader wait for readiness, then make every worker stuck (spinning until
    // released, at most 20 s so a failure cannot hang the test run).
    std::thread::sleep(Duration::from_millis(30));
    let blockers: Vec<_> = (0..workers)
        .map(|_| {
            let r = release.clone();
            rt.spawn(async move {
                let start = Instant::now();
                while !r.load(Ordering::Acquire) && start.elapsed() < Duration::from_secs(20) {
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(50));
    std::io::Write::write_all(&mut client, &[42]).unwrap();
    let got = rx.recv_timeout(Duration::from_secs(10));
    release.store(true, Ordering::Release);
    rt.block_on(async {
        for b in blockers {
            b.await.unwrap();
        }
    });
    assert_eq!(
        got,
        Ok((42, false)),
        "the read must complete while the workers are still stuck"
    );
    assert!(rt.metrics().sysmon_io_wakeups >= 1, "{}", rt.metrics());
}

#[test]
fn io_completes_while_the_only_worker_is_stuck() {
    io_completes_while_every_worker_is_stuck(1);
}

#[test]
fn io_completes_while_both_workers_are_stuck() {
    io_completes_while_every_worker_is_stuck(2);
}

/// Both workers blocked off the CPU (Go's goroutines in a syscall): sysmon sees their threads
/// asleep and hands their work to a helper long before its report threshold, which this test
/// sets beyond the blocks so that only the off-CPU path can explain the probe running.
#[test]
fn spawns_run_while_every_worker_sleeps_in_a_blocking_call() {
    let rt = rt(2, 60_000);
    let started = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let blockers: Vec<_> = (0..2)
        .map(|_| {
            let (s, d) = (started.clone(), done.clone());
            rt.spawn(async move {
                s.fetch_add(1, Ordering::AcqRel);
                std::thread::sleep(Duration::from_secs(3));
                d.fetch_add(1, Ordering::AcqRel);
            })
        })
        .collect();
    while started.load(Ordering::Acquire) < 2 {
        std::thread::sleep(Duration::from_millis(1));
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let d = done.clone();
    rt.spawn(async move { tx.send(d.load(Ordering::Acquire)).unwrap() })
        .detach();
    let blockers_done_when_probe_ran = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    rt.block_on(async {
        for b in blockers {
            b.await.unwrap();
        }
    });
    assert_eq!(
        blockers_done_when_probe_ran, 0,
        "the probe waited for a blocker to finish"
    );
    let m = rt.metrics();
    assert!(m.extra_workers_started >= 1, "{m}");
    // Not reported: no poll reached the 60 s threshold.
    assert_eq!(m.long_polls, 0, "{m}");
}

#[test]
fn a_computing_poll_on_an_oversubscribed_machine_is_not_handed_off() {
    // More spinning threads than CPUs: the worker's thread gets a fraction of a CPU, so its
    // CPU clock falls behind the wall clock as if it were blocked. It is runnable, not asleep:
    // sysmon must leave its queue alone until the threshold (1 s here, never reached).
    let rt = rt(1, 1_000);
    let stop = Arc::new(AtomicBool::new(false));
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let spinners: Vec<_> = (0..3 * cpus)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    let ran_in_place = rt.block_on(async {
        let behind = gmp_executor::spawn(async {
            // A task in the LIFO slot behind a poll that computes for 50 ms of wall time.
            let behind = gmp_executor::spawn(async {});
            let end = Instant::now() + Duration::from_millis(50);
            while Instant::now() < end {
                std::hint::spin_loop();
            }
            // A tuple: the handle is awaited by the caller, not by this task.
            (behind,)
        })
        .await
        .unwrap();
        behind.0.await.is_ok()
    });
    stop.store(true, Ordering::Relaxed);
    for s in spinners {
        s.join().unwrap();
    }
    assert!(ran_in_place);
    let m = rt.metrics();
    assert_eq!(m.sysmon_rescued_tasks, 0, "a false hand-off: {m}");
    assert_eq!(m.extra_workers_started, 0, "{m}");
}
