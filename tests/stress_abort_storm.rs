//! Abort storm: tasks parked on channels (receivers of an empty channel, senders into a full
//! one), timers, a `Mutex` and a `Semaphore`, aborted in random order from 8 tasks. Afterwards
//! the task count is back to 0, no waiter list keeps a stale entry (each primitive behaves as
//! if nobody had ever waited on it: a stale waiter would take a value, a permit or the lock),
//! and memory is returned: a second storm of the same size does not grow the RSS by more than
//! a fraction of the first's growth, and (with glibc) once `malloc_trim` hands the allocator's
//! free pages back, the RSS is within a fraction of the first storm's growth of where it started.
//!
//! Sizes: 20,000 tasks per storm in the normal test run; `GMP_STRESS=full`: 1,000,000.

mod stress_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gmp::chan::{TryRecvError, TrySendError};
use stress_common::{Rng, mib, report, rss_bytes, size, wait_until};

const ABORTERS: usize = 8;

struct Storm {
    /// Milliseconds to park everything, abort everything, and see the count at 0.
    park: Duration,
    abort: Duration,
    peak_rss: u64,
}

/// Parks `n` tasks, a fifth on each kind of wait, aborts them from 8 tasks in random order, and
/// checks that every primitive is clean afterwards.
fn storm(rt: &gmp::Runtime, n: u64, seed: u64) -> Storm {
    rt.block_on(async {
        let (recv_tx, recv_rx) = gmp::chan::bounded::<u64>(0); // receivers park
        let (send_tx, send_rx) = gmp::chan::bounded::<u64>(1); // senders park
        send_tx.try_send(u64::MAX).unwrap(); // full
        let mutex = Arc::new(gmp::Mutex::new(0u64));
        let guard = mutex.lock().await; // held: lockers park
        let sem = Arc::new(gmp::Semaphore::new(0)); // acquirers park
        let parked = Arc::new(AtomicU64::new(0));

        let t0 = Instant::now();
        let mut handles = Vec::with_capacity(n as usize);
        for i in 0..n {
            let parked = parked.clone();
            let h = match i % 5 {
                0 => {
                    let rx = recv_rx.clone();
                    gmp::spawn(async move {
                        parked.fetch_add(1, Ordering::Relaxed);
                        let _ = rx.recv().await;
                        unreachable!("received from a channel nobody sends on");
                    })
                }
                1 => {
                    let tx = send_tx.clone();
                    gmp::spawn(async move {
                        parked.fetch_add(1, Ordering::Relaxed);
                        let _ = tx.send(i).await;
                        unreachable!("sent into a full channel nobody reads");
                    })
                }
                2 => gmp::spawn(async move {
                    parked.fetch_add(1, Ordering::Relaxed);
                    gmp::time::sleep(Duration::from_secs(3600)).await;
                    unreachable!("an hour passed");
                }),
                3 => {
                    let m = mutex.clone();
                    gmp::spawn(async move {
                        parked.fetch_add(1, Ordering::Relaxed);
                        let _g = m.lock().await;
                        unreachable!("locked a held mutex");
                    })
                }
                _ => {
                    let s = sem.clone();
                    gmp::spawn(async move {
                        parked.fetch_add(1, Ordering::Relaxed);
                        let _p = s.acquire(1).await;
                        unreachable!("acquired a permit of an empty semaphore");
                    })
                }
            };
            handles.push(h);
            if i % 4096 == 0 {
                gmp::yield_now().await;
            }
        }
        while parked.load(Ordering::Relaxed) < n {
            gmp::time::sleep(Duration::from_millis(1)).await;
        }
        // Let the last ones finish the poll that registers their waiter.
        gmp::time::sleep(Duration::from_millis(10)).await;
        let park = t0.elapsed();
        let peak_rss = rss_bytes();
        assert_eq!(gmp::runtime::num_tasks() as u64, n);

        let t0 = Instant::now();
        Rng::new(seed).shuffle(&mut handles);
        let per = handles.len().div_ceil(ABORTERS);
        let mut aborters = Vec::new();
        while !handles.is_empty() {
            let chunk: Vec<_> = handles.drain(..per.min(handles.len())).collect();
            aborters.push(gmp::spawn(async move {
                for h in &chunk {
                    h.abort();
                }
                for h in chunk {
                    assert!(h.await.unwrap_err().is_cancelled());
                }
            }));
        }
        for a in aborters {
            a.await.unwrap();
        }
        let abort = t0.elapsed();
        assert_eq!(gmp::runtime::num_tasks(), 0);

        // No stale waiter anywhere: each primitive acts as if nobody had waited on it.
        assert!(
            matches!(recv_tx.try_send(1), Err(TrySendError::Full(1))),
            "a stale receiver took a value"
        );
        assert_eq!(send_rx.try_recv(), Ok(u64::MAX));
        assert_eq!(
            send_rx.try_recv(),
            Err(TryRecvError::Empty),
            "a stale sender delivered"
        );
        drop(guard);
        assert!(mutex.try_lock().is_some(), "a stale locker holds the mutex");
        sem.release(3);
        assert_eq!(sem.available_permits(), 3, "a stale acquirer took permits");
        assert!(sem.try_acquire(3).is_some());
        // Timers: a fresh one still fires, behind the cancelled hour-long ones.
        let t = Instant::now();
        gmp::time::sleep(Duration::from_millis(2)).await;
        assert!(t.elapsed() < Duration::from_secs(5));
        Storm {
            park,
            abort,
            peak_rss,
        }
    })
}

