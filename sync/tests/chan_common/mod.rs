//! Executors the channel tests run on: one test body stamped over several configurations.
//!
//! Channels need only a `Waker`, so each body runs on futures' `ThreadPool` (2 threads), on
//! tokio's multi-thread runtime (2 workers) and on gmp's runtime (1 and 2 workers).

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed task.
pub type BoxFut = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Go's `go` statement for the executor under test.
#[derive(Clone)]
pub struct Go(Arc<dyn Fn(BoxFut) + Send + Sync>);

impl Go {
    /// Spawns `f` as a detached task. A panic in it aborts the test binary (a pool thread that
    /// died silently would leave the test hanging instead of failing).
    pub fn go(&self, f: impl Future<Output = ()> + Send + 'static) {
        use futures::FutureExt;
        (self.0)(Box::pin(async move {
            if std::panic::AssertUnwindSafe(f)
                .catch_unwind()
                .await
                .is_err()
            {
                eprintln!("a spawned task panicked: aborting the test binary");
                std::process::abort();
            }
        }))
    }
}

/// Runs `body` on the calling thread, with tasks on a 2-thread `futures` pool.
pub fn on_thread_pool<F: Future<Output = ()>>(body: impl FnOnce(Go) -> F) {
    let pool = futures::executor::ThreadPool::builder()
        .pool_size(2)
        .create()
        .unwrap();
    let p = pool.clone();
    let go = Go(Arc::new(move |f| p.spawn_ok(f)));
    futures::executor::block_on(body(go));
}

/// Runs `body` on a tokio multi-thread runtime with 2 workers.
pub fn on_tokio<F: Future<Output = ()>>(body: impl FnOnce(Go) -> F) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let h = rt.handle().clone();
    let go = Go(Arc::new(move |f| {
        h.spawn(f);
    }));
    rt.block_on(body(go));
}

/// Runs `body` on a gmp runtime with `n` workers.
pub fn on_gmp<F: Future<Output = ()>>(n: usize, body: impl FnOnce(Go) -> F) {
    let rt = gmp_executor::Builder::new().maxprocs(n).build().unwrap();
    let h = rt.handle().clone();
    let go = Go(Arc::new(move |f| h.spawn(f).detach()));
    rt.block_on(body(go));
}

/// Stamps one async test body (`|go: Go| async move { .. }`) over every executor.
#[macro_export]
macro_rules! stamp {
    ($(#[$m:meta])* $name:ident, $body:expr) => {
        $(#[$m])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[test]
            fn thread_pool() {
                common::on_thread_pool($body)
            }
            #[test]
            fn tokio() {
                common::on_tokio($body)
            }
            #[test]
            fn gmp_1_worker() {
                common::on_gmp(1, $body)
            }
            #[test]
            fn gmp_2_workers() {
                common::on_gmp(2, $body)
            }
        }
    };
}
