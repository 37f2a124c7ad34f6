//! Leak cause 1, second form, of the goroutines chapter: a receiver ranging over a channel
//! that is never closed.
//!
//! Go's worker loops `for v := range ch` and the sender forgets `close(ch)`. In Rust the
//! channel closes when its last sender is dropped, so the bug hides in a sender that is not
//! dropped: here the worker keeps a clone to re-queue failed jobs, so the channel stays open
//! after the producer is done and the worker's loop never ends. The fix is Go's: the producer
//! closes the channel when it is done (`close_channel`, which closes it for every sender).
//!
//! (Written with `futures::channel::mpsc` until gmp's channels land.)

mod support;

use futures::StreamExt;
use futures::channel::mpsc;

const SOURCE: &str = include_str!("leak_never_closed_range.rs");

/// Processes jobs until the channel closes; a job that fails its first attempt (an odd one) is
/// re-queued once through the worker's own sender.
fn start_worker() -> (mpsc::UnboundedSender<(u32, bool)>, gmp::JoinHandle<u32>) {
    let (tx, mut rx) = mpsc::unbounded::<(u32, bool)>();
    let retry = tx.clone();
    // leak site: worker (the spawn on the next line)
    let worker = gmp::spawn(async move {
        let mut done = 0;
        while let Some((job, retried)) = rx.next().await {
            if job % 2 == 1 && !retried {
                if retry.unbounded_send((job, true)).is_err() {
                    done += 1; // closed: do it now
                }
                continue;
            }
            done += 1;
        }
        done
    });
    (tx, worker)
}

/// Leaky: sends the jobs and drops its sender, expecting that to end the worker's loop.
async fn run_jobs_leaky() -> gmp::JoinHandle<u32> {
    let (tx, worker) = start_worker();
    for job in 0..10 {
        tx.unbounded_send((job, false)).unwrap();
    }
    drop(tx);
    worker
}

/// Fixed: closes the channel, for every sender, once the jobs are sent.
async fn run_jobs_fixed() -> u32 {
    let (tx, worker) = start_worker();
    for job in 0..10 {
        tx.unbounded_send((job, false)).unwrap();
    }
    tx.close_channel();
    worker.await.unwrap()
}

#[test]
fn leaky_version_is_caught_at_its_spawn_site() {
    let (leaks, worker) = support::check(run_jobs_leaky());
    let leaks = leaks.expect_err("the worker leaks");
    support::assert_leaked_at(
        &leaks,
        file!(),
        &[support::line_after(SOURCE, "leak site: worker")],
    );
    drop(worker);
}

#[gmp::test]
#[should_panic(expected = "found 1 leaked task")]
async fn leaky_version_fails_its_gmp_test() {
    run_jobs_leaky().await.detach();
}

#[gmp::test]
async fn fixed_version_passes() {
    assert_eq!(run_jobs_fixed().await, 10);
}