#[test]
fn abort_storm() {
    let n = size(20_000u64, 1_000_000);
    let rt = gmp::Builder::new().maxprocs(2).build().unwrap();
    trim();
    let base = rss_bytes();
    let first = storm(&rt, n, 1);
    let after_first = rss_bytes();
    let second = storm(&rt, n, 2);
    let after_second = rss_bytes();
    for (i, s) in [&first, &second].into_iter().enumerate() {
        report(format_args!(
            "abort storm {}: {n} tasks parked in {:.2?}, aborted from {ABORTERS} tasks in {:.2?} \
             ({:.0} aborts/s); RSS peak {:.1} MiB",
            i + 1,
            s.park,
            s.abort,
            stress_common::rate(n, s.abort),
            mib(s.peak_rss),
        ));
    }
    report(format_args!(
        "abort storm: RSS {:.1} MiB before, {:.1} MiB after the first storm, {:.1} MiB after the \
         second",
        mib(base),
        mib(after_first),
        mib(after_second),
    ));
    assert!(wait_until(Duration::from_secs(10), || rt
        .handle()
        .num_tasks()
        == 0));
    // Loose: memory from the first storm is reused by the second (a leak of even 100 bytes per
    // aborted task would add 100 MB at full size). Allocators keep freed memory, so the bound
    // is on growth across storms, not a return to the starting RSS.
    let growth = first.peak_rss.saturating_sub(base).max(1 << 20);
    // Once the runtime is idle (its workers parked, which gives their cached task memory back
    // to the allocator), `malloc_trim` returns what the storms used: allow the workers a
    // moment to park on a loaded machine.
    let mut trimmed = trim().then(rss_bytes);
    wait_until(Duration::from_secs(5), || {
        trimmed = trim().then(rss_bytes);
        trimmed.is_none_or(|t| t <= base + growth / 2)
    });
    if let Some(trimmed) = trimmed {
        report(format_args!(
            "abort storm: RSS {:.1} MiB after malloc_trim",
            mib(trimmed)
        ));
    }
    assert!(
        after_second <= after_first + growth / 2,
        "RSS grew from {:.1} to {:.1} MiB across identical storms (first storm's growth {:.1} MiB)",
        mib(after_first),
        mib(after_second),
        mib(growth)
    );
    if let Some(trimmed) = trimmed {
        assert!(
            trimmed <= base + growth / 2,
            "RSS {:.1} MiB after malloc_trim, {:.1} MiB before the storms (growth {:.1} MiB)",
            mib(trimmed),
            mib(base),
            mib(growth)
        );
    }
}

/// Hands glibc's free pages back to the OS; false where there is no `malloc_trim`.
fn trim() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only releases free memory of the allocator; any pad is valid.
        unsafe { libc::malloc_trim(0) };
        true
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}
