//! Bad input: every misuse gets its documented panic or its documented non-panicking answer,
//! and none hangs.
//!
//! Each row runs in a child process (this test binary re-executed with `GMP_BAD_INPUT_CASE`
//! naming the row, running only `bad_input_child`), so a panic, an abort or a hang in one row
//! cannot hide another. A row either expects the child to fail with a panic whose message
//! contains a given text, or to exit cleanly (its own assertions passed). Each child gets
//! `CHILD_LIMIT` before it is killed and the row reported as hung.
//!
//! Durations saturate: `context::with_timeout(Duration::MAX)` and
//! `Runtime::shutdown_timeout(Duration::MAX)` must return, not panic with "overflow when adding
//! duration to instant".

use std::future::Future;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gmp::chan;

const CASE_VAR: &str = "GMP_BAD_INPUT_CASE";
const CHILD_LIMIT: Duration = Duration::from_secs(60);

/// What a row's child must do.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Panic, with this text in the message.
    Panic(&'static str),
    /// Exit cleanly (the row's assertions hold).
    Ok,
}

struct Row {
    name: &'static str,
    expect: Expect,
    /// Extra environment for the child.
    env: &'static [(&'static str, &'static str)],
    /// A branch the row's expectation depends on, if not yet merged.
    run: fn(),
}

fn rt() -> gmp::Runtime {
    gmp::Builder::new().maxprocs(2).build().unwrap()
}

fn block_on<F: Future>(f: F) -> F::Output {
    rt().block_on(f)
}

