//! Unit tests, a real-thread stress test and an ignored microbenchmark for the local run queue.

use super::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Barrier, Mutex};
use std::time::Instant;

const HALF: usize = LOCAL_QUEUE_CAPACITY / 2;

fn no_overflow<T>(_: &mut dyn Iterator<Item = T>) {
    panic!("overflow called with room in the ring");
}

fn push<T>(q: &mut Local<T>, value: T) {
    q.push_back_or_overflow(value, no_overflow);
}

fn drain<T>(q: &mut Local<T>) -> Vec<T> {
    std::iter::from_fn(|| q.pop()).collect()
}

/// Pushes `value`, returning what went to `overflow` (empty if nothing did).
fn push_collect<T>(q: &mut Local<T>, value: T) -> Vec<T> {
    let mut out = Vec::new();
    q.push_back_or_overflow(value, |it| {
        let (lo, hi) = it.size_hint();
        out.extend(it);
        assert_eq!(
            (lo, hi),
            (out.len(), Some(out.len())),
            "size_hint must be exact"
        );
    });
    out
}

#[test]
fn handles_are_send_and_sync() {
    fn send<X: Send>() {}
    fn sync<X: Sync>() {}
    send::<Local<Box<u8>>>();
    send::<Stealer<Box<u8>>>();
    sync::<Stealer<Box<u8>>>();
}

#[test]
fn pop_is_fifo() {
    let (mut q, _s) = local();
    assert_eq!(q.pop(), None);
    for i in 0..10 {
        push(&mut q, i);
    }
    assert_eq!(drain(&mut q), (0..10).collect::<Vec<_>>());
    assert_eq!(q.pop(), None);
}

#[test]
fn fifo_across_many_laps_of_the_ring() {
    let (mut q, _s) = local();
    let (mut next_in, mut next_out) = (0u32, 0u32);
    for round in 0..50 {
        for _ in 0..(round % 7 + 3) * 20 % LOCAL_QUEUE_CAPACITY {
            if q.remaining_slots() == 0 {
                break;
            }
            push(&mut q, next_in);
            next_in += 1;
        }
        for _ in 0..(round % 5 + 1) * 30 {
            match q.pop() {
                Some(v) => {
                    assert_eq!(v, next_out);
                    next_out += 1;
                }
                None => break,
            }
        }
        assert_eq!(q.len() as u32, next_in - next_out);
    }
    assert!(
        next_in > 4 * LOCAL_QUEUE_CAPACITY as u32,
        "did not lap the ring"
    );
}

#[test]
fn overflow_moves_oldest_half_then_the_value_in_order() {
    let (mut q, _s) = local();
    for i in 0..LOCAL_QUEUE_CAPACITY {
        push(&mut q, i);
    }
    assert_eq!(q.remaining_slots(), 0);
    let out = push_collect(&mut q, 1000);
    let mut expected: Vec<usize> = (0..HALF).collect();
    expected.push(1000);
    assert_eq!(out, expected);
    assert_eq!(q.len(), HALF);
    assert_eq!(q.remaining_slots(), HALF);
    // The next push fits again; the queue keeps its order.
    assert!(push_collect(&mut q, 1001).is_empty());
    let mut rest: Vec<usize> = (HALF..LOCAL_QUEUE_CAPACITY).collect();
    rest.push(1001);
    assert_eq!(drain(&mut q), rest);
}

#[test]
fn overflow_after_wrapping() {
    let (mut q, _s) = local();
    // Move the indices off zero so the overflowed half wraps around the end of the ring.
    for i in 0..(LOCAL_QUEUE_CAPACITY * 3 / 4) {
        push(&mut q, i);
        assert_eq!(q.pop(), Some(i));
    }
    for i in 0..LOCAL_QUEUE_CAPACITY {
        push(&mut q, i);
    }
    let out = push_collect(&mut q, 9999);
    assert_eq!(out.len(), HALF + 1);
    assert_eq!(&out[..HALF], &(0..HALF).collect::<Vec<_>>()[..]);
    assert_eq!(
        drain(&mut q),
        (HALF..LOCAL_QUEUE_CAPACITY).collect::<Vec<_>>()
    );
}

