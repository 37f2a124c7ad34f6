//! Interview question 2: stopping a worker gracefully, (A) with a done channel and (B) with a
//! context. (A) closes a `futures::channel::oneshot` (dropping the sender is Go's
//! `close(done)`), to show that any executor-agnostic close signal works on gmp.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::channel::oneshot;
use gmp::WaitGroup;
use gmp::context::{self, Context};

async fn do_work(units: &AtomicUsize) {
    gmp::time::sleep(Duration::from_millis(2)).await;
    units.fetch_add(1, Ordering::SeqCst);
}

/// Approach A: `select { case <-done: return; default: doWork() }`.
async fn worker_a(mut done: oneshot::Receiver<()>, units: Arc<AtomicUsize>) {
    loop {
        match done.try_recv() {
            Ok(None) => do_work(&units).await, // not closed yet
            _ => return,                       // closed (or signalled)
        }
    }
}

/// Approach B (recommended): `select { case <-ctx.Done(): return; default: doWork() }`.
async fn worker_b(ctx: Context, units: Arc<AtomicUsize>) {
    while !ctx.is_done() {
        do_work(&units).await;
    }
}

/// Runs the program; returns the printed lines.
pub(crate) async fn run() -> Vec<String> {
    let wg = WaitGroup::new();
    let (a_units, b_units) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));

    let (close_done, done) = oneshot::channel::<()>();
    wg.go(worker_a(done, a_units.clone()));

    let (ctx, cancel) = context::with_cancel(&Context::background());
    wg.go(worker_b(ctx.clone(), b_units.clone()));

    gmp::time::sleep(Duration::from_millis(30)).await;
    drop(close_done); // close(done)
    cancel.cancel(); // cancel()
    wg.wait().await;

    let lines = vec![
        format!(
            "worker A (done channel): stopped (did work: {})",
            a_units.load(Ordering::SeqCst) > 0
        ),
        format!(
            "worker B (context): stopped (did work: {}), err = {}",
            b_units.load(Ordering::SeqCst) > 0,
            ctx.err().unwrap()
        ),
    ];
    for l in &lines {
        println!("{l}");
    }
    lines
}

#[allow(dead_code)]
fn main() {
    let rt = gmp::Runtime::new().unwrap();
    rt.block_on(async {
        run().await;
    });
}
