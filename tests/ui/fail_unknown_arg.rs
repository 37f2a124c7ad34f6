#[gmp::main(foo = 1)]
async fn main() {}

// Tokio's spelling.
#[gmp::test(worker_threads = 2, maxprocs = 2)]
async fn tokio_words() {}
