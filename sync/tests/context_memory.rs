//! Cancelling a timeout context frees its timer at once, as Go's `cancel()` does: after a
//! million contexts with an hour's timeout are cancelled (or dropped), the heap is back to
//! where it was, measured right away with a counting allocator — no helper to catch up, no
//! sleeping. Alone in its binary so no other test's allocations are counted.

#![cfg(not(loom))]

use gmp_sync::context::{self, Context};
use std::time::Duration;

mod counting_alloc;
use counting_alloc::live;

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

const N: usize = 1_000_000;
/// Allocations other threads (a runtime's workers, the timer thread) may make meanwhile.
const SLACK: isize = 1 << 20;

/// Makes `N` contexts with an hour's timeout, then gets rid of them by `cancel` (keeping the
/// contexts) or by dropping every clone, and checks the timers' memory is back at once.
fn round(by_cancel: bool, n: usize) {
    let bg = Context::background();
    let mut all = Vec::with_capacity(n);
    let base = live();
    for _ in 0..n {
        all.push(context::with_timeout(&bg, Duration::from_secs(3600)));
    }
    let full = live();
    assert!(full - base > (n * 100) as isize, "{}", full - base);
    let timers = gmp_executor::time::live_timers();
    assert!(timers >= n, "{timers}");
    if by_cancel {
        for (_, cancel) in &all {
            cancel.cancel();
        }
        assert_eq!(
            gmp_executor::time::live_timers(),
            timers - n,
            "cancelled timers still in the wheel"
        );
        // The contexts are still alive; their timers (wheel entries and callbacks) are gone.
        let cancelled = live();
        // A wheel entry (32 bytes) and the callback's `Arc` (24) per timer.
        let timer_bytes = (n * (32 + 24)) as isize;
        assert!(
            full - cancelled >= timer_bytes,
            "cancel freed only {} bytes of timers, want >= {timer_bytes}",
            full - cancelled
        );
    }
    all.clear();
    assert_eq!(gmp_executor::time::live_timers(), timers - n);
    let after = live();
    assert!(
        after - base < SLACK,
        "{} bytes still allocated after {} {n} timeout contexts",
        after - base,
        if by_cancel {
            "cancelling and dropping"
        } else {
            "dropping"
        }
    );
}

#[test]
fn a_million_cancelled_timeouts_free_their_memory_at_once() {
    // Outside a runtime: the fallback timer driver.
    round(true, N);
    round(false, N / 5);
    // Inside one: the block_on thread's wheel.
    let rt = gmp_executor::Runtime::new().unwrap();
    rt.block_on(async {
        round(true, N / 5);
        round(false, N / 5);
    });
}
