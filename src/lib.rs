//! # gmp: Go's concurrency model, native to async Rust
//!
//! (facade; re-exports only)

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use gmp_executor::{
    Builder, Handle, JoinError, JoinHandle, Runtime, coop, spawn, spawn_blocking, task, time,
    yield_now,
};

/// Go's channels (`make(chan T, n)`, send, receive, `close`, `for range`) and the `select!`
/// macro (the `select` module documents its rules).
pub use gmp_sync::{chan, select};

/// Runtime control and introspection: Go's `runtime` package.
pub mod runtime {
    pub use gmp_executor::runtime::*;
}
