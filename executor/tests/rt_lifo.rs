//! The LIFO slot and stealing: a task woken by a task that then blocks its worker runs on
//! another worker within microseconds; a producer/consumer pipeline whose waker keeps making
//! progress is not split across workers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use gmp_executor::{Builder, Runtime};

mod common;
use common::Ready;

/// Two workers and no sysmon, so only a searching worker can rescue a stranded task.
fn rt2() -> Runtime {
    Builder::new().maxprocs(2).sysmon(false).build().unwrap()
}

/// The waker wakes a parked task (into its own LIFO slot), spends `spent` units of budget, then
/// blocks its thread for 200 ms; returns whether the woken task ran meanwhile, each round.
fn woken_runs_during_block(spent: usize) -> Vec<bool> {
    let rt = rt2();
    (0..5)
        .map(|_| {
            rt.block_on(async move {
                let (tx, rx) = futures::channel::oneshot::channel::<()>();
                let started = Arc::new(AtomicBool::new(false));
                let ran = Arc::new(AtomicBool::new(false));
                let (s, r) = (started.clone(), ran.clone());
                let woken = gmp_executor::spawn(async move {
                    s.store(true, Ordering::Release);
                    rx.await.unwrap();
                    r.store(true, Ordering::Release);
                });
                while !started.load(Ordering::Acquire) {
                    gmp_executor::task::yield_now().await;
                }
                gmp_executor::time::sleep(Duration::from_millis(1)).await;
                let ran_during = gmp_executor::spawn(async move {
                    tx.send(()).unwrap();
                    for _ in 0..spent {
                        Ready.await;
                    }
                    std::thread::sleep(Duration::from_millis(200));
                    ran.load(Ordering::Acquire)
                })
                .await
                .unwrap();
                woken.await.unwrap();
                ran_during
            })
        })
        .collect()
}

#[test]
fn a_task_woken_behind_a_blocked_worker_runs_during_the_block() {
    assert_eq!(woken_runs_during_block(0), [true; 5]);
}

#[test]
fn a_task_woken_behind_a_worker_that_progressed_then_blocked_runs_during_the_block() {
    assert_eq!(woken_runs_during_block(50), [true; 5]);
}

#[test]
fn a_waker_that_keeps_making_progress_keeps_its_lifo_task() {
    // A wakes B (into A's LIFO slot) at the start of each poll, then spends the rest of its
    // budget on always-ready operations: A is busy, not stuck, so B waits for A's poll to end
    // rather than being stolen by the idle worker (which would split the pair across cores).
    const ROUNDS: u64 = 2_000;
    // Each worker on a CPU of its own, so a thief never competes with the owner for its CPU.
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cpus < 2 {
        return;
    }
    let next_cpu = Arc::new(AtomicUsize::new(0));
    let rt = Builder::new()
        .maxprocs(2)
        .sysmon(false)
        .on_thread_start(move || pin_to_cpu(next_cpu.fetch_add(1, Ordering::Relaxed) % cpus))
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, mut rx) = futures::channel::mpsc::unbounded::<u64>();
        let b = gmp_executor::spawn(async move {
            let mut n = 0;
            while rx.next().await.is_some() {
                n += 1;
            }
            n
        });
        gmp_executor::spawn(async move {
            for i in 0..ROUNDS {
                let start = Instant::now();
                tx.unbounded_send(i).unwrap();
                // The rest of this budget, one unit every 400 ns: a poll of about 50 us (shorter
                // than a thief's patience), and the next iteration starts a new poll.
                for k in 0..u32::from(gmp_executor::coop::BUDGET) {
                    Ready.await;
                    while start.elapsed() < Duration::from_nanos(400) * k {
                        std::hint::spin_loop();
                    }
                }
            }
        })
        .await
        .unwrap();
        assert_eq!(b.await.unwrap(), ROUNDS);
    });
    let m = rt.metrics();
    let lifo_steals: u64 = m.workers.iter().map(|w| w.lifo_steals).sum();
    // Only an owner descheduled by the OS (a loaded machine) should lose B; stealing on the
    // owner's poll alone (no progress check) takes B in most rounds.
    assert!(lifo_steals < ROUNDS / 10, "{m}");
}

/// Pins the current thread to `cpu`.
fn pin_to_cpu(cpu: usize) {
    // SAFETY: `set` is a plain bit set, initialized by CPU_ZERO before use; the call only reads
    // it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_ZERO(&mut set);
        libc::CPU_SET(cpu, &mut set);
        assert_eq!(
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set),
            0
        );
    }
}
