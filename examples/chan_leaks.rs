//! The seed chapter's goroutine leaks that involve channels, each next to its fix:
//!
//! 1. an unread sender: `ch <- val` with nobody reading blocks forever. Fixes: a buffered
//!    channel, or `select` on the send and a done channel (the context's role).
//!    gmp difference: once every receiver is *dropped*, the channel closes and the sender gets
//!    its value back, so the leak needs a receiver that is kept but never read.
//! 2. a never-closed range: `for v := range ch` waits forever unless the sender closes `ch`.
//!    Fix: close after sending (in gmp also: drop the last sender).
//! 3. two goroutines waiting on each other (`<-ch1; ch2 <- v` against `<-ch2; ch1 <- v`).
//!    Fix: break the cycle: one side sends first.
//!
//! Each leak is detected by a timeout, the way a test with `goleak` would notice it.
//!
//! Run with `cargo run --example chan_leaks`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gmp::chan;

const PATIENCE: Duration = Duration::from_millis(50);

/// Tasks still running, Go's `runtime.NumGoroutine()` for the tasks of this example.
#[derive(Clone, Default)]
struct Live(Arc<AtomicUsize>);

impl Live {
    fn spawn(&self, f: impl std::future::Future<Output = ()> + Send + 'static) {
        let live = self.0.clone();
        live.fetch_add(1, Ordering::SeqCst);
        gmp::spawn(async move {
            f.await;
            live.fetch_sub(1, Ordering::SeqCst);
        })
        .detach();
    }

    /// Waits up to `PATIENCE` for every task to finish; returns how many are still running.
    async fn settle(&self) -> usize {
        let deadline = std::time::Instant::now() + PATIENCE;
        while self.0.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
            gmp::time::sleep(Duration::from_millis(1)).await;
        }
        self.0.load(Ordering::SeqCst)
    }
}

fn expensive_work() -> u32 {
    7
}

/// Runs the example and returns what it prints.
pub(crate) fn run() -> String {
    let rt = gmp::Runtime::new().unwrap();
    rt.block_on(async {
        let mut out = String::new();
        let mut report = |name: &str, live: usize| {
            out.push_str(&format!("{name}: {live} task(s) still blocked\n"))
        };

        // 1. leak1: an unread sender (the receiver is kept, but never read).
        let live = Live::default();
        let (tx, unread) = chan::bounded::<u32>(0);
        live.spawn(async move {
            let _ = tx.send(expensive_work()).await; // blocks: nobody reads
        });
        report("leak1 unread sender", live.settle().await);
        drop(unread); // gmp: dropping the last receiver closes it and frees the sender
        report("leak1 after dropping the receiver", live.settle().await);

        // fixed1a: a buffered channel: the send completes without a reader.
        let live = Live::default();
        let (tx, _unread) = chan::bounded::<u32>(1);
        live.spawn(async move { tx.send(expensive_work()).await.unwrap() });
        report("fixed1 buffered channel", live.settle().await);

        // fixed1b: select on the send and a done channel (the context's Done()).
        let live = Live::default();
        let (tx, _unread) = chan::bounded::<u32>(0);
        let (cancel, done) = chan::bounded::<()>(0);
        live.spawn(async move {
            gmp::select! {
                _ = tx.send(expensive_work()) => {}
                _ = done.recv() => {} // ctx cancelled: give up
            }
        });
        cancel.close(); // cancel()
        report("fixed1 select with done", live.settle().await);

        // 2. leak2: a range over a channel the sender never closes.
        let live = Live::default();
        let (tx, rx) = chan::bounded::<u32>(0);
        live.spawn(async move { while rx.recv().await.is_some() {} });
        for item in [1, 2, 3] {
            tx.send(item).await.unwrap();
        }
        report("leak2 never-closed range", live.settle().await); // tx still alive, not closed
        // fixed2: close after sending.
        tx.close();
        report("fixed2 close after sending", live.settle().await);

        // 3. leak4: two goroutines waiting on each other.
        let live = Live::default();
        let (ch1_tx, ch1_rx) = chan::bounded::<u32>(0);
        let (ch2_tx, ch2_rx) = chan::bounded::<u32>(0);
        let (keep1, keep2) = (ch1_tx.clone(), ch2_tx.clone()); // main keeps them open, as in Go
        live.spawn(async move {
            let v = ch1_rx.recv().await.unwrap_or(0); // wait for ch1
            let _ = ch2_tx.send(v).await; // then send to ch2
        });
        live.spawn(async move {
            let v = ch2_rx.recv().await.unwrap_or(0); // wait for ch2
            let _ = ch1_tx.send(v).await; // then send to ch1
        });
        report("leak4 mutual wait", live.settle().await);
        keep1.close(); // closing the channels ends the wait: each task sees `None` or an error
        keep2.close();
        report("leak4 after closing", live.settle().await);

        // fixed4: break the cycle: one side sends first.
        let live = Live::default();
        let (ch1_tx, ch1_rx) = chan::bounded::<u32>(0);
        let (ch2_tx, ch2_rx) = chan::bounded::<u32>(0);
        let (result_tx, result_rx) = chan::bounded::<u32>(1);
        live.spawn(async move {
            ch1_tx.send(1).await.unwrap(); // send first...
            let v = ch2_rx.recv().await.unwrap(); // ...then wait
            result_tx.send(v).await.unwrap();
        });
        live.spawn(async move {
            let v = ch1_rx.recv().await.unwrap();
            ch2_tx.send(v + 1).await.unwrap();
        });
        report("fixed4 one side sends first", live.settle().await);
        out.push_str(&format!(
            "fixed4 result: {}\n",
            result_rx.recv().await.unwrap()
        ));
        out
    })
}

#[allow(dead_code)]
fn main() {
    print!("{}", run());
}
