//! Mutex, RwLock and Semaphore: exclusion, fairness (Go's barging and starvation mode for the
//! Mutex, FIFO for the others), cancel safety.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;

use common::poll_once;
use gmp_sync::{Mutex, RwLock, Semaphore, WaitGroup};

stamp! {
    /// 50 tasks × 200 increments under the lock: no lost update.
    async fn mutex_counter(sp) {
        let m = Arc::new(Mutex::new(0u64));
        let wg = WaitGroup::new();
        for _ in 0..50 {
            let m = m.clone();
            wg.go_with(sp, async move {
                for _ in 0..200 {
                    let mut g = m.lock().await;
                    let v = *g;
                    futures::future::ready(()).await;
                    *g = v + 1;
                }
            })
            .unwrap();
        }
        wg.wait().await;
        assert_eq!(*m.lock().await, 10_000);
    }
}

stamp! {
    /// Readers share, writers exclude; the total is consistent.
    async fn rwlock_readers_and_writers(sp) {
        let l = Arc::new(RwLock::new((0u64, 0u64)));
        let wg = WaitGroup::new();
        for i in 0..20 {
            let l = l.clone();
            wg.go_with(sp, async move {
                for _ in 0..100 {
                    if i % 4 == 0 {
                        let mut g = l.write().await;
                        g.0 += 1;
                        g.1 += 1;
                    } else {
                        let g = l.read().await;
                        assert_eq!(g.0, g.1, "a reader saw a half-done write");
                    }
                }
            })
            .unwrap();
        }
        wg.wait().await;
        assert_eq!(*l.read().await, (500, 500));
    }
}

stamp! {
    /// Weighted semaphore as a concurrency limit: never more than 3 units in use.
    async fn semaphore_limits_concurrency(sp) {
        let sem = Arc::new(Semaphore::new(3));
        let in_use = Arc::new(AtomicUsize::new(0));
        let wg = WaitGroup::new();
        for i in 0..60 {
            let (sem, in_use) = (sem.clone(), in_use.clone());
            wg.go_with(sp, async move {
                let n = 1 + i % 3;
                let _p = sem.acquire(n).await;
                let now = in_use.fetch_add(n, Ordering::SeqCst) + n;
                assert!(now <= 3, "{now} units in use");
                gmp_executor::time::sleep(std::time::Duration::from_micros(200)).await;
                in_use.fetch_sub(n, Ordering::SeqCst);
            })
            .unwrap();
        }
        wg.wait().await;
        assert_eq!(sem.available_permits(), 3);
    }
}

#[test]
fn mutex_is_fifo() {
    let m = Mutex::new(Vec::new());
    let g = m.try_lock().unwrap();
    let mut waiters: Vec<_> = (0..5).map(|_| Box::pin(m.lock())).collect();
    for w in &mut waiters {
        assert!(poll_once(w).is_pending());
    }
    drop(g);
    assert!(
        m.try_lock().is_none(),
        "a newcomer must not barge past queued waiters"
    );
    for (i, w) in waiters.iter_mut().enumerate() {
        let Poll::Ready(mut g) = poll_once(w) else {
            panic!("waiter {i} was not handed the lock")
        };
        g.push(i);
    }
    drop(waiters);
    assert_eq!(m.into_inner(), [0, 1, 2, 3, 4]);
}

#[test]
fn dropped_lock_future_passes_the_lock_on() {
    let m = Mutex::new(());
    let g = m.try_lock().unwrap();
    let mut a = Box::pin(m.lock());
    let mut b = Box::pin(m.lock());
    assert!(poll_once(&mut a).is_pending());
    assert!(poll_once(&mut b).is_pending());
    drop(g); // handed to `a`...
    drop(a); // ...which is cancelled: must go to `b`
    assert!(poll_once(&mut b).is_ready());
}