#[test]
fn steal_takes_half_rounded_up_and_returns_the_oldest() {
    let (mut src, stealer) = local();
    let (mut dst, _) = local();
    for i in 0..10 {
        push(&mut src, i);
    }
    assert_eq!(stealer.len(), 10);
    assert_eq!(stealer.steal_into(&mut dst), Some(0));
    assert_eq!(dst.len(), 4);
    assert_eq!(src.len(), 5);
    assert_eq!(stealer.len(), 5);
    assert_eq!(drain(&mut dst), vec![1, 2, 3, 4]);
    assert_eq!(drain(&mut src), vec![5, 6, 7, 8, 9]);

    // A single value can be stolen; an empty queue yields nothing.
    push(&mut src, 42);
    assert_eq!(stealer.steal_into(&mut dst), Some(42));
    assert!(dst.is_empty());
    assert!(stealer.is_empty());
    assert_eq!(stealer.steal_into(&mut dst), None);
}

#[test]
fn steal_a_full_ring_appends_after_dst_contents() {
    let (mut src, stealer) = local();
    let (mut dst, _) = local();
    for i in 0..LOCAL_QUEUE_CAPACITY {
        push(&mut src, i);
    }
    for i in 0..HALF {
        push(&mut dst, 10_000 + i);
    }
    assert_eq!(stealer.steal_into(&mut dst), Some(0));
    assert_eq!(dst.len(), LOCAL_QUEUE_CAPACITY - 1);
    assert_eq!(src.len(), HALF);
    let mut expected: Vec<usize> = (10_000..10_000 + HALF).collect();
    expected.extend(1..HALF);
    assert_eq!(drain(&mut dst), expected);
}

#[test]
fn steal_refuses_when_dst_is_more_than_half_full() {
    let (mut src, stealer) = local();
    let (mut dst, _) = local();
    push(&mut src, 7);
    for i in 0..=HALF {
        push(&mut dst, i);
    }
    assert_eq!(stealer.steal_into(&mut dst), None);
    assert_eq!(src.len(), 1);
    assert_eq!(dst.len(), HALF + 1);
}

#[test]
fn in_flight_steal_blocks_other_steals_and_makes_a_full_push_overflow_alone() {
    let (mut src, stealer) = local();
    let (mut dst, _) = local();
    for i in 0..LOCAL_QUEUE_CAPACITY {
        push(&mut src, i);
    }
    // Freeze a steal between its claim and its release.
    let (claimed, first, n) = stealer.claim_half().expect("claim");
    assert_eq!((first, n as usize), (0, HALF));
    assert_eq!(src.len(), HALF, "claimed values are no longer queued");
    assert_eq!(src.remaining_slots(), 0, "claimed slots are still taken");
    assert_eq!(
        stealer.clone().steal_into(&mut dst),
        None,
        "second stealer must give up"
    );

    // Full with a steal in flight: only the pushed value overflows, nothing else moves.
    assert_eq!(push_collect(&mut src, 5000), vec![5000]);
    assert_eq!(src.len(), HALF);
    // The owner can still pop past the claimed range.
    assert_eq!(src.pop(), Some(HALF));

    // Move the claimed values out, as `steal_into` would, then release.
    // SAFETY: `first..first + n` was claimed above and is read exactly once here.
    let stolen: Vec<usize> = (0..n)
        .map(|i| unsafe { stealer.0.read(first + i) })
        .collect();
    assert_eq!(stolen, (0..HALF).collect::<Vec<_>>());
    stealer.release_claim(claimed);
    assert_eq!(src.remaining_slots(), HALF + 1);
    assert!(push_collect(&mut src, 6000).is_empty());
    let mut rest: Vec<usize> = (HALF + 1..LOCAL_QUEUE_CAPACITY).collect();
    rest.push(6000);
    assert_eq!(drain(&mut src), rest);
}

#[test]
fn len_and_remaining_slots_track_every_operation() {
    let (mut q, stealer) = local();
    let (mut dst, _) = local();
    assert_eq!((q.len(), q.remaining_slots()), (0, LOCAL_QUEUE_CAPACITY));
    for i in 0..100 {
        push(&mut q, i);
    }
    assert_eq!(
        (q.len(), q.remaining_slots()),
        (100, LOCAL_QUEUE_CAPACITY - 100)
    );
    let _ = q.pop();
    assert_eq!(
        (q.len(), q.remaining_slots()),
        (99, LOCAL_QUEUE_CAPACITY - 99)
    );
    assert_eq!(stealer.steal_into(&mut dst), Some(1));
    assert_eq!(
        (q.len(), q.remaining_slots()),
        (49, LOCAL_QUEUE_CAPACITY - 49)
    );
    assert_eq!(
        (dst.len(), dst.remaining_slots()),
        (49, LOCAL_QUEUE_CAPACITY - 49)
    );
    assert_eq!(stealer.len(), 49);
    assert!(!q.is_empty() && !stealer.is_empty());
}

