#[gmp::main(4)]
async fn main() {}

#[gmp::test(maxprocs = 2 maxprocs = 3)]
async fn missing_comma() {}
