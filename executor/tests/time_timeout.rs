//! `timeout` and `timeout_at` outside any runtime.

use std::time::{Duration, Instant};

use gmp_executor::time::{Elapsed, sleep, timeout, timeout_at};

#[test]
fn ok_when_the_future_wins() {
    futures::executor::block_on(async {
        assert_eq!(timeout(Duration::from_secs(10), async { 7 }).await, Ok(7));
        let r = timeout(Duration::from_secs(10), async {
            sleep(Duration::from_millis(5)).await;
            8
        })
        .await;
        assert_eq!(r, Ok(8));
    });
}

#[test]
fn err_when_the_deadline_passes() {
    futures::executor::block_on(async {
        let start = Instant::now();
        let r: Result<(), Elapsed> =
            timeout(Duration::from_millis(10), std::future::pending()).await;
        assert!(r.is_err());
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(10) && took < Duration::from_secs(2),
            "{took:?}"
        );
        assert_eq!(r.unwrap_err().to_string(), "deadline has elapsed");
    });
}

#[test]
fn ready_future_wins_even_after_the_deadline() {
    futures::executor::block_on(async {
        let r = timeout_at(Instant::now() - Duration::from_secs(1), async { 1 }).await;
        assert_eq!(r, Ok(1));
    });
}

#[test]
fn busy_future_still_times_out() {
    // A future that is never ready but always wakes itself: the timeout still fires.
    futures::executor::block_on(async {
        let busy = std::future::poll_fn(|cx| {
            cx.waker().wake_by_ref();
            std::task::Poll::<()>::Pending
        });
        assert!(timeout(Duration::from_millis(5), busy).await.is_err());
    });
}
