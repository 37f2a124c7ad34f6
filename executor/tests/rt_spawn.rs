//! Spawning, joining, aborting and panics, stamped over 1, 2 and 4 workers.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use gmp_executor::Builder;

#[macro_use]
mod common;
use common::rt;

/// Drops increment a counter.
struct DropCount(Arc<AtomicUsize>);
impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A future that counts its polls and stays pending until `wake_at` polls.
struct CountPolls {
    polls: Arc<AtomicUsize>,
}
impl Future for CountPolls {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        Poll::Pending
    }
}

per_config! {
    spawn_and_join => |n| {
        let rt = rt(n);
        let v = rt.block_on(async {
            let hs: Vec<_> = (0..100u64).map(|i| gmp_executor::spawn(async move { i * 2 })).collect();
            let mut sum = 0;
            for h in hs { sum += h.await.unwrap(); }
            sum
        });
        assert_eq!(v, (0..100u64).map(|i| i * 2).sum::<u64>());
    };
    nested_spawn_many => |n| {
        let rt = rt(n);
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        rt.block_on(async move {
            let outer: Vec<_> = (0..50).map(|_| {
                let c = c.clone();
                gmp_executor::spawn(async move {
                    let inner: Vec<_> = (0..50).map(|_| {
                        let c = c.clone();
                        gmp_executor::spawn(async move { c.fetch_add(1, Ordering::SeqCst); })
                    }).collect();
                    for h in inner { h.await.unwrap(); }
                })
            }).collect();
            for h in outer { h.await.unwrap(); }
        });
        assert_eq!(count.load(Ordering::SeqCst), 2500);
    };
    chained_spawn => |n| {
        fn chain(left: usize, done: futures::channel::oneshot::Sender<()>) {
            if left == 0 { let _ = done.send(()); return; }
            gmp_executor::spawn(async move { chain(left - 1, done) }).detach();
        }
        let rt = rt(n);
        rt.block_on(async {
            let (tx, rx) = futures::channel::oneshot::channel();
            gmp_executor::spawn(async move { chain(10_000, tx) }).detach();
            rx.await.unwrap();
        });
    };
    panic_is_caught_and_runtime_survives => |n| {
        let rt = rt(n);
        rt.block_on(async {
            let err = gmp_executor::spawn(async { panic!("boom") }).await.unwrap_err();
            assert!(err.is_panic());
            assert!(!err.is_cancelled());
            assert!(err.to_string().contains("boom"), "{err}");
            // Detached panics are reported, not fatal.
            gmp_executor::spawn(async { panic!("detached boom") }).detach();
            assert_eq!(gmp_executor::spawn(async { 7 }).await.unwrap(), 7);
        });
    };
    abort_idle_task_drops_future => |n| {
        let rt = rt(n);
        let drops = Arc::new(AtomicUsize::new(0));
        let d = DropCount(drops.clone());
        rt.block_on(async move {
            let h = gmp_executor::spawn(async move { let _d = d; std::future::pending::<()>().await });
            gmp_executor::yield_now().await;
            h.abort();
            let err = h.await.unwrap_err();
            assert!(err.is_cancelled());
        });
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    };
    abort_finished_task_is_noop => |n| {
        let rt = rt(n);
        rt.block_on(async {
            let h = gmp_executor::spawn(async { 3 });
            while !h.is_finished() { gmp_executor::yield_now().await; }
            h.abort();
            assert_eq!(h.await.unwrap(), 3);
        });
    };
    dropping_handle_detaches => |n| {
        let rt = rt(n);
        let (tx, rx) = std::sync::mpsc::channel();
        rt.block_on(async move {
            drop(gmp_executor::spawn(async move { tx.send(5).unwrap(); }));
        });
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), 5);
    };
    shutdown_drops_pending_tasks => |n| {
        let rt = rt(n);
        let drops = Arc::new(AtomicUsize::new(0));
        let polls = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        let p = polls.clone();
        rt.block_on(async move {
            for _ in 0..100 {
                let guard = DropCount(d.clone());
                let p = p.clone();
                gmp_executor::spawn(async move { let _g = guard; CountPolls { polls: p }.await }).detach();
            }
            while p.load(Ordering::SeqCst) < 100 { gmp_executor::yield_now().await; }
            assert_eq!(gmp_executor::runtime::num_tasks(), 100);
        });
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        drop(rt);
        assert_eq!(drops.load(Ordering::SeqCst), 100);
        // Each task was polled exactly once: nothing woke them.
        assert_eq!(polls.load(Ordering::SeqCst), 100);
    };
    join_handle_outlives_runtime => |n| {
        let rt = rt(n);
        let h = rt.spawn(std::future::pending::<u8>());
        drop(rt);
        assert!(h.is_finished());
        assert!(futures::executor::block_on(h).unwrap_err().is_cancelled());
    };
    spawn_from_foreign_thread => |n| {
        let rt = rt(n);
        let handle = rt.handle().clone();
        let hs: Vec<_> = (0..4).map(|i| {
            let handle = handle.clone();
            std::thread::spawn(move || (0..100).map(|j| handle.spawn(async move { i * 100 + j })).collect::<Vec<_>>())
        }).collect();
        let joins: Vec<_> = hs.into_iter().flat_map(|h| h.join().unwrap()).collect();
        let mut got = rt.block_on(async move {
            let mut v = Vec::new();
            for j in joins { v.push(j.await.unwrap()); }
            v
        });
        got.sort();
        assert_eq!(got, (0..400).collect::<Vec<_>>());
    };
    num_tasks_counts_live_tasks => |n| {
        let rt = rt(n);
        rt.block_on(async {
            assert_eq!(gmp_executor::runtime::num_tasks(), 0);
            let (tx, rx) = futures::channel::oneshot::channel::<()>();
            let h = gmp_executor::spawn(async move { let _ = rx.await; });
            assert_eq!(gmp_executor::runtime::num_tasks(), 1);
            drop(tx);
            h.await.unwrap();
            assert_eq!(gmp_executor::runtime::num_tasks(), 0);
        });
    };
    maxprocs_is_reported => |n| {
        let rt = rt(n);
        assert_eq!(rt.block_on(async { gmp_executor::runtime::maxprocs() }), n);
    };
    yield_now_lets_others_run => |n| {
        let rt = rt(n);
        rt.block_on(async {
            let flag = Arc::new(AtomicUsize::new(0));
            let f = flag.clone();
            let h = gmp_executor::spawn(async move {
                // Spin on yield until the other task runs; on one worker this needs fairness.
                while f.load(Ordering::SeqCst) == 0 { gmp_executor::yield_now().await; }
            });
            let f2 = flag.clone();
            gmp_executor::spawn(async move { f2.store(1, Ordering::SeqCst); }).await.unwrap();
            h.await.unwrap();
        });
    };
    coop_budget_prevents_starvation => |n| {
        // A task looping on an always-ready gmp leaf future (a finished JoinHandle polled via a
        // fresh task each time would be heavy; consume_budget is the leaf) must not stop other
        // tasks on the same worker from running.
        let rt = rt(n);
        rt.block_on(async move {
            let stop = Arc::new(AtomicUsize::new(0));
            let spinners: Vec<_> = (0..n).map(|_| {
                let s = stop.clone();
                gmp_executor::spawn(async move {
                    while s.load(Ordering::SeqCst) == 0 { gmp_executor::coop::consume_budget().await; }
                })
            }).collect();
            let s = stop.clone();
            gmp_executor::spawn(async move { s.store(1, Ordering::SeqCst); }).await.unwrap();
            for h in spinners { h.await.unwrap(); }
        });
    };
    spawn_blocking_runs_off_workers => |n| {
        let rt = rt(n);
        rt.block_on(async {
            let hs: Vec<_> = (0..8).map(|i| gmp_executor::spawn_blocking(move || { std::thread::sleep(Duration::from_millis(20)); i })).collect();
            // Workers stay free meanwhile.
            assert_eq!(gmp_executor::spawn(async { 1 }).await.unwrap(), 1);
            let mut sum = 0;
            for h in hs { sum += h.await.unwrap(); }
            assert_eq!(sum, 28);
            let e = gmp_executor::spawn_blocking(|| panic!("blocking boom")).await.unwrap_err();
            assert!(e.is_panic());
        });
    };
}

