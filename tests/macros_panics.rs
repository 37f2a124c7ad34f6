//! `#[gmp::test]` fails a test when a task it spawned panics and nobody observes the panic
//! (the goroutines chapter's Mistake 2: a failure inside a goroutine must reach the test).
//!
//! A panic is observed when the task's `JoinHandle` is polled to completion and returns the
//! `Err(JoinError)`; every other panic (detached task, handle dropped before or after the
//! panic, an aborted task whose destructor panics) fails the test with the panic's message and
//! the task's spawn site. `allow_panics` opts out.
//!
//! The failing tests are `#[should_panic]` (the harness checks the message), and the
//! `*_names_the_spawn_site` tests call them directly to check the spawn site too.

mod support;

use std::time::Duration;

const SOURCE: &str = include_str!("macros_panics.rs");

/// Prints panics without a backtrace. With `RUST_BACKTRACE=1` (as CI sets it) the default
/// hook's first backtrace takes over 100 ms to symbolize in a debug build, longer than the
/// leak check's grace period: the panicking task would be reported as leaked (still running,
/// in the hook) before its panic is recorded. Every test of this binary panics on purpose.
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|info| eprintln!("{info}"))));
}

/// Runs a `#[gmp::test]` function (a plain `fn()` once expanded) and returns its panic
/// message.
fn failure_of(test: fn()) -> String {
    let payload = std::panic::catch_unwind(test).expect_err("the test should fail");
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => p.downcast::<&str>().map(|s| s.to_string()).unwrap(),
    }
}

fn assert_names(msg: &str, line: u32, panic_message: &str) {
    let site = format!("spawned at {}:{line}:", file!());
    assert!(msg.contains(&site), "expected {site:?} in:\n{msg}");
    assert!(
        msg.contains(&format!("panicked: {panic_message}")),
        "expected {panic_message:?} in:\n{msg}"
    );
}

/// The example: passed before, silently.
#[gmp::test]
#[should_panic(expected = "1 task panicked and nobody observed it")]
async fn detached_panic_fails_the_test() {
    quiet_panics();
    // spawn site: detached
    gmp::spawn(async { panic!("boom from a detached task") }).detach();
    gmp::time::sleep(Duration::from_millis(50)).await;
}

#[test]
fn detached_panic_names_the_spawn_site() {
    quiet_panics();
    let msg = failure_of(detached_panic_fails_the_test);
    assert_names(
        &msg,
        support::line_after(SOURCE, "spawn site: detached"),
        "boom from a detached task",
    );
    assert!(msg.contains("allow_panics"), "{msg}");
}

/// The body returns at once: the panic comes during the leak check's grace period and is
/// still caught.
#[gmp::test]
#[should_panic(expected = "panicked: late boom")]
async fn panic_after_the_body_returned_fails_the_test() {
    quiet_panics();
    gmp::spawn(async {
        gmp::time::sleep(Duration::from_millis(10)).await;
        panic!("late boom");
    })
    .detach();
}

#[gmp::test]
#[should_panic(expected = "panicked: dropped before")]
async fn handle_dropped_before_the_panic_fails_the_test() {
    quiet_panics();
    let (tx, rx) = gmp::chan::bounded::<()>(0);
    let h = gmp::spawn(async move {
        let _ = rx.recv().await;
        panic!("dropped before");
    });
    drop(h);
    drop(tx);
    gmp::time::sleep(Duration::from_millis(20)).await;
}

#[gmp::test]
#[should_panic(expected = "panicked: dropped after")]
async fn handle_dropped_unread_after_the_panic_fails_the_test() {
    quiet_panics();
    // spawn site: dropped after
    let h = gmp::spawn(async { panic!("dropped after") });
    while !h.is_finished() {
        gmp::yield_now().await;
    }
    // Looking at `is_finished` is not observing: the Err is dropped unread.
    drop(h);
}

