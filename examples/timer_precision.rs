//! Timer precision: 2,000 sequential 100 us sleeps, reporting how late each wake-up was
//! (p50 / p99 / max), for gmp and tokio in the same run, twice:
//!
//! - outside any runtime: gmp's fallback timer thread against tokio's current-thread runtime;
//! - in a task on an otherwise idle 2-worker runtime, gmp's and tokio's. gmp's worker holding
//!   timer duty parks in the I/O reactor (see `gmp::net`), so this also measures the reactor's
//!   sub-millisecond waits.
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
        "{name:<14} n={:<5} lateness p50 {:>7.1} us   p99 {:>7.1} us   max {:>8.1} us",
        late.len(),
        q(0.50),
        q(0.99),
        q(1.0)
    );
}

/// 50 warm-up sleeps (starting timer threads, settling spin windows), then `n` measured ones.
async fn gmp_sleeps(n: usize, d: Duration) -> Vec<Duration> {
    for _ in 0..50 {
        gmp::time::sleep(d).await;
    }
    let mut late = Vec::with_capacity(n);
    for _ in 0..n {
        let s = gmp::time::sleep(d);
        let deadline = s.deadline();
        s.await;
        late.push(Instant::now() - deadline);
    }
    late
}

/// The same on tokio's timer.
async fn tokio_sleeps(n: usize, d: Duration) -> Vec<Duration> {
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
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let d = Duration::from_micros(args.next().and_then(|a| a.parse().ok()).unwrap_or(100));

    println!("{n} sequential sleeps of {d:?}, outside any gmp runtime");
    report(
        "gmp fallback",
        futures::executor::block_on(gmp_sleeps(n, d)),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    report("tokio current", rt.block_on(tokio_sleeps(n, d)));
    drop(rt);

    println!("{n} sequential sleeps of {d:?} in a task, inside each runtime (2 workers)");
    let rt = gmp::Builder::new().maxprocs(2).build().unwrap();
    let late = rt.block_on(async move { gmp::spawn(gmp_sleeps(n, d)).await.unwrap() });
    drop(rt);
    report("gmp", late);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    report(
        "tokio",
        rt.block_on(async move { tokio::spawn(tokio_sleeps(n, d)).await.unwrap() }),
    );
}
