//! # gmp: Go's concurrency model, native to async Rust
//!
//! (facade; re-exports only)

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use gmp_executor::{Builder, Handle, JoinError, JoinHandle, Runtime, coop, spawn, spawn_blocking, task, time, yield_now};

/// Runtime control and introspection: Go's `runtime` package.
pub mod runtime {
    pub use gmp_executor::runtime::*;
}

pub use gmp_sync::{Mutex, Notify, Once, OnceCell, RwLock, Semaphore, WaitGroup};

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
