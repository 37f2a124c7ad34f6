//! The seed chapter's interview question 1: what does this print?
//!
//! ```go
//! func main() {
//!     runtime.GOMAXPROCS(1)
//!     var wg sync.WaitGroup
//!     for i := 0; i < 5; i++ {
//!         wg.Add(1)
//!         go func(n int) {
//!             defer wg.Done()
//!             fmt.Print(n)
//!         }(i)
//!     }
//!     wg.Wait()
//! }
//! ```
//!
//! Answer: some permutation of 0-4. Even with one P, the order in which goroutines run is not
//! specified, and gmp's one worker makes no promise either: a task may go through the global
//! queue, the worker's local queue or its LIFO slot (Go's `runnext`), depending on where it
//! was spawned from and how busy the worker is. Code must not rely on any order.
//!
//! The tasks append their digit to a shared string as they run, so the first line shows the
//! order they actually ran in; the second line checks it is a permutation.
//!
//! Run with `cargo run --example interview_q1`.

use std::sync::{Arc, Mutex};

#[gmp::main(maxprocs = 1)]
async fn main() {
    let printed = Arc::new(Mutex::new(String::new()));
    let handles: Vec<_> = (0..5)
        .map(|n| {
            let printed = Arc::clone(&printed);
            gmp::spawn(async move { printed.lock().unwrap().push_str(&n.to_string()) })
        })
        .collect();
    for handle in handles {
        handle.await.expect("task panicked"); // wg.Wait()
    }

    let printed = printed.lock().unwrap().clone();
    println!("{printed}");
    let mut digits: Vec<char> = printed.chars().collect();
    digits.sort_unstable();
    let is_permutation = digits.into_iter().collect::<String>() == "01234";
    println!("a permutation of 0-4: {is_permutation}");
}
