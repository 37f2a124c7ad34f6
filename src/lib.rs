//! # gmp: Go's concurrency model, native to async Rust
//!
//! (facade; re-exports only)

#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Runs `async fn main` on a gmp runtime: Go's program start and exit.
///
/// The function runs as the main goroutine on the calling thread while the tasks it spawns run
/// on the runtime's workers. When it returns, the runtime is dropped: the workers stop and
/// every task still alive is dropped, running its destructors (Go ends its goroutines without
/// running their `defer`s). Wait for the tasks you need, with their [`JoinHandle`]s for
/// instance, before returning.
///
/// The runtime is a default [`Builder`]'s: `GOMAXPROCS` workers when that environment variable
/// is set, otherwise one per core. `maxprocs = N` sets the number.
///
/// # Examples
///
/// ```
/// #[gmp::main]
/// async fn main() {
///     let hello = gmp::spawn(async { "Hello from a goroutine!" });
///     println!("{}", hello.await.unwrap());
/// }
/// ```
///
/// One worker, and a `Result` for the exit status:
///
/// ```
/// #[gmp::main(maxprocs = 1)]
/// async fn main() -> Result<(), std::num::ParseIntError> {
///     assert_eq!(gmp::runtime::maxprocs(), 1);
///     let n: u32 = "41".parse()?;
///     assert_eq!(gmp::spawn(async move { n + 1 }).await.unwrap(), 42);
///     Ok(())
/// }
/// ```
///
/// Misuse is a compile error that points at the mistake:
///
/// ```compile_fail
/// #[gmp::main(maxprocs = 0)] // error: `maxprocs` must be at least 1
/// async fn main() {}
/// ```
#[doc(inline)]
pub use gmp_macros::main;

/// Runs an `async fn` test on its own gmp runtime.
///
/// Each test builds a runtime, runs its body with `block_on` and drops the runtime at the end,
/// so tasks left running by one test cannot outlive it. Other test attributes keep working:
/// `#[should_panic]`, `#[ignore]`, and a `Result` return type as with `#[test]`.
///
/// The runtime is a default [`Builder`]'s: `GOMAXPROCS` workers when that environment variable
/// is set, otherwise one per core. `maxprocs = N` sets the number.
///
/// # Examples
///
/// ```
/// #[gmp::test]
/// async fn spawn_and_join() {
///     let h = gmp::spawn(async { 6 * 7 });
///     assert_eq!(h.await.unwrap(), 42);
/// }
///
/// #[gmp::test(maxprocs = 1)]
/// async fn one_worker() -> Result<(), std::num::ParseIntError> {
///     assert_eq!(gmp::runtime::maxprocs(), 1);
///     let _: u8 = "7".parse()?;
///     Ok(())
/// }
///
/// #[gmp::test]
/// #[should_panic(expected = "boom")]
/// async fn panics() {
///     panic!("boom");
/// }
/// # fn main() {}
/// ```
#[doc(inline)]
pub use gmp_macros::test;

pub use gmp_executor::{Builder, Handle, JoinError, JoinHandle, Runtime, coop, spawn, spawn_blocking, task, time, yield_now};

pub use gmp_executor::net;

#[cfg(feature = "hyper")]
pub use gmp_executor::hyper;

/// Runtime control and introspection: Go's `runtime` package.
pub mod runtime {
    pub use gmp_executor::runtime::*;
}
