//! Public behaviour of `sleep`, `sleep_until` and `Sleep`, outside any runtime (served by the
//! fallback timer thread). Timing bounds are deliberately loose.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use gmp_executor::time::{Sleep, sleep, sleep_until};

#[test]
fn sleep_takes_at_least_its_duration() {
    let start = Instant::now();
    futures::executor::block_on(sleep(Duration::from_millis(10)));
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(10), "woke early: {took:?}");
    assert!(took < Duration::from_secs(2), "woke very late: {took:?}");
}

#[test]
fn past_deadline_completes_at_once() {
    let start = Instant::now();
    futures::executor::block_on(sleep_until(start - Duration::from_secs(3600)));
    futures::executor::block_on(sleep(Duration::ZERO));
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn many_sleeps_complete_in_deadline_order() {
    // Deadlines 2 ms apart, created in scrambled order. The driver wakes due timers in
    // deadline order and FuturesUnordered polls in wake order, so completion order is deadline
    // order even if the machine is slow.
    let order = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let n = 60u64;
    let mut all = FuturesUnordered::new();
    for i in 0..n {
        let k = (i * 37) % n;
        let order = order.clone();
        all.push(async move {
            sleep_until(start + Duration::from_millis(20 + 2 * k)).await;
            order.lock().unwrap().push(k);
        });
    }
    futures::executor::block_on(async { while all.next().await.is_some() {} });
    let order = order.lock().unwrap();
    assert_eq!(*order, (0..n).collect::<Vec<_>>());
    assert!(start.elapsed() >= Duration::from_millis(20 + 2 * (n - 1)));
}

#[test]
fn reset_later_then_earlier() {
    futures::executor::block_on(async {
        let start = Instant::now();
        let mut s = sleep(Duration::from_millis(5));
        s.reset(start + Duration::from_secs(3600));
        // Polled once so it is registered, then moved earlier.
        assert!(futures::poll!(&mut s).is_pending());
        s.reset(start + Duration::from_millis(15));
        (&mut s).await;
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(15) && took < Duration::from_secs(2),
            "{took:?}"
        );
        assert!(s.is_elapsed());
        // A completed sleep can be reset and awaited again.
        s.reset(Instant::now() + Duration::from_millis(5));
        assert!(!s.is_elapsed());
        (&mut s).await;
        assert!(s.is_elapsed());
    });
}

#[test]
fn dropping_pending_sleeps_leaves_others_working() {
    futures::executor::block_on(async {
        let mut dropped: Vec<Sleep> = (0..10_000)
            .map(|i| sleep(Duration::from_millis(500 + i % 50)))
            .collect();
        for s in &mut dropped {
            assert!(futures::poll!(s).is_pending());
        }
        drop(dropped);
        let start = Instant::now();
        sleep(Duration::from_millis(10)).await;
        assert!(start.elapsed() >= Duration::from_millis(10));
    });
}

#[test]
fn sleeps_from_many_threads() {
    let handles: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                let start = Instant::now();
                let d = Duration::from_millis(5 + i);
                futures::executor::block_on(sleep(d));
                assert!(start.elapsed() >= d);
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn far_future_sleep_is_pending_and_cheap_to_drop() {
    futures::executor::block_on(async {
        let mut s = sleep(Duration::from_secs(10 * 3600));
        assert!(futures::poll!(&mut s).is_pending());
        let mut max = sleep(Duration::MAX);
        assert!(futures::poll!(&mut max).is_pending());
        assert!(!max.is_elapsed());
    });
}
