// `#[gmp::main]` does not check task panics.
#[gmp::main(allow_panics)]
async fn main() {}

#[gmp::test(allow_panics = true)]
async fn with_a_value() {}

#[gmp::test(allow_panics("x"))]
async fn parentheses() {}

#[gmp::test(allow_panics, allow_panics)]
async fn twice() {}
