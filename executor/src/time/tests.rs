//! Unit tests of the driver through the timer futures, with a private driver per test and a
//! synthetic clock (`process(now)` with a chosen `now`), so nothing here sleeps.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use super::binding::{EnterGuard, enter};
use super::*;

#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting() -> (Arc<CountingWaker>, Waker) {
    let c = Arc::new(CountingWaker::default());
    (c.clone(), Waker::from(c))
}

/// A driver whose unpark counts calls, bound to the current thread (wheel 0).
fn bound_driver(wheels: usize) -> (Arc<TimeDriver>, Arc<AtomicUsize>, EnterGuard) {
    let unparks = Arc::new(AtomicUsize::new(0));
    let u = unparks.clone();
    let driver = Arc::new(TimeDriver::new(
        wheels,
        Arc::new(move || {
            u.fetch_add(1, Ordering::SeqCst);
        }),
    ));
    let guard = enter(&driver, 0);
    (driver, unparks, guard)
}

/// A synthetic clock reading just past `base + d` (deadlines round up to a ~1 us tick).
fn past(base: Instant, d: Duration) -> Instant {
    base + d + Duration::from_micros(2)
}

fn poll<F: Future + Unpin>(f: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(waker))
}

#[test]
fn futures_are_small_send_sync_unpin() {
    fn assert_traits<T: Send + Sync + Unpin>() {}
    assert_traits::<Sleep>();
    assert_traits::<Timer>();
    assert_traits::<Ticker>();
    assert_traits::<AfterFuncHandle>();
    assert_traits::<Timeout<Sleep>>();
    // A task sleeping in `async { sleep(d).await; wg.done() }` holds one `Sleep`: at 16 bytes
    // its future is 32 and its task cell a 144-byte malloc chunk instead of 160.
    assert_eq!(std::mem::size_of::<Sleep>(), 16);
    assert!(std::mem::size_of::<Timer>() <= 24);
    // The sleep_million task body: the future is the task cell's payload.
    let wg = Arc::new(AtomicUsize::new(1));
    let task = async move {
        sleep(Duration::from_secs(1)).await;
        wg.fetch_sub(1, Ordering::Relaxed);
    };
    assert_eq!(std::mem::size_of_val(&task), 32);
}

#[test]
fn sleep_registers_lazily_and_drop_frees_the_entry() {
    let (driver, _unparks, _guard) = bound_driver(1);
    let (_c, waker) = counting();
    let mut s = sleep(Duration::from_secs(60));
    assert!(!s.is_registered());
    assert_eq!(driver.live_timers(), 0);
    assert!(poll(&mut s, &waker).is_pending());
    assert!(s.is_registered());
    assert_eq!(driver.live_timers(), 1);
    assert!(driver.next_deadline().is_some());
    drop(s);
    assert_eq!(driver.live_timers(), 0);
}

/// A registered `Sleep` keeps its deadline only in its wheel entry: the accessors, `reset` and
/// a deregistration still give back the exact instant, including one before the clock base.
#[test]
fn deadline_is_exact_idle_registered_and_after_completion() {
    let (driver, _unparks, _guard) = bound_driver(1);
    let (_c, waker) = counting();
    let d = Instant::now() + Duration::from_nanos(60_000_000_007);
    let mut s = sleep_until(d);
    assert_eq!(s.deadline(), d);
    assert!(poll(&mut s, &waker).is_pending());
    assert!(s.is_registered());
    assert_eq!(s.deadline(), d, "registered");
    assert!(!s.is_elapsed());
    let d2 = d + Duration::from_nanos(3);
    s.reset(d2);
    assert!(s.is_registered());
    assert_eq!(s.deadline(), d2, "reset while registered");
    assert!(s.deregister());
    assert!(!s.is_registered());
    assert_eq!(s.deadline(), d2, "after deregistering");
    assert_eq!(driver.live_timers(), 0);
    // An instant before the clock base (the first gmp clock read of the process) round-trips.
    let early = crate::clock::base() - Duration::from_nanos(5);
    let mut e = sleep_until(early);
    assert_eq!(e.deadline(), early);
    assert!(e.is_elapsed());
    assert!(poll(&mut e, &waker).is_ready());
    assert_eq!(e.deadline(), early);
    // Completed by the wheel: the deadline comes back from the freed entry.
    let soon = Instant::now() + Duration::from_millis(1);
    let mut f = sleep_until(soon);
    assert!(poll(&mut f, &waker).is_pending());
    driver.process(soon + Duration::from_micros(2));
    std::thread::sleep(Duration::from_millis(2));
    assert!(poll(&mut f, &waker).is_ready());
    assert!(!f.is_registered());
    assert_eq!(f.deadline(), soon);
    assert_eq!(driver.live_timers(), 0);
}

