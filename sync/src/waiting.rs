//! Naming the wait of a composite operation: a future that records its own wait reason over
//! the one its inner leaf recorded (an errgroup slot is a semaphore permit, but the dump should
//! say "errgroup limit"). See `gmp_executor::runtime::WaitReason`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use gmp_executor::runtime::WaitReason;

/// `fut`, recording `reason` whenever it returns `Pending`.
pub(crate) fn labeled<F: Future>(reason: WaitReason, fut: F) -> Labeled<F> {
    Labeled { fut, reason }
}

/// Future returned by [`labeled`].
#[pin_project::pin_project]
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub(crate) struct Labeled<F> {
    #[pin]
    fut: F,
    reason: WaitReason,
}

impl<F: Future> Future for Labeled<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let res = this.fut.poll(cx);
        if res.is_pending() {
            gmp_executor::runtime::waiting_on(cx, *this.reason);
        }
        res
    }
}
