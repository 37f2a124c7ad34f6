//! Once/OnceCell, Notify (Go's Cond) and singleflight.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

use common::poll_once;
use gmp_sync::{Mutex, Notify, Once, OnceCell, WaitGroup, singleflight};

stamp! {
    /// 50 concurrent callers: the initializer runs once, everyone sees its value.
    async fn once_cell_initializes_once(sp) {
        let cell = Arc::new(OnceCell::new());
        let once = Arc::new(Once::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let wg = WaitGroup::new();
        for _ in 0..50 {
            let (cell, once, runs) = (cell.clone(), once.clone(), runs.clone());
            wg.go_with(sp, async move {
                let v = cell
                    .get_or_init(|| async {
                        gmp_executor::time::sleep(Duration::from_millis(2)).await;
                        runs.fetch_add(1, Ordering::SeqCst);
                        99
                    })
                    .await;
                assert_eq!(*v, 99);
                once.call_once(|| async { runs.fetch_add(100, Ordering::SeqCst); }).await;
            })
            .unwrap();
        }
        wg.wait().await;
        assert_eq!(runs.load(Ordering::SeqCst), 101);
    }
}

stamp! {
    /// Go's Cond pattern: workers wait for a condition; a broadcast releases all of them.
    async fn cond_broadcast(sp) {
        let shared = Arc::new((Mutex::new(false), Notify::new()));
        let wg = WaitGroup::new();
        let started = WaitGroup::new();
        for _ in 0..10 {
            let shared = shared.clone();
            let s = started.guard();
            wg.go_with(sp, async move {
                let (lock, cond) = &*shared;
                let mut ready = lock.lock().await;
                drop(s);
                while !*ready {
                    ready = cond.wait(ready).await;
                }
            })
            .unwrap();
        }
        started.wait().await;
        *shared.0.lock().await = true;
        shared.1.notify_all();
        wg.wait().await;
    }
}

stamp! {
    /// Concurrent duplicate calls share one execution.
    async fn singleflight_dedups(sp) {
        let g = Arc::new(singleflight::Group::<&'static str, u32>::new());
        let execs = Arc::new(AtomicUsize::new(0));
        let shared = Arc::new(AtomicUsize::new(0));
        let wg = WaitGroup::new();
        let gate = Arc::new(gmp_sync::Semaphore::new(0));
        for _ in 0..10 {
            let (g, execs, shared, gate) = (g.clone(), execs.clone(), shared.clone(), gate.clone());
            wg.go_with(sp, async move {
                let (v, was_shared) = g
                    .run("key", async {
                        execs.fetch_add(1, Ordering::SeqCst);
                        gate.acquire(1).await.forget();
                        7
                    })
                    .await;
                assert_eq!(v, 7);
                if was_shared {
                    shared.fetch_add(1, Ordering::SeqCst);
                }
            })
            .unwrap();
        }
        gmp_executor::time::sleep(Duration::from_millis(50)).await;
        gate.release(100);
        wg.wait().await;
        let execs = execs.load(Ordering::SeqCst);
        assert!((1..10).contains(&execs), "{execs} executions for 10 duplicate calls");
        assert!(shared.load(Ordering::SeqCst) >= 10 - execs);
    }
}

#[test]
fn notify_one_is_fifo_and_not_stored() {
    let n = Notify::new();
    n.notify_one(); // nobody waiting: lost
    let mut a = Box::pin(n.notified());
    let mut b = Box::pin(n.notified());
    assert!(poll_once(&mut a).is_pending());
    n.notify_one();
    assert_eq!(poll_once(&mut a), Poll::Ready(()));
    assert!(poll_once(&mut b).is_pending());
}

#[test]
fn cancelled_notified_passes_the_signal_on() {
    let n = Notify::new();
    let a = n.notified();
    let mut b = Box::pin(n.notified());
    n.notify_one(); // picks `a`
    drop(a); // never observed it
    assert_eq!(poll_once(&mut b), Poll::Ready(()));
}

#[test]
fn singleflight_leader_cancelled_follower_takes_over() {
    let g = singleflight::Group::<u8, u8>::new();
    let mut leader = Box::pin(g.run(1, std::future::pending()));
    let mut follower = Box::pin(g.run(1, async { 5 }));
    assert!(poll_once(&mut leader).is_pending());
    assert!(poll_once(&mut follower).is_pending());
    drop(leader);
    assert_eq!(poll_once(&mut follower), Poll::Ready((5, false)));
}

#[test]
fn singleflight_forget_starts_a_new_call() {
    let g = singleflight::Group::<u8, u8>::new();
    let mut first = Box::pin(g.run(1, async {
        futures::pending!();
        1
    }));
    assert!(poll_once(&mut first).is_pending());
    g.forget(&1);
    let mut second = Box::pin(g.run(1, async { 2 }));
    assert_eq!(poll_once(&mut second), Poll::Ready((2, false)));
    assert_eq!(poll_once(&mut first), Poll::Ready((1, false)));
}

#[test]
fn once_counts_panic_as_done_but_once_cell_retries() {
    futures::executor::block_on(async {
        let once = Once::new();
        let r = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
            once.call_once(|| async { panic!("x") }),
        ))
        .await;
        assert!(r.is_err() && once.is_completed());
        let cell = OnceCell::new();
        let r = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
            cell.get_or_init(|| async { panic!("y") }),
        ))
        .await;
        assert!(r.is_err());
        assert_eq!(*cell.get_or_init(|| async { 3 }).await, 3);
    });
}
