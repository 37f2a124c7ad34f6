//! Panic storm: many tasks panicking at once, and after awaiting, and detached; the runtime
//! keeps running new work, every awaited panic is reported to its handle, every detached one
//! is counted as unhandled, and `num_tasks()` returns to 0.
//!
//! Sizes: 10,000 + 10,000 + 1,000 detached in the normal test run; `GMP_STRESS=full`:
//! 100,000 + 100,000 + 10,000.

mod stress_common;

use std::time::{Duration, Instant};

use stress_common::{rate, report, size, wait_until};

/// Panics whose message starts with this are not printed (there are 100,000s of them); any
/// other panic (a failing assertion) is, by the default hook.
const MARK: &str = "storm:";

fn quiet_storm_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let p = info.payload();
        let msg = p
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| p.downcast_ref::<&str>().copied());
        if !msg.is_some_and(|m| m.starts_with(MARK)) {
            default(info);
        }
    }));
}

/// A task that panics unless `i` is out of range (it never is; the branch gives it an output
/// type).
async fn boom(i: u64) -> u64 {
    if i < u64::MAX {
        panic!("{MARK} task {i}");
    }
    i
}

#[test]
fn panic_storm() {
    quiet_storm_panics();
    let n = size(10_000u64, 100_000);
    let detached = size(1_000u64, 10_000);
    let rt = gmp::Builder::new().maxprocs(2).build().unwrap();
    rt.block_on(async {
        // At once: spawned together, each panics on its first poll.
        let t0 = Instant::now();
        let handles: Vec<_> = (0..n).map(|i| gmp::spawn(boom(i))).collect();
        for h in handles {
            assert!(h.await.unwrap_err().is_panic());
        }
        let e = t0.elapsed();
        report(format_args!(
            "panic storm: {n} tasks panicking at once, all joined, in {e:.2?} ({:.0} panics/s)",
            rate(n, e)
        ));

        // After awaiting: every task parks on a channel, then on a timer, then panics.
        let t0 = Instant::now();
        let (gate_tx, gate_rx) = gmp::chan::bounded::<()>(0);
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let gate = gate_rx.clone();
                gmp::spawn(async move {
                    assert_eq!(gate.recv().await, None);
                    gmp::time::sleep(Duration::from_millis(1)).await;
                    boom(i).await
                })
            })
            .collect();
        drop(gate_rx);
        gmp::time::sleep(Duration::from_millis(10)).await;
        gate_tx.close();
        for h in handles {
            assert!(h.await.unwrap_err().is_panic());
        }
        let e = t0.elapsed();
        report(format_args!(
            "panic storm: {n} tasks panicking after awaiting a channel and a timer, all joined, \
             in {e:.2?}"
        ));

        // Detached: nobody observes these.
        let t0 = Instant::now();
        for i in 0..detached {
            gmp::spawn(async move {
                gmp::yield_now().await;
                boom(i).await
            })
            .detach();
        }
        while gmp::runtime::num_tasks() > 0 {
            gmp::time::sleep(Duration::from_millis(1)).await;
        }
        report(format_args!(
            "panic storm: {detached} detached tasks panicked, gone in {:.2?}",
            t0.elapsed()
        ));

        // New work still runs, on every worker.
        let handles: Vec<_> = (0..1_000u64)
            .map(|i| gmp::spawn(async move { i * 2 }))
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        assert_eq!(sum, 999 * 1_000);
        let (tx, rx) = gmp::chan::bounded::<u64>(0);
        let echo = gmp::spawn(async move {
            let mut n = 0;
            while let Some(v) = rx.recv().await {
                n += v;
            }
            n
        });
        for v in 1..=100 {
            tx.send(v).await.unwrap();
        }
        drop(tx);
        assert_eq!(echo.await.unwrap(), 5_050);
    });
    assert!(
        wait_until(Duration::from_secs(10), || rt.handle().num_tasks() == 0),
        "num_tasks() stayed at {}",
        rt.handle().num_tasks()
    );
    let unhandled = rt.handle().unhandled_panics();
    assert_eq!(unhandled.count(), detached, "{unhandled:#}");
    assert!(unhandled.panics()[0].message.starts_with(MARK));
    let m = rt.metrics();
    assert_eq!(m.tasks_alive, 0);
    report(format_args!(
        "panic storm: {} tasks spawned, {} completed, {} alive; {} unhandled panics recorded",
        m.tasks_spawned,
        m.tasks_completed,
        m.tasks_alive,
        unhandled.count()
    ));
}
