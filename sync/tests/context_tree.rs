//! Context: cancellation tree, deadlines, values, after_func.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::task::SpawnExt;
use gmp_executor::time::Instant;
use gmp_sync::WaitGroup;
use gmp_sync::context::{self, Context, Error, Key};

stamp! {
    /// Cancelling the root releases tasks waiting on every descendant's done().
    async fn cancel_fans_out_to_waiting_tasks(sp) {
        let (root, cancel) = context::with_cancel(&Context::background());
        let (mid, _c) = context::with_cancel(&root);
        let wg = WaitGroup::new();
        let woke = Arc::new(AtomicUsize::new(0));
        for i in 0..200 {
            let ctx = if i % 2 == 0 { root.clone() } else { context::with_cancel(&mid).0 };
            let woke = woke.clone();
            wg.go_with(sp, async move {
                ctx.done().await;
                assert_eq!(ctx.err(), Some(Error::Canceled));
                woke.fetch_add(1, Ordering::Relaxed);
            })
            .unwrap();
        }
        cancel.cancel();
        wg.wait().await;
        assert_eq!(woke.load(Ordering::Relaxed), 200);
    }
}

stamp! {
    /// The seed's context-timeout worker: ticks until the deadline, then stops.
    async fn timeout_worker(sp) {
        let (ctx, _cancel) = context::with_timeout(&Context::background(), Duration::from_millis(30));
        let ticks = Arc::new(AtomicUsize::new(0));
        let wg = WaitGroup::new();
        let (c2, t2) = (ctx.clone(), ticks.clone());
        wg.go_with(sp, async move {
            loop {
                if c2.is_done() {
                    return;
                }
                gmp_executor::time::sleep(Duration::from_millis(5)).await;
                t2.fetch_add(1, Ordering::Relaxed);
            }
        })
        .unwrap();
        ctx.done().await;
        assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
        wg.wait().await;
        assert!(ticks.load(Ordering::Relaxed) >= 2);
    }
}

stamp! {
    /// A child is never cancelled upwards, and never outlives its parent's deadline.
    async fn child_does_not_cancel_parent_and_inherits_deadline(_sp) {
        let (parent, _pc) = context::with_timeout(&Context::background(), Duration::from_millis(20));
        let (child, cancel_child) = context::with_cancel(&parent);
        cancel_child.cancel();
        assert!(child.is_done() && !parent.is_done());
        let (late, _lc) = context::with_timeout(&parent, Duration::from_secs(3600));
        assert_eq!(late.deadline(), parent.deadline());
        late.done().await;
        assert_eq!(late.err(), Some(Error::DeadlineExceeded));
    }
}

#[test]
fn go_test_with_cancel_and_causes() {
    // After Go's TestWithCancel / TestCause (src/context/context_test.go, BSD licence).
    let (c1, cancel) = context::with_cancel(&Context::background());
    let o = context::with_value(&c1, &K1, 1);
    let (c2, _cancel2) = context::with_timeout(&o, Duration::from_secs(3600));
    for c in [&c1, &o, &c2] {
        assert_eq!(c.err(), None);
        assert!(c.cause().is_none());
    }
    cancel.cancel();
    for c in [&c1, &o, &c2] {
        assert_eq!(c.err(), Some(Error::Canceled));
        assert_eq!(c.cause().unwrap().to_string(), "context canceled");
    }
    // A parent's cause flows to its children; a child's own later cancel changes nothing.
    let (p, pcancel) = context::with_cancel_cause(&Context::background());
    let (ch, chcancel) = context::with_cancel_cause(&p);
    pcancel.cancel(std::io::Error::other("parent cause"));
    chcancel.cancel(std::io::Error::other("child cause"));
    assert_eq!(ch.cause().unwrap().to_string(), "parent cause");
    // Timeout with cause.
    let (t, _tc) = context::with_timeout_cause(
        &Context::background(),
        Duration::ZERO,
        std::io::Error::other("too slow"),
    );
    assert_eq!(t.err(), Some(Error::DeadlineExceeded));
    assert_eq!(t.cause().unwrap().to_string(), "too slow");
}

