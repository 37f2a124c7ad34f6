//! The semaphore pattern (the seed chapter's "Method 1: Semaphore Pattern" and "Mistake 3"):
//! a buffered channel of capacity N is a token bucket; sending acquires a token (blocking
//! while N are out), receiving releases it, so at most N goroutines run `process` at once.
//!
//! Run with `cargo run --example chan_semaphore`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gmp::chan;

const MAX_CONCURRENCY: usize = 3;
const ITEMS: usize = 12;

/// Runs the example and returns what it prints.
pub(crate) fn run() -> String {
    let rt = gmp::Runtime::new().unwrap();
    rt.block_on(async {
        // sem := make(chan struct{}, maxConcurrency)
        let (sem_tx, sem_rx) = chan::bounded::<()>(MAX_CONCURRENCY);
        let (done_tx, done_rx) = chan::bounded::<usize>(ITEMS);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        for item in 0..ITEMS {
            sem_tx.send(()).await.unwrap(); // acquire token, blocks if full
            let (sem_rx, done_tx, running, peak) = (
                sem_rx.clone(),
                done_tx.clone(),
                running.clone(),
                peak.clone(),
            );
            gmp::spawn(async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                gmp::time::sleep(Duration::from_millis(5)).await; // process(item)
                running.fetch_sub(1, Ordering::SeqCst);
                done_tx.send(item).await.unwrap();
                sem_rx.recv().await; // release token
            })
            .detach();
        }
        drop(done_tx);
        let mut finished = 0;
        while finished < ITEMS {
            done_rx.recv().await.unwrap();
            finished += 1;
        }
        let peak = peak.load(Ordering::SeqCst);
        format!(
            "processed {finished} items\nat most {MAX_CONCURRENCY} at once: {}\n",
            peak <= MAX_CONCURRENCY
        )
    })
}

#[allow(dead_code)]
fn main() {
    print!("{}", run());
}
