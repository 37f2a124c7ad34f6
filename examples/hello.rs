//! The seed chapter's first goroutine, "What Is a Goroutine":
//!
//! ```go
//! func main() {
//!     go sayHello()           // start a new goroutine
//!     time.Sleep(time.Second) // wait (crude approach)
//! }
//! ```
//!
//! The crude sleep becomes an await of the task's `JoinHandle`: main waits exactly as long as
//! the goroutine runs, and gets its result (or its panic) back.
//!
//! Run with `cargo run --example hello`.

async fn say_hello() {
    println!("Hello from goroutine!");
}

#[gmp::main]
async fn main() {
    let handle = gmp::spawn(say_hello()); // go sayHello()
    handle.await.expect("say_hello panicked");
    println!("main: goroutine finished");
}
