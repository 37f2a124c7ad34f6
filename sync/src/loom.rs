//! The `std`-or-`loom` concurrency types: gmp-executor's shim, the one place in the workspace
//! that chooses (see `gmp_executor::loom`). Every concurrent structure in gmp-sync imports
//! from here.

#![allow(unused_imports)]

pub(crate) use gmp_executor::loom::*;
