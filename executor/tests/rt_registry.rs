//! The live-task registry seen from outside while a worker holds deferred removals: tasks that
//! completed on a worker other than their shard's owner stay linked in the registry until the
//! worker flushes its batch (between polls, before it searches or parks, when it exits). None
//! of that may show: not in `num_tasks()`, the dump, the profile, the leak check or the
//! metrics, and a shutdown with removals pending frees every task (the ASan step of `.ci/run`
//! checks the freeing).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gmp_executor::{Builder, JoinHandle, leak};

/// Spins (off the scheduler: the worker stays inside this poll) until `flag` is set.
fn block_until(flag: &AtomicBool) {
    let start = Instant::now();
    while !flag.load(Ordering::SeqCst) {
        assert!(start.elapsed() < Duration::from_secs(20), "never released");
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Sets the flag when dropped: a failing test releases its blocked worker.
struct Release(Arc<AtomicBool>);

impl Drop for Release {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// On one worker: `n` tasks spawned from outside (registered in the outside threads' shard,
/// so each completion on worker 0 is a deferred removal) complete, then a task `blocker` keeps
/// the worker inside one poll until `go` is set, so the removals stay pending. Returns the
/// finished tasks' handles and the blocker's.
fn completed_with_removals_pending(
    rt: &gmp_executor::Runtime,
    n: usize,
    go: &Arc<AtomicBool>,
) -> (Vec<JoinHandle<usize>>, JoinHandle<()>) {
    // A gate holds the worker until everything is queued, so it takes the tasks in one batch
    // from the injection queue and runs them back to back, never searching (which flushes).
    let queued = Arc::new(AtomicBool::new(false));
    let gate = {
        let queued = queued.clone();
        rt.spawn(async move { block_until(&queued) })
    };
    let done: Vec<_> = (0..n).map(|i| rt.spawn(async move { i })).collect();
    let blocker = {
        let go = go.clone();
        rt.spawn(async move { block_until(&go) })
    };
    queued.store(true, Ordering::SeqCst);
    let start = Instant::now();
    while !done.iter().all(JoinHandle::is_finished) || !gate.is_finished() {
        assert!(start.elapsed() < Duration::from_secs(20), "tasks never ran");
        std::thread::sleep(Duration::from_millis(1));
    }
    (done, blocker)
}

/// A joined task no longer counts and is not in the dump or the profile, though its removal
/// is still pending; the metrics count it as completed; the leak check does not report it.
#[test]
fn completed_tasks_with_pending_removals_are_not_live() {
    let rt = Builder::new().maxprocs(1).build().unwrap();
    let go = Arc::new(AtomicBool::new(false));
    let _release = Release(go.clone());
    let (done, blocker) = completed_with_removals_pending(&rt, 10, &go);
    let handle = rt.handle();
    let outputs: Vec<usize> = done
        .into_iter()
        .map(|h| futures::executor::block_on(h).unwrap())
        .collect();
    assert_eq!(outputs, (0..10).collect::<Vec<_>>());
    // Only the blocker is alive.
    assert_eq!(handle.num_tasks(), 1);
    let dump = handle.dump();
    assert_eq!(dump.len(), 1, "{dump}");
    assert_eq!(dump.tasks()[0].id, blocker.id());
    assert_eq!(handle.profile().total(), 1);
    let m = handle.metrics();
    assert_eq!(
        (m.tasks_spawned, m.tasks_completed, m.tasks_alive),
        (12, 11, 1)
    );
    // The leak check, by dump (it ignores something) and by count (it ignores nothing).
    let options = leak::Options::new()
        .grace(Duration::ZERO)
        .ignore_task(blocker.id());
    assert!(leak::find(handle, &options).is_ok());
    go.store(true, Ordering::SeqCst);
    futures::executor::block_on(blocker).unwrap();
    assert!(leak::find(handle, &leak::Options::new()).is_ok());
    assert_eq!(handle.num_tasks(), 0);
}

/// Shutdown while a stuck worker holds removals: the sweep drains those tasks (still linked),
/// and the worker, once unstuck, drops only its own references on exit. Every task is freed
/// once (ASan), and each completion counts once.
#[test]
fn shutdown_with_removals_pending_frees_every_task() {
    let rt = Builder::new().maxprocs(1).build().unwrap();
    let handle = rt.handle().clone();
    let go = Arc::new(AtomicBool::new(false));
    let _release = Release(go.clone());
    let (done, blocker) = completed_with_removals_pending(&rt, 100, &go);
    drop(done);
    // The worker is stuck in the blocker: the sweep runs without it.
    rt.shutdown_timeout(Duration::from_millis(20));
    assert!(handle.dump().is_empty());
    go.store(true, Ordering::SeqCst);
    // The blocker completes (cancelled by the sweep, or with its output), then the worker
    // exits, flushing its removals.
    let _ = futures::executor::block_on(blocker);
    let start = Instant::now();
    while handle.num_tasks() != 0 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "a task still counts"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let m = handle.metrics();
    assert_eq!((m.tasks_spawned, m.tasks_completed), (102, 102));
}

/// A task completing on a peer worker (its shard's owner is the other one) no longer counts
/// once joined, many times over on two workers.
#[test]
fn joined_tasks_never_count_on_two_workers() {
    let rt = Builder::new().maxprocs(2).build().unwrap();
    rt.block_on(async {
        for _ in 0..200 {
            // Spawned on a worker, so it registers in that worker's shard; either worker
            // may run it.
            let h = gmp_executor::spawn(async {
                let inner = gmp_executor::spawn(async { gmp_executor::yield_now().await });
                inner.await.unwrap();
                gmp_executor::runtime::num_tasks()
            });
            // The outer task itself is still live when it reads the count.
            assert!(h.await.unwrap() >= 1);
            assert_eq!(gmp_executor::runtime::num_tasks(), 0);
        }
    });
}
