//! Cancel safety under stress: producers and consumers on several threads drop their send and
//! receive futures at random points (tokio timeouts, `select!` losing to another arm, a single
//! poll then drop), over two channels that selects send to and receive from at once. Every
//! value sent must be received exactly once, and no value may be received twice.
//!
//! What a sender learns when it gives up on a send:
//! - a `select!` arm that was not chosen delivered nothing (the selection token);
//! - a send future it still owns tells with `into_value()`: `Some(v)` means not delivered;
//! - a send future dropped blind (a timeout around an owned future) may or may not have been
//!   delivered (a receiver may have taken the value a moment before the drop); either way it
//!   is delivered at most once, so such values are recorded as "maybe" and must be received
//!   at most once.

#![cfg(not(loom))] // the peers and test tools are not built under loom

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, Instant};

use gmp_sync::chan::{self, Receiver, Sender, TryRecvError};
use gmp_sync::select;

/// The executor's timer: `tokio::time::sleep` or `gmp::time::sleep`.
type SleepFn = fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Like `tokio::time::timeout`: the future is dropped blind if the timer fires first.
async fn timeout<F: Future + Unpin>(sleep: SleepFn, d: Duration, f: F) -> Result<F::Output, ()> {
    match futures::future::select(f, sleep(d)).await {
        futures::future::Either::Left((v, _)) => Ok(v),
        futures::future::Either::Right(((), _)) => Err(()),
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A future that is pending for `n` polls (waking itself), then ready: a competing arm that
/// wins at a random point.
async fn pending_for(n: u64) {
    for _ in 0..n {
        gmp_executor::yield_now().await;
    }
}

async fn produce(
    sleep: SleepFn,
    id: u64,
    values: std::ops::Range<u64>,
    a: Sender<u64>,
    b: Sender<u64>,
    maybe: Arc<Mutex<Vec<u64>>>,
) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((id + 1) * 0x1234_5678));
    for v in values {
        loop {
            match rng.next() % 6 {
                0 => {
                    let d = Duration::from_micros(rng.next() % 200);
                    let mut f = a.send(v);
                    if let Ok(r) = timeout(sleep, d, &mut f).await {
                        r.unwrap();
                        break;
                    }
                    if f.into_value().is_none() {
                        break; // delivered just before the timeout
                    }
                }
                5 => {
                    let d = Duration::from_micros(rng.next() % 200);
                    if let Ok(r) = timeout(sleep, d, b.send(v)).await {
                        r.unwrap();
                    } else {
                        maybe.lock().unwrap().push(v);
                    }
                    break;
                }
                1 => {
                    let sent = select! {
                        r = a.send(v) => { r.unwrap(); true }
                        r = b.send(v) => { r.unwrap(); true }
                        () = pending_for(rng.next() % 3) => false,
                    };
                    if sent {
                        break;
                    }
                }
                2 => {
                    let mut f = a.send(v);
                    if let Poll::Ready(r) = futures::poll!(&mut f) {
                        r.unwrap();
                        break;
                    }
                    gmp_executor::yield_now().await;
                    if let Poll::Ready(r) = futures::poll!(&mut f) {
                        r.unwrap();
                        break;
                    }
                    match f.into_value() {
                        // Not delivered: the value comes back.
                        Some(back) => assert_eq!(back, v),
                        None => break,
                    }
                }
                3 => {
                    if b.try_send(v).is_ok() {
                        break;
                    }
                    gmp_executor::yield_now().await;
                }
                _ => {
                    b.send(v).await.unwrap();
                    break;
                }
            }
        }
    }
}