#[test]
fn handle_dropped_after_names_the_spawn_site() {
    quiet_panics();
    let msg = failure_of(handle_dropped_unread_after_the_panic_fails_the_test);
    assert_names(
        &msg,
        support::line_after(SOURCE, "spawn site: dropped after"),
        "dropped after",
    );
}

/// Panics in its destructor: the panic an abort's cancellation runs into.
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("destructor boom");
    }
}

/// The handle reports the cancellation; the destructor's panic has no other way out.
#[gmp::test]
#[should_panic(expected = "panicked: destructor boom")]
async fn aborted_task_whose_destructor_panics_fails_the_test() {
    quiet_panics();
    let (started_tx, started_rx) = gmp::chan::bounded::<()>(0);
    let h = gmp::spawn(async move {
        let _guard = PanicOnDrop;
        started_tx.send(()).await.unwrap();
        std::future::pending::<()>().await;
    });
    started_rx.recv().await.unwrap();
    h.abort();
    assert!(h.await.unwrap_err().is_cancelled());
}

#[gmp::test]
#[should_panic(expected = "panicked: blocking boom")]
async fn dropped_spawn_blocking_panic_fails_the_test() {
    quiet_panics();
    drop(gmp::spawn_blocking(|| panic!("blocking boom")));
    gmp::time::sleep(Duration::from_millis(50)).await;
}

#[gmp::test]
#[should_panic(expected = "3 tasks panicked and nobody observed it")]
async fn every_unobserved_panic_is_counted() {
    quiet_panics();
    for i in 0..3 {
        gmp::spawn(async move { panic!("boom {i}") }).detach();
    }
    gmp::time::sleep(Duration::from_millis(50)).await;
}

/// Awaited, and the error handled: observed, the test passes.
#[gmp::test]
async fn awaited_panic_is_observed() {
    quiet_panics();
    let h = gmp::spawn(async { panic!("expected") });
    let err = h.await.unwrap_err();
    assert!(err.is_panic());
}

/// A `select!` arm on the handle that wins observes the panic too.
#[gmp::test]
async fn panic_observed_through_select() {
    quiet_panics();
    let h = gmp::spawn(async { panic!("expected") });
    gmp::select! {
        r = h => assert!(r.unwrap_err().is_panic()),
    }
}

/// An aborted task whose handle is awaited reports its cancellation: nothing unobserved.
#[gmp::test]
async fn aborted_and_awaited_passes() {
    quiet_panics();
    let h = gmp::spawn(std::future::pending::<()>());
    h.abort();
    assert!(h.await.unwrap_err().is_cancelled());
}

#[gmp::test(allow_panics)]
async fn allow_panics_opts_out() {
    quiet_panics();
    gmp::spawn(async { panic!("expected, allowed") }).detach();
    gmp::time::sleep(Duration::from_millis(20)).await;
}

/// The idiom that replaces Go's `errCh` (Mistake 2): the task returns its error, the test
/// awaits the handle. The handle carries the task's panic too, so nothing is lost.
#[gmp::test]
async fn errch_idiom() {
    quiet_panics();
    async fn do_something() -> Result<u32, String> {
        Ok(7)
    }
    let h = gmp::spawn(do_something());
    let n = h
        .await
        .expect("the task panicked")
        .expect("do_something failed");
    assert_eq!(n, 7);
}

/// Under a hand-built runtime the record is available directly.
#[test]
fn handle_exposes_the_record() {
    quiet_panics();
    let rt = gmp::Builder::new().maxprocs(2).build().unwrap();
    rt.block_on(async {
        // spawn site: record
        gmp::spawn(async { panic!("recorded") }).detach();
        while gmp::runtime::num_tasks() > 0 {
            gmp::yield_now().await;
        }
    });
    let panics = rt.handle().unhandled_panics();
    assert_eq!(panics.count(), 1);
    let p = &panics.panics()[0];
    assert_eq!(p.message, "recorded");
    assert_eq!(p.spawn_site.file(), file!());
    assert_eq!(
        p.spawn_site.line(),
        support::line_after(SOURCE, "spawn site: record")
    );
}
