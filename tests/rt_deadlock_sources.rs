//! Every wake-up source gmp owns keeps `block_on`'s deadlock check ("all tasks are asleep -
//! deadlock!") silent while something waits on it; real deadlocks are still reported.
//!
//! One test per source: context deadlines (made in `block_on`, in a task, outside the runtime),
//! `time::after_func` (in a runtime; from a plain thread, whose function runs on a callback
//! thread), `Ticker`, `Timer` (also one first polled under another executor, so on the fallback
//! timer driver), `context::after_func`'s thread, reactor registrations, and a foreign executor
//! waiting on a gmp timer. The blocking pool and a `Handle` on another thread are covered in
//! `executor/tests/rt_deadlock.rs`. Signal handlers are no wake-up source (gmp's only one,
//! `dump_on_sigquit`, exits the process): a real deadlock is still reported with it on. A
//! foreign thread holding a waker is invisible to gmp, as documented: the check fires, and
//! `deadlock_detection(false)` is the way out.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures::channel::oneshot;
use gmp::context::{self, Context, Error};
use gmp::time::{self, Ticker, Timer};

const WAIT: Duration = Duration::from_millis(300);

fn rt() -> gmp::Runtime {
    gmp::Builder::new().maxprocs(2).build().unwrap()
}

/// Runs `f` on its own thread; returns its panic message, or `None` if it returned. Fails the
/// test if `f` takes more than 20 s (a deadlock that was not reported).
fn outcome(f: impl FnOnce() + Send + 'static) -> Option<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let r = catch_unwind(AssertUnwindSafe(f)).err().map(|err| {
            err.downcast_ref::<String>()
                .cloned()
                .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        });
        let _ = tx.send(r);
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("block_on neither returned nor reported a deadlock within 20 s")
}

/// Runs `fut` in `block_on` on a fresh runtime and asserts it completes, taking at least
/// `at_least` (so the wait really was on the source).
fn completes<F>(at_least: Duration, fut: F)
where
    F: Future + Send + 'static,
{
    let start = Instant::now();
    if let Some(msg) = outcome(move || {
        rt().block_on(fut);
    }) {
        panic!("a wait on a wake-up source was reported: {msg}");
    }
    assert!(start.elapsed() >= at_least, "{:?}", start.elapsed());
}

fn reported(fut: impl Future + Send + 'static) {
    let msg = outcome(move || {
        rt().block_on(fut);
    })
    .expect("a real deadlock was not reported");
    assert!(msg.starts_with("all tasks are asleep - deadlock!"), "{msg}");
}

#[test]
fn main_waiting_on_a_context_deadline() {
    // The issue's repro: `#[gmp::main]` waiting on `<-ctx.Done()`.
    completes(WAIT, async {
        let (ctx, _cancel) = context::with_timeout(&Context::background(), WAIT);
        ctx.done().await;
        assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    });
}

/// The issue's program verbatim, under `#[gmp::main]`.
#[gmp::main]
async fn issue_main() {
    let (ctx, _cancel) = gmp::context::with_timeout(
        &gmp::context::Context::background(),
        Duration::from_millis(300),
    );
    ctx.done().await;
}

#[test]
fn gmp_main_waiting_on_a_context_deadline() {
    let start = Instant::now();
    if let Some(msg) = outcome(issue_main) {
        panic!("reported: {msg}");
    }
    assert!(start.elapsed() >= Duration::from_millis(300));
}

#[test]
fn task_waiting_on_a_context_deadline_it_made() {
    completes(WAIT, async {
        gmp::spawn(async {
            let (ctx, _cancel) = context::with_timeout(&Context::background(), WAIT);
            ctx.done().await;
        })
        .await
        .unwrap();
    });
}

#[test]
fn context_deadline_made_outside_the_runtime() {
    // The deadline is on the fallback timer driver, not the runtime's wheels.
    let (ctx, cancel) = context::with_timeout(&Context::background(), WAIT);
    completes(WAIT - Duration::from_millis(50), async move {
        ctx.done().await;
        drop(cancel);
    });
}

#[test]
fn time_after_func_in_the_runtime() {
    completes(WAIT, async {
        let (tx, rx) = oneshot::channel();
        let _h = time::after_func(WAIT, move || tx.send(1).unwrap());
        assert_eq!(rx.await.unwrap(), 1);
    });
}

#[test]
fn time_after_func_from_a_plain_thread_whose_function_takes_time() {
    // Made outside any runtime: the timer is on the fallback driver, and `f` runs on a thread
    // of its own, which sleeps before it sends.
    let (tx, rx) = oneshot::channel();
    std::thread::spawn(move || {
        let _h = time::after_func(Duration::from_millis(100), move || {
            std::thread::sleep(WAIT);
            tx.send(2).unwrap();
        });
    })
    .join()
    .unwrap();
    completes(WAIT, async move {
        assert_eq!(rx.await.unwrap(), 2);
    });
}

