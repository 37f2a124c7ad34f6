//! The seed's Case 3: a handler fans out one query per id against a pool of 100 connections.
//! Unbounded, 10 concurrent requests of 50 ids each want 500 connections and the pool fails;
//! with errgroup and `set_limit(10)` each request holds at most 10, so 10 requests fit.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gmp::context::Context;
use gmp::errgroup::Group;
use gmp::{Mutex, WaitGroup};

/// A simulated database pool that fails when over-subscribed.
#[derive(Default)]
struct Pool {
    in_use: AtomicUsize,
    peak: AtomicUsize,
}

const POOL_SIZE: usize = 100;

impl Pool {
    async fn query(&self, ctx: &Context, id: u32) -> Result<String, String> {
        let n = self.in_use.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(n, Ordering::SeqCst);
        let r = if n > POOL_SIZE {
            Err(format!("pool exhausted ({n} connections wanted)"))
        } else if let Some(e) = ctx.err() {
            Err(e.to_string())
        } else {
            gmp::time::sleep(Duration::from_millis(5)).await;
            Ok(format!("row {id}"))
        };
        self.in_use.fetch_sub(1, Ordering::SeqCst);
        r
    }
}

async fn handler(pool: Arc<Pool>, ids: Vec<u32>, limit: Option<usize>) -> Result<usize, String> {
    let (g, ctx) = Group::<String>::with_context(&Context::background());
    g.set_limit(limit);
    let results = Arc::new(Mutex::new(Vec::new()));
    for id in ids {
        let (pool, ctx, results) = (pool.clone(), ctx.clone(), results.clone());
        g.go(async move {
            let row = pool.query(&ctx, id).await?;
            results.lock().await.push(row);
            Ok(())
        })
        .await;
    }
    g.wait().await?;
    let n = results.lock().await.len();
    Ok(n)
}

async fn serve(limit: Option<usize>) -> String {
    let pool = Arc::new(Pool::default());
    let wg = WaitGroup::new();
    let failures = Arc::new(Mutex::new(Vec::new()));
    for req in 0..10u32 {
        let (pool, failures) = (pool.clone(), failures.clone());
        wg.go(async move {
            let ids = (req * 50..req * 50 + 50).collect();
            if let Err(e) = handler(pool, ids, limit).await {
                failures.lock().await.push(e);
            }
        });
    }
    wg.wait().await;
    let failures = failures.lock().await;
    let peak = pool.peak.load(Ordering::SeqCst);
    match limit {
        None => format!(
            "unbounded: {} of 10 requests failed, first error: {}",
            failures.len(),
            failures.first().map_or("none", String::as_str)
        ),
        Some(n) => format!(
            "limit {n}: {} of 10 requests failed, peak connections {peak} (pool {POOL_SIZE})",
            failures.len()
        ),
    }
}

/// Runs the program; returns the printed lines.
pub(crate) async fn run() -> Vec<String> {
    let mut lines = Vec::new();
    for limit in [None, Some(10)] {
        let line = serve(limit).await;
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
