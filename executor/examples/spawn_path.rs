//! Instruction count of the spawn path, for `valgrind --tool=callgrind` A/B runs.
//!
//! One worker, no sysmon; a task on it spawns `BATCH` empty tasks in `spawn_loop` (not
//! inlined, so callgrind can count just that function), then yields so they run, `ROUNDS`
//! times. A batch fits the worker's local queue, so no spawn overflows into the injection
//! queue:
//!
//! ```text
//! cargo build --release -p gmp-executor --example spawn_path
//! valgrind --tool=callgrind --toggle-collect='spawn_path::spawn_loop' \
//!     target/release/examples/spawn_path
//! ```
//!
//! The total `Ir` divided by `ROUNDS * BATCH` is the cost of one `gmp_executor::spawn` from a worker (task
//! allocation, registry insert, LIFO slot push, handle drop).

const BATCH: usize = 200;
const ROUNDS: usize = 50;

#[inline(never)]
fn spawn_loop(n: usize) {
    for _ in 0..n {
        gmp_executor::spawn(async {}).detach();
    }
}

fn main() {
    // No sysmon: its helper thread would start running the queued tasks next to the spawning
    // loop (which is a long poll under valgrind) and make the count vary from run to run.
    let rt = gmp_executor::Builder::new()
        .maxprocs(1)
        .sysmon(false)
        .build()
        .unwrap();
    rt.block_on(async {
        gmp_executor::spawn(async {
            for _ in 0..ROUNDS {
                spawn_loop(BATCH);
                gmp_executor::yield_now().await;
            }
        })
        .await
        .unwrap();
    });
}
