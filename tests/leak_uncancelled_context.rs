//! Leak cause 2 of the goroutines chapter: a worker waiting on a context nobody cancels.
//!
//! Go's `leak3` starts a worker with `context.Background()`, which never expires; the fix is
//! `ctx, cancel := context.WithCancel(...)` with `defer cancel()`. Here a small hand-made
//! cancellation token stands in for gmp's context (which lands later), and the fix is the
//! `defer cancel()` of Rust: a guard that cancels when the function returns, however it
//! returns.

mod support;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

const SOURCE: &str = include_str!("leak_uncancelled_context.rs");

/// A cancellation flag and the wakers of the tasks waiting for it.
#[derive(Clone, Default)]
struct Cancel(Arc<CancelInner>);

#[derive(Default)]
struct CancelInner {
    cancelled: AtomicBool,
    waiters: Mutex<Vec<Waker>>,
}

impl Cancel {
    fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::Release);
        for w in self.0.waiters.lock().unwrap().drain(..) {
            w.wake();
        }
    }

    /// Completes once `cancel` has been called (Go's `<-ctx.Done()`).
    fn cancelled(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            if self.0.cancelled.load(Ordering::Acquire) {
                return Poll::Ready(());
            }
            self.0.waiters.lock().unwrap().push(cx.waker().clone());
            // Re-check: a cancel between the load and the push would otherwise be missed.
            if self.0.cancelled.load(Ordering::Acquire) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }

    /// Cancels when dropped: Go's `defer cancel()`.
    fn guard(&self) -> CancelOnDrop {
        CancelOnDrop(self.clone())
    }
}

struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Ticks every millisecond until cancelled.
fn start_worker(ctx: Cancel, ticks: Arc<AtomicU32>) {
    // leak site: ticker (the spawn on the next line)
    gmp::spawn(async move {
        loop {
            let tick = pin!(gmp::time::sleep(Duration::from_millis(1)));
            let done = pin!(ctx.cancelled());
            match futures::future::select(done, tick).await {
                futures::future::Either::Left(_) => return,
                futures::future::Either::Right(_) => {
                    ticks.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    })
    .detach();
}

/// Leaky: a context that is never cancelled.
async fn leaky(ticks: Arc<AtomicU32>) {
    let ctx = Cancel::default();
    start_worker(ctx.clone(), ticks);
    gmp::time::sleep(Duration::from_millis(5)).await;
}

/// Fixed: the context is cancelled when the function returns.
async fn fixed(ticks: Arc<AtomicU32>) {
    let ctx = Cancel::default();
    let _cancel = ctx.guard();
    start_worker(ctx.clone(), ticks);
    gmp::time::sleep(Duration::from_millis(5)).await;
}

#[test]
fn leaky_version_is_caught_at_its_spawn_site() {
    let ticks = Arc::new(AtomicU32::new(0));
    let (leaks, ()) = support::check(leaky(ticks.clone()));
    let leaks = leaks.expect_err("the ticker leaks");
    support::assert_leaked_at(
        &leaks,
        file!(),
        &[support::line_after(SOURCE, "leak site: ticker")],
    );
    assert!(ticks.load(Ordering::Relaxed) > 0);
}

#[gmp::test]
#[should_panic(expected = "found 1 leaked task")]
async fn leaky_version_fails_its_gmp_test() {
    leaky(Arc::default()).await;
}

#[gmp::test]
async fn fixed_version_passes() {
    fixed(Arc::default()).await;
}

/// Another harness (a plain `#[test]` with its own runtime) checks with `verify_none`.
#[test]
fn fixed_version_passes_verify_none() {
    let rt = gmp::Runtime::new().unwrap();
    rt.block_on(async {
        fixed(Arc::default()).await;
        gmp::leak::verify_none();
    });
}
