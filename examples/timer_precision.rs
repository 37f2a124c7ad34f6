//! Timer precision outside a runtime: 2,000 sequential 100 us sleeps, reporting how late each
//! wake-up was (p50 / p99 / max), for gmp's fallback timer thread and for tokio's
//! current-thread runtime, in the same run.
//!
//! ```text
//! cargo run --release --example timer_precision [-- SLEEPS MICROS]
//! ```

use std::time::{Duration, Instant};

fn report(name: &str, mut late: Vec<Duration>) {
    late.sort_unstable();
    let q =
        |p: f64| late[((late.len() as f64 * p) as usize).min(late.len() - 1)].as_secs_f64() * 1e6;
    println!(
        "{name:<8} n={:<5} lateness p50 {:>7.1} us   p99 {:>7.1} us   max {:>8.1} us",
        late.len(),
        q(0.50),
        q(0.99),
        q(1.0)
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let d = Duration::from_micros(args.next().and_then(|a| a.parse().ok()).unwrap_or(100));
    println!("{n} sequential sleeps of {d:?}, outside any gmp runtime");

    // Warm up: start gmp's timer thread and let its spin window settle.
    futures::executor::block_on(async {
        for _ in 0..50 {
            gmp::time::sleep(d).await;
        }
    });
    let gmp_late = futures::executor::block_on(async {
        let mut late = Vec::with_capacity(n);
        for _ in 0..n {
            let s = gmp::time::sleep(d);
            let deadline = s.deadline();
            s.await;
            late.push(Instant::now() - deadline);
        }
        late
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let tokio_late = rt.block_on(async {
        for _ in 0..50 {
            tokio::time::sleep(d).await;
        }
        let mut late = Vec::with_capacity(n);
        for _ in 0..n {
            let deadline = Instant::now() + d;
            tokio::time::sleep_until(deadline.into()).await;
            late.push(Instant::now() - deadline);
        }
        late
    });

    report("gmp", gmp_late);
    report("tokio", tokio_late);
}
