//! The seed chapter's "Main Goroutine Exit Terminates Everything":
//!
//! ```go
//! func main() {
//!     go func() {
//!         time.Sleep(time.Second)
//!         fmt.Println("done") // never executes
//!     }()
//!     // main returns, program ends, all goroutines forcibly terminated
//! }
//! ```
//!
//! gmp keeps the first half of the rule and changes the second: when a `#[gmp::main]` function
//! returns, its runtime is dropped and every task still alive is dropped with it, so `"done"`
//! is never printed, as in Go. But dropping a task runs the destructors of what it holds,
//! where Go runs none of a killed goroutine's `defer`s: the guard below prints.
//!
//! Run with `cargo run --example main_returns`.

use std::time::Duration;

/// Rust's answer to a `defer`: runs when dropped, however the owner ends.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        println!("destructor ran");
    }
}

#[gmp::main]
async fn main() {
    let (started_tx, started_rx) = futures::channel::oneshot::channel();
    gmp::spawn(async move {
        let _guard = Guard;
        started_tx.send(()).expect("main is waiting");
        gmp::time::sleep(Duration::from_secs(1)).await;
        println!("done"); // never printed: main returns first
    })
    .detach();

    // Make sure the task is running (and asleep, holding its guard) before returning.
    started_rx.await.expect("the task started");
    println!("main returns");
}
