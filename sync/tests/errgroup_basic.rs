//! errgroup: first error, derived context, limits, panics.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gmp_sync::context::{Context, Error};
use gmp_sync::errgroup::Group;

stamp! {
    /// The first error wins, cancels the context, and the others see it.
    async fn first_error_cancels_context(sp) {
        let (g, ctx) = Group::with_context(&Context::background());
        for i in 0..20u32 {
            let ctx = ctx.clone();
            g.go_with(sp, async move {
                if i == 7 {
                    return Err(format!("member {i} failed"));
                }
                ctx.done().await; // the others run until cancelled
                Err("cancelled".to_string())
            })
            .await
            .unwrap();
        }
        assert_eq!(g.wait().await, Err("member 7 failed".to_string()));
        assert_eq!(ctx.err(), Some(Error::Canceled));
        // x/sync: context.Cause(ctx) is the first error.
        assert_eq!(ctx.cause().unwrap().to_string(), "member 7 failed");
    }
}

/// A member's error, comparable by identity of its id.
#[derive(Debug, Clone, PartialEq)]
struct MemberError(u32);

impl std::fmt::Display for MemberError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "member {} failed", self.0)
    }
}

impl std::error::Error for MemberError {}

stamp! {
    /// Go's `context.Cause(ctx) == err`: the cause is the very error `wait` returns, seen by
    /// the members still running, and `wait` does not overwrite it with `Canceled`.
    async fn cause_is_the_first_error(sp) {
        let (g, ctx) = Group::with_context(&Context::background());
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        for i in 0..8u32 {
            let (ctx, seen) = (ctx.clone(), seen.clone());
            g.go_with(sp, async move {
                if i == 3 {
                    return Err(MemberError(i));
                }
                ctx.done().await;
                let cause = ctx.cause().unwrap();
                seen.lock().unwrap().push(cause.downcast_ref::<MemberError>().cloned());
                Ok(())
            })
            .await
            .unwrap();
        }
        assert_eq!(g.wait().await, Err(MemberError(3)));
        let cause = ctx.cause().unwrap();
        assert_eq!(cause.downcast_ref::<MemberError>(), Some(&MemberError(3)));
        assert_eq!(*seen.lock().unwrap(), vec![Some(MemberError(3)); 7]);
        // A second wait (nothing left to report) keeps the cause.
        assert_eq!(g.wait().await, Ok(()));
        assert_eq!(ctx.cause().unwrap().downcast_ref::<MemberError>(), Some(&MemberError(3)));
    }
}

stamp! {
    /// A non-`Clone` error travels in an `Arc` (or as a `context::Cause`).
    async fn shared_errors_are_causes(sp) {
        let (g, ctx) = Group::<Arc<std::io::Error>>::with_context(&Context::background());
        g.go_with(sp, async { Err(Arc::new(std::io::Error::other("disk full"))) }).await.unwrap();
        let err = g.wait().await.unwrap_err();
        assert_eq!(ctx.cause().unwrap().to_string(), "disk full");
        assert_eq!(err.to_string(), "disk full");

        let (g, ctx) = Group::<gmp_sync::context::Cause>::with_context(&Context::background());
        g.go_with(sp, async { Err(Arc::new(std::fmt::Error) as gmp_sync::context::Cause) })
            .await
            .unwrap();
        assert!(g.wait().await.is_err());
        assert_eq!(ctx.cause().unwrap().to_string(), std::fmt::Error.to_string());
    }
}

stamp! {
    /// Go's processAll with SetLimit(10): never more than 10 members in flight.
    async fn limit_bounds_members_in_flight(sp) {
        let g = Group::<()>::new();
        g.set_limit(10);
        let (now, max) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        for _ in 0..200 {
            let (now, max) = (now.clone(), max.clone());
            g.go_with(sp, async move {
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                max.fetch_max(n, Ordering::SeqCst);
                gmp_executor::time::sleep(Duration::from_micros(100)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            })
            .await
            .unwrap();
        }
        g.wait().await.unwrap();
        let max = max.load(Ordering::SeqCst);
        assert!((1..=10).contains(&max), "max in flight {max}");
    }
}

stamp! {
    /// wait() cancels the derived context even when everything succeeded (as Go's does),
    /// and only then is the cause `Canceled`.
    async fn wait_cancels_context(sp) {
        let (g, ctx) = Group::<String>::with_context(&Context::background());
        g.go_with(sp, async { Ok(()) }).await.unwrap();
        assert!(g.wait().await.is_ok());
        assert_eq!(ctx.err(), Some(Error::Canceled));
        let cause = ctx.cause().unwrap();
        assert_eq!(cause.downcast_ref::<Error>(), Some(&Error::Canceled));
    }
}

stamp! {
    /// try_go fails at the limit and succeeds once a slot frees up.
    async fn try_go_at_limit(sp) {
        let g = Group::<()>::new();
        g.set_limit(1);
        let (tx, rx) = futures::channel::oneshot::channel::<()>();
        assert!(g.try_go_with(sp, async move {
            let _ = rx.await;
            Ok(())
        }));
        assert!(!g.try_go_with(sp, async { Ok(()) }));
        tx.send(()).unwrap();
        g.wait().await.unwrap();
        assert!(g.try_go_with(sp, async { Ok(()) }));
        g.wait().await.unwrap();
    }
}

stamp! {
    /// A member's panic resurfaces from wait() (Go would crash the process).
    async fn panic_resurfaces_from_wait(sp) {
        let (g, ctx) = Group::<&'static str>::with_context(&Context::background());
        g.go_with(sp, async { panic!("member exploded") }).await.unwrap();
        let c2 = ctx.clone();
        g.go_with(sp, async move { c2.done().await; Ok(()) }).await.unwrap();
        let r = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(g.wait())).await;
        let payload = r.unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"member exploded"));
        assert!(ctx.is_done());
        assert_eq!(
            ctx.cause().unwrap().to_string(),
            "errgroup: a member panicked: member exploded"
        );
    }
}

#[test]
fn set_limit_while_active_panics() {
    common::with_futures(|sp| {
        futures::executor::block_on(async {
            let g = Group::<()>::new();
            let (tx, rx) = futures::channel::oneshot::channel::<()>();
            g.go_with(sp, async move {
                let _ = rx.await;
                Ok(())
            })
            .await
            .unwrap();
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.set_limit(2)));
            assert!(r.is_err());
            tx.send(()).unwrap();
            g.wait().await.unwrap();
            g.set_limit(2);
        })
    });
}

#[test]

fn gmp_go_and_try_go() {
    common::with_gmp(|_, rt| {
        rt.block_on(async {
            let (g, ctx) = Group::with_context(&Context::background());
            g.set_limit(10);
            for i in 0..1000u32 {
                let ctx = ctx.clone();
                g.go(async move {
                    if i == 500 {
                        Err(format!("item {i}"))
                    } else {
                        let _ = ctx.is_done();
                        Ok(())
                    }
                })
                .await;
            }
            assert_eq!(g.wait().await, Err("item 500".to_string()));
            assert_eq!(ctx.cause().unwrap().to_string(), "item 500");
            let g2 = Group::<()>::new();
            assert!(g2.try_go(async { Ok(()) }));
            g2.wait().await.unwrap();
        })
    });
}