async fn consume(
    sleep: SleepFn,
    id: u64,
    a: Receiver<u64>,
    b: Receiver<u64>,
    out: Arc<Mutex<Vec<u64>>>,
) {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ ((id + 7) * 0x9876_5431));
    let mut got = Vec::new();
    let (mut a_open, mut b_open) = (true, true);
    while a_open || b_open {
        match rng.next() % 4 {
            0 if a_open => {
                let d = Duration::from_micros(rng.next() % 200);
                match timeout(sleep, d, a.recv()).await {
                    Ok(Some(v)) => got.push(v),
                    Ok(None) => a_open = false,
                    Err(_) => {}
                }
            }
            1 => {
                select! {
                    v = a.recv(), if a_open => match v { Some(v) => got.push(v), None => a_open = false },
                    v = b.recv(), if b_open => match v { Some(v) => got.push(v), None => b_open = false },
                    () = pending_for(rng.next() % 3) => {}
                }
            }
            2 if b_open => {
                let mut f = b.recv();
                match futures::poll!(&mut f) {
                    Poll::Ready(Some(v)) => got.push(v),
                    Poll::Ready(None) => b_open = false,
                    // Dropped after parking: a value handed to it in between goes back.
                    Poll::Pending => drop(f),
                }
                gmp_executor::yield_now().await;
            }
            _ if b_open => match b.recv().await {
                Some(v) => got.push(v),
                None => b_open = false,
            },
            _ => match a.recv().await {
                Some(v) => got.push(v),
                None => a_open = false,
            },
        }
    }
    out.lock().unwrap().extend(got);
}

/// A plain-thread consumer: try_recv, blocking recv, and a futures-executor select.
fn consume_thread(a: Receiver<u64>, b: Receiver<u64>, out: Arc<Mutex<Vec<u64>>>) {
    let mut got = Vec::new();
    let mut rng = Rng(0xABCD_EF01_2345_6789);
    let (mut a_open, mut b_open) = (true, true);
    while a_open || b_open {
        match rng.next() % 3 {
            0 => {
                for (rx, open) in [(&a, &mut a_open), (&b, &mut b_open)] {
                    match rx.try_recv() {
                        Ok(v) => got.push(v),
                        Err(TryRecvError::Closed) => *open = false,
                        Err(TryRecvError::Empty) => {}
                    }
                }
            }
            1 if a_open => match a.recv_blocking() {
                Some(v) => got.push(v),
                None => a_open = false,
            },
            _ => futures::executor::block_on(async {
                select! {
                    v = a.recv(), if a_open => match v { Some(v) => got.push(v), None => a_open = false },
                    v = b.recv(), if b_open => match v { Some(v) => got.push(v), None => b_open = false },
                }
            }),
        }
    }
    out.lock().unwrap().extend(got);
}

/// The executor a stress run uses: how to spawn, block on, and sleep.
type Task = Pin<Box<dyn Future<Output = ()> + Send>>;
type MainTask = Pin<Box<dyn Future<Output = ()>>>;

struct Exec<'a> {
    spawn: Box<dyn Fn(Task) + 'a>,
    block_on: Box<dyn Fn(MainTask) + 'a>,
    sleep: SleepFn,
}