/// Counts its drops in a shared counter.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn dropping_local_drops_every_queued_value() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut q, stealer) = local();
    let (mut dst, _) = local();
    for _ in 0..LOCAL_QUEUE_CAPACITY {
        push(&mut q, Counted(drops.clone()));
    }
    // Overflow a half; the sink keeps those values alive until we drop them below.
    let mut overflowed = Vec::new();
    q.push_back_or_overflow(Counted(drops.clone()), |it| overflowed.extend(it));
    assert_eq!(overflowed.len(), HALF + 1);
    let stolen = stealer.steal_into(&mut dst).expect("steal");
    assert_eq!(drops.load(SeqCst), 0);

    let (queued, in_dst) = (q.len(), dst.len());
    assert_eq!(queued + in_dst + 1, HALF);
    drop(q);
    assert_eq!(drops.load(SeqCst), queued);
    drop(stealer);
    drop(dst);
    assert_eq!(drops.load(SeqCst), queued + in_dst);
    drop(stolen);
    drop(overflowed);
    assert_eq!(drops.load(SeqCst), LOCAL_QUEUE_CAPACITY + 1);
}

#[test]
fn values_an_overflow_sink_leaves_behind_are_dropped() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut q, _s) = local();
    for _ in 0..LOCAL_QUEUE_CAPACITY {
        push(&mut q, Counted(drops.clone()));
    }
    let mut taken = Vec::new();
    q.push_back_or_overflow(Counted(drops.clone()), |it| taken.extend(it.take(3)));
    assert_eq!(taken.len(), 3);
    assert_eq!(drops.load(SeqCst), HALF + 1 - 3);
    drop(taken);
    drop(q);
    assert_eq!(drops.load(SeqCst), LOCAL_QUEUE_CAPACITY + 1);
}

/// Records each value in a bitmap, failing on a duplicate.
struct Seen(Vec<u64>);

impl Seen {
    fn new(n: usize) -> Self {
        Seen(vec![0; n.div_ceil(64)])
    }

    fn mark(&mut self, v: u32) {
        let (word, bit) = (v as usize / 64, 1u64 << (v % 64));
        assert_eq!(self.0[word] & bit, 0, "value {v} seen twice");
        self.0[word] |= bit;
    }

    fn assert_all(&self, n: usize) {
        for v in 0..n {
            assert!(self.0[v / 64] & (1 << (v % 64)) != 0, "value {v} lost");
        }
    }
}

/// One owner pushes (overflowing into a shared Vec) and pops; two stealers steal from it and
/// from each other, popping from their own queues only now and then so that there is something
/// to steal from them too. Every value must come out exactly once.
#[test]
fn stress_owner_and_two_stealers_see_each_value_once() {
    const N: u32 = 400_000;
    // (values, batches of one value: a full ring with a steal in flight)
    let overflowed = Mutex::new((Vec::new(), 0usize));
    let barrier = Barrier::new(3);
    let done = AtomicBool::new(false);
    let (mut owner, owner_stealer) = local::<u32>();
    let (locals, stealers): (Vec<_>, Vec<_>) = (0..2).map(|_| local::<u32>()).unzip();
    let start = Instant::now();

    let (owner_popped, stolen, steals) = std::thread::scope(|s| {
        let handles: Vec<_> = locals
            .into_iter()
            .enumerate()
            .map(|(me, mut mine)| {
                let victims = [owner_stealer.clone(), stealers[1 - me].clone()];
                let (done, barrier) = (&done, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let (mut got, mut steals) = (Vec::new(), 0usize);
                    for round in 0usize.. {
                        let victim = &victims[round % 3 / 2];
                        if let Some(v) = victim.steal_into(&mut mine) {
                            steals += 1;
                            got.push(v);
                        }
                        if round % 2 == 0 {
                            got.extend(mine.pop());
                        }
                        if done.load(SeqCst) && victims[0].is_empty() {
                            break;
                        }
                    }
                    got.extend(std::iter::from_fn(|| mine.pop()));
                    (got, steals)
                })
            })
            .collect();

        let mut popped = Vec::new();
        let mut next = 0;
        barrier.wait();
        while next < N {
            // Net growth of one value per round: the ring fills and overflows now and then,
            // while the stealers drain it.
            for _ in 0..3 {
                if next < N {
                    owner.push_back_or_overflow(next, |it| {
                        let mut o = overflowed.lock().unwrap();
                        if it.size_hint().0 == 1 {
                            o.1 += 1;
                        }
                        o.0.extend(it);
                    });
                    next += 1;
                }
            }
            popped.extend(owner.pop());
            popped.extend(owner.pop());
        }
        done.store(true, SeqCst);
        let mut stolen = Vec::new();
        let mut steals = 0;
        for h in handles {
            let (got, n) = h.join().unwrap();
            stolen.extend(got);
            steals += n;
        }
        popped.extend(std::iter::from_fn(|| owner.pop()));
        (popped, stolen, steals)
    });

    let (overflowed, lone_overflows) = overflowed.into_inner().unwrap();
    let mut seen = Seen::new(N as usize);
    for &v in owner_popped.iter().chain(&stolen).chain(&overflowed) {
        seen.mark(v);
    }
    seen.assert_all(N as usize);
    assert_eq!(
        owner_popped.len() + stolen.len() + overflowed.len(),
        N as usize
    );
    assert!(steals > 0, "no steal happened; the test exercised nothing");
    assert!(!overflowed.is_empty(), "no overflow happened");
    eprintln!(
        "stress: popped {} stolen {} ({steals} steals) overflowed {} ({lone_overflows} alone) in {:?}",
        owner_popped.len(),
        stolen.len(),
        overflowed.len(),
        start.elapsed()
    );
}

