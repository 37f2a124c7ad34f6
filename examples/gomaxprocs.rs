//! The seed chapter's GOMAXPROCS example: query and set the number of Ps.
//!
//! ```go
//! runtime.GOMAXPROCS(4)               // set to use 4 logical processors
//! fmt.Println(runtime.GOMAXPROCS(0))  // 0 means query without changing
//! fmt.Println(runtime.NumCPU())       // CPU core count
//! ```
//!
//! In gmp the number of workers (Ps) is fixed when a runtime is built, so "setting" it means
//! building a runtime with `Builder::maxprocs` (or `#[gmp::main(maxprocs = 4)]`). Querying is
//! `gmp::runtime::maxprocs()` inside a runtime. The default is Go's: the `GOMAXPROCS`
//! environment variable when set, otherwise one worker per core.
//!
//! Run with `cargo run --example gomaxprocs`, or `GOMAXPROCS=3 cargo run --example gomaxprocs`.

/// `runtime.GOMAXPROCS(0)` on a default runtime. `#[gmp::main]` works on any function name:
/// this one builds, uses and drops a runtime each time it is called.
#[gmp::main]
async fn default_maxprocs() -> usize {
    gmp::runtime::maxprocs()
}

fn main() {
    // runtime.NumCPU()
    let num_cpu = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("NumCPU: {num_cpu}");

    // runtime.GOMAXPROCS(0) with the default setting
    println!("default maxprocs: {}", default_maxprocs());

    // runtime.GOMAXPROCS(4), then GOMAXPROCS(0)
    let runtime = gmp::Builder::new()
        .maxprocs(4)
        .build()
        .expect("failed to build the runtime");
    let four = runtime.block_on(async { gmp::runtime::maxprocs() });
    println!("maxprocs after Builder::maxprocs(4): {four}");
}
