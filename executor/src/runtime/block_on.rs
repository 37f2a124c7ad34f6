//! `block_on`: run a future (the "main goroutine") on the calling thread, with the runtime
//! entered, checking for a deadlock while it waits (see `deadlock`).

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use super::deadlock;
use crate::scheduler::{BlockOnParker, Shared, context};

/// Runs `future` to completion on this thread with `shared` entered; see `Runtime::block_on`.
pub(crate) fn block_on<F: Future>(shared: &Arc<Shared>, future: F) -> F::Output {
    if context::is_entered() {
        panic!(
            "Runtime::block_on called from a thread that is already running a gmp runtime (a \
             worker or another block_on): `.await` the future instead, or move the blocking \
             work into `gmp::spawn_blocking`"
        );
    }
    let _enter = shared.enter();
    let parker = Arc::new(BlockOnParker::new());
    let _registration = shared.register_block_on(parker.clone());
    let waker = std::task::Waker::from(parker.clone());
    let mut cx = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if shared.panicked() {
            panic!(
                "a task panicked and the runtime was built with UnhandledPanic::ShutdownRuntime; \
                 the runtime has shut down: {:#}",
                shared.panics.snapshot()
            );
        }
        let (res, _) = crate::coop::with_budget(|| future.as_mut().poll(&mut cx));
        if let std::task::Poll::Ready(v) = res {
            return v;
        }
        park(shared, &parker);
    }
}

/// Parks a `block_on` thread until its future is woken, checking for a deadlock meanwhile
/// if that is enabled (see `deadlock`).
fn park(shared: &Shared, parker: &BlockOnParker) {
    if !shared.config.deadlock_detection {
        parker.parker.park(None);
        return;
    }
    let mut detector = deadlock::Detector::new();
    let mut deadline = detector.first_deadline(Instant::now());
    loop {
        if parker.park_marked(deadline) {
            return;
        }
        let snapshot = deadlock::quiescence(shared, parker);
        match detector.observe(snapshot, Instant::now()) {
            deadlock::Verdict::Wait(d) => deadline = d,
            deadlock::Verdict::Deadlock => panic!("{}", deadlock::report(shared)),
        }
    }
}