#[test]
fn many_timers_fire_in_deadline_order() {
    let (driver, _unparks, _guard) = bound_driver(1);
    let base = Instant::now();
    // Deadlines out of order, spread over several wheel levels.
    let offsets_us: Vec<u64> = (0..500u64)
        .map(|i| (i * 7919) % 3_000_000 + 1_000_000)
        .collect();
    let mut sleeps: Vec<(u64, Sleep, Arc<CountingWaker>, Waker)> = offsets_us
        .iter()
        .map(|&us| {
            let (c, w) = counting();
            (us, sleep_until(base + Duration::from_micros(us)), c, w)
        })
        .collect();
    for (_, s, _, w) in &mut sleeps {
        assert!(poll(s, w).is_pending());
    }
    assert_eq!(driver.live_timers(), 500);
    let mut sorted = offsets_us.clone();
    sorted.sort_unstable();
    // Step the synthetic clock through every deadline: exactly the due ones are woken.
    for (n, &us) in sorted.iter().enumerate() {
        driver.process(past(base, Duration::from_micros(us)));
        let woken = sleeps
            .iter()
            .filter(|(_, _, c, _)| c.0.load(Ordering::SeqCst) > 0)
            .count();
        assert_eq!(
            woken,
            sorted.iter().take_while(|&&d| d <= us).count(),
            "after deadline #{n}"
        );
        for (d, _, c, _) in &sleeps {
            assert_eq!(c.0.load(Ordering::SeqCst) > 0, *d <= us);
        }
    }
    assert_eq!(driver.next_deadline(), None);
    // Polling after the (real) deadline completes and frees every entry.
    std::thread::sleep(Duration::from_millis(1));
    for (_, s, _, w) in &mut sleeps {
        s.reset(base);
        assert!(poll(s, w).is_ready());
    }
    assert_eq!(driver.live_timers(), 0);
}

#[test]
fn unpark_only_when_the_wheel_minimum_drops() {
    let (driver, unparks, _guard) = bound_driver(1);
    let (_c, waker) = counting();
    let base = Instant::now();
    let mut late = sleep_until(base + Duration::from_secs(10));
    assert!(poll(&mut late, &waker).is_pending());
    assert_eq!(unparks.load(Ordering::SeqCst), 1);
    let mut later = sleep_until(base + Duration::from_secs(20));
    assert!(poll(&mut later, &waker).is_pending());
    assert_eq!(
        unparks.load(Ordering::SeqCst),
        1,
        "a later timer must not unpark"
    );
    let mut earlier = sleep_until(base + Duration::from_secs(5));
    assert!(poll(&mut earlier, &waker).is_pending());
    assert_eq!(unparks.load(Ordering::SeqCst), 2);
    let next = driver.next_deadline().unwrap();
    assert!(next <= past(base, Duration::from_secs(5)) && next > base + Duration::from_secs(4));
    // Resetting earlier than the minimum unparks too; later does not.
    later.reset(base + Duration::from_secs(1));
    assert_eq!(unparks.load(Ordering::SeqCst), 3);
    earlier.reset(base + Duration::from_secs(30));
    assert_eq!(unparks.load(Ordering::SeqCst), 3);
}

