//! Timer precision inside a runtime: 2,000 sequential 100 us sleeps awaited by a task on an
//! otherwise idle runtime, reporting how late each wake-up was (p50 / p99 / max), for gmp's
//! multi-threaded runtime and tokio's, in the same run. The worker holding timer duty parks in
//! the I/O reactor (see `gmp::net`), so this also measures the reactor's sub-millisecond waits.
//!
//! ```text
//! cargo run --release --example timer_precision_rt [-- SLEEPS MICROS]
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
    println!("{n} sequential sleeps of {d:?} in a task, inside each runtime (2 workers)");

    let rt = gmp::Builder::new().maxprocs(2).build().unwrap();
    let gmp_late = rt.block_on(async move {
        gmp::spawn(async move {
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
        })
        .await
        .unwrap()
    });
    drop(rt);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tokio_late = rt.block_on(async move {
        tokio::spawn(async move {
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
        })
        .await
        .unwrap()
    });

    report("gmp", gmp_late);
    report("tokio", tokio_late);
}
