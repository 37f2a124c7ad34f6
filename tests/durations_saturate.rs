//! Every gmp API that takes a `Duration` accepts `Duration::ZERO` and `Duration::MAX`: a
//! duration too large to add to `Instant::now()` saturates to about 30 years ("never"), never
//! panicking with "overflow when adding duration to instant". One table: each row calls its
//! API with both and checks what it does (MAX rows check the operation is pending, or cancel
//! it, so nothing hangs). Zero is refused only where Go refuses it (a ticker's period), with
//! the documented panic.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use gmp::context::{self, Context, Error};
use gmp::time::{self, Ticker, Timer};

/// Polls `fut` once with a no-op waker.
fn poll_once<F: Future>(fut: F) -> Poll<F::Output> {
    let mut fut = pin!(fut);
    fut.as_mut()
        .poll(&mut TaskContext::from_waker(std::task::Waker::noop()))
}

fn panic_message(f: impl FnOnce()) -> Option<String> {
    catch_unwind(AssertUnwindSafe(f)).err().map(|err| {
        err.downcast_ref::<String>()
            .cloned()
            .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

fn rt() -> gmp::Runtime {
    gmp::Builder::new().maxprocs(2).build().unwrap()
}

type Row = (&'static str, fn(Duration));

const TABLE: &[Row] = &[
    ("time::sleep", |d| {
        assert_eq!(poll_once(time::sleep(d)).is_ready(), d.is_zero());
    }),
    ("time::timeout", |d| {
        let r = poll_once(time::timeout(d, std::future::pending::<()>()));
        if d.is_zero() {
            assert!(matches!(r, Poll::Ready(Err(_))));
        } else {
            assert!(r.is_pending());
        }
    }),
    ("time::Timer::new", |d| {
        assert_eq!(poll_once(Timer::new(d)).is_ready(), d.is_zero());
    }),
    ("time::Timer::reset", |d| {
        let mut t = Timer::new(Duration::from_secs(60));
        assert!(t.reset(d));
        assert_eq!(poll_once(&mut t).is_ready(), d.is_zero());
    }),
    ("time::after", |d| {
        assert_eq!(poll_once(time::after(d)).is_ready(), d.is_zero());
    }),
    ("time::after_func", |d| {
        let (tx, rx) = std::sync::mpsc::channel();
        let h = time::after_func(d, move || tx.send(()).unwrap());
        if d.is_zero() {
            rx.recv().unwrap();
        } else {
            assert!(h.stop());
        }
    }),
    ("time::Ticker::new", |d| {
        if d.is_zero() {
            let msg = panic_message(|| drop(Ticker::new(d)));
            assert_eq!(
                msg.as_deref(),
                Some("non-positive interval for Ticker::new")
            );
        } else {
            let mut t = Ticker::new(d);
            assert!(poll_once(t.tick()).is_pending());
        }
    }),
    ("time::Ticker::reset", |d| {
        let mut t = Ticker::new(Duration::from_secs(60));
        if d.is_zero() {
            let msg = panic_message(|| t.reset(d));
            assert_eq!(
                msg.as_deref(),
                Some("non-positive interval for Ticker::reset")
            );
        } else {
            t.reset(d);
            assert!(poll_once(t.tick()).is_pending());
        }
    }),
    ("context::with_timeout", |d| {
        let (ctx, cancel) = context::with_timeout(&Context::background(), d);
        if d.is_zero() {
            assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
        } else {
            assert_eq!(ctx.err(), None);
            cancel.cancel();
            assert_eq!(ctx.err(), Some(Error::Canceled));
        }
    }),
    ("context::with_timeout_cause", |d| {
        let (ctx, cancel) = context::with_timeout_cause(&Context::background(), d, std::fmt::Error);
        if d.is_zero() {
            assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
        } else {
            assert_eq!(ctx.err(), None);
            cancel.cancel();
        }
    }),
    ("Runtime::shutdown_timeout", |d| {
        let rt = rt();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        rt.spawn(async move {
            let _tx = tx;
            std::future::pending::<()>().await
        })
        .detach();
        rt.shutdown_timeout(d);
        // The pending task was dropped (its sender with it).
        assert!(rx.recv().is_err());
    }),
    ("Builder::blocking_keep_alive", |d| {
        let rt = gmp::Builder::new()
            .maxprocs(1)
            .blocking_keep_alive(d)
            .build()
            .unwrap();
        assert_eq!(
            rt.block_on(async { gmp::spawn_blocking(|| 5).await })
                .unwrap(),
            5,
            "blocking pool with keep-alive {d:?}"
        );
        drop(rt); // an idle pool thread with a huge keep-alive is still told to exit
    }),
    ("Builder::sysmon_threshold", |d| {
        if d.is_zero() {
            let msg = panic_message(|| {
                let _ = gmp::Builder::new().sysmon_threshold(d);
            });
            assert_eq!(msg.as_deref(), Some("sysmon_threshold must be positive"));
        } else {
            let rt = gmp::Builder::new().sysmon_threshold(d).build().unwrap();
            assert_eq!(
                rt.block_on(async { gmp::spawn(async { 1 }).await })
                    .unwrap(),
                1
            );
        }
    }),
    ("leak::Options::grace", |d| {
        let rt = rt();
        rt.block_on(async {});
        let options = gmp::leak::Options::new().grace(d);
        assert!(gmp::leak::find(rt.handle(), &options).is_ok());
    }),
    #[cfg(feature = "hyper")]
    ("hyper::GmpTimer::sleep", |d| {
        use hyper::rt::Timer as _;
        let s = gmp::hyper::GmpTimer::new().sleep(d);
        assert_eq!(poll_once(s).is_ready(), d.is_zero());
    }),
];

#[test]
fn every_duration_api_takes_zero_and_max() {
    let mut failures = Vec::new();
    for &(name, row) in TABLE {
        for d in [Duration::ZERO, Duration::MAX] {
            if let Some(msg) = panic_message(|| row(d)) {
                failures.push(format!("{name}({d:?}): {msg}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn inside_a_runtime_too() {
    // The timer rows again on a worker's wheel instead of the fallback driver's.
    rt().block_on(async {
        let timer_rows = TABLE
            .iter()
            .filter(|(name, _)| name.starts_with("time::") || name.starts_with("context::"));
        for &(name, row) in timer_rows {
            for d in [Duration::ZERO, Duration::MAX] {
                if let Some(msg) = panic_message(|| row(d)) {
                    panic!("{name}({d:?}) in a runtime: {msg}");
                }
            }
        }
    });
}