static K1: Key<i32> = Key::new("k1");
static K2: Key<i32> = Key::new("k2");
static NAME: Key<String> = Key::new("name");

#[test]
fn typed_values_shadow_and_survive_without_cancel() {
    let a = context::with_value(&Context::background(), &K1, 1);
    let b = context::with_value(&a, &K2, 2);
    let c = context::with_value(&b, &K1, 3);
    assert_eq!((c.value(&K1), c.value(&K2)), (Some(&3), Some(&2)));
    assert_eq!(b.value(&K1), Some(&1));
    assert_eq!(c.value(&NAME), None);
    let (cc, cancel) = context::with_cancel(&c);
    let detached = context::without_cancel(&cc);
    cancel.cancel();
    assert!(!detached.is_done() && detached.deadline().is_none());
    assert_eq!(detached.value(&K1), Some(&3));
}

#[test]
fn after_func_runs_once_after_cancel_and_stop_prevents_it() {
    let (ctx, cancel) = context::with_cancel(&Context::background());
    let (tx, rx) = std::sync::mpsc::channel();
    let tx2 = tx.clone();
    let _keep = context::after_func(&ctx, move || tx.send("ran").unwrap());
    let stopped = context::after_func(&ctx, move || tx2.send("must not run").unwrap());
    assert!(stopped.stop());
    assert!(!stopped.stop());
    drop(ctx); // the registration keeps the context alive, as in Go
    cancel.cancel();
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok("ran"));
    assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
}

#[test]
fn after_func_fires_on_deadline_with_nobody_polling() {
    let (ctx, _cancel) = context::with_timeout(&Context::background(), Duration::from_millis(10));
    let (tx, rx) = std::sync::mpsc::channel();
    let stop = context::after_func(&ctx, move || tx.send(()).unwrap());
    drop(ctx);
    rx.recv_timeout(Duration::from_secs(5))
        .expect("deadline did not fire");
    assert!(!stop.stop());
}

#[test]
fn deadline_in_the_past_is_exceeded_at_once() {
    let (ctx, _c) = context::with_deadline(&Context::background(), Instant::now());
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    futures::executor::block_on(ctx.done());
}

#[test]
fn a_million_contexts_wide_and_deep() {
    let n = if cfg!(debug_assertions) {
        200_000
    } else {
        1_000_000
    };
    // Wide: one parent, n children.
    let (root, cancel) = context::with_cancel(&Context::background());
    let kids: Vec<_> = (0..n).map(|_| context::with_cancel(&root)).collect();
    let t = Instant::now();
    cancel.cancel();
    assert!(kids.iter().all(|(c, _)| c.err() == Some(Error::Canceled)));
    eprintln!("wide cancel of {n}: {:?}", t.elapsed());
    drop(kids);
    // Deep: a chain of n, cancelled at the root and dropped from the leaf, without recursion.
    let (root, cancel) = context::with_cancel(&Context::background());
    let mut leaf = root.clone();
    let mut cancels = Vec::with_capacity(n);
    for _ in 0..n {
        let (c, f) = context::with_cancel(&leaf);
        cancels.push(f);
        leaf = c;
    }
    let t = Instant::now();
    cancel.cancel();
    eprintln!("deep cancel of {n}: {:?}", t.elapsed());
    assert_eq!(leaf.err(), Some(Error::Canceled));
    drop(cancels);
    drop(leaf);
}

#[test]
fn forgotten_cancel_leaks_nothing() {
    // Each forgotten child holds its scope only through its own handles: once they are
    // dropped, the parent keeps no reference (observable as the scope being freed).
    let (parent, _cancel) = context::with_cancel(&Context::background());
    let weak_probe = {
        let (child, cancel) = context::with_cancel(&parent);
        let probe = Arc::new(());
        let weak = Arc::downgrade(&probe);
        let _reg = context::after_func(&child, move || drop(probe));
        // after_func keeps the child alive until stopped; stop it, then forget everything.
        assert!(_reg.stop());
        drop((child, cancel));
        weak
    };
    assert!(weak_probe.upgrade().is_none());
}

