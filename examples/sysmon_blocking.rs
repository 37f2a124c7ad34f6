//! Benchmark `blocking`: one task blocks its worker ten times for 100 ms while short tasks are
//! spawned every millisecond from a plain thread; prints their spawn-to-run latency on gmp,
//! tokio and Go (if `go` is installed), two workers each. Target for gmp: p99 <= 100 us.
//!
//! Run with `cargo run --release --example sysmon_blocking [-- --no-sysmon]`.

#[path = "bench_util/mod.rs"]
mod bench_util;

use std::time::Duration;

use bench_util::{Block, Workload, run_gmp, run_go, run_tokio, summary};

fn main() {
    // `--no-sysmon` adds a row for gmp with sysmon turned off.
    let no_sysmon = std::env::args().any(|a| a == "--no-sysmon");
    for mode in [Block::Sleep, Block::Spin] {
        let w = Workload {
            blockers: 1,
            rounds: 10,
            block: Duration::from_millis(100),
            mode,
            every: Duration::from_millis(1),
        };
        let name = format!("{mode:?}").to_lowercase();
        println!(
            "blocking/{name:<5} gmp   {}",
            summary(&mut run_gmp(&w, true))
        );
        if no_sysmon {
            let mut s = run_gmp(&w, false);
            println!("blocking/{name:<5} gmp without sysmon {}", summary(&mut s));
        }
        println!("blocking/{name:<5} tokio {}", summary(&mut run_tokio(&w)));
        if let Some(line) = run_go("blocking", &["-blockers=1", &format!("-mode={name}")]) {
            println!("blocking/{name:<5} go    {line}");
        }
    }
}
