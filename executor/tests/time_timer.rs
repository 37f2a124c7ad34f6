//! `Timer` (Go's `NewTimer`), `after` and `after_func`, outside any runtime. Several tests
//! re-express tests from Go's `src/time/sleep_test.go` (BSD-style license), with attribution.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use gmp_executor::time::{Timer, after, after_func, sleep};

#[test]
fn timer_fires_once_with_its_deadline() {
    futures::executor::block_on(async {
        let start = Instant::now();
        let mut t = Timer::new(Duration::from_millis(10));
        let due = (&mut t).await;
        assert!(due >= start + Duration::from_millis(10));
        assert!(Instant::now() >= due);
        // Like receiving twice from t.C: the second receive blocks.
        assert!(futures::poll!(&mut t).is_pending());
        assert!(!t.stop());
    });
}

#[test]
fn stop_and_reset_return_values() {
    futures::executor::block_on(async {
        let mut t = Timer::new(Duration::from_secs(3600));
        assert!(futures::poll!(&mut t).is_pending());
        assert!(t.reset(Duration::from_secs(7200)), "active timer");
        assert!(t.stop(), "active timer");
        assert!(!t.stop(), "already stopped");
        assert!(!t.reset(Duration::from_millis(5)), "stopped timer");
        (&mut t).await;
        assert!(!t.reset(Duration::from_millis(5)), "fired timer");
        (&mut t).await;
    });
}

/// Go 1.23: after Stop, no stale value is received even if the timer had expired.
#[test]
fn stop_after_expiry_but_before_receive_discards_the_value() {
    futures::executor::block_on(async {
        let mut t = Timer::new(Duration::from_millis(1));
        std::thread::sleep(Duration::from_millis(5));
        assert!(t.stop(), "the value was not yet received");
        let raced = futures::future::select(&mut t, sleep(Duration::from_millis(20))).await;
        assert!(
            matches!(raced, futures::future::Either::Right(_)),
            "stopped timer yielded"
        );
    });
}

/// Re-expressed from Go's TestTimerStopStress: many stopped timers never fire.
#[test]
fn stopped_timers_never_fire() {
    let fired = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..100)
        .map(|_| {
            let fired = fired.clone();
            after_func(Duration::from_millis(50), move || {
                fired.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    for h in &handles {
        assert!(h.stop());
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(fired.load(Ordering::SeqCst), 0);
}

/// Re-expressed from Go's TestAfterFunc: a function that re-arms itself ten times.
#[test]
fn after_func_chain() {
    let (tx, rx) = mpsc::channel();
    fn arm(left: usize, tx: mpsc::Sender<()>) {
        if left == 0 {
            tx.send(()).unwrap();
            return;
        }
        let _ = after_func(Duration::ZERO, move || arm(left - 1, tx));
    }
    arm(10, tx);
    rx.recv_timeout(Duration::from_secs(5))
        .expect("chain finished");
}

#[test]
fn after_func_runs_once_after_its_duration() {
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    let h = after_func(Duration::from_millis(10), move || {
        tx.send(Instant::now()).unwrap()
    });
    let ran_at = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(ran_at >= start + Duration::from_millis(10));
    assert!(
        rx.recv_timeout(Duration::from_millis(30)).is_err(),
        "ran twice"
    );
    assert!(!h.stop());
}

/// Re-expressed from Go's TestAfterStress/TestAfterQueuing: many `After`s complete, in order.
#[test]
fn after_queuing_in_order() {
    futures::executor::block_on(async {
        let order = std::sync::Mutex::new(Vec::new());
        let delays = [0u64, 20, 10, 30, 5, 25, 15];
        let mut all = FuturesUnordered::new();
        for &ms in &delays {
            let order = &order;
            all.push(async move {
                after(Duration::from_millis(ms)).await;
                order.lock().unwrap().push(ms);
            });
        }
        while all.next().await.is_some() {}
        let mut sorted = delays.to_vec();
        sorted.sort_unstable();
        assert_eq!(*order.lock().unwrap(), sorted);
    });
}

#[test]
fn timers_registered_and_cancelled_from_many_threads() {
    // 100k timers over 4 threads: two of three are cancelled (dropped, half of those from
    // another thread), the rest must each wake exactly once and then complete.
    const THREADS: usize = 4;
    const PER_THREAD: usize = 25_000;
    struct Count(AtomicUsize);
    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let count = Arc::new(Count(AtomicUsize::new(0)));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let waker = std::task::Waker::from(count.clone());
            std::thread::spawn(move || {
                let mut cx = std::task::Context::from_waker(&waker);
                let (mut kept, mut cancel_elsewhere) = (Vec::new(), Vec::new());
                for i in 0..PER_THREAD {
                    let mut s = sleep(Duration::from_millis(1000 + (i % 50) as u64));
                    assert!(std::pin::Pin::new(&mut s).poll(&mut cx).is_pending());
                    match i % 3 {
                        0 => kept.push(s),
                        1 => cancel_elsewhere.push(s),
                        _ => drop(s),
                    }
                }
                (kept, cancel_elsewhere)
            })
        })
        .collect();
    let start = Instant::now();
    let mut kept = Vec::new();
    for h in handles {
        let (k, elsewhere) = h.join().unwrap();
        kept.extend(k);
        drop(elsewhere);
    }
    // The exact count below needs the cancellations to beat the earliest deadline (1 s).
    assert!(
        count.0.load(Ordering::SeqCst) == 0,
        "machine too slow: timers fired during setup ({:?})",
        start.elapsed()
    );
    assert_eq!(kept.len(), THREADS * PER_THREAD.div_ceil(3));
    let deadline = Instant::now() + Duration::from_secs(30);
    while count.0.load(Ordering::SeqCst) < kept.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        count.0.load(Ordering::SeqCst),
        kept.len(),
        "each kept timer wakes exactly once"
    );
    let waker = futures::task::noop_waker();
    let mut cx = std::task::Context::from_waker(&waker);
    for s in &mut kept {
        assert!(std::pin::Pin::new(s).poll(&mut cx).is_ready());
    }
}
