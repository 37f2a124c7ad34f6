//! The injection queue: tasks spawned from outside the workers, and the overflow of a full
//! local queue, all run exactly once, and workers take them in batches.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use gmp_executor::Builder;

#[test]
fn tasks_spawned_from_many_outside_threads_each_run_once() {
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let ran: Arc<Vec<AtomicUsize>> =
        Arc::new((0..4 * 5_000).map(|_| AtomicUsize::new(0)).collect());
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let h = rt.handle().clone();
            let ran = ran.clone();
            std::thread::spawn(move || {
                (0..5_000)
                    .map(|i| {
                        let ran = ran.clone();
                        h.spawn(async move {
                            ran[t * 5_000 + i].fetch_add(1, Ordering::Relaxed);
                        })
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let joins: Vec<_> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    rt.block_on(async {
        for j in joins {
            j.await.unwrap();
        }
    });
    for (i, n) in ran.iter().enumerate() {
        assert_eq!(n.load(Ordering::Relaxed), 1, "task {i} ran {n:?} times");
    }
    let m = rt.metrics();
    assert_eq!(m.injection_queue_depth, 0, "{m}");
    assert_eq!(m.tasks_alive, 0, "{m}");
}

#[test]
fn an_overflowing_spawner_feeds_the_other_worker_in_batches() {
    // One task spawns far more than a local queue holds without yielding: the overflow goes
    // to the injection queue half a queue at a time, and workers take it back in batches;
    // every task runs exactly once and the queue ends empty.
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let n = 100_000;
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    rt.block_on(async move {
        gmp_executor::spawn(async move {
            let hs: Vec<_> = (0..n)
                .map(|_| {
                    let r = r.clone();
                    gmp_executor::spawn(async move {
                        r.fetch_add(1, Ordering::Relaxed);
                    })
                })
                .collect();
            for h in hs {
                h.await.unwrap();
            }
        })
        .await
        .unwrap();
    });
    assert_eq!(ran.load(Ordering::Relaxed), n);
    let m = rt.metrics();
    assert_eq!(m.injection_queue_depth, 0, "{m}");
    let inject_pops: u64 = m.workers.iter().map(|w| w.inject_pops).sum();
    assert!(
        inject_pops > 0,
        "the overflow went through the injection queue: {m}"
    );
}