stamp! {
    /// 8 tasks, each lock attempt racing a one-yield future: lock futures are dropped while
    /// queued, woken or already handed the lock. No lost update, no stranded waiter.
    async fn mutex_contended_with_cancels(sp) {
        let m = Arc::new(Mutex::new(0u64));
        let got = Arc::new(AtomicUsize::new(0));
        let wg = WaitGroup::new();
        for t in 0..8 {
            let (m, got) = (m.clone(), got.clone());
            wg.go_with(sp, async move {
                for i in 0..300 {
                    if (i + t) % 3 == 0 {
                        let lock = Box::pin(m.lock());
                        let yield_once = Box::pin(yield_now());
                        match futures::future::select(lock, yield_once).await {
                            futures::future::Either::Left((mut g, _)) => {
                                *g += 1;
                                got.fetch_add(1, Ordering::Relaxed);
                            }
                            futures::future::Either::Right(((), lock)) => drop(lock),
                        }
                    } else {
                        let mut g = m.lock().await;
                        let v = *g;
                        yield_now().await;
                        *g = v + 1;
                        got.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
            .unwrap();
        }
        wg.wait().await;
        assert_eq!(*m.lock().await, got.load(Ordering::Relaxed) as u64);
        assert!(m.try_lock().is_some());
    }
}

/// Returns `Pending` once (waking itself), then `Ready`.
async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

#[test]
fn mutex_newcomer_barges_past_a_woken_waiter() {
    // Go's normal mode: an unlock wakes the first waiter, but a running newcomer takes the
    // lock first; the woken waiter keeps its place at the front.
    let m = Mutex::new(Vec::new());
    let g = m.try_lock().unwrap();
    let mut a = Box::pin(m.lock());
    let mut b = Box::pin(m.lock());
    assert!(poll_once(&mut a).is_pending());
    assert!(poll_once(&mut b).is_pending());
    drop(g); // wakes `a`
    let mut newcomer = Box::pin(m.lock());
    let Poll::Ready(mut g) = poll_once(&mut newcomer) else {
        panic!("the newcomer should barge")
    };
    g.push("newcomer");
    assert!(poll_once(&mut a).is_pending(), "`a` lost the race");
    drop(g); // wakes `a` again: it is still first
    assert!(poll_once(&mut b).is_pending());
    let Poll::Ready(mut g) = poll_once(&mut a) else {
        panic!("`a` should be woken before `b`")
    };
    g.push("a");
    drop(g);
    let Poll::Ready(mut g) = poll_once(&mut b) else {
        panic!("`b` not woken")
    };
    g.push("b");
    drop(g);
    drop((a, b, newcomer));
    assert_eq!(m.into_inner(), ["newcomer", "a", "b"]);
}

#[test]
fn mutex_starvation_mode_hands_off_fifo() {
    // Go's starvation mode: a woken waiter that waited over 1 ms and still loses makes every
    // unlock a FIFO hand-off, so newcomers no longer barge.
    let m = Mutex::new(Vec::new());
    let g = m.try_lock().unwrap();
    let mut a = Box::pin(m.lock());
    assert!(poll_once(&mut a).is_pending());
    std::thread::sleep(gmp_sync::mutex::STARVATION_THRESHOLD * 2);
    drop(g); // wakes `a`
    let mut barger = Box::pin(m.lock());
    let Poll::Ready(g) = poll_once(&mut barger) else {
        panic!("normal mode: the newcomer barges")
    };
    assert!(poll_once(&mut a).is_pending()); // loses after > 1 ms: starvation mode
    let mut b = Box::pin(m.lock());
    assert!(poll_once(&mut b).is_pending());
    drop(g); // handed to `a`, not released
    let mut late = Box::pin(m.lock());
    assert!(
        poll_once(&mut late).is_pending(),
        "starvation mode: no barging"
    );
    assert!(m.try_lock().is_none());
    for (name, fut) in [("a", &mut a), ("b", &mut b), ("late", &mut late)] {
        let Poll::Ready(mut g) = poll_once(fut) else {
            panic!("`{name}` was not handed the lock")
        };
        g.push(name);
    }
    drop((a, b, late, barger));
    assert!(
        m.try_lock().is_some(),
        "back to normal mode once the queue is empty"
    );
    assert_eq!(m.into_inner(), ["a", "b", "late"]);
}

#[test]
fn dropped_granted_lock_future_hands_the_lock_on() {
    // Starvation mode hands the lock to `a` while it is not being polled; dropping `a` must
    // hand it to `b`.
    let m = Mutex::new(());
    let g = m.try_lock().unwrap();
    let mut a = Box::pin(m.lock());
    assert!(poll_once(&mut a).is_pending());
    std::thread::sleep(gmp_sync::mutex::STARVATION_THRESHOLD * 2);
    drop(g);
    let g = futures::executor::block_on(m.lock()); // barges past the woken `a`
    assert!(poll_once(&mut a).is_pending());
    let mut b = Box::pin(m.lock());
    assert!(poll_once(&mut b).is_pending());
    drop(g); // handed to `a`
    drop(a); // ...which passes it to `b`
    assert!(poll_once(&mut b).is_ready());
}

#[test]
fn rwlock_queued_writer_blocks_later_readers() {
    // Go's RWMutex rule: a blocked Lock call excludes new readers.
    let l = RwLock::new(0);
    let r1 = l.try_read().unwrap();
    let mut w = Box::pin(l.write());
    assert!(poll_once(&mut w).is_pending());
    assert!(l.try_read().is_none());
    let mut r2 = Box::pin(l.read());
    assert!(poll_once(&mut r2).is_pending());
    drop(r1);
    let Poll::Ready(mut g) = poll_once(&mut w) else {
        panic!("writer not granted")
    };
    *g = 1;
    drop(g);
    let Poll::Ready(r) = poll_once(&mut r2) else {
        panic!("reader not granted")
    };
    assert_eq!(*r, 1);
}

#[test]
fn semaphore_big_request_at_front_blocks_small_ones() {
    // x/sync/semaphore's FIFO rule (TestLargeAcquireDoesntStarve's premise).
    let sem = Semaphore::new(2);
    let one = sem.try_acquire(1).unwrap();
    let mut big = Box::pin(sem.acquire(2));
    assert!(poll_once(&mut big).is_pending());
    assert!(
        sem.try_acquire(1).is_none(),
        "a permit is free, but the big request is first"
    );
    drop(one);
    assert!(poll_once(&mut big).is_ready());
}

#[test]
fn semaphore_cancel_returns_partial_grant() {
    let sem = Semaphore::new(3);
    let p = sem.try_acquire(2).unwrap();
    let mut big = Box::pin(sem.acquire(3)); // takes the 1 free permit, waits for 2 more
    assert!(poll_once(&mut big).is_pending());
    assert_eq!(sem.available_permits(), 0);
    drop(big);
    assert_eq!(sem.available_permits(), 1);
    drop(p);
    assert_eq!(sem.available_permits(), 3);
}

#[test]
fn lock_futures_and_guards_are_send() {
    fn send<T: Send>(_: &T) {}
    fn sync<T: Sync>() {}
    let m = Mutex::new(1);
    send(&m.lock());
    let l = RwLock::new(1);
    send(&l.read());
    send(&l.write());
    let s = Semaphore::new(1);
    send(&s.acquire(1));
    sync::<Mutex<std::cell::Cell<u8>>>(); // Mutex<T: Send> is Sync, as std's
    sync::<gmp_sync::MutexGuard<'static, u8>>();
}