#[test]
fn context_after_func_thread_that_takes_time() {
    completes(WAIT, async {
        let (ctx, cancel) = context::with_cancel(&Context::background());
        let (tx, rx) = oneshot::channel();
        let _stop = context::after_func(&ctx, move || {
            std::thread::sleep(WAIT);
            tx.send(3).unwrap();
        });
        cancel.cancel();
        assert_eq!(rx.await.unwrap(), 3);
    });
}

#[test]
fn ticker() {
    completes(WAIT, async {
        let mut t = Ticker::new(WAIT / 2);
        t.tick().await;
        t.tick().await;
    });
}

#[test]
fn timer() {
    completes(WAIT, async {
        Timer::new(WAIT).await;
    });
}

#[test]
fn timer_first_polled_under_another_executor() {
    // Registered on the fallback driver by its first poll, then awaited in `block_on`.
    let mut t = Timer::new(WAIT);
    futures::executor::block_on(futures::future::poll_fn(|cx| {
        assert!(std::pin::Pin::new(&mut t).poll(cx).is_pending());
        Poll::Ready(())
    }));
    completes(WAIT - Duration::from_millis(50), async move {
        t.await;
    });
}

#[test]
fn foreign_executor_waiting_on_a_gmp_timer() {
    let (tx, rx) = oneshot::channel();
    std::thread::spawn(move || {
        futures::executor::block_on(async {
            time::sleep(WAIT).await;
            tx.send(4).unwrap();
        })
    });
    completes(WAIT - Duration::from_millis(50), async move {
        assert_eq!(rx.await.unwrap(), 4);
    });
}

#[test]
fn reactor_registration() {
    completes(WAIT, async {
        let listener = gmp::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = std::thread::spawn(move || {
            std::thread::sleep(WAIT);
            std::net::TcpStream::connect(addr).unwrap()
        });
        listener.accept().await.unwrap();
        drop(client.join().unwrap());
    });
}

#[test]
fn foreign_thread_holding_a_waker_is_invisible_as_documented() {
    // gmp cannot see a plain thread that will wake `block_on`: the check reports it...
    let (tx, rx) = oneshot::channel::<u32>();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(3));
        let _ = tx.send(5);
    });
    reported(async move {
        let _ = rx.await;
    });
    // ...and the documented way out is to turn the check off.
    let (tx, rx) = oneshot::channel::<u32>();
    std::thread::spawn(move || {
        std::thread::sleep(WAIT);
        tx.send(6).unwrap();
    });
    let rt = gmp::Builder::new()
        .maxprocs(2)
        .deadlock_detection(false)
        .build()
        .unwrap();
    assert_eq!(rt.block_on(rx).unwrap(), 6);
}

#[test]
fn mutual_wait_is_still_reported() {
    // The goroutines chapter's leak: two tasks each receiving what the other would send.
    reported(async {
        let (tx1, rx1) = oneshot::channel::<u32>();
        let (tx2, rx2) = oneshot::channel::<u32>();
        let a = gmp::spawn(async move { tx2.send(rx1.await.unwrap()).ok() });
        let b = gmp::spawn(async move { tx1.send(rx2.await.unwrap()).ok() });
        a.await.unwrap();
        b.await.unwrap();
    });
}

#[test]
fn empty_select_is_still_reported() {
    reported(async {
        gmp::select! {}
    });
}

#[test]
fn a_cancelled_or_dropped_context_deadline_does_not_hide_a_deadlock() {
    // A cancelled deadline is no wake-up source: its timer is gone at once.
    reported(async {
        let (ctx, cancel) =
            context::with_timeout(&Context::background(), Duration::from_secs(3600));
        cancel.cancel();
        let (_tx, rx) = oneshot::channel::<()>();
        let _ = rx.await;
        drop(ctx);
    });
    // Nor is the deadline of a context whose every clone was dropped.
    reported(async {
        drop(context::with_timeout(
            &Context::background(),
            Duration::from_secs(3600),
        ));
        let (_tx, rx) = oneshot::channel::<()>();
        let _ = rx.await;
    });
}

#[test]
fn signal_handlers_are_no_wake_up_source() {
    // gmp's only handler (SIGQUIT dumps) exits the process; it never wakes a task, so it does
    // not hide a deadlock.
    let msg = outcome(|| {
        let rt = gmp::Builder::new()
            .maxprocs(2)
            .dump_on_sigquit(true)
            .build()
            .unwrap();
        rt.block_on(async {
            let (_tx, rx) = oneshot::channel::<()>();
            let _ = rx.await;
        });
    })
    .expect("a real deadlock was not reported");
    assert!(msg.starts_with("all tasks are asleep - deadlock!"), "{msg}");
}
