//! `Runtime::metrics`: each counter moves when its event happens.

use std::time::Duration;

use gmp_executor::Builder;

mod common;
use common::Ready;

#[test]
fn task_counts_and_injection_pops() {
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let hs: Vec<_> = (0..20).map(|i| rt.spawn(async move { i })).collect();
    rt.block_on(async {
        for h in hs {
            h.await.unwrap();
        }
    });
    let (_tx, rx) = futures::channel::oneshot::channel::<()>();
    let _waiting = rt.spawn(rx);
    std::thread::sleep(Duration::from_millis(20));
    let m = rt.metrics();
    assert_eq!(m.tasks_spawned, 21);
    assert_eq!(m.tasks_completed, 20);
    assert_eq!(m.tasks_alive, 1);
    let w = &m.workers;
    assert_eq!(w.iter().map(|w| w.inject_pops).sum::<u64>(), 21, "{m}");
    assert!(w.iter().map(|w| w.polls).sum::<u64>() >= 21, "{m}");
    assert!(w.iter().map(|w| w.parks).sum::<u64>() >= 1, "{m}");
    assert_eq!(m.injection_queue_depth, 0);
}

#[test]
fn lifo_hits_and_budget_exhaustions() {
    let rt = Builder::new().maxprocs(1).build().unwrap();
    rt.block_on(async {
        gmp_executor::spawn(async {
            // A chain of spawns from a task: each child goes to the LIFO slot.
            for _ in 0..10 {
                gmp_executor::spawn(async {}).await.unwrap();
            }
            // More always-ready operations than one budget allows.
            for _ in 0..10 * gmp_executor::coop::BUDGET as usize {
                Ready.await;
            }
        })
        .await
        .unwrap();
    });
    let m = rt.metrics();
    assert!(m.workers[0].lifo_hits >= 10, "{m}");
    assert!(m.workers[0].budget_exhaustions >= 9, "{m}");
}

#[test]
fn steals_are_counted() {
    let rt = Builder::new().maxprocs(2).build().unwrap();
    rt.block_on(async {
        gmp_executor::spawn(async {
            // Fill this worker's queue while it is busy: the other worker steals.
            let hs: Vec<_> = (0..200)
                .map(|_| {
                    gmp_executor::spawn(async { std::thread::sleep(Duration::from_micros(50)) })
                })
                .collect();
            // Busy on the CPU, and for less than sysmon's 10 ms: a thread asleep here would be
            // seen blocked within ~1 ms, and sysmon would hand the queue over through the
            // injection queue instead of letting the other worker steal it.
            let end = std::time::Instant::now() + Duration::from_millis(5);
            while std::time::Instant::now() < end {
                std::hint::spin_loop();
            }
            for h in hs {
                h.await.unwrap();
            }
        })
        .await
        .unwrap();
    });
    let m = rt.metrics();
    assert!(m.workers.iter().map(|w| w.steals).sum::<u64>() >= 1, "{m}");
}

/// Polls `f` every millisecond for up to five seconds until it holds.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !f() {
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn panics_are_counted_handled_or_not() {
    let rt = Builder::new().maxprocs(2).build().unwrap();
    rt.block_on(async {
        let handled = gmp_executor::spawn(async { panic!("awaited") });
        assert!(handled.await.unwrap_err().is_panic());
        gmp_executor::spawn(async { panic!("detached") }).detach();
    });
    eventually("the detached panic is recorded", || {
        rt.handle().unhandled_panics().count() == 1
    });
    let m = rt.metrics();
    assert_eq!(m.tasks_panicked, 2, "{m}");
    assert_eq!(m.unhandled_panics, 1, "{m}");
}

#[test]
fn blocking_pool_threads_and_queue() {
    let rt = Builder::new()
        .maxprocs(1)
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let gate = std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
    let jobs: Vec<_> = (0..3)
        .map(|_| {
            let gate = gate.clone();
            rt.handle().spawn_blocking(move || {
                let (open, cvar) = &*gate;
                let mut open = open.lock().unwrap();
                while !*open {
                    open = cvar.wait(open).unwrap();
                }
            })
        })
        .collect();
    eventually("one job runs, two wait", || {
        let m = rt.metrics();
        (
            m.blocking_threads,
            m.blocking_busy_threads,
            m.blocking_queue_depth,
        ) == (1, 1, 2)
    });
    *gate.0.lock().unwrap() = true;
    gate.1.notify_all();
    rt.block_on(async {
        for j in jobs {
            j.await.unwrap();
        }
    });
    eventually("the pool is idle", || {
        let m = rt.metrics();
        (m.blocking_busy_threads, m.blocking_queue_depth) == (0, 0)
    });
}

#[test]
fn timers_sockets_and_parked_workers_are_counted_now() {
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let before = rt.metrics();
    assert_eq!(before.live_timers, 0, "{before}");
    let sleepers: Vec<_> = (0..3)
        .map(|_| rt.spawn(gmp_executor::time::sleep(Duration::from_secs(3600))))
        .collect();
    eventually("three timers", || rt.metrics().live_timers == 3);
    let listener = rt.block_on(async { gmp_executor::net::TcpListener::bind("127.0.0.1:0").await });
    let listener = listener.unwrap();
    assert_eq!(
        rt.metrics().io_registrations,
        before.io_registrations + 1,
        "{}",
        rt.metrics()
    );
    drop(listener);
    assert_eq!(rt.metrics().io_registrations, before.io_registrations);
    for s in &sleepers {
        s.abort();
    }
    eventually("the timers are gone", || rt.metrics().live_timers == 0);
    // Nothing to run: both workers park, none searches.
    eventually("both workers parked", || {
        let m = rt.metrics();
        m.workers_parked == 2 && m.workers_searching == 0
    });
}
