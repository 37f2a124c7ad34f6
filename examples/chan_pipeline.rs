//! A pipeline: generate -> square (fanned out to 3 goroutines) -> merge -> sum. Each stage
//! ranges over its input and closes its output when done (by dropping its sender), so the end
//! of the input flows through the whole pipeline.
//!
//! Run with `cargo run --example chan_pipeline`.

use gmp::chan::{self, Receiver};

fn generate(n: u64) -> Receiver<u64> {
    let (tx, rx) = chan::bounded(0);
    gmp::spawn(async move {
        for i in 1..=n {
            tx.send(i).await.unwrap();
        }
        // tx drops: close(out)
    })
    .detach();
    rx
}

fn square(input: Receiver<u64>) -> Receiver<u64> {
    let (tx, rx) = chan::bounded(0);
    gmp::spawn(async move {
        while let Some(v) = input.recv().await {
            tx.send(v * v).await.unwrap();
        }
    })
    .detach();
    rx
}

/// Fan-in: one output that closes once every input is closed.
fn merge(inputs: Vec<Receiver<u64>>) -> Receiver<u64> {
    let (tx, rx) = chan::bounded(0);
    for input in inputs {
        let tx = tx.clone();
        gmp::spawn(async move {
            while let Some(v) = input.recv().await {
                tx.send(v).await.unwrap();
            }
        })
        .detach();
    }
    rx
}

/// Runs the example and returns what it prints.
pub(crate) fn run() -> String {
    let rt = gmp::Runtime::new().unwrap();
    rt.block_on(async {
        let source = generate(100);
        // Fan-out: three squarers read the same channel.
        let squares = merge((0..3).map(|_| square(source.clone())).collect());
        drop(source);
        let mut sum = 0;
        let mut count = 0;
        while let Some(v) = squares.recv().await {
            sum += v;
            count += 1;
        }
        format!("squared {count} numbers across 3 goroutines\nsum of squares 1..=100 = {sum}\n")
    })
}

#[allow(dead_code)]
fn main() {
    print!("{}", run());
}
