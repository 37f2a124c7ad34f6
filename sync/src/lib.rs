//! # gmp-sync: Go's synchronization toolbox as futures
//!
//! Channels with `select!`, WaitGroup, errgroup, context, locks, semaphores and once-cells,
//! with Go's semantics. Every primitive needs only a `Waker`, so it works under any executor;
//! under gmp each operation also spends the task's cooperative budget.
//!
//! ## Lock order (all of gmp-sync's own primitives)
//!
//! Each primitive's internal mutex (its waiter list) is a *leaf*: no code holds two of them at
//! once, and wakers and callbacks are collected under the lock and run after it is released.
//! The context tree is walked one node at a time for the same reason (see [`context`]). The one
//! lock taken under a context scope's lock is a gmp-executor timer wheel's (arming a deadline),
//! and the wheel calls nothing under its own lock.
//!
//! A channel operation holds one channel mutex at a time and takes no other lock under it.

#![warn(missing_docs)]

pub(crate) mod loom;

mod cell;
mod waiting;
mod waitlist;

pub mod mutex;
pub mod rwlock;
pub mod semaphore;

pub use mutex::{Mutex, MutexGuard, OwnedMutexGuard};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};

pub mod waitgroup;
pub use waitgroup::{WaitGroup, WaitGroupGuard};

pub mod context;
pub use context::Context;

pub mod errgroup;

pub mod notify;
pub mod once;
pub mod singleflight;
pub use notify::Notify;
pub use once::{Once, OnceCell};

pub mod chan;
pub mod select;
