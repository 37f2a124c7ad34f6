//! `#[gmp::test]` and `#[gmp::main]` at run time: the body runs on a runtime built from the
//! attribute's arguments, other test attributes keep working, and returning from a
//! `#[gmp::main]` function ends the tasks still alive.

use std::sync::atomic::{AtomicUsize, Ordering};

#[gmp::test]
async fn spawn_and_await() {
    let h = gmp::spawn(async { 6 * 7 });
    assert_eq!(h.await.unwrap(), 42);
}

#[gmp::test(maxprocs = 1)]
async fn maxprocs_one() {
    assert_eq!(gmp::runtime::maxprocs(), 1);
    // A task spawned on the one worker still runs while the test body waits for it.
    assert_eq!(
        gmp::spawn(async { gmp::runtime::maxprocs() })
            .await
            .unwrap(),
        1
    );
}

#[gmp::test(maxprocs = 3)]
async fn maxprocs_three() {
    assert_eq!(gmp::runtime::maxprocs(), 3);
}

#[gmp::test]
async fn returns_result() -> Result<(), std::num::ParseIntError> {
    let n: u32 = "41".parse()?;
    let h = gmp::spawn(async move { n + 1 });
    assert_eq!(h.await.unwrap(), 42);
    Ok(())
}

#[gmp::test]
#[should_panic(expected = "boom from the test body")]
async fn should_panic_is_kept() {
    gmp::yield_now().await;
    panic!("boom from the test body");
}

#[gmp::test]
#[ignore = "never runs: shows that #[ignore] passes through #[gmp::test]"]
async fn ignore_is_kept() {
    panic!("an ignored test ran");
}

/// Counts drops of the guards below.
static DROPPED: AtomicUsize = AtomicUsize::new(0);

struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

/// Leaves a task blocked forever, holding a `Guard`, and returns.
#[gmp::main(maxprocs = 2)]
async fn main_leaving_a_task_behind() -> usize {
    let guard = Guard;
    gmp::spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    })
    .detach();
    DROPPED.load(Ordering::SeqCst)
}

#[test]
fn main_returning_drops_remaining_tasks() {
    // While the body ran, the task (and its guard) was alive.
    assert_eq!(main_leaving_a_task_behind(), 0);
    // The runtime was dropped when the function returned, and the task with it.
    assert_eq!(DROPPED.load(Ordering::SeqCst), 1);
}
