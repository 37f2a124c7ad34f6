//! # gmp: Go's concurrency model, native to async Rust
//!
//! A goroutine becomes a **task**: a future [`spawn`]ed onto a gmp [`Runtime`], which runs it on
//! one of `GOMAXPROCS` worker threads. The runtime is Go's G/M/P scheduler written for futures:
//!
//! - each worker (Go's **P**) runs on its own OS thread (**M**) and owns a LIFO slot (Go's
//!   `runnext`, the task it most recently woke or spawned, which runs next) and a 256-slot local
//!   queue that idle workers steal half of;
//! - spawns from outside the runtime go through a global queue, checked every 61 ticks;
//! - idle workers park; at most half search for work at once, and a searcher that finds some
//!   wakes at most one more;
//! - blocking calls go to a separate pool ([`spawn_blocking`]), Go's hand-off of an M in a
//!   syscall;
//! - preemption is emulated by a cooperative budget ([`coop`]): every gmp leaf future spends it.
//!
//! Around the scheduler: [`time`] (Go's `time` package), [`WaitGroup`], [`context`],
//! [`errgroup`], locks and semaphores with Go's semantics, all usable under any executor.
//!
//! ```
//! #[gmp::main]
//! async fn main() {
//!     let wg = gmp::WaitGroup::new();
//!     for id in 0..5 {
//!         wg.go(async move { println!("goroutine {id} done") });
//!     }
//!     wg.wait().await;
//!     println!("all done");
//! }
//! ```
//!
//! This crate only re-exports `gmp-executor`, `gmp-sync` and `gmp-macros`.

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
/// is set, otherwise one per core. `maxprocs = N` sets the number. `tokio_compat` (feature
/// `tokio-compat`) builds it with `Builder::tokio_compat(true)`, so crates that need tokio's
/// timer or reactor work in it (see `gmp::runtime::tokio_compat`).
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

/// Runs an `async fn` test on its own gmp runtime, and fails it if it leaks tasks or a task
/// panics unobserved.
///
/// Each test builds a runtime, runs its body with `block_on` and drops the runtime at the end,
/// so tasks left running by one test cannot outlive it. Other test attributes keep working:
/// `#[should_panic]`, `#[ignore]`, and a `Result` return type as with `#[test]`.
///
/// After the body returns, the test waits up to 100 ms ([`leak::DEFAULT_GRACE`]) for the tasks
/// it spawned to finish, then fails if any is still alive, listing each leaked task's spawn
/// site and state (what uber-go/goleak does for Go tests). Each test has its own runtime, so
/// tests running in parallel never see each other's tasks. `allow_leaks` turns the check off;
/// `allow_leaks = "src/file.rs:12"` or `allow_leaks = ["a.rs", "b.rs:7"]` ignores the tasks
/// spawned there (a path suffix, optionally with a line and column). `maxprocs = N` and
/// `tokio_compat` (feature `tokio-compat`) configure the runtime as for [`main`].
///
/// A task that panics with nobody observing the panic also fails the test, with the panic's
/// message and the task's spawn site, as any goroutine's panic fails a Go test binary. A panic
/// is *observed* when the task's [`JoinHandle`] is awaited (or polled, in a `select!` arm)
/// to completion and returns the `Err(JoinError)` carrying it. Every other panic is not:
/// a detached task's, one whose handle was dropped before or after it panicked (looking at
/// `is_finished` is not observing), and one raised by a task's destructor while it is
/// aborted. The check runs after the leak check's wait, so a task that panics just after the
/// body returned is caught too. `allow_panics` turns it off; see
/// [`runtime::UnhandledPanics`] for the record
/// itself.
///
/// Go's `errCh` pattern (the goroutines chapter's Mistake 2: `t.Fatal` must not be called
/// from another goroutine, so the error travels back on a channel) becomes the task's own
/// output: return the error from the task and await its handle in the test body. The handle
/// carries the task's panic as well, so nothing a task does can get lost.
///
/// ```
/// async fn do_something() -> Result<(), String> {
///     Ok(())
/// }
///
/// #[gmp::test]
/// async fn something() {
///     let h = gmp::spawn(do_something()); // go func() { errCh <- doSomething() }()
///     h.await                             // err := <-errCh
///         .expect("the task panicked")
///         .expect("do_something failed"); // if err != nil { t.Fatal(err) }
/// }
/// # fn main() {}
/// ```
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
///
/// // A task that waits forever on a channel nobody closes fails the test:
/// // "found 1 leaked task ... created at src/lib.rs:12:5".
/// #[gmp::test]
/// #[should_panic(expected = "found 1 leaked task")]
/// async fn leaks() {
///     let (tx, rx) = futures::channel::oneshot::channel::<()>();
///     gmp::spawn(async move { rx.await.ok() }).detach();
///     std::mem::forget(tx);
/// }
///
/// // A daemon meant to outlive the test.
/// #[gmp::test(allow_leaks)]
/// async fn daemon() {
///     gmp::spawn(std::future::pending::<()>()).detach();
/// }
///
/// // A detached task's panic fails the test: "1 task panicked and nobody observed it:
/// //     task 1 spawned at src/lib.rs:40:5 panicked: boom".
/// #[gmp::test]
/// #[should_panic(expected = "panicked: boom")]
/// async fn detached_panic() {
///     gmp::spawn(async { panic!("boom") }).detach();
///     gmp::time::sleep(std::time::Duration::from_millis(20)).await;
/// }
///
/// // Awaited, the panic is the handle's `Err`: observed, the test passes.
/// #[gmp::test]
/// async fn awaited_panic() {
///     let err = gmp::spawn(async { panic!("boom") }).await.unwrap_err();
///     assert!(err.is_panic());
/// }
///
/// // A panic the test expects, not awaited.
/// #[gmp::test(allow_panics)]
/// async fn panics_allowed() {
///     gmp::spawn(async { panic!("expected") }).detach();
/// }
/// # fn main() {}
/// ```
#[doc(inline)]
pub use gmp_macros::test;