/// `cargo test -p gmp-executor --release --lib queue::tests::bench -- --ignored --nocapture`
#[test]
#[ignore = "microbenchmark; run in release with --ignored --nocapture"]
fn bench() {
    use std::hint::black_box;

    let (mut q, stealer) = local::<usize>();
    let iters = 20_000_000;
    let t = Instant::now();
    for i in 0..iters {
        push(&mut q, black_box(i));
        black_box(q.pop());
    }
    let pair = t.elapsed().as_nanos() as f64 / iters as f64;

    let rounds = 200_000;
    let t = Instant::now();
    for r in 0..rounds {
        for i in 0..LOCAL_QUEUE_CAPACITY {
            push(&mut q, black_box(r + i));
        }
        for _ in 0..LOCAL_QUEUE_CAPACITY {
            black_box(q.pop());
        }
    }
    let batched = t.elapsed().as_nanos() as f64 / (rounds * LOCAL_QUEUE_CAPACITY) as f64;

    // Uncontended steal of a full ring (half of it) into an empty queue.
    let (mut dst, _) = local::<usize>();
    let (mut steal_ns, mut steals) = (0u128, 0usize);
    for r in 0..rounds {
        for i in 0..LOCAL_QUEUE_CAPACITY {
            push(&mut q, r + i);
        }
        let t = Instant::now();
        black_box(stealer.steal_into(&mut dst));
        steal_ns += t.elapsed().as_nanos();
        steals += 1;
        while q.pop().is_some() {}
        while dst.pop().is_some() {}
    }
    let per_steal = steal_ns as f64 / steals as f64;

    // Contended: the owner pushes and pops while another thread steals continuously.
    let stop = AtomicBool::new(false);
    // On a loaded machine the two threads may rarely run at the same time; the thief then
    // drains the queue while the owner is descheduled and spins on an empty queue otherwise.
    let ((stolen, thefts), owner_ops, elapsed) = std::thread::scope(|s| {
        let thief = s.spawn(|| {
            let (mut mine, _) = local::<usize>();
            let (mut n, mut steals) = (0usize, 0usize);
            while !stop.load(SeqCst) {
                if stealer.steal_into(&mut mine).is_some() {
                    steals += 1;
                    n += 1 + mine.len();
                    while mine.pop().is_some() {}
                }
            }
            (n, steals)
        });
        let t = Instant::now();
        let mut ops = 0usize;
        while t.elapsed().as_millis() < 300 {
            for i in 0..1000 {
                q.push_back_or_overflow(i, |it| it.for_each(drop));
                if i % 4 == 0 {
                    black_box(q.pop());
                }
            }
            ops += 1000;
        }
        stop.store(true, SeqCst);
        (thief.join().unwrap(), ops, t.elapsed())
    });

    eprintln!("push+pop pair:             {pair:.1} ns");
    eprintln!("push/pop batched (256):    {batched:.1} ns per op");
    eprintln!(
        "steal_into (128 of 256):   {per_steal:.1} ns per steal, {:.2} ns per value",
        per_steal / HALF as f64
    );
    eprintln!(
        "contended (1 thief, 300ms): owner {:.1} ns per push+pop/4, thief moved {:.2} M values/s \
         ({stolen} values in {thefts} steals)",
        elapsed.as_nanos() as f64 / owner_ops as f64,
        stolen as f64 / elapsed.as_secs_f64() / 1e6
    );
}
