//! # gmp-sync: Go's synchronization toolbox as futures
//!
//! Channels with `select!`, WaitGroup, errgroup, context, locks, semaphores and once-cells,
//! with Go's semantics. Every primitive needs only a `Waker`, so it works under any executor;
//! under gmp each operation also spends the task's cooperative budget.
//!
//! Lock order in this crate: a channel operation holds one channel mutex at a time and takes
//! no other lock under it.

#![warn(missing_docs)]

pub(crate) mod loom;

pub mod chan;
pub mod select;
