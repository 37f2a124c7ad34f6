//! `Runtime::metrics`: each counter moves when its event happens.

use std::time::Duration;

use gmp_executor::Builder;

mod common;
use common::Ready;

#[test]
fn task_counts_and_injection_pops() {
    let rt = Builder::new().maxprocs(2).build().unwrap();
    let hs: Vec<_> = (0..20).map(|i| rt.spawn(async move { i })).collect();
    rt.block_on(async {
        for h in hs {
            h.await.unwrap();
        }
    });
    let (_tx, rx) = futures::channel::oneshot::channel::<()>();
    let _waiting = rt.spawn(rx);
    std::thread::sleep(Duration::from_millis(20));
    let m = rt.metrics();
    assert_eq!(m.tasks_spawned, 21);
    assert_eq!(m.tasks_completed, 20);
    assert_eq!(m.tasks_alive, 1);
    let w = &m.workers;
    assert_eq!(w.iter().map(|w| w.inject_pops).sum::<u64>(), 21, "{m}");
    assert!(w.iter().map(|w| w.polls).sum::<u64>() >= 21, "{m}");
    assert!(w.iter().map(|w| w.parks).sum::<u64>() >= 1, "{m}");
    assert_eq!(m.injection_queue_depth, 0);
}

#[test]
fn lifo_hits_and_budget_exhaustions() {
    let rt = Builder::new().maxprocs(1).build().unwrap();
    rt.block_on(async {
        gmp_executor::spawn(async {
            // A chain of spawns from a task: each child goes to the LIFO slot.
            for _ in 0..10 {
                gmp_executor::spawn(async {}).await.unwrap();
            }
            // More always-ready operations than one budget allows.
            for _ in 0..10 * gmp_executor::coop::BUDGET as usize {
                Ready.await;
            }
        })
        .await
        .unwrap();
    });
    let m = rt.metrics();
    assert!(m.workers[0].lifo_hits >= 10, "{m}");
    assert!(m.workers[0].budget_exhaustions >= 9, "{m}");
}

#[test]
fn steals_are_counted() {
    let rt = Builder::new().maxprocs(2).build().unwrap();
    rt.block_on(async {
        gmp_executor::spawn(async {
            // Fill this worker's queue while it is busy: the other worker steals.
            let hs: Vec<_> = (0..200)
                .map(|_| {
                    gmp_executor::spawn(async { std::thread::sleep(Duration::from_micros(50)) })
                })
                .collect();
            std::thread::sleep(Duration::from_millis(20));
            for h in hs {
                h.await.unwrap();
            }
        })
        .await
        .unwrap();
    });
    let m = rt.metrics();
    assert!(m.workers.iter().map(|w| w.steals).sum::<u64>() >= 1, "{m}");
}
