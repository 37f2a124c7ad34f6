//! Shared test harness: one test body stamped over executors.
//!
//! `stamp!` turns `async fn name(sp) { ... }` into a module with three tests running the same
//! body under `futures::executor::block_on` (members on a 2-thread `ThreadPool`), under tokio
//! (multi-thread, 2 workers) and under gmp (2 workers; ignored until the scheduler lands). `sp`
//! is a `&dyn Spawn` for the executor at hand, so bodies spawn with `sp.spawn(..)` (from
//! `futures::task::SpawnExt`) or pass it to `go_with`.

#![allow(dead_code, unreachable_pub)]

use futures::future::FutureObj;
use futures::task::{Spawn, SpawnError};

/// `futures::task::Spawn` for a tokio runtime handle.
pub struct TokioSpawner(pub tokio::runtime::Handle);

impl Spawn for TokioSpawner {
    fn spawn_obj(&self, future: FutureObj<'static, ()>) -> Result<(), SpawnError> {
        drop(self.0.spawn(future));
        Ok(())
    }
}

pub type Sp<'a> = &'a (dyn Spawn + Sync);

/// Runs `f` with a spawner onto a 2-thread `futures` `ThreadPool`; `f` drives its future with
/// `futures::executor::block_on`.
pub fn with_futures<R>(f: impl FnOnce(Sp<'_>) -> R) -> R {
    let pool = futures::executor::ThreadPool::builder()
        .pool_size(2)
        .create()
        .unwrap();
    f(&pool)
}

/// Runs `f(spawner, runtime)` on a tokio multi-thread runtime with 2 workers.
pub fn with_tokio<R>(f: impl FnOnce(Sp<'_>, &tokio::runtime::Runtime) -> R) -> R {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sp = TokioSpawner(rt.handle().clone());
    f(&sp, &rt)
}

/// Runs `f(spawner, runtime)` on a gmp runtime with 2 workers.
pub fn with_gmp<R>(f: impl FnOnce(Sp<'_>, &gmp_executor::Runtime) -> R) -> R {
    let rt = gmp_executor::Builder::new().maxprocs(2).build().unwrap();
    let handle = rt.handle().clone();
    f(&handle, &rt)
}

/// Stamps one async test body over gmp, futures' `block_on` and tokio.
#[macro_export]
macro_rules! stamp {
    ($(#[doc = $doc:expr])* async fn $name:ident($sp:ident) $body:block) => {
        $(#[doc = $doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($sp: $crate::common::Sp<'_>) $body

            #[test]
            fn futures_block_on() {
                $crate::common::with_futures(|sp| futures::executor::block_on(body(sp)))
            }

            #[test]
            fn tokio() {
                $crate::common::with_tokio(|sp, rt| rt.block_on(body(sp)))
            }

            #[test]
            fn gmp() {
                $crate::common::with_gmp(|sp, rt| rt.block_on(body(sp)))
            }
        }
    };
}

/// Polls `fut` once with a no-op waker.
pub fn poll_once<F: std::future::Future + Unpin>(fut: &mut F) -> std::task::Poll<F::Output> {
    let waker = futures::task::noop_waker();
    std::pin::Pin::new(fut).poll(&mut std::task::Context::from_waker(&waker))
}
