//! The concurrent prime sieve (Go's classic, as in golang/go test/chan/sieve1.go): a
//! generator goroutine, and one filter goroutine per prime found, chained by unbuffered
//! channels. Dropping the last receiver closes the chain, so every goroutine exits.
//!
//! Run with `cargo run --example chan_prime_sieve`.

use gmp::chan::{self, Receiver, Sender};

async fn generate(ch: Sender<u32>) {
    let mut i = 2;
    while ch.send(i).await.is_ok() {
        i += 1;
    }
}

async fn filter(input: Receiver<u32>, output: Sender<u32>, prime: u32) {
    while let Some(i) = input.recv().await {
        if i % prime != 0 && output.send(i).await.is_err() {
            return; // downstream is gone
        }
    }
}

/// Runs the example and returns what it prints.
pub(crate) fn run() -> String {
    let rt = gmp::Runtime::new().unwrap();
    rt.block_on(async {
        let (tx, mut ch) = chan::bounded::<u32>(0);
        gmp::spawn(generate(tx)).detach();
        let mut primes = Vec::new();
        for _ in 0..20 {
            let prime = ch.recv().await.unwrap();
            primes.push(prime.to_string());
            let (tx1, ch1) = chan::bounded::<u32>(0);
            gmp::spawn(filter(std::mem::replace(&mut ch, ch1), tx1, prime)).detach();
        }
        format!("first 20 primes: {}\n", primes.join(" "))
    })
}

#[allow(dead_code)]
fn main() {
    print!("{}", run());
}
