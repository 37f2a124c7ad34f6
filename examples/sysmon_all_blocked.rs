//! Benchmark `all_blocked`: both workers' tasks block their threads for 100 ms, ten times
//! (`thread::sleep`, then a busy spin), while short tasks are spawned every millisecond from a
//! plain thread; prints their spawn-to-run latency on gmp, tokio and Go (if `go` is installed),
//! two workers each. Target for gmp: p99 <= 15 ms, thanks to sysmon's helper thread; a runtime
//! without a monitor makes them wait for a block to end (up to 100 ms).
//!
//! Run with `cargo run --release --example sysmon_all_blocked [-- --no-sysmon]`.

#[path = "bench_util/mod.rs"]
mod bench_util;

use std::time::Duration;

use bench_util::{Block, Workload, run_gmp, run_go, run_tokio, summary};

fn main() {
    // `--no-sysmon` adds a row for gmp with sysmon turned off.
    let no_sysmon = std::env::args().any(|a| a == "--no-sysmon");
    for mode in [Block::Sleep, Block::Spin] {
        let w = Workload {
            blockers: 2,
            rounds: 10,
            block: Duration::from_millis(100),
            mode,
            every: Duration::from_millis(1),
        };
        let name = format!("{mode:?}").to_lowercase();
        println!(
            "all_blocked/{name:<5} gmp   {}",
            summary(&mut run_gmp(&w, true))
        );
        if no_sysmon {
            let mut s = run_gmp(&w, false);
            println!(
                "all_blocked/{name:<5} gmp without sysmon {}",
                summary(&mut s)
            );
        }
        println!(
            "all_blocked/{name:<5} tokio {}",
            summary(&mut run_tokio(&w))
        );
        if let Some(line) = run_go("blocking", &["-blockers=2", &format!("-mode={name}")]) {
            println!("all_blocked/{name:<5} go    {line}");
        }
    }
}
