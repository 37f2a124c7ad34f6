#[gmp::main(maxprocs = 0)]
async fn main() {}

#[gmp::test(maxprocs = "4")]
async fn string() {}

#[gmp::test(maxprocs = 1.5)]
async fn float() {}

#[gmp::test(maxprocs = -1)]
async fn negative() {}

const N: usize = 4;
#[gmp::test(maxprocs = N)]
async fn constant() {}

#[gmp::test(maxprocs = 4u8)]
async fn suffix() {}

#[gmp::test(maxprocs = 100000000000000000000000)]
async fn huge() {}

#[gmp::test(maxprocs)]
async fn no_value() {}

#[gmp::test(maxprocs(4))]
async fn list() {}
