//! The seed chapter's worker pool: 10 workers read `jobs` (capacity 100) and write `results`
//! (capacity 100); `main` sends the jobs, closes `jobs`, and ranges over `results`, which
//! closes when the last worker is done (Go closes it after `wg.Wait()`; in gmp the channel
//! closes by itself when the last worker drops its sender).
//!
//! Run with `cargo run --example chan_worker_pool`.

use futures::StreamExt;
use gmp::chan::{self, Receiver, Sender};

const JOBS: u64 = 1_000;
const WORKERS: usize = 10;

/// One job: 1,000 xorshift steps.
fn process(job: u64) -> u64 {
    let mut x = job | 1;
    for _ in 0..1000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

/// func workerPool(jobs <-chan Job, results chan<- Result, numWorkers int)
fn worker_pool(jobs: Receiver<u64>, results: Sender<(u64, u64)>, workers: usize) {
    for _ in 0..workers {
        let (jobs, results) = (jobs.clone(), results.clone());
        gmp::spawn(async move {
            // for job := range jobs { results <- process(job) }
            while let Some(job) = jobs.recv().await {
                results.send((job, process(job))).await.unwrap();
            }
        })
        .detach();
    }
    // Our handles drop here: `results` closes once every worker has returned.
}

/// Runs the example and returns what it prints.
pub(crate) fn run() -> String {
    let rt = gmp::Runtime::new().unwrap();
    rt.block_on(async {
        let (jobs_tx, jobs_rx) = chan::bounded::<u64>(100);
        let (results_tx, results_rx) = chan::bounded::<(u64, u64)>(100);
        worker_pool(jobs_rx, results_tx, WORKERS);
        gmp::spawn(async move {
            for j in 0..JOBS {
                jobs_tx.send(j).await.unwrap();
            }
            jobs_tx.close(); // close(jobs)
        })
        .detach();
        // for r := range results { handleResult(r) }
        let (count, checksum) = results_rx
            .fold(
                (0u64, 0u64),
                |(n, acc), (_, r)| async move { (n + 1, acc ^ r) },
            )
            .await;
        let expected = (0..JOBS).map(process).fold(0, |a, r| a ^ r);
        format!(
            "processed {count} jobs with {WORKERS} workers\nchecksum ok: {}\n",
            checksum == expected
        )
    })
}

#[allow(dead_code)]
fn main() {
    print!("{}", run());
}