#[test]
#[should_panic(expected = "outside a gmp runtime")]
fn spawn_outside_runtime_panics_with_advice() {
    gmp_executor::spawn(async {}).detach();
}

#[test]
fn block_on_inside_worker_panics_with_advice() {
    let rt = rt(2);
    let handle = rt.handle().clone();
    let err = rt
        .block_on(
            async move { gmp_executor::spawn(async move { handle.block_on(async {}) }).await },
        )
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("already running a gmp runtime"), "{msg}");
}

#[test]
fn unhandled_panic_can_shut_runtime_down() {
    let rt = Builder::new()
        .maxprocs(2)
        .unhandled_panic(gmp_executor::runtime::UnhandledPanic::ShutdownRuntime)
        .build()
        .unwrap();
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            gmp_executor::spawn(async { panic!("fatal") }).detach();
            std::future::pending::<()>().await
        })
    }));
    let payload = res.unwrap_err();
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap();
    assert!(msg.contains("ShutdownRuntime"), "{msg}");
}

#[test]
fn futures_spawn_trait_spawns_onto_gmp() {
    use futures::task::SpawnExt;
    let rt = rt(2);
    let handle = rt.handle().clone();
    let (tx, rx) = futures::channel::oneshot::channel();
    SpawnExt::spawn(&handle, async move { tx.send(11).unwrap() }).unwrap();
    assert_eq!(rt.block_on(rx).unwrap(), 11);
    let h = handle.spawn_with_handle(async { 12 }).unwrap();
    assert_eq!(rt.block_on(h), 12);
}

#[test]
fn shutdown_timeout_leaves_stuck_worker_behind() {
    let rt = rt(2);
    let (tx, rx) = std::sync::mpsc::channel();
    rt.spawn(async move {
        tx.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(300));
    })
    .detach();
    rx.recv().unwrap();
    let start = std::time::Instant::now();
    rt.shutdown_timeout(Duration::from_millis(20));
    assert!(start.elapsed() < Duration::from_millis(290));
}

#[test]
fn thread_hooks_and_names() {
    let started = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicUsize::new(0));
    let (s1, s2) = (started.clone(), stopped.clone());
    let rt = Builder::new()
        .maxprocs(3)
        .thread_name("hooked")
        .on_thread_start(move || {
            s1.fetch_add(1, Ordering::SeqCst);
        })
        .on_thread_stop(move || {
            s2.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    let name = rt.block_on(async {
        gmp_executor::spawn(async { std::thread::current().name().unwrap().to_string() })
            .await
            .unwrap()
    });
    assert!(name.starts_with("hooked-"), "{name}");
    drop(rt);
    assert_eq!(started.load(Ordering::SeqCst), 3);
    assert_eq!(stopped.load(Ordering::SeqCst), 3);
}

#[test]
fn gomaxprocs_env_is_validated() {
    // Only the builder's parsing is exercised (env vars are process-global: no set_var here).
    assert!(Builder::new().maxprocs(1).build().is_ok());
}
