//! The seed chapter's "Waiting for Goroutines to Complete", with `JoinHandle`s where Go uses a
//! `sync.WaitGroup`:
//!
//! ```go
//! var wg sync.WaitGroup
//! for i := 0; i < 5; i++ {
//!     wg.Add(1)
//!     go func(id int) {
//!         defer wg.Done()
//!         fmt.Printf("goroutine %d done\n", id)
//!     }(i)
//! }
//! wg.Wait()
//! fmt.Println("all done")
//! ```
//!
//! Each task returns its report instead of printing it; main awaits the handles in spawn
//! order, so the output is the same on every run although the tasks run in any order, in
//! parallel. A handle also carries a task's panic back to whoever awaits it, which a
//! `WaitGroup` cannot.
//!
//! Run with `cargo run --example wait_many`.

#[gmp::main]
async fn main() {
    let handles: Vec<_> = (0..5)
        .map(|id| gmp::spawn(async move { format!("goroutine {id} done") }))
        .collect();
    for handle in handles {
        println!("{}", handle.await.expect("task panicked"));
    }
    println!("all done");
}
