//! The seed's Question 4: 1,000,000 tasks each sleeping 1 s. Prints wall time and peak RSS
//! (`VmHWM` from `/proc/self/status`).
//!
//! ```text
//! cargo run --release --example million_sleep                         # gmp::Runtime, 2 workers
//! cargo run --release --example million_sleep -- --futures-unordered  # timers alone, no runtime
//! cargo run --release --example million_sleep -- --futures-unordered 100000
//! ```
//!
//! The second form drives 1,000,000 `Sleep` futures through one `FuturesUnordered` under
//! `futures::executor::block_on`, served by gmp's fallback timer thread: it measures the timer
//! side alone (registration, the wheel, firing, waking).

use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn with_runtime(n: usize) {
    let rt = gmp::Builder::new().maxprocs(2).build().expect("runtime");
    rt.block_on(async {
        // The seed's program: wg.Add(1); go func() { defer wg.Done(); time.Sleep(time.Second) }()
        let start = Instant::now();
        let wg = gmp::WaitGroup::new();
        for _ in 0..n {
            wg.go(async { gmp::time::sleep(Duration::from_secs(1)).await });
        }
        let spawned = start.elapsed();
        wg.wait().await;
        println!(
            "  spawning took {:.3} s; all done {:.3} s after the last spawn",
            spawned.as_secs_f64(),
            (start.elapsed() - spawned).as_secs_f64()
        );
    });
}

fn futures_unordered(n: usize) {
    futures::executor::block_on(async {
        let start = Instant::now();
        let mut all: FuturesUnordered<gmp::time::Sleep> = (0..n)
            .map(|_| gmp::time::sleep(Duration::from_secs(1)))
            .collect();
        let created = start.elapsed();
        let last_deadline = Instant::now() + Duration::from_secs(1);
        let mut done = 0;
        while all.next().await.is_some() {
            done += 1;
        }
        assert_eq!(done, n);
        let tail = Instant::now().saturating_duration_since(last_deadline);
        println!(
            "  creating the sleeps took {:.3} s; the last completed {:.1} ms after the last deadline",
            created.as_secs_f64(),
            tail.as_secs_f64() * 1e3
        );
    });
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let unordered = args.iter().any(|a| a == "--futures-unordered");
    let n = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let start = Instant::now();
    let mode = if unordered {
        futures_unordered(n);
        "FuturesUnordered of Sleep, outside a runtime"
    } else {
        with_runtime(n);
        "gmp::Runtime (2 workers), one task per sleep"
    };
    let wall = start.elapsed();
    println!(
        "{n} x sleep(1s), {mode}: wall {:.3} s, peak RSS {:.1} MB",
        wall.as_secs_f64(),
        peak_rss_mb().unwrap_or(f64::NAN)
    );
}
