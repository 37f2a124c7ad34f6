//! The seed's `processAll`: errgroup with a derived context and a limit of 10 concurrent
//! members; the first error cancels the rest and is returned.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gmp::context::Context;
use gmp::errgroup::Group;

#[derive(Default)]
struct Stats {
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    processed: AtomicUsize,
}

async fn process_item(ctx: Context, item: u32, stats: Arc<Stats>) -> Result<(), String> {
    let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    stats.peak.fetch_max(now, Ordering::SeqCst);
    let result = if ctx.is_done() {
        Err(format!("item {item}: {}", ctx.err().unwrap()))
    } else if item == 42 {
        Err(format!("item {item}: invalid"))
    } else {
        gmp::time::sleep(Duration::from_millis(1)).await;
        stats.processed.fetch_add(1, Ordering::SeqCst);
        Ok(())
    };
    stats.in_flight.fetch_sub(1, Ordering::SeqCst);
    result
}

async fn process_all(ctx: &Context, items: Vec<u32>, stats: Arc<Stats>) -> Result<(), String> {
    let (g, ctx) = Group::with_context(ctx);
    g.set_limit(10); // max 10 concurrent members
    for item in items {
        g.go(process_item(ctx.clone(), item, stats.clone())).await;
    }
    g.wait().await // the first error, if any
}

/// Runs the program; returns the printed lines.
pub(crate) async fn run() -> Vec<String> {
    let mut lines = Vec::new();
    for (name, items) in [
        ("clean batch", (0..40).collect::<Vec<_>>()),
        ("batch with a bad item", (0..100).collect()),
    ] {
        let stats = Arc::new(Stats::default());
        let r = process_all(&Context::background(), items, stats.clone()).await;
        let line = format!(
            "{name}: {} (peak in flight {})",
            match r {
                Ok(()) => format!("ok, {} processed", stats.processed.load(Ordering::SeqCst)),
                Err(e) => format!("error: {e}"),
            },
            stats.peak.load(Ordering::SeqCst)
        );
        println!("{line}");
        lines.push(line);
    }
    lines
}

#[allow(dead_code)]
fn main() {
    let rt = gmp::Runtime::new().unwrap();
    rt.block_on(async {
        run().await;
    });
}