fn with_tokio(f: impl FnOnce(&Exec<'_>)) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let h = rt.handle().clone();
    let exec = Exec {
        spawn: Box::new(move |f| drop(h.spawn(f))),
        block_on: Box::new(|f| rt.block_on(f)),
        sleep: |d| Box::pin(tokio::time::sleep(d)),
    };
    f(&exec);
}

fn with_gmp(f: impl FnOnce(&Exec<'_>)) {
    let rt = gmp_executor::Builder::new().maxprocs(2).build().unwrap();
    let h = rt.handle().clone();
    let exec = Exec {
        spawn: Box::new(move |f| h.spawn(f).detach()),
        block_on: Box::new(|f| rt.block_on(f)),
        sleep: |d| Box::pin(gmp_executor::time::sleep(d)),
    };
    f(&exec);
}

fn run(exec: &Exec<'_>, cap: usize, producers: u64, per_producer: u64) {
    let (a_tx, a_rx) = chan::bounded::<u64>(cap);
    let (b_tx, b_rx) = chan::bounded::<u64>(cap);
    let out = Arc::new(Mutex::new(Vec::new()));
    let maybe = Arc::new(Mutex::new(Vec::new()));
    let t0 = Instant::now();
    let thread = {
        let (a, b, out) = (a_rx.clone(), b_rx.clone(), out.clone());
        std::thread::spawn(move || consume_thread(a, b, out))
    };
    // Each task reports on `done` when it finishes; the count tells when all have.
    let (done_tx, done_rx) = chan::bounded::<()>(16);
    for c in 0..3 {
        let (a, b, out, done) = (a_rx.clone(), b_rx.clone(), out.clone(), done_tx.clone());
        let sleep = exec.sleep;
        (exec.spawn)(Box::pin(async move {
            consume(sleep, c, a, b, out).await;
            done.send(()).await.unwrap();
        }));
    }
    drop((a_rx, b_rx));
    for p in 0..producers {
        let range = p * per_producer..(p + 1) * per_producer;
        let (a, b, maybe, done) = (a_tx.clone(), b_tx.clone(), maybe.clone(), done_tx.clone());
        let sleep = exec.sleep;
        (exec.spawn)(Box::pin(async move {
            produce(sleep, p, range, a, b, maybe).await;
            done.send(()).await.unwrap();
        }));
    }
    drop((a_tx, b_tx)); // the channels close when the last producer finishes
    let sleep = exec.sleep;
    (exec.block_on)(Box::pin(async move {
        for _ in 0..3 + producers {
            select! {
                _ = done_rx.recv() => {}
                () = sleep(Duration::from_secs(60)) => panic!("stress test hung"),
            }
        }
    }));
    thread.join().unwrap();
    let mut all = std::mem::take(&mut *out.lock().unwrap());
    let n = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), n, "cap {cap}: a value was received twice");
    let maybe: std::collections::HashSet<u64> = std::mem::take(&mut *maybe.lock().unwrap())
        .into_iter()
        .collect();
    let expected: Vec<u64> = (0..producers * per_producer)
        .filter(|v| !maybe.contains(v))
        .collect();
    let certain: Vec<u64> = all.iter().copied().filter(|v| !maybe.contains(v)).collect();
    assert_eq!(certain, expected, "cap {cap}: a value was lost");
    let maybe_got = n - certain.len();
    eprintln!(
        "cap {cap}: {n} values received once each in {:?} ({} blind drops, {maybe_got} of them delivered)",
        t0.elapsed(),
        maybe.len()
    );
}

/// Values per producer: a few seconds in either build profile.
const PER_PRODUCER: u64 = if cfg!(debug_assertions) {
    20_000
} else {
    100_000
};

#[test]
fn cancel_safety_unbuffered() {
    with_tokio(|e| run(e, 0, 4, PER_PRODUCER));
}

#[test]
fn cancel_safety_cap_1() {
    with_tokio(|e| run(e, 1, 4, PER_PRODUCER));
}

#[test]
fn cancel_safety_cap_8() {
    with_tokio(|e| run(e, 8, 4, PER_PRODUCER));
}

#[test]
fn cancel_safety_gmp_runtime() {
    with_gmp(|e| {
        for cap in [0, 1, 8] {
            run(e, cap, 4, PER_PRODUCER);
        }
    });
}

