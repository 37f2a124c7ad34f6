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
