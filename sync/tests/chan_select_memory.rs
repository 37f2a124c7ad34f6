//! golang/go test/chan/select2.go (BSD-style license, Copyright The Go Authors): selects do not
//! consume undue memory. 100,000 selects of a receiver over a busy and an idle channel, after a
//! warm-up round of the same, may leave at most 110,000 more bytes live (Go's bound); here
//! every allocation of the test binary is counted, on gmp with 1 and 2 workers.

#![cfg(not(loom))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use gmp_sync::{chan, select};

/// The system allocator, counting the bytes live.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: defers to `System`, adding only a counter update.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as above, for `dealloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: as above, for `realloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const SELECTS: usize = 100_000;

/// One round: a task sends `SELECTS` values on the unbuffered `c`; we receive each with a
/// select over `c` and a channel nobody sends on.
async fn round(c: &chan::Sender<i32>, cr: &chan::Receiver<i32>, dummy: &chan::Receiver<i32>) {
    let tx = c.clone();
    let sender = gmp_executor::spawn(async move {
        for _ in 0..SELECTS {
            tx.send(1).await.unwrap();
        }
    });
    for _ in 0..SELECTS {
        select! {
            v = cr.recv() => assert_eq!(v, Some(1)),
            _ = dummy.recv() => panic!("dummy"),
        }
    }
    sender.await.unwrap();
}

fn select2(workers: usize) {
    let rt = gmp_executor::Builder::new()
        .maxprocs(workers)
        .build()
        .unwrap();
    let grown = rt.block_on(async {
        let (c, cr) = chan::bounded::<i32>(0);
        let (_dummy_tx, dummy) = chan::bounded::<i32>(0);
        round(&c, &cr, &dummy).await;
        let before = LIVE.load(Ordering::Relaxed);
        round(&c, &cr, &dummy).await;
        LIVE.load(Ordering::Relaxed) - before
    });
    assert!(
        grown <= 110_000,
        "too much memory for {SELECTS} selects: {grown} bytes"
    );
}

#[test]
fn select2_one_worker() {
    select2(1);
}

#[test]
fn select2_two_workers() {
    select2(2);
}
