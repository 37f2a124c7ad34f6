//! Loom models of the local run queue (capacity 4 under loom).
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p gmp-executor --release --lib queue`
//!
//! Each model checks that every value comes out exactly once; loom's `UnsafeCell` tracking also
//! fails a model if a slot is written while another thread may still read it (invariant 3), and
//! loom's `Arc` fails it on a leak.

use super::*;
use crate::loom::thread;

fn push(q: &mut Local<usize>, value: usize) {
    q.push_back_or_overflow(value, |_| panic!("unexpected overflow"));
}

fn drain(q: &mut Local<usize>) -> Vec<usize> {
    std::iter::from_fn(|| q.pop()).collect()
}

fn assert_exactly_once(mut seen: Vec<usize>, n: usize) {
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..n).collect::<Vec<_>>(),
        "lost or duplicated a value"
    );
}

/// A thief that steals once into a fresh queue of its own and returns everything it got.
fn thief(stealer: Stealer<usize>) -> thread::JoinHandle<Vec<usize>> {
    thread::spawn(move || {
        let (mut mine, _) = local();
        let mut got: Vec<usize> = stealer.steal_into(&mut mine).into_iter().collect();
        got.extend(drain(&mut mine));
        got
    })
}

#[test]
fn push_and_pop_race_a_steal() {
    ::loom::model(|| {
        let (mut owner, stealer) = local();
        push(&mut owner, 0);
        push(&mut owner, 1);
        let th = thief(stealer);

        let mut seen = Vec::new();
        push(&mut owner, 2);
        seen.extend(owner.pop());
        push(&mut owner, 3);
        seen.extend(drain(&mut owner));
        seen.extend(th.join().unwrap());
        assert_exactly_once(seen, 4);
    });
}

#[test]
fn overflow_races_a_steal() {
    ::loom::model(|| {
        let (mut owner, stealer) = local();
        for i in 0..LOCAL_QUEUE_CAPACITY {
            push(&mut owner, i);
        }
        let th = thief(stealer);

        // The ring is full: each push either overflows half + the value, overflows the value
        // alone (steal in flight), or fits (the steal finished first).
        let mut seen = Vec::new();
        for v in LOCAL_QUEUE_CAPACITY..LOCAL_QUEUE_CAPACITY + 2 {
            owner.push_back_or_overflow(v, |it| {
                let batch: Vec<usize> = it.collect();
                assert!(
                    batch.len() == 1 || batch.len() == LOCAL_QUEUE_CAPACITY / 2 + 1,
                    "overflow batch of {}",
                    batch.len()
                );
                assert_eq!(batch.last(), Some(&v), "the pushed value comes last");
                seen.extend(batch);
            });
        }
        seen.extend(drain(&mut owner));
        seen.extend(th.join().unwrap());
        assert_exactly_once(seen, LOCAL_QUEUE_CAPACITY + 2);
    });
}

/// Two thieves race each other while the owner keeps pushing into the slots they free: the
/// second thief must give up while the first one's steal is in flight, or the first one's
/// release would hand the second one's slots back to the owner.
#[test]
fn two_stealers_race_each_other_and_the_owner() {
    ::loom::model(|| {
        let (mut owner, stealer) = local();
        for i in 0..LOCAL_QUEUE_CAPACITY {
            push(&mut owner, i);
        }
        let a = thief(stealer.clone());
        let b = thief(stealer);

        let mut seen = Vec::new();
        for v in LOCAL_QUEUE_CAPACITY..LOCAL_QUEUE_CAPACITY + 3 {
            owner.push_back_or_overflow(v, |it| seen.extend(it));
        }
        seen.extend(a.join().unwrap());
        seen.extend(b.join().unwrap());
        seen.extend(drain(&mut owner));
        assert_exactly_once(seen, LOCAL_QUEUE_CAPACITY + 3);
    });
}

/// B steals from the owner into its own queue while C steals from B's queue: B's queue is a
/// `dst` and a victim at once. B first laps its ring, so the slot it steals into is the one C
/// may still be reading: B may write it only after seeing C's release (Acquire).
#[test]
fn steal_into_a_queue_that_is_being_stolen_from() {
    ::loom::model(|| {
        let (mut owner, owner_stealer) = local();
        for i in 0..LOCAL_QUEUE_CAPACITY {
            push(&mut owner, i);
        }
        let (mut b_queue, b_stealer) = local();
        let cap = LOCAL_QUEUE_CAPACITY;
        push(&mut b_queue, cap);
        let c = thief(b_stealer);
        let b = thread::spawn(move || {
            let mut got = Vec::new();
            for v in cap + 1..2 * cap {
                push(&mut b_queue, v);
                got.extend(b_queue.pop());
            }
            got.extend(owner_stealer.steal_into(&mut b_queue));
            got.extend(drain(&mut b_queue));
            got
        });

        let mut seen = c.join().unwrap();
        seen.extend(b.join().unwrap());
        seen.extend(drain(&mut owner));
        assert_exactly_once(seen, 2 * LOCAL_QUEUE_CAPACITY);
    });
}
