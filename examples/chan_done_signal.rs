//! Done-channel signalling (the seed chapter's "Channel Synchronization", "Mistake 2" and
//! "How do you gracefully stop a goroutine?"):
//!
//! - a goroutine closes `done` when its work is complete and `main` waits on `<-done`;
//! - a goroutine reports its error through a buffered `errCh` instead of failing in place;
//! - a worker loop polls a `done` channel with `select { case <-done: return; default: }`.
//!
//! Run with `cargo run --example chan_done_signal`.

use std::time::Duration;

use gmp::chan;

/// Runs the example and returns what it prints.
pub(crate) fn run() -> String {
    let rt = gmp::Runtime::new().unwrap();
    rt.block_on(async {
        let mut out = String::new();

        // done := make(chan struct{}); go func() { ...; close(done) }(); <-done
        let (done_tx, done_rx) = chan::bounded::<()>(0);
        let (log_tx, log_rx) = chan::bounded::<&'static str>(1);
        gmp::spawn(async move {
            // do some work...
            log_tx.send("work complete").await.unwrap();
            done_tx.close(); // close(done): every receiver sees it
        })
        .detach();
        assert_eq!(done_rx.recv().await, None); // <-done returns once closed
        out.push_str(log_rx.recv().await.unwrap());
        out.push('\n');
        out.push_str("main exits\n");

        // errCh := make(chan error, 1): the goroutine never blocks on its report.
        let (err_tx, err_rx) = chan::bounded::<Result<u32, String>>(1);
        gmp::spawn(async move {
            let result = "42".parse::<u32>().map_err(|e| e.to_string());
            err_tx.send(result).await.unwrap();
        })
        .detach();
        match err_rx.recv().await.unwrap() {
            Ok(v) => out.push_str(&format!("doSomething returned {v}\n")),
            Err(e) => out.push_str(&format!("doSomething failed: {e}\n")),
        }

        // Stopping a worker: select { case <-done: return; default: doWork() }
        let (stop_tx, stop_rx) = chan::bounded::<()>(0);
        let (ticks_tx, ticks_rx) = chan::bounded::<u32>(1);
        gmp::spawn(async move {
            let mut ticks = 0;
            loop {
                gmp::select! {
                    _ = stop_rx.recv() => break,
                    default => {
                        ticks += 1; // doWork()
                        gmp::time::sleep(Duration::from_millis(1)).await;
                    }
                }
            }
            ticks_tx.send(ticks).await.unwrap();
        })
        .detach();
        gmp::time::sleep(Duration::from_millis(20)).await;
        stop_tx.close();
        let ticks = ticks_rx.recv().await.unwrap();
        out.push_str(&format!("worker: stopped (did work: {})\n", ticks > 0));
        out
    })
}

#[allow(dead_code)]
fn main() {
    print!("{}", run());
}
