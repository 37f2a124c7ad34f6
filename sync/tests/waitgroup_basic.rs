//! WaitGroup: Go's semantics, stamped over executors.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;

use common::poll_once;
use futures::task::SpawnExt;
use gmp_sync::WaitGroup;

stamp! {
    /// wait on a zero counter returns at once.
    async fn zero_counter_returns_at_once(_sp) {
        WaitGroup::new().wait().await;
    }
}

stamp! {
    /// The seed's program: add before spawning, done in the task, wait for all.
    async fn thousand_tasks(sp) {
        let wg = WaitGroup::new();
        let count = Arc::new(AtomicUsize::new(0));
        for _ in 0..1000 {
            wg.add(1);
            let (wg, count) = (wg.clone(), count.clone());
            sp.spawn(async move {
                count.fetch_add(1, Ordering::Relaxed);
                wg.done();
            })
            .unwrap();
        }
        wg.wait().await;
        assert_eq!(count.load(Ordering::Relaxed), 1000);
    }
}

stamp! {
    /// go_with counts the member in and out.
    async fn go_with_members(sp) {
        let wg = WaitGroup::new();
        let count = Arc::new(AtomicUsize::new(0));
        for _ in 0..500 {
            let count = count.clone();
            wg.go_with(sp, async move {
                count.fetch_add(1, Ordering::Relaxed);
            })
            .unwrap();
        }
        wg.wait().await;
        assert_eq!(count.load(Ordering::Relaxed), 500);
    }
}

stamp! {
    /// Reusable once wait returns, for several rounds; several waiters released together.
    async fn reuse_and_many_waiters(sp) {
        let wg = WaitGroup::new();
        for round in 0..20 {
            wg.add(10);
            let released = Arc::new(AtomicUsize::new(0));
            let waiters = WaitGroup::new();
            for _ in 0..3 {
                let (wg, released) = (wg.clone(), released.clone());
                waiters.go_with(sp, async move {
                    wg.wait().await;
                    released.fetch_add(1, Ordering::Relaxed);
                })
                .unwrap();
            }
            for _ in 0..10 {
                let wg = wg.clone();
                sp.spawn(async move { wg.done() }).unwrap();
            }
            wg.wait().await;
            waiters.wait().await;
            assert_eq!(released.load(Ordering::Relaxed), 3, "round {round}");
        }
    }
}

stamp! {
    /// Go's TestWaitGroup (src/sync/waitgroup_test.go, BSD licence), re-expressed: a group is
    /// not released before its counter reaches zero.
    async fn go_test_waitgroup(sp) {
        let (wg1, wg2) = (WaitGroup::new(), WaitGroup::new());
        let n = 16;
        wg1.add(n);
        wg2.add(n);
        let exited = Arc::new(AtomicUsize::new(0));
        for _ in 0..n {
            let (wg1, wg2, exited) = (wg1.clone(), wg2.clone(), exited.clone());
            sp.spawn(async move {
                wg1.done();
                wg2.wait().await;
                exited.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
        }
        wg1.wait().await;
        for _ in 0..n {
            assert_eq!(exited.load(Ordering::SeqCst), 0, "WaitGroup released group too soon");
            wg2.done();
        }
        let done = WaitGroup::new();
        done.add(1);
        let exited2 = exited.clone();
        let d2 = done.clone();
        sp.spawn(async move {
            while exited2.load(Ordering::SeqCst) != n as usize {
                gmp_executor::time::sleep(std::time::Duration::from_millis(1)).await;
            }
            d2.done();
        })
        .unwrap();
        done.wait().await;
    }
}

stamp! {
    /// A guard counts a member out on early return (`?`) too.
    async fn guard_counts_out_on_early_return(sp) {
        async fn member(g: gmp_sync::WaitGroupGuard, fail: bool) -> Result<(), &'static str> {
            let _g = g;
            if fail {
                Err("early")?;
            }
            Ok(())
        }
        let wg = WaitGroup::new();
        for i in 0..10 {
            let g = wg.guard();
            sp.spawn(async move { let _ = member(g, i % 2 == 0).await; }).unwrap();
        }
        wg.wait().await;
    }
}

#[test]
fn negative_counter_panics_with_gos_message() {
    // Go's TestWaitGroupMisuse: "sync: negative WaitGroup counter".
    let wg = WaitGroup::new();
    wg.add(1);
    wg.done();
    let err = std::panic::catch_unwind(|| wg.done()).unwrap_err();
    assert_eq!(
        err.downcast_ref::<&str>(),
        Some(&"sync: negative WaitGroup counter")
    );
    // The counter was left at zero: the group still works.
    wg.add(1);
    wg.done();
    futures::executor::block_on(wg.wait());
}

#[test]
fn guard_counts_out_on_panic() {
    let wg = WaitGroup::new();
    let g = wg.guard();
    let t = std::thread::spawn(move || {
        let _g = g;
        panic!("member panicked");
    });
    assert!(t.join().is_err());
    futures::executor::block_on(wg.wait());
}

#[test]
fn dropped_wait_is_cancel_safe_and_rearm_waits_for_next_zero() {
    let wg = WaitGroup::new();
    wg.add(1);
    let mut w = wg.wait();
    assert_eq!(poll_once(&mut w), Poll::Pending);
    drop(w);
    let mut w2 = wg.wait();
    assert_eq!(poll_once(&mut w2), Poll::Pending);
    wg.done();
    wg.add(1); // re-armed before w2 is polled again: w2 was released by the zero
    assert_eq!(poll_once(&mut w2), Poll::Ready(()));
    let mut w3 = wg.wait(); // registered after the re-arm: waits for the next zero
    assert_eq!(poll_once(&mut w3), Poll::Pending);
    wg.done();
    assert_eq!(poll_once(&mut w3), Poll::Ready(()));
}

/// Go 1.25's `wg.Go`: done even when the member panics.
#[test]

fn gmp_go_counts_out_on_return_and_panic() {
    let rt = gmp_executor::Builder::new().maxprocs(2).build().unwrap();
    rt.block_on(async {
        let wg = WaitGroup::new();
        let count = Arc::new(AtomicUsize::new(0));
        for i in 0..100 {
            let count = count.clone();
            wg.go(async move {
                count.fetch_add(1, Ordering::Relaxed);
                if i == 50 {
                    panic!("member 50 panics");
                }
            });
        }
        wg.wait().await;
        assert_eq!(count.load(Ordering::Relaxed), 100);
    });
}

#[test]
fn handles_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<WaitGroup>();
    assert_send_sync::<gmp_sync::WaitGroupGuard>();
    assert_send_sync::<gmp_sync::waitgroup::Wait<'static>>();
}
