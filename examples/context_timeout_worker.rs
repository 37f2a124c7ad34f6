//! The seed's context-timeout worker, scaled down 10x (300 ms timeout, 50 ms ticks): the
//! worker ticks until the context's deadline, then stops.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gmp::WaitGroup;
use gmp::context::{self, Context};

type Out = Arc<Mutex<Vec<String>>>;

fn say(out: &Out, line: &str) {
    println!("{line}");
    out.lock().unwrap().push(line.to_string());
}

async fn worker(ctx: Context, out: Out) {
    loop {
        // Go: select { case <-ctx.Done(): ...; default: ... }
        if ctx.is_done() {
            say(&out, "worker: context cancelled");
            return;
        }
        gmp::time::sleep(Duration::from_millis(50)).await;
        say(&out, "worker: tick");
    }
}

/// Runs the program; returns the printed lines.
pub(crate) async fn run() -> Vec<String> {
    let out: Out = Arc::default();
    let (ctx, cancel) = context::with_timeout(&Context::background(), Duration::from_millis(300));
    let _cancel = cancel.guard(); // defer cancel()
    let wg = WaitGroup::new();
    wg.go(worker(ctx.clone(), out.clone()));
    ctx.done().await;
    say(&out, "timeout, shutting down");
    wg.wait().await; // unlike the seed, let the worker report before exiting
    out.lock().unwrap().clone()
}

#[allow(dead_code)]
fn main() {
    let rt = gmp::Runtime::new().unwrap();
    rt.block_on(async {
        run().await;
    });
}
