//! # gmp-bench: gmp against tokio, async-executor, OS threads and Go
//!
//! Two front ends share the code here:
//! - `cargo bench --bench executor`: criterion micro-benches (`benches/executor.rs`);
//! - `cargo run --release -p gmp-bench`: the comparison harness (`src/main.rs`), which prints
//!   the seed chapter's goroutine-vs-thread table measured live, the executor workloads with
//!   ratios, the LIFO-strand latency test and the sysmon latency workloads.
//!
//! The modules:
//! - [`rt`]: the [`Rt`](rt::Rt) trait over gmp, tokio and async-executor, 2 workers each;
//! - [`handoff`]: executor-agnostic wake-up primitives, so every peer runs the same code;
//! - [`workloads`]: one module per workload, registered in [`workloads::WORKLOADS`];
//! - [`load`]: the load generator of the network rows; [`affinity`]: keeps it and the server
//!   on different cores.

// `unsafe` only in `affinity` (two libc calls, each with its SAFETY note).
#![deny(unsafe_code)]

#[allow(unsafe_code)]
pub mod affinity;
pub mod handoff;
pub mod load;
pub mod rt;
pub mod workloads;
