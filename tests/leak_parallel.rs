//! Tests running in parallel do not see each other's tasks: each `#[gmp::test]` has its own
//! runtime, and the leak check looks at that runtime's tasks only.

use std::time::Duration;

/// Keeps tasks alive, on purpose, for as long as the other test runs.
#[gmp::test(allow_leaks)]
async fn daemons_in_one_test() {
    for _ in 0..10 {
        gmp::spawn(std::future::pending::<()>()).detach();
    }
    gmp::time::sleep(Duration::from_millis(300)).await;
}

/// Runs meanwhile (the harness runs tests in parallel) and leaks nothing of its own.
#[gmp::test]
async fn clean_test_alongside() {
    for _ in 0..20 {
        gmp::spawn(gmp::time::sleep(Duration::from_millis(5)))
            .await
            .unwrap();
    }
    assert_eq!(gmp::runtime::num_tasks(), 0);
}
