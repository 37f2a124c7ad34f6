//! Driving one channel future to completion on a plain thread (`send_blocking`, `recv_blocking`).
//!
//! # Design
//!
//! The thread polls the future with a waker that sets a `notified` flag and unparks the thread;
//! between polls it parks until the flag is set. Park/unpark is the whole protocol: the waker's
//! `store(true)` (Release) pairs with the parking thread's `swap(false)` (Acquire), and
//! `unpark` before `park` makes `park` return at once, so no wake-up is lost. Each thread keeps
//! one waker (a thread-local `Arc`), so a blocking operation allocates nothing.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use crate::loom::{AtomicBool, Ordering, thread};

struct ThreadWaker {
    thread: thread::Thread,
    notified: AtomicBool,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Release: pairs with the Acquire swap in `block_on`.
        self.notified.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

fn new_waker() -> (Arc<ThreadWaker>, Waker) {
    let tw = Arc::new(ThreadWaker {
        thread: thread::current(),
        notified: AtomicBool::new(false),
    });
    let waker = Waker::from(tw.clone());
    (tw, waker)
}

/// Runs `fut` to completion, parking the current thread while it is pending.
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    #[cfg(not(loom))]
    {
        thread_local! {
            static WAKER: (Arc<ThreadWaker>, Waker) = new_waker();
        }
        // `try_with` fails only during thread-local destruction: fall back to a fresh waker.
        match WAKER.try_with(|(tw, waker)| (tw.clone(), waker.clone())) {
            Ok((tw, waker)) => run(fut, &tw, &waker),
            Err(_) => {
                let (tw, waker) = new_waker();
                run(fut, &tw, &waker)
            }
        }
    }
    #[cfg(loom)]
    {
        let (tw, waker) = new_waker();
        run(fut, &tw, &waker)
    }
}

fn run<F: Future>(fut: F, tw: &ThreadWaker, waker: &Waker) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(waker);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        // Acquire: pairs with the Release store in `wake_by_ref`.
        while !tw.notified.swap(false, Ordering::Acquire) {
            thread::park();
        }
    }
}
