//! loom models of the live-task registry: a dump's cursor racing inserts, completions and the
//! shutdown drain.
//!
//! The tasks are real (the production `raw`, `harness` and `state` code) with a scheduler
//! whose `release` is the registry's `remove`, as the runtime's is. Under `cfg(loom)` a dump
//! visits one task per lock hold, so the cursor is parked between every two tasks and every
//! interleaving of the other thread's operations with those holds is explored.

use loom::sync::Arc;
use loom::thread;

use super::Id;
use super::raw::RawTask;
use super::registry::testing::{Sched, Worker, dump, spawn, spawn_on};
use super::registry::{Insert, Registry};

#[test]
fn dump_races_completion_and_spawn() {
    loom::model(|| {
        let registry = Arc::new(Registry::new(1, 1));
        let (n1, _j1) = spawn(&registry, 1, 0);
        let (n2, _j2) = spawn(&registry, 2, 0);
        let (n3, _j3) = spawn(&registry, 3, 0);
        let other = {
            let registry = registry.clone();
            thread::spawn(move || {
                // Completes task 2 (unlinking it, maybe next to the parked cursor), then
                // spawns task 4 at the head.
                n2.run();
                spawn(&registry, 4, 0)
            })
        };
        let seen = dump(&registry);
        let (n4, _j4) = other.join().unwrap();
        // Tasks live throughout are seen once; the others at most once.
        assert_eq!(seen.get(&1), Some(&1), "{seen:?}");
        assert_eq!(seen.get(&3), Some(&1), "{seen:?}");
        assert!(seen.values().all(|&n| n == 1), "{seen:?}");
        // The list is intact and the cursor gone: a second dump sees exactly the live tasks.
        let mut after: Vec<u64> = dump(&registry).into_keys().collect();
        after.sort_unstable();
        assert_eq!(after, [1, 3, 4]);
        assert_eq!(registry.len(), 3);
        for n in [n1, n3, n4] {
            n.run();
        }
        assert_eq!(registry.len(), 0);
        assert!(dump(&registry).is_empty());
        assert_eq!(registry.counts(), (4, 4));
    });
}

#[test]
fn dump_races_shutdown_drain() {
    loom::model(|| {
        let registry = Arc::new(Registry::new(1, 1));
        let tasks: Vec<_> = (1..=3).map(|id| spawn(&registry, id, 0)).collect();
        let sweeper = {
            let registry = registry.clone();
            thread::spawn(move || {
                let drained = registry.close_and_drain();
                for t in &drained {
                    t.shutdown();
                    // SAFETY: the registry's reference was handed to us by the drain.
                    unsafe { t.drop_reference() };
                }
                drained.len()
            })
        };
        let seen = dump(&registry);
        assert_eq!(sweeper.join().unwrap(), 3);
        assert!(seen.values().all(|&n| n == 1), "{seen:?}");
        // The drain left the list empty (the cursor, if it was parked, is gone too), and a
        // task completing after the sweep finds the registry's reference already taken.
        assert!(dump(&registry).is_empty());
        assert_eq!(registry.len(), 0);
        let late = RawTask::new(
            std::future::ready(()),
            Sched {
                registry: registry.clone(),
                worker: None,
            },
            Id(9),
            std::panic::Location::caller(),
            0,
        );
        assert!(matches!(registry.insert(late), Insert::Closed));
        late.shutdown();
        for _ in 0..3 {
            // SAFETY: the three initial references of a refused task are ours.
            unsafe { late.drop_reference() };
        }
        drop(tasks);
    });
}

/// A task completing on a peer worker (a deferred removal, flushed by that worker) races a
/// dump, a joiner's count and the shutdown sweep: the live task is seen, the joiner never
/// counts the finished task, and every task is freed once and counted once.
#[test]
fn deferred_removal_races_dump_and_drain() {
    loom::model(|| {
        let registry = Arc::new(Registry::new(2, 2));
        let peer = Worker::new(1);
        let (n1, j1) = spawn_on(&registry, 1, 0, Some(peer.clone()));
        let (n2, j2) = spawn(&registry, 2, 0);
        let worker = {
            let (registry, peer) = (registry.clone(), peer.clone());
            thread::spawn(move || {
                peer.bind();
                n1.run();
                peer.flush(&registry);
            })
        };
        if j1.is_finished() {
            // The joiner saw the output: task 1 no longer counts, whatever the flush did.
            assert_eq!(registry.len(), 1);
        }
        let seen = dump(&registry);
        assert_eq!(seen.get(&2), Some(&1), "{seen:?}");
        let drained = registry.close_and_drain();
        for t in &drained {
            t.shutdown();
            // SAFETY: the drain handed us the registry's reference.
            unsafe { t.drop_reference() };
        }
        worker.join().unwrap();
        drop(n2);
        assert_eq!(registry.len(), 0);
        assert_eq!(registry.counts(), (2, 2));
        drop((j1, j2));
        // Task 1's scheduler held a reference to `peer`: it was freed.
        assert_eq!(std::sync::Arc::strong_count(&peer), 1);
    });
}
