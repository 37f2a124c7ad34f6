//! `#[gmp::main]` and `#[gmp::test]` (in progress).
#![forbid(unsafe_code)]
