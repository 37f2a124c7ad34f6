//! # gmp-executor: Go's G/M/P scheduler for futures
//!
//! A goroutine becomes a *task*: one heap allocation holding a small header (state word,
//! reference count, vtable, spawn site) followed by the future, whose space later holds its
//! output. There is no stack to grow: the future's size is known at compile time.
//!
//! The runtime plays Go's machinery:
//! - **P** (processor) is a [scheduler](crate::runtime) *worker*: it owns a LIFO slot (Go's
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
//! # Layers (for maintainers)
//!
//! The modules form one-way layers: a module may use the ones below it, never one above, and
//! `tests/layers.rs` fails the build of the test suite if an import points back up.
//!
//! ```text
//!   leak, hyper, net ........ public helpers over the runtime (net: sockets on io)
//!        |
//!   runtime ................. Runtime, Builder, Handle, spawn, spawn_blocking, block_on and
//!        |                    its deadlock check, dump, metrics, SIGQUIT
//!        v
//!   scheduler ............... Shared (takes a plain Config), workers and their stats, queues,
//!        |                    parking, sysmon, the thread-local current worker/runtime
//!        v
//!   task   time   io   blocking ... the task object and its Schedule trait; timers and the
//!        |                          thread's timer binding; the reactor and its binding; the
//!        v                          blocking pool
//!   coop   clock   loom ..... budget, coarse clock, std/loom shim
//! ```
//!
//! What each may use:
//! - [`runtime`]: everything below. Turns the public `Builder` into `scheduler::Config`,
//!   and owns the public entry points (`spawn` and `spawn_blocking` look the current thread up
//!   once, in `scheduler::context`, and hand what they found down).
//! - `scheduler`: `task`, `time`, `io`, `blocking`, `coop`, `clock`, `loom`. It reaches the
//!   layers below through their bindings (`time::binding::enter`, `io::binding::enter`) and the
//!   callbacks it hands them (the timer driver's unpark and spawner, a task's `Schedule`).
//! - [`task`]: `coop`, `clock`, `loom`; a task reaches its scheduler only through the
//!   `Schedule` it is handed.
//! - [`time`], `io`, `blocking`: `task` (blocking only), `coop`, `clock`, `loom`; none of them
//!   names the scheduler or the runtime, nor each other.
//! - [`coop`], `clock`, [`loom`]: nothing of gmp's (coop counts a worker's progress through a
//!   counter the scheduler hands it for each poll).
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

pub(crate) mod blocking;
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
/// The tokio-compat route; public as [`runtime::tokio_compat`].
#[cfg(all(feature = "tokio-compat", not(loom)))]
#[doc(hidden)]
pub mod tokio_compat;

pub use runtime::{Builder, Handle, Runtime, spawn, spawn_blocking};
pub use task::{JoinError, JoinHandle, yield_now};