/// Real-thread stress of the buffered (ring) channels: `producers` plain threads send
/// `per_producer` values each, `consumers` plain threads receive, and both sides cancel at
/// random (a send polled once and abandoned with `into_value`, a receive polled once and
/// dropped, try ops, blocking ops). Checks: every value received exactly once (lost 0,
/// duplicated 0), and each consumer sees each producer's values in the order they were sent.
fn threads_stress(cap: usize, producers: u64, consumers: u64, per_producer: u64) {
    use std::task::{Context, Waker};
    let (tx, rx) = chan::bounded::<u64>(cap);
    let t0 = Instant::now();
    let prods: Vec<_> = (0..producers)
        .map(|p| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut rng = Rng(0x5851_F42D_4C95_7F2D ^ ((p + 3) * 0x2545_F491));
                for i in 0..per_producer {
                    let v = (p << 40) | i;
                    loop {
                        match rng.next() % 8 {
                            0 => {
                                // Park (if full), then abandon: delivered or back, never both.
                                let mut f = tx.send(v);
                                let polled =
                                    Pin::new(&mut f).poll(&mut Context::from_waker(Waker::noop()));
                                if let Poll::Ready(r) = polled {
                                    r.unwrap();
                                    break;
                                }
                                match f.into_value() {
                                    Some(back) => assert_eq!(back, v),
                                    None => break,
                                }
                            }
                            1 | 2 => {
                                if tx.try_send(v).is_ok() {
                                    break;
                                }
                                std::thread::yield_now();
                            }
                            _ => {
                                tx.send_blocking(v).unwrap();
                                break;
                            }
                        }
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let cons: Vec<_> = (0..consumers)
        .map(|c| {
            let rx = rx.clone();
            std::thread::spawn(move || {
                let mut rng =
                    Rng(0x2127_599B_F432_5C37 ^ (c + 5).wrapping_mul(0x8000_0000_0000_001B));
                let mut got = Vec::new();
                loop {
                    match rng.next() % 8 {
                        0 => {
                            // Park (if empty), then drop: a wake it got passes on.
                            let mut f = rx.recv();
                            match Pin::new(&mut f).poll(&mut Context::from_waker(Waker::noop())) {
                                Poll::Ready(Some(v)) => got.push(v),
                                Poll::Ready(None) => break,
                                Poll::Pending => {}
                            }
                        }
                        1 | 2 => match rx.try_recv() {
                            Ok(v) => got.push(v),
                            Err(TryRecvError::Closed) => break,
                            Err(TryRecvError::Empty) => std::thread::yield_now(),
                        },
                        _ => match rx.recv_blocking() {
                            Some(v) => got.push(v),
                            None => break,
                        },
                    }
                }
                got
            })
        })
        .collect();
    drop(rx);
    for p in prods {
        p.join().unwrap();
    }
    let mut all = Vec::new();
    for c in cons {
        let got = c.join().unwrap();
        // Each producer's values in order, as seen by this consumer.
        let mut last = vec![None::<u64>; producers as usize];
        for &v in &got {
            let (p, i) = ((v >> 40) as usize, v & ((1 << 40) - 1));
            assert!(
                last[p].is_none_or(|l| l < i),
                "cap {cap}: producer {p} reordered"
            );
            last[p] = Some(i);
        }
        all.extend(got);
    }
    let n = all.len() as u64;
    all.sort_unstable();
    all.dedup();
    let dups = n - all.len() as u64;
    let lost = producers * per_producer - all.len() as u64;
    eprintln!(
        "threads cap {cap}: {n} values, lost {lost}, duplicated {dups}, {:?}",
        t0.elapsed()
    );
    assert_eq!((lost, dups), (0, 0), "cap {cap}");
}

/// Messages per real-thread stress run: `GMP_CHAN_STRESS_MESSAGES` (10M for the full run),
/// else small enough for CI.
fn stress_messages() -> u64 {
    std::env::var("GMP_CHAN_STRESS_MESSAGES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) {
            200_000
        } else {
            1_000_000
        })
}

#[test]
fn ring_threads_stress_small_caps() {
    let m = stress_messages();
    for cap in [1, 2] {
        threads_stress(cap, 2, 1, m / 2);
        threads_stress(cap, 2, 2, m / 2);
    }
}

#[test]
fn ring_threads_stress_large_caps() {
    let m = stress_messages();
    for cap in [64, 1024] {
        threads_stress(cap, 4, 1, m / 4);
        threads_stress(cap, 4, 4, m / 4);
    }
}

/// The full-size run: 10M messages per configuration.
#[test]
#[ignore = "minutes: run with --ignored (or set GMP_CHAN_STRESS_MESSAGES)"]
fn ring_threads_stress_10m() {
    for cap in [1, 2, 64, 1024] {
        threads_stress(cap, 4, 2, 10_000_000 / 4);
    }
}