#[test]
fn context_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Context>();
    assert_send_sync::<context::Done>();
    assert_send_sync::<context::CancelFunc>();
    assert_send_sync::<context::CancelCauseFunc>();
    assert_send_sync::<context::AfterFunc>();
    let _ = |sp: common::Sp<'_>| sp.spawn(async {});
}

#[test]
fn deadline_made_in_a_runtime_outlives_the_runtime() {
    // The deadline's timer is on a worker's wheel; the runtime's shutdown wakes every timer,
    // which must not cancel the context early: the timer moves to the fallback driver.
    let rt = gmp_executor::Runtime::new().unwrap();
    let start = Instant::now();
    let (ctx, cancel) = rt.block_on(async {
        gmp_executor::spawn(async {
            context::with_timeout(&Context::background(), Duration::from_millis(300))
        })
        .await
        .unwrap()
    });
    drop(rt);
    assert_eq!(ctx.err(), None, "cancelled by the runtime's shutdown");
    futures::executor::block_on(ctx.done());
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    assert!(start.elapsed() >= Duration::from_millis(300));
    drop(cancel);
}

#[test]
fn deadline_made_during_shutdown_goes_to_the_fallback_driver() {
    // Made by a task's destructor while its runtime shuts down: the wheel refuses new timers.
    let (tx, rx) = std::sync::mpsc::channel();
    struct OnDrop(std::sync::mpsc::Sender<(Context, context::CancelFunc)>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            let _ = self.0.send(context::with_timeout(
                &Context::background(),
                Duration::from_millis(500),
            ));
        }
    }
    let rt = gmp_executor::Runtime::new().unwrap();
    let guard = OnDrop(tx);
    rt.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await
    })
    .detach();
    drop(rt);
    let (ctx, _cancel) = rx.recv().unwrap();
    assert_eq!(ctx.err(), None, "cancelled by the runtime's shutdown");
    futures::executor::block_on(ctx.done());
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
}

#[test]
fn huge_and_zero_timeouts() {
    // Duration::MAX saturates (about 30 years) instead of overflowing.
    let (ctx, cancel) = context::with_timeout(&Context::background(), Duration::MAX);
    assert!(ctx.deadline().unwrap() > Instant::now() + Duration::from_secs(86_400 * 365));
    assert_eq!(ctx.err(), None);
    cancel.cancel();
    assert_eq!(ctx.err(), Some(Error::Canceled));
    let (ctx, _c) = context::with_timeout_cause(
        &Context::background(),
        Duration::MAX,
        std::io::Error::other("never"),
    );
    assert_eq!(ctx.err(), None);
    let (ctx, _c) = context::with_timeout(&Context::background(), Duration::ZERO);
    assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
}

#[test]
fn deadlines_racing_cancel_and_drop() {
    // Deadlines of 0-64 us fire on the workers while the block_on thread cancels or drops the
    // same contexts: every context ends done, with one of the two errors, and no timer entry
    // is left behind. (In a runtime of its own, so the wheel counted is private to this test.)
    let rt = gmp_executor::Builder::new().maxprocs(2).build().unwrap();
    rt.block_on(async {
        let base = gmp_executor::time::live_timers();
        for round in 0..20_000u32 {
            let timeout = Duration::from_micros(u64::from(round % 64));
            let (ctx, cancel) = context::with_timeout(&Context::background(), timeout);
            let (child, _c) = context::with_cancel(&ctx);
            match round % 3 {
                0 => cancel.cancel(),
                1 => std::thread::yield_now(),
                _ => {}
            }
            if round % 3 == 2 {
                drop((ctx, cancel));
                drop(child);
            } else {
                child.done().await;
                assert!(matches!(
                    ctx.err(),
                    Some(Error::Canceled | Error::DeadlineExceeded)
                ));
                assert_eq!(child.err(), ctx.err());
            }
        }
        assert_eq!(gmp_executor::time::live_timers(), base);
    });
}
