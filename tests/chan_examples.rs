//! The channel examples (`examples/chan_*.rs`) checked against their expected output. Each
//! example exposes `run() -> String`, which its `main` prints.

#[path = "../examples/chan_done_signal.rs"]
mod done_signal;
#[path = "../examples/chan_leaks.rs"]
mod leaks;
#[path = "../examples/chan_pipeline.rs"]
mod pipeline;
#[path = "../examples/chan_prime_sieve.rs"]
mod prime_sieve;
#[path = "../examples/chan_semaphore.rs"]
mod semaphore;
#[path = "../examples/chan_worker_pool.rs"]
mod worker_pool;

#[test]
fn chan_done_signal() {
    assert_eq!(
        done_signal::run(),
        "work complete\nmain exits\ndoSomething returned 42\nworker: stopped (did work: true)\n"
    );
}

#[test]
fn chan_worker_pool() {
    assert_eq!(
        worker_pool::run(),
        "processed 1000 jobs with 10 workers\nchecksum ok: true\n"
    );
}

#[test]
fn chan_semaphore() {
    assert_eq!(
        semaphore::run(),
        "processed 12 items\nat most 3 at once: true\n"
    );
}

#[test]
fn chan_pipeline() {
    assert_eq!(
        pipeline::run(),
        "squared 100 numbers across 3 goroutines\nsum of squares 1..=100 = 338350\n"
    );
}

#[test]
fn chan_prime_sieve() {
    assert_eq!(
        prime_sieve::run(),
        "first 20 primes: 2 3 5 7 11 13 17 19 23 29 31 37 41 43 47 53 59 61 67 71\n"
    );
}

#[test]
fn chan_leaks() {
    assert_eq!(
        leaks::run(),
        "leak1 unread sender: 1 task(s) still blocked\n\
         leak1 after dropping the receiver: 0 task(s) still blocked\n\
         fixed1 buffered channel: 0 task(s) still blocked\n\
         fixed1 select with done: 0 task(s) still blocked\n\
         leak2 never-closed range: 1 task(s) still blocked\n\
         fixed2 close after sending: 0 task(s) still blocked\n\
         leak4 mutual wait: 2 task(s) still blocked\n\
         leak4 after closing: 0 task(s) still blocked\n\
         fixed4 one side sends first: 0 task(s) still blocked\n\
         fixed4 result: 2\n"
    );
}
