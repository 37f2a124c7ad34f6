//! Real-thread stress, paired with the loom models (loom weakens SeqCst and bounds
//! preemptions; these run the same protocols on the machine's own memory model).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use gmp_sync::context::{self, Context};
use gmp_sync::{Mutex, Semaphore, WaitGroup};

#[test]
fn waitgroup_rounds_with_concurrent_waiters() {
    let wg = WaitGroup::new();
    for _ in 0..300 {
        wg.add(4);
        let work = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let (wg, work) = (wg.clone(), work.clone());
                thread::spawn(move || {
                    futures::executor::block_on(wg.wait());
                    work.load(Ordering::Relaxed)
                })
            })
            .collect();
        let members: Vec<_> = (0..4)
            .map(|_| {
                let (wg, work) = (wg.clone(), work.clone());
                thread::spawn(move || {
                    work.fetch_add(1, Ordering::Relaxed);
                    wg.done();
                })
            })
            .collect();
        for m in members {
            m.join().unwrap();
        }
        for w in waiters {
            // A waiter that started before the zero sees all four members' work.
            let seen = w.join().unwrap();
            assert_eq!(seen, 4);
        }
    }
}

#[test]
fn semaphore_hammered_keeps_its_permits() {
    let sem = Arc::new(Semaphore::new(3));
    let inside = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (sem, inside) = (sem.clone(), inside.clone());
            thread::spawn(move || {
                for i in 0..5_000 {
                    let n = 1 + (i + t) % 3;
                    let p = futures::executor::block_on(sem.acquire(n));
                    let now = inside.fetch_add(n, Ordering::SeqCst) + n;
                    assert!(now <= 3);
                    inside.fetch_sub(n, Ordering::SeqCst);
                    drop(p);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(sem.available_permits(), 3);
}

#[test]
fn mutex_hammered_with_cancels_and_slow_holders() {
    // Four threads lock in a loop; some attempts are polled once or twice and dropped (queued,
    // woken or already handed the lock), and some holders stay over 1 ms, so waiters starve
    // and the mutex goes through starvation mode and back. Exclusion holds, no update is
    // lost, no waiter is stranded (a lost wake-up would hang `block_on`).
    let m = Arc::new(Mutex::new(0u64));
    let inside = Arc::new(AtomicUsize::new(0));
    let got = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (m, inside, got) = (m.clone(), inside.clone(), got.clone());
            thread::spawn(move || {
                let waker = futures::task::noop_waker();
                let mut cx = std::task::Context::from_waker(&waker);
                for i in 0..3_000usize {
                    let mut g = if (i + t) % 4 == 0 {
                        let mut fut = Box::pin(m.lock());
                        let polled = fut.as_mut().poll(&mut cx);
                        let polled = match polled {
                            std::task::Poll::Pending => {
                                thread::yield_now();
                                fut.as_mut().poll(&mut cx)
                            }
                            ready => ready,
                        };
                        match polled {
                            std::task::Poll::Ready(g) => g,
                            std::task::Poll::Pending => continue, // dropped: cancelled
                        }
                    } else {
                        futures::executor::block_on(m.lock())
                    };
                    assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                    *g += 1;
                    got.fetch_add(1, Ordering::Relaxed);
                    if i % 500 == t {
                        thread::sleep(std::time::Duration::from_micros(1_500));
                    }
                    inside.fetch_sub(1, Ordering::SeqCst);
                    drop(g);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let total = *futures::executor::block_on(m.lock());
    assert_eq!(total, got.load(Ordering::Relaxed) as u64);
    assert!(m.try_lock().is_some());
}

#[test]
fn context_cancel_races_with_child_creation_and_drop() {
    for _ in 0..200 {
        let (root, cancel) = context::with_cancel(&Context::background());
        let makers: Vec<_> = (0..3)
            .map(|_| {
                let root = root.clone();
                thread::spawn(move || {
                    let mut kept = Vec::new();
                    for i in 0..200 {
                        let (c, f) = context::with_cancel(&root);
                        if i % 2 == 0 {
                            kept.push((c, f));
                        }
                    }
                    kept
                })
            })
            .collect();
        cancel.cancel();
        for m in makers {
            for (c, _) in m.join().unwrap() {
                assert!(
                    c.is_done(),
                    "a child created before or after the cancel must be done"
                );
            }
        }
    }
}
