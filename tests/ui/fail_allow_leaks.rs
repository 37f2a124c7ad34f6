// `#[gmp::main]` checks no leaks: every task ends when main returns.
#[gmp::main(allow_leaks)]
async fn main() {}

#[gmp::test(allow_leaks = 3)]
async fn not_a_string() {}

#[gmp::test(allow_leaks = "")]
async fn empty() {}

#[gmp::test(allow_leaks("src/a.rs"))]
async fn parentheses() {}

#[gmp::test(allow_leaks, allow_leaks = "src/a.rs")]
async fn twice() {}