pub use gmp_executor::{
    Builder, Handle, JoinError, JoinHandle, Runtime, coop, spawn, spawn_blocking, task, time,
    yield_now,
};

/// Leak checks for tests: uber-go/goleak for gmp tasks. `#[gmp::test]` runs one after every
/// test; [`leak::verify_none`] and [`leak::check_runtime`] serve other harnesses.
pub mod leak {
    pub use gmp_executor::leak::*;
}

pub use gmp_executor::net;

#[cfg(feature = "hyper")]
pub use gmp_executor::hyper;

/// A web service on gmp (feature `http`): the `gmp-http` crate. [`http::serve()`] runs any
/// tower service, an axum `Router` for instance, on a gmp listener: HTTP/1 and HTTP/2,
/// upgrades, a header-read timeout, header size and connection limits, accept back-off on
/// `EMFILE`, and graceful shutdown on a [`context::Context`]. No tokio runtime is involved.
///
/// # Examples
///
/// ```no_run
/// # async fn doc(app: axum::Router) -> std::io::Result<()> {
/// let (ctx, stop) = gmp::context::with_cancel(&gmp::context::Context::background());
/// // stop.cancel() on SIGINT, for instance
/// # drop(stop);
/// let listener = gmp::net::TcpListener::bind("127.0.0.1:3000").await?;
/// gmp::http::serve(listener, app).with_graceful_shutdown(ctx).await?;
/// # Ok(())
/// # }
/// ```
///
/// The whole service, with JSON, path parameters, a websocket echo and shutdown on SIGINT, is
/// `examples/axum_service.rs`.
#[cfg(feature = "http")]
pub use gmp_http as http;
/// The runtime's metrics for Prometheus (feature `metrics`): Go's `go_goroutines` and the rest.
///
/// Register a [`RuntimeCollector`](metrics::RuntimeCollector) in a `prometheus-client`
/// registry and answer `/metrics` with [`render`](metrics::render); `examples/debug_tasks.rs`
/// serves it next to the task dump.
///
/// ```
/// use gmp::metrics::{RuntimeCollector, prometheus_client::registry::Registry, render};
///
/// #[gmp::main(maxprocs = 2)]
/// async fn main() {
///     let mut registry = Registry::default();
///     registry.register_collector(Box::new(RuntimeCollector::current()));
///     let (_content_type, body) = render(&registry, None).unwrap();
///     assert!(body.contains("\ngmp_tasks 0\n"));
/// }
/// ```
#[cfg(feature = "metrics")]
pub mod metrics {
    pub use gmp_executor::prometheus::*;
}

/// Runtime control and introspection: Go's `runtime` package.
pub mod runtime {
    pub use gmp_executor::runtime::*;
}

pub use gmp_sync::{Mutex, Notify, Once, OnceCell, RwLock, Semaphore, WaitGroup};

pub use gmp_sync::{chan, select};

/// Go's `context` package: cancellation, deadlines and values for a tree of tasks.
pub mod context {
    pub use gmp_sync::context::*;
}

/// Go's `golang.org/x/sync/errgroup`: a group of tasks with the first error and a limit.
pub mod errgroup {
    pub use gmp_sync::errgroup::*;
}

/// Go's `sync` package (and `x/sync`'s semaphore and singleflight), as futures.
pub mod sync {
    pub use gmp_sync::{
        Mutex, MutexGuard, Notify, Once, OnceCell, OwnedMutexGuard, OwnedSemaphorePermit, RwLock,
        RwLockReadGuard, RwLockWriteGuard, Semaphore, SemaphorePermit, WaitGroup, WaitGroupGuard,
        mutex, notify, once, rwlock, semaphore, singleflight, waitgroup,
    };
}