#[test]
fn reset_earlier_and_later_moves_the_entry() {
    let (driver, _unparks, _guard) = bound_driver(1);
    let base = Instant::now();
    let (ca, wa) = counting();
    let (cb, wb) = counting();
    let mut a = sleep_until(base + Duration::from_secs(100));
    let mut b = sleep_until(base + Duration::from_secs(1));
    assert!(poll(&mut a, &wa).is_pending());
    assert!(poll(&mut b, &wb).is_pending());
    a.reset(base + Duration::from_millis(500));
    b.reset(base + Duration::from_secs(200));
    assert_eq!(driver.process(past(base, Duration::from_millis(500))), 1);
    assert_eq!(
        (ca.0.load(Ordering::SeqCst), cb.0.load(Ordering::SeqCst)),
        (1, 0)
    );
    assert_eq!(driver.process(base + Duration::from_secs(199)), 0);
    assert_eq!(driver.process(past(base, Duration::from_secs(200))), 1);
    assert_eq!(cb.0.load(Ordering::SeqCst), 1);
    assert_eq!(driver.live_timers(), 2);
    drop((a, b));
    assert_eq!(driver.live_timers(), 0);
}

#[test]
fn reset_into_the_past_wakes_at_once() {
    let (driver, _unparks, _guard) = bound_driver(1);
    let (cc, wc) = counting();
    let mut c = sleep(Duration::from_secs(60));
    assert!(poll(&mut c, &wc).is_pending());
    c.reset(Instant::now() - Duration::from_millis(1));
    assert_eq!(cc.0.load(Ordering::SeqCst), 1);
    assert!(poll(&mut c, &wc).is_ready());
    assert_eq!(driver.live_timers(), 0);
}

#[test]
fn past_and_far_future_deadlines() {
    let (driver, _unparks, _guard) = bound_driver(1);
    let (c, waker) = counting();
    let mut past = sleep_until(Instant::now() - Duration::from_secs(3600));
    assert!(poll(&mut past, &waker).is_ready());
    assert_eq!(driver.live_timers(), 0, "a due sleep never registers");
    let base = Instant::now();
    let mut hours = sleep_until(base + Duration::from_secs(30 * 3600));
    let mut forever = sleep(Duration::MAX);
    assert!(poll(&mut hours, &waker).is_pending());
    assert!(poll(&mut forever, &waker).is_pending());
    assert_eq!(driver.process(base + Duration::from_secs(29 * 3600)), 0);
    assert_eq!(driver.process(base + Duration::from_secs(30 * 3600 + 1)), 1);
    assert_eq!(c.0.load(Ordering::SeqCst), 1);
    // The ~30-year sleep waits in the overflow list, re-filed every ~19.5 hours.
    assert_eq!(driver.process(base + Duration::from_secs(365 * 86400)), 0);
    assert!(driver.next_deadline().is_some());
    assert_eq!(driver.live_timers(), 2);
}

#[test]
fn shutdown_wakes_everything_and_later_sleeps_complete() {
    let (driver, _unparks, _guard) = bound_driver(2);
    let (c, waker) = counting();
    let mut sleeps: Vec<Sleep> = (0..100)
        .map(|i| sleep(Duration::from_secs(10 + i)))
        .collect();
    for s in &mut sleeps {
        assert!(poll(s, &waker).is_pending());
    }
    driver.shutdown();
    assert_eq!(c.0.load(Ordering::SeqCst), 100);
    assert_eq!(driver.next_deadline(), None);
    for s in &mut sleeps {
        assert!(
            poll(s, &waker).is_ready(),
            "woken by shutdown, the sleep completes"
        );
    }
    assert_eq!(driver.live_timers(), 0);
    let mut late = sleep(Duration::from_secs(10));
    assert!(poll(&mut late, &waker).is_ready());
}

