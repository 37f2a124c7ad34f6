//! The seed's "Cause 2: uncancelled context" leak and its fix.
//!
//! `leak3` hands a worker `context.Background()`, which is never cancelled, so the worker runs
//! forever; `fixed3` derives a cancellable context and cancels it on the way out (Go's
//! `defer cancel()`, here a `CancelGuard`), so the worker exits.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gmp::context::{self, Context};

async fn worker(ctx: Context, running: Arc<AtomicUsize>) {
    running.fetch_add(1, Ordering::SeqCst);
    ctx.done().await; // background: never
    running.fetch_sub(1, Ordering::SeqCst);
}

fn leak3(running: &Arc<AtomicUsize>) {
    let ctx = Context::background(); // never expires
    gmp::spawn(worker(ctx, running.clone())).detach(); // runs forever
}

async fn fixed3(running: &Arc<AtomicUsize>) {
    let (ctx, cancel) = context::with_cancel(&Context::background());
    let _cancel = cancel.guard(); // defer cancel()
    gmp::spawn(worker(ctx, running.clone())).detach();
    gmp::time::sleep(Duration::from_millis(10)).await; // ... do some work ...
} // cancel runs here; the worker receives it and exits

async fn settle(running: &AtomicUsize, want: usize) -> usize {
    for _ in 0..200 {
        if running.load(Ordering::SeqCst) == want {
            break;
        }
        gmp::time::sleep(Duration::from_millis(5)).await;
    }
    running.load(Ordering::SeqCst)
}

/// Runs the program; returns the printed lines.
pub(crate) async fn run() -> Vec<String> {
    let leaked = Arc::new(AtomicUsize::new(0));
    leak3(&leaked);
    let n_leaked = settle(&leaked, 1).await;
    let fixed = Arc::new(AtomicUsize::new(0));
    fixed3(&fixed).await;
    let n_fixed = settle(&fixed, 0).await;
    let lines = vec![
        format!("leak3: {n_leaked} worker still running after it returned"),
        format!("fixed3: {n_fixed} workers running after it returned"),
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
