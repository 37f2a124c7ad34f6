//! Compile-time behavior of `#[gmp::main]` and `#[gmp::test]`: what compiles, and the error
//! (message and span) for each misuse. Regenerate the `.stderr` files with
//! `TRYBUILD=overwrite cargo test --test macros_ui`, then review them by eye.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    // `pass_*` files define `#[gmp::main]` functions without calling them: they check that the
    // expansion compiles (running one needs the scheduler; `macros_run.rs` does that).
    t.pass("tests/ui/pass_*.rs");
    t.compile_fail("tests/ui/fail_*.rs");
}
