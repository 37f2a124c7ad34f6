//! The comparison harness (in progress).
fn main() {}
