//! The forms `#[gmp::test]` accepts. (A bin is not built with `--test`, so the test bodies are
//! only parsed here; `tests/macros_run.rs` type-checks and runs them.)

#[gmp::test]
async fn plain() {}

#[gmp::test(maxprocs = 1)]
#[should_panic(expected = "boom")]
async fn should_panic() {
    panic!("boom");
}

#[gmp::test]
#[ignore = "reason"]
async fn ignored() -> Result<(), std::fmt::Error> {
    Ok(())
}

#[gmp::test(allow_leaks)]
async fn daemon() {}

#[gmp::test(allow_leaks = "src/pool.rs:12")]
async fn one_site() {}

#[gmp::test(maxprocs = 2, allow_leaks = ["src/a.rs", "src/b.rs:7:9"],)]
async fn several_sites() {}

#[gmp::test(allow_panics)]
async fn panics_allowed() {}

#[gmp::test(allow_leaks, allow_panics, maxprocs = 1)]
async fn everything_allowed() {}

fn main() {}
