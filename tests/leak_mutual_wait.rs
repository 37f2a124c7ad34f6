//! Leak cause 3 of the goroutines chapter: two tasks waiting for each other.
//!
//! Go's `leak4`: each goroutine first receives from the channel the other sends on, so neither
//! ever sends. Both are reported, each at its own spawn site. The fix breaks the cycle: one of
//! them sends first.
//!
//! (Written with `futures::channel::mpsc` until gmp's channels land.)

mod support;

use futures::StreamExt;
use futures::channel::mpsc;

const SOURCE: &str = include_str!("leak_mutual_wait.rs");

/// Leaky: `a` receives on `ch1` then sends on `ch2`; `b` receives on `ch2` then sends on `ch1`.
async fn leaky() {
    let (tx1, mut rx1) = mpsc::unbounded::<u32>();
    let (tx2, mut rx2) = mpsc::unbounded::<u32>();
    // leak site: a (the spawn on the next line)
    gmp::spawn(async move {
        let v = rx1.next().await.unwrap();
        tx2.unbounded_send(v + 1).ok();
    })
    .detach();
    // leak site: b (the spawn on the next line)
    gmp::spawn(async move {
        let v = rx2.next().await.unwrap();
        tx1.unbounded_send(v + 1).ok();
    })
    .detach();
}

/// Fixed: `b` sends first, then waits for `a`'s answer.
async fn fixed() -> u32 {
    let (tx1, mut rx1) = mpsc::unbounded::<u32>();
    let (tx2, mut rx2) = mpsc::unbounded::<u32>();
    let a = gmp::spawn(async move {
        let v = rx1.next().await.unwrap();
        tx2.unbounded_send(v + 1).ok();
    });
    let b = gmp::spawn(async move {
        tx1.unbounded_send(0).ok();
        rx2.next().await.unwrap()
    });
    a.await.unwrap();
    b.await.unwrap()
}

#[test]
fn both_tasks_are_caught_at_their_spawn_sites() {
    let (leaks, ()) = support::check(leaky());
    let leaks = leaks.expect_err("both tasks leak");
    let lines = [
        support::line_after(SOURCE, "leak site: a"),
        support::line_after(SOURCE, "leak site: b"),
    ];
    support::assert_leaked_at(&leaks, file!(), &lines);
}

#[gmp::test]
#[should_panic(expected = "found 2 leaked tasks")]
async fn leaky_version_fails_its_gmp_test() {
    leaky().await;
}

#[gmp::test]
async fn fixed_version_passes() {
    assert_eq!(fixed().await, 1);
}

/// `allow_leaks = "<spawn site>"` accepts exactly the tasks spawned there: both of them are in
/// this file, so naming the file accepts the two.
#[gmp::test(allow_leaks = "tests/leak_mutual_wait.rs")]
async fn allowed_by_spawn_site() {
    leaky().await;
}
