//! # gmp-executor: Go's G/M/P scheduler for futures
//!
//! A goroutine becomes a *task*: one heap allocation holding a small header (state word,
//! reference count, vtable, spawn site) followed by the future, whose space later holds its
//! output. There is no stack to grow: the future's size is known at compile time.
//!
//! The runtime plays Go's machinery:
//! - **P** (processor) is a [`scheduler`](crate::runtime) *worker*: it owns a LIFO slot (Go's
//!   `runnext`) and a bounded local run queue (256 tasks) from which idle workers steal half.
//! - **M** (machine) is the OS thread that drives one worker; extra threads serve the blocking
//!   pool ([`spawn_blocking`]), Go's hand-off of an M in a syscall.
//! - **G** is the task; the global injection queue takes spawns from outside the runtime and
//!   overflow from full local queues, and is checked every 61 scheduling ticks.
//!
//! Preemption is emulated by a cooperative budget ([`coop`]); a poll that blocks its thread
//! anyway is noticed by **sysmon**, a monitor thread like Go's, which reports it and moves the
//! work queued behind it to other workers (see [`Builder::sysmon`]).
//!
//! # Seeing inside
//!
//! - [`runtime::dump()`] lists every live task with its state (runnable, running, waiting, in
//!   `spawn_blocking`), spawn site, age and poll count: Go's goroutine profile. Opt in to
//!   [`Builder::dump_on_sigquit`] to get it on `SIGQUIT`, as from a Go program.
//! - [`Runtime::metrics`] counts polls, steals, parks, LIFO hits and more per worker, and tasks
//!   spawned, completed and alive (Go's `go_goroutines`).
//! - [`leak`] fails tests that leave tasks behind (uber-go/goleak); `#[gmp::test]` uses it.
//! - [`Runtime::block_on`] panics with "all tasks are asleep - deadlock!" and the dump when
//!   nothing can ever run again, as Go's runtime does ([`Builder::deadlock_detection`]).
//! - Each task has a `tracing` span (`trace` level) with its id and spawn site.
//!
//! Most users reach all of this through the `gmp` facade crate.
//!
//! # Examples
//!
//! ```
//! let rt = gmp_executor::Runtime::new().unwrap();
//! let answer = rt.block_on(async {
//!     let h = gmp_executor::spawn(async { 6 * 7 });
//!     h.await.unwrap()
//! });
//! assert_eq!(answer, 42);
//! ```

#![warn(missing_docs)]

pub(crate) mod clock;
pub mod coop;
#[cfg(all(feature = "hyper", unix, not(loom)))]
pub mod hyper;
#[cfg(not(loom))]
pub(crate) mod io;
pub mod leak;
#[doc(hidden)]
pub mod loom;
#[cfg(all(unix, not(loom)))]
pub mod net;
#[cfg(all(feature = "prometheus", not(loom)))]
pub mod prometheus;
pub mod runtime;
pub(crate) mod scheduler;
pub mod task;
pub mod time;

pub use runtime::{Builder, Handle, Runtime};
pub use task::{JoinError, JoinHandle, spawn, spawn_blocking, yield_now};
