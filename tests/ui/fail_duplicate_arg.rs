#[gmp::main(maxprocs = 1, maxprocs = 2)]
async fn main() {}
