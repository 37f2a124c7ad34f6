//! Leak cause 1 of the goroutines chapter: a sender blocked forever on a channel nobody reads.
//!
//! Go's version returns while a goroutine still waits to send on an unbuffered channel. In
//! Rust, dropping the receiver closes the channel and fails the send, so the same bug needs the
//! receiver to stay alive, unread: here a caller takes the first values of a generator and keeps
//! the receiver in a long-lived registry. The fix is Go's "stop the producer when you stop
//! reading": drop the receiver, and the generator's next send fails and it returns.
//!
//! (Written with `futures::channel::mpsc` until gmp's channels land.)

mod support;

use std::sync::Mutex;

use futures::SinkExt;
use futures::StreamExt;
use futures::channel::mpsc;

const SOURCE: &str = include_str!("leak_unread_sender.rs");

/// Sends 0, 1, 2, ... until the receiver goes away. With a zero buffer each send waits for
/// the receiver to make room.
fn numbers() -> mpsc::Receiver<u64> {
    let (mut tx, rx) = mpsc::channel(0);
    // leak site: generator (the spawn on the next line)
    gmp::spawn(async move {
        let mut n = 0;
        while tx.send(n).await.is_ok() {
            n += 1;
        }
    })
    .detach();
    rx
}

/// Leaky: reads three values, then keeps the receiver without ever reading it again.
async fn first_three_leaky(keep: &Mutex<Vec<mpsc::Receiver<u64>>>) -> Vec<u64> {
    let mut rx = numbers();
    let mut out = Vec::new();
    for _ in 0..3 {
        out.push(rx.next().await.unwrap());
    }
    keep.lock().unwrap().push(rx);
    out
}

/// Fixed: the receiver is dropped when we stop reading.
async fn first_three_fixed() -> Vec<u64> {
    let rx = numbers();
    rx.take(3).collect().await
}

#[test]
fn leaky_version_is_caught_at_its_spawn_site() {
    let keep = Mutex::new(Vec::new());
    let (leaks, first) = support::check(first_three_leaky(&keep));
    assert_eq!(first, [0, 1, 2]);
    let leaks = leaks.expect_err("the generator leaks");
    support::assert_leaked_at(
        &leaks,
        file!(),
        &[support::line_after(SOURCE, "leak site: generator")],
    );
}

/// Receivers kept for the life of the test binary, as a long-lived registry would keep them.
static REGISTRY: Mutex<Vec<mpsc::Receiver<u64>>> = Mutex::new(Vec::new());

#[gmp::test]
#[should_panic(expected = "found 1 leaked task")]
async fn leaky_version_fails_its_gmp_test() {
    assert_eq!(first_three_leaky(&REGISTRY).await, [0, 1, 2]);
}

#[gmp::test]
async fn fixed_version_passes() {
    assert_eq!(first_three_fixed().await, [0, 1, 2]);
}