/// The table. Go's behaviour, where it differs, is in the row's comment.
const ROWS: &[Row] = &[
    // --- The runtime ---
    Row {
        name: "maxprocs_zero",
        expect: Expect::Panic("maxprocs must be at least 1"),
        env: &[],
        run: || {
            gmp::Builder::new().maxprocs(0);
        },
    },
    Row {
        name: "gomaxprocs_env_zero",
        expect: Expect::Panic("GOMAXPROCS must be a positive integer, got \"0\""),
        env: &[("GOMAXPROCS", "0")],
        run: || {
            let e = gmp::Runtime::new().unwrap_err();
            panic!("{e}");
        },
    },
    Row {
        name: "global_queue_interval_zero",
        expect: Expect::Panic("global_queue_interval must be at least 1"),
        env: &[],
        run: || {
            gmp::Builder::new().global_queue_interval(0);
        },
    },
    Row {
        name: "max_blocking_threads_zero",
        expect: Expect::Panic("max_blocking_threads must be at least 1"),
        env: &[],
        run: || {
            gmp::Builder::new().max_blocking_threads(0);
        },
    },
    Row {
        name: "sysmon_threshold_zero",
        expect: Expect::Panic("sysmon_threshold must be positive"),
        env: &[],
        run: || {
            gmp::Builder::new().sysmon_threshold(Duration::ZERO);
        },
    },
    Row {
        name: "spawn_outside_a_runtime",
        expect: Expect::Panic("gmp::spawn called outside a gmp runtime"),
        env: &[],
        run: || {
            gmp::spawn(async {}).detach();
        },
    },
    Row {
        name: "spawn_blocking_outside_a_runtime",
        expect: Expect::Panic("gmp::spawn_blocking called outside a gmp runtime"),
        env: &[],
        run: || {
            gmp::spawn_blocking(|| {}).detach();
        },
    },
    Row {
        name: "handle_current_outside_a_runtime",
        expect: Expect::Panic("Handle::current() called outside a gmp runtime"),
        env: &[],
        run: || {
            gmp::Handle::current();
        },
    },
    Row {
        name: "num_tasks_outside_a_runtime",
        expect: Expect::Panic("called outside a gmp runtime"),
        env: &[],
        run: || {
            gmp::runtime::num_tasks();
        },
    },
    Row {
        name: "nested_block_on",
        expect: Expect::Panic(
            "Runtime::block_on called from a thread that is already running a gmp runtime",
        ),
        env: &[],
        run: || {
            let (outer, inner) = (rt(), rt());
            outer.block_on(async { inner.block_on(async {}) });
        },
    },
    Row {
        name: "block_on_inside_a_task",
        expect: Expect::Panic(
            "Runtime::block_on called from a thread that is already running a gmp runtime",
        ),
        env: &[],
        run: || {
            let rt = rt();
            let err = rt.block_on(async {
                gmp::spawn(async { gmp::Handle::current().block_on(async {}) })
                    .await
                    .unwrap_err()
            });
            std::panic::resume_unwind(err.into_panic());
        },
    },
    Row {
        name: "leak_check_inside_a_task",
        expect: Expect::Panic("gmp::leak check called from a task of the runtime it checks"),
        env: &[],
        run: || {
            let err = block_on(async {
                gmp::spawn(async { gmp::leak::verify_none() })
                    .await
                    .unwrap_err()
            });
            std::panic::resume_unwind(err.into_panic());
        },
    },
    Row {
        name: "join_error_into_panic_of_a_cancellation",
        expect: Expect::Panic("`JoinError::into_panic` called on a cancelled task's error"),
        env: &[],
        run: || {
            let err = block_on(async {
                let h = gmp::spawn(std::future::pending::<()>());
                h.abort();
                h.await.unwrap_err()
            });
            drop(err.into_panic());
        },
    },
    Row {
        // Go: `runtime.Goexit` from main; here the runtime must not wait forever either.
        name: "shutdown_timeout_max",
        expect: Expect::Ok,
        env: &[],
        run: || {
            let rt = rt();
            rt.spawn(std::future::pending::<()>()).detach();
            rt.shutdown_timeout(Duration::MAX);
        },
    },
    // --- WaitGroup ---
    Row {
        name: "waitgroup_negative",
        expect: Expect::Panic("sync: negative WaitGroup counter"),
        env: &[],
        run: || gmp::WaitGroup::new().add(-1),
    },
    Row {
        name: "waitgroup_done_at_zero",
        expect: Expect::Panic("sync: negative WaitGroup counter"),
        env: &[],
        run: || gmp::WaitGroup::new().done(),
    },
    Row {
        name: "waitgroup_overflow",
        expect: Expect::Panic("sync: WaitGroup counter overflows"),
        env: &[],
        run: || gmp::WaitGroup::new().add(isize::MAX),
    },
    // --- Channels ---
    Row {
        // Go panics ("send on closed channel"); gmp gives the value back.
        name: "send_on_a_closed_channel",
        expect: Expect::Ok,
        env: &[],
        run: || {
            block_on(async {
                let (tx, _rx) = chan::bounded::<String>(1);
                assert!(tx.close());
                let back = tx.send("kept".to_owned()).await.unwrap_err().into_inner();
                assert_eq!(back, "kept");
                assert!(tx.try_send("again".to_owned()).unwrap_err().is_closed());
                assert_eq!(tx.send_blocking(3.to_string()).unwrap_err().0, "3");
            });
        },
    },
    Row {
        // Go panics ("close of closed channel"); gmp's `close` says whether it closed.
        name: "close_a_closed_channel",
        expect: Expect::Ok,
        env: &[],
        run: || {
            let (tx, rx) = chan::bounded::<u8>(0);
            assert!(tx.close());
            assert!(!tx.close());
            assert!(rx.is_closed());
        },
    },
    Row {
        // Go: `make(chan T, huge)` panics "makechan: size out of range"; gmp allocates as it
        // fills.
        name: "channel_of_huge_capacity",
        expect: Expect::Ok,
        env: &[],
        run: || {
            let (tx, rx) = chan::bounded::<u64>(usize::MAX);
            for i in 0..10_000 {
                tx.try_send(i).unwrap();
            }
            assert_eq!(rx.len(), 10_000);
            assert_eq!(rx.capacity(), usize::MAX);
        },
    },
    Row {
        // Go: `select {}` with no case is a deadlock; every arm disabled is the same.
        name: "select_with_every_arm_disabled",
        expect: Expect::Panic("all tasks are asleep - deadlock!"),
        env: &[],
        run: || {
            block_on(async {
                let (_tx, rx) = chan::bounded::<u8>(0);
                let off = false;
                gmp::select! {
                    _ = rx.recv(), if off => {}
                }
            });
        },
    },
    // --- Locks and semaphores ---
    Row {
        // Go: locking a held sync.Mutex from the same goroutine deadlocks.
        name: "mutex_relock",
        expect: Expect::Panic("all tasks are asleep - deadlock!"),
        env: &[],
        run: || {
            block_on(async {
                let m = gmp::Mutex::new(0);
                let _first = m.lock().await;
                let _second = m.lock().await;
            });
        },
    },
    Row {
        // Go: unlocking an unlocked mutex is "fatal error: sync: unlock of unlocked mutex";
        // with guards, only the holder can unlock, once: the misuse does not compile. What is
        // left is unlocking by dropping a guard twice over `try_lock`: it must not double-free.
        name: "mutex_unlock_of_unlocked_is_unrepresentable",
        expect: Expect::Ok,
        env: &[],
        run: || {
            let m = gmp::Mutex::new(0);
            drop(m.try_lock().unwrap());
            let g = m.try_lock().unwrap();
            assert!(m.try_lock().is_none());
            drop(g);
            assert!(m.try_lock().is_some());
        },
    },
    Row {
        name: "semaphore_too_many_permits",
        expect: Expect::Panic("semaphore: too many permits"),
        env: &[],
        run: || {
            gmp::Semaphore::new(usize::MAX);
        },
    },
    Row {
        name: "semaphore_release_overflow",
        expect: Expect::Panic("semaphore: released more than MAX_PERMITS permits"),
        env: &[],
        run: || gmp::Semaphore::new(gmp::sync::semaphore::MAX_PERMITS).release(1),
    },
    Row {
        name: "errgroup_limit_zero",
        expect: Expect::Panic("errgroup: a limit of 0 would never start a member"),
        env: &[],
        run: || gmp::errgroup::Group::<std::io::Error>::new().set_limit(0),
    },
    // --- Durations and deadlines ---
    Row {
        name: "sleep_and_timeout_of_duration_max",
        expect: Expect::Ok,
        env: &[],
        run: || {
            block_on(async {
                assert_eq!(gmp::time::timeout(Duration::MAX, async { 7 }).await, Ok(7));
                let sleep = gmp::time::sleep(Duration::MAX);
                let r = gmp::time::timeout(Duration::from_millis(5), sleep).await;
                assert!(r.is_err());
                drop(gmp::time::after(Duration::MAX));
            });
        },
    },
    Row {
        name: "ticker_of_zero_period",
        expect: Expect::Panic("non-positive interval for Ticker::new"),
        env: &[],
        run: || {
            block_on(async {
                drop(gmp::time::Ticker::new(Duration::ZERO));
            });
        },
    },
    Row {
        name: "past_deadlines",
        expect: Expect::Ok,
        env: &[],
        run: || {
            block_on(async {
                let past = Instant::now() - Duration::from_secs(1);
                gmp::time::sleep_until(past).await;
                let r = gmp::time::timeout_at(past, std::future::pending::<()>()).await;
                assert!(r.is_err());
                let bg = gmp::context::Context::background();
                let (ctx, _cancel) = gmp::context::with_deadline(&bg, past);
                ctx.done().await;
                assert_eq!(ctx.err(), Some(gmp::context::Error::DeadlineExceeded));
                let (ctx, _cancel) = gmp::context::with_timeout(&bg, Duration::ZERO);
                ctx.done().await;
                assert_eq!(ctx.err(), Some(gmp::context::Error::DeadlineExceeded));
            });
        },
    },
    Row {
        name: "context_with_timeout_max",
        expect: Expect::Ok,
        env: &[],
        run: || {
            block_on(async {
                let bg = gmp::context::Context::background();
                let (ctx, cancel) = gmp::context::with_timeout(&bg, Duration::MAX);
                assert_eq!(ctx.err(), None);
                cancel.cancel();
                assert_eq!(ctx.err(), Some(gmp::context::Error::Canceled));
            });
        },
    },
];