#[test]
fn waker_is_updated_on_repoll() {
    let (driver, _unparks, _guard) = bound_driver(1);
    let base = Instant::now();
    let (c1, w1) = counting();
    let (c2, w2) = counting();
    let mut s = sleep_until(base + Duration::from_secs(5));
    assert!(poll(&mut s, &w1).is_pending());
    assert!(poll(&mut s, &w2).is_pending());
    driver.process(base + Duration::from_secs(6));
    assert_eq!(
        (c1.0.load(Ordering::SeqCst), c2.0.load(Ordering::SeqCst)),
        (0, 1)
    );
}

#[test]
fn timer_stop_and_reset_follow_go() {
    let (driver, _unparks, _guard) = bound_driver(1);
    let (c, waker) = counting();
    let mut t = Timer::new(Duration::from_secs(60));
    assert!(poll(&mut t, &waker).is_pending());
    assert!(t.stop(), "stopping an active timer");
    assert!(!t.stop(), "stopping twice");
    assert_eq!(driver.live_timers(), 0);
    assert!(
        poll(&mut t, &waker).is_pending(),
        "a stopped timer never yields"
    );
    assert!(
        !t.reset(Duration::from_secs(60)),
        "reset of a stopped timer"
    );
    assert!(t.reset(Duration::ZERO), "reset of an active timer");
    assert!(poll(&mut t, &waker).is_ready());
    assert!(
        poll(&mut t, &waker).is_pending(),
        "a delivered timer yields once"
    );
    assert!(!t.stop());
    // Deadline passed but not yet received: Stop still reports it stopped the value (Go 1.23).
    let mut t2 = Timer::at(Instant::now());
    assert!(t2.stop());
    assert!(poll(&mut t2, &waker).is_pending());
    assert_eq!(c.0.load(Ordering::SeqCst), 0);
}

#[test]
fn ticker_does_not_burst() {
    let (driver, _unparks, _guard) = bound_driver(1);
    let (_c, waker) = counting();
    let period = Duration::from_millis(2);
    let start = Instant::now();
    let mut ticker = Ticker::new(period);
    let mut cx = Context::from_waker(&waker);
    assert!(ticker.poll_tick(&mut cx).is_pending());
    // Fall five periods behind.
    std::thread::sleep(period * 5);
    let first = match ticker.poll_tick(&mut cx) {
        Poll::Ready(due) => due,
        Poll::Pending => panic!("a late tick is delivered at once"),
    };
    assert!(first >= start + period && first < start + period * 2);
    let resumed = Instant::now();
    assert!(
        ticker.poll_tick(&mut cx).is_pending(),
        "missed ticks are dropped, not delivered in a burst"
    );
    driver.process(resumed + period + Duration::from_micros(10));
    // The schedule restarted from the late tick: the next one is due a period after it.
    std::thread::sleep(period + Duration::from_millis(1));
    let second = match ticker.poll_tick(&mut cx) {
        Poll::Ready(due) => due,
        Poll::Pending => panic!("next tick is due"),
    };
    assert!(second >= resumed && second <= resumed + period + Duration::from_millis(1));
    ticker.stop();
    assert_eq!(driver.live_timers(), 0);
}

