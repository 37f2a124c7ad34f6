//! Leak checks (uber-go/goleak for gmp): the goroutines chapter's "uncancelled context" leak,
//! caught with its spawn site, then fixed.
//!
//! `#[gmp::test]` runs this check after every test; `gmp::leak::find` and
//! `gmp::leak::check_runtime` run it anywhere else. Each runtime has its own tasks, so checks
//! on different runtimes (tests running in parallel) never see each other's.
//!
//! Run with `cargo run --example leak_check`.

use std::time::Duration;

use futures::FutureExt;
use futures::channel::oneshot;

/// Ticks until `done` fires: Go's `worker(ctx)` waiting on `ctx.Done()`.
fn start_worker(done: oneshot::Receiver<()>) {
    gmp::spawn(async move {
        let mut done = done.fuse();
        let mut ticker = gmp::time::Ticker::new(Duration::from_millis(1));
        loop {
            futures::select! {
                _ = done => return,
                _ = ticker.tick().fuse() => {}
            }
        }
    })
    .detach();
}

/// Leaky: the cancel side is kept but never used (Go: `context.Background()`).
async fn leaky() -> oneshot::Sender<()> {
    let (cancel, done) = oneshot::channel();
    start_worker(done);
    gmp::time::sleep(Duration::from_millis(5)).await;
    cancel
}

/// Fixed: cancel when done (Go: `defer cancel()`; here dropping the sender is the cancel).
async fn fixed() {
    let (cancel, done) = oneshot::channel::<()>();
    start_worker(done);
    gmp::time::sleep(Duration::from_millis(5)).await;
    drop(cancel);
}

fn main() {
    let rt = gmp::Builder::new().maxprocs(2).build().unwrap();
    let cancel = rt.block_on(leaky());
    match gmp::leak::find(rt.handle(), &gmp::leak::Options::new()) {
        Ok(()) => println!("leaky version: no leak found (unexpected)"),
        Err(leaks) => println!("leaky version:\n{leaks}"),
    }
    drop(cancel);
    drop(rt);

    let rt = gmp::Builder::new().maxprocs(2).build().unwrap();
    rt.block_on(fixed());
    match gmp::leak::find(rt.handle(), &gmp::leak::Options::new()) {
        Ok(()) => println!("\nfixed version: no leaked tasks"),
        Err(leaks) => println!("\nfixed version:\n{leaks}"),
    }
}
