//! # gmp-sync: Go's synchronization toolbox as futures
//!
//! Channels with `select!`, WaitGroup, errgroup, context, locks, semaphores and once-cells,
//! with Go's semantics. Every primitive needs only a `Waker`, so it works under any executor;
//! under gmp each operation also spends the task's cooperative budget.

#![warn(missing_docs)]

#[allow(dead_code)]
pub(crate) mod loom;