#[test]
fn many_threads_register_and_cancel_exactly() {
    const THREADS: usize = 4;
    const PER_THREAD: usize = 25_000;
    let driver = Arc::new(TimeDriver::new(THREADS, Arc::new(|| {})));
    let fired = Arc::new(AtomicUsize::new(0));
    let base = Instant::now();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let driver = driver.clone();
            std::thread::spawn(move || {
                let _guard = enter(&driver, t);
                let counter = Arc::new(CountingWaker::default());
                let waker = Waker::from(counter.clone());
                let mut kept = Vec::new();
                for i in 0..PER_THREAD {
                    let mut s = sleep_until(base + Duration::from_secs(1000 + (i % 97) as u64));
                    assert!(poll(&mut s, &waker).is_pending());
                    // Cancel two of every three, some from another wheel's owner below.
                    if i % 3 == 0 {
                        kept.push(s);
                    }
                }
                drop(_guard);
                (kept, counter)
            })
        })
        .collect();
    let mut all: Vec<(Vec<Sleep>, Arc<CountingWaker>)> =
        handles.into_iter().map(|h| h.join().unwrap()).collect();
    let kept_per_thread = PER_THREAD.div_ceil(3);
    assert_eq!(driver.live_timers(), THREADS * kept_per_thread);
    // Drop half of what is left from other threads (cross-wheel cancellation).
    let cancellers: Vec<_> = all
        .iter_mut()
        .map(|(kept, _)| {
            let half: Vec<Sleep> = kept.drain(..kept.len() / 2).collect();
            std::thread::spawn(move || drop(half))
        })
        .collect();
    for c in cancellers {
        c.join().unwrap();
    }
    let remaining: usize = all.iter().map(|(k, _)| k.len()).sum();
    assert_eq!(driver.live_timers(), remaining);
    let n = driver.process(base + Duration::from_secs(2000));
    assert_eq!(n, remaining);
    for (_, counter) in &all {
        fired.fetch_add(counter.0.load(Ordering::SeqCst), Ordering::SeqCst);
    }
    assert_eq!(fired.load(Ordering::SeqCst), remaining);
    drop(all);
    assert_eq!(driver.live_timers(), 0);
}

#[test]
fn after_func_outside_runtime_runs_once_and_stop_prevents_it() {
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let h = after_func(Duration::from_millis(1), move || {
        r.fetch_add(1, Ordering::SeqCst);
        tx.send(std::thread::current().name().map(str::to_owned))
            .unwrap();
    });
    let name = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(name.as_deref(), Some("gmp-after-func"));
    assert!(!h.stop(), "already ran");
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(ran.load(Ordering::SeqCst), 1);

    let r = ran.clone();
    let h = after_func(Duration::from_millis(20), move || {
        r.fetch_add(1, Ordering::SeqCst);
    });
    assert!(h.stop());
    assert!(!h.stop());
    std::thread::sleep(Duration::from_millis(40));
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

#[test]
fn after_func_is_dropped_unrun_at_shutdown() {
    // Bound to a driver, but the runtime handle is not reachable here: use the wheel directly.
    let driver = Arc::new(TimeDriver::new(1, Arc::new(|| {})));
    let wheel = driver.wheel(0).clone();
    struct Flag(Arc<AtomicUsize>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicUsize::new(0));
    let ran = Arc::new(AtomicUsize::new(0));
    let (flag, r) = (Flag(dropped.clone()), ran.clone());
    let h = timer::after_func_on(
        wheel,
        None,
        Instant::now() + Duration::from_secs(60),
        move || {
            let _flag = flag;
            r.fetch_add(1, Ordering::SeqCst);
        },
    );
    driver.shutdown();
    assert_eq!(
        (ran.load(Ordering::SeqCst), dropped.load(Ordering::SeqCst)),
        (0, 1)
    );
    assert!(!h.stop());
    assert_eq!(driver.live_timers(), 0);
}

#[test]
fn timeout_is_noticed_when_the_inner_future_spends_the_budget() {
    let (_c, waker) = counting();
    let mut cx = Context::from_waker(&waker);
    let greedy = std::future::poll_fn(|cx| {
        while crate::coop::poll_proceed(cx).is_ready() {}
        Poll::<()>::Pending
    });
    let mut t = std::pin::pin!(timeout_at(
        Instant::now() - Duration::from_millis(1),
        greedy
    ));
    let (out, exhausted) = crate::coop::with_budget(|| t.as_mut().poll(&mut cx));
    assert!(exhausted);
    assert!(matches!(out, Poll::Ready(Err(_))));
    // With the budget already spent, timer futures yield before doing anything.
    let ((), _) = crate::coop::with_budget(|| {
        while crate::coop::poll_proceed(&mut cx).is_ready() {}
        assert!(poll(&mut sleep(Duration::ZERO), &waker).is_pending());
    });
}
