//! golang/go test/chan/select2.go (BSD-style license, Copyright The Go Authors): selects do not
//! consume undue memory. 100,000 selects of a receiver over a busy and an idle channel, after a
//! warm-up round of the same, may leave at most 110,000 more bytes live (Go's bound); here
//! every allocation of the test binary is counted, on gmp with 1 and 2 workers.

#![cfg(not(loom))]

use gmp_sync::{chan, select};

mod counting_alloc;
use counting_alloc::live;

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

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
        let before = live();
        round(&c, &cr, &dummy).await;
        live() - before
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