/// In a child: runs the row named by `GMP_BAD_INPUT_CASE`. In the parent run: nothing.
#[test]
fn bad_input_child() {
    let Ok(name) = std::env::var(CASE_VAR) else {
        return;
    };
    let row = ROWS
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no bad-input row named {name:?}"));
    (row.run)();
    eprintln!("bad-input row {name}: returned");
}

#[test]
fn bad_input_table() {
    if std::env::var_os(CASE_VAR).is_some() {
        return; // a child
    }
    let exe = std::env::current_exe().unwrap();
    let start = Instant::now();
    // All children at once: each mostly waits (a deadlock report, a runtime start).
    let children: Vec<_> = ROWS
        .iter()
        .map(|row| {
            let mut cmd = Command::new(&exe);
            cmd.args([
                "--exact",
                "bad_input_child",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CASE_VAR, row.name)
            .env("RUST_BACKTRACE", "0")
            .env_remove("GOMAXPROCS")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
            for (k, v) in row.env {
                cmd.env(k, v);
            }
            (row, cmd.spawn().expect("re-executing the test binary"))
        })
        .collect();
    let mut failures = Vec::new();
    for (row, mut child) in children {
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if start.elapsed() > CHILD_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let verdict = match (status, row.expect) {
            (None, _) => Err(format!("hung (killed after {CHILD_LIMIT:?})")),
            (Some(s), Expect::Ok) if s.success() && out.contains("returned") => Ok(()),
            (Some(_), Expect::Ok) => Err("expected a clean exit".to_owned()),
            (Some(s), Expect::Panic(msg)) if !s.success() && out.contains(msg) => Ok(()),
            (Some(_), Expect::Panic(msg)) => Err(format!("expected a panic with {msg:?}")),
        };
        eprintln!(
            "stress: bad input {:<45} {:<6}",
            row.name,
            if verdict.is_ok() { "ok" } else { "FAILED" }
        );
        if let Err(why) = verdict {
            failures.push(format!("row {}: {why}; child output:\n{out}", row.name));
        }
    }
    eprintln!(
        "stress: bad input: {} rows in {:.2?}",
        ROWS.len(),
        start.elapsed()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
