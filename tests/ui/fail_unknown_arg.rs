#[gmp::main(foo = 1)]
async fn main() {}

// Not accepted yet: the leak check it would turn off does not exist.
#[gmp::test(allow_leaks)]
async fn leaky() {}

// Tokio's spelling.
#[gmp::test(worker_threads = 2, maxprocs = 2)]
async fn tokio_words() {}
