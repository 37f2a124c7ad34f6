//! Shared by the integration tests: a runtime with `n` workers, a panic's message, a poll
//! until a dump shows what a test waits for,
//! `per_config!`, which stamps each test body over 1, 2 and 4 workers, and an always-ready leaf
//! future.

#![allow(dead_code, unused_macros)] // each test binary uses what it needs

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use gmp_executor::{Builder, Runtime};

/// An always-ready leaf future that spends budget, as gmp's channel operations do.
pub(crate) struct Ready;

impl Future for Ready {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        std::task::ready!(gmp_executor::coop::poll_proceed(cx));
        Poll::Ready(())
    }
}

/// A runtime with `n` workers.
pub(crate) fn rt(n: usize) -> Runtime {
    Builder::new().maxprocs(n).build().unwrap()
}

/// Takes `take()` until `ok` accepts it, and returns it; fails, printing the last one taken, if
/// `within` passes first (a dump or profile of a runtime that gets there on its own time).
pub(crate) fn poll_until<T: std::fmt::Display>(
    within: std::time::Duration,
    mut take: impl FnMut() -> T,
    mut ok: impl FnMut(&T) -> bool,
) -> T {
    let start = std::time::Instant::now();
    loop {
        let t = take();
        if ok(&t) {
            return t;
        }
        assert!(start.elapsed() < within, "never saw it:\n{t}");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Runs `f`, which must panic, and returns its panic message.
pub(crate) fn panic_message(f: impl FnOnce()) -> String {
    let err =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// `per_config! { name => |n| body; ... }`: one `#[test]` per body and worker count, in the
/// modules `one`, `two` and `four` (`n` = 1, 2, 4).
macro_rules! per_config {
    ($($name:ident => $body:expr;)*) => {
        mod one { use super::*; $( #[test] fn $name() { ($body)(1) } )* }
        mod two { use super::*; $( #[test] fn $name() { ($body)(2) } )* }
        mod four { use super::*; $( #[test] fn $name() { ($body)(4) } )* }
    };
}
