//! `Ticker` (Go's `NewTicker`) outside any runtime. Loose timing bounds only.

use std::time::{Duration, Instant};

use futures::StreamExt;
use gmp_executor::time::Ticker;

#[test]
fn ticks_are_a_period_apart() {
    futures::executor::block_on(async {
        let period = Duration::from_millis(5);
        let start = Instant::now();
        let mut t = Ticker::new(period);
        let mut last = start;
        for i in 1..=5u32 {
            let due = t.tick().await;
            assert!(due >= start + period * i, "tick {i} due too early");
            assert!(Instant::now() >= due);
            assert!(due > last);
            last = due;
        }
        assert!(start.elapsed() >= period * 5);
    });
}

/// Re-expressed from Go's TestTicker idea of dropped ticks: a receiver that falls behind gets
/// one late tick, then the schedule restarts (no burst of catch-up ticks).
#[test]
fn slow_receiver_gets_one_late_tick_then_no_burst() {
    futures::executor::block_on(async {
        let period = Duration::from_millis(10);
        let mut t = Ticker::new(period);
        t.tick().await;
        std::thread::sleep(period * 5);
        let late = Instant::now();
        t.tick().await;
        assert!(
            late.elapsed() < period,
            "the late tick is delivered at once"
        );
        let after_late = Instant::now();
        t.tick().await;
        // No burst: the next tick is roughly a period after the late one (it restarts from then).
        assert!(
            after_late.elapsed() >= period - Duration::from_millis(2),
            "burst tick after {:?}",
            after_late.elapsed()
        );
    });
}

#[test]
fn stop_and_reset() {
    futures::executor::block_on(async {
        let mut t = Ticker::new(Duration::from_millis(2));
        t.stop();
        let r = futures::future::select(
            t.tick(),
            gmp_executor::time::sleep(Duration::from_millis(20)),
        )
        .await;
        assert!(
            matches!(r, futures::future::Either::Right(_)),
            "stopped ticker ticked"
        );
        let start = Instant::now();
        t.reset(Duration::from_millis(5));
        assert_eq!(t.period(), Duration::from_millis(5));
        t.tick().await;
        assert!(start.elapsed() >= Duration::from_millis(5));
    });
}

#[test]
fn ticker_is_a_stream() {
    futures::executor::block_on(async {
        let start = Instant::now();
        let ticks: Vec<Instant> = Ticker::new(Duration::from_millis(3))
            .take(4)
            .collect()
            .await;
        assert_eq!(ticks.len(), 4);
        assert!(ticks.windows(2).all(|w| w[1] > w[0]));
        assert!(start.elapsed() >= Duration::from_millis(12));
    });
}

#[test]
#[should_panic(expected = "non-positive interval")]
fn zero_period_panics() {
    let _ = Ticker::new(Duration::ZERO);
}
