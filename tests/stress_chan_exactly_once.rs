//! Exactly once under random cancellation: P producers and C consumers on one channel, with
//! sends and receives racing short timeouts (inside `select!` and `time::timeout`), and
//! consumers aborted mid-receive and replaced. Every value is received exactly once; none is
//! dropped anywhere but by the ledger; every value a losing send gives back is sent again.
//!
//! What this adds to `sync/tests/chan_cancel_stress.rs` (which compares gmp's channels under
//! tokio and gmp, with plain-thread consumers): values that are not `Copy` and count their own
//! drops (a value dropped inside the channel or a cancelled future is a loss, even if no
//! receiver was waiting for it), gmp's own `time::timeout`, consumer tasks aborted while parked
//! in `recv`, the capacity and worker lists as parameters, and a messages/s figure.
//!
//! Sizes: 3 × 60,000 messages on 2 workers in the normal test run; `GMP_STRESS=full`: 10M
//! messages per capacity on 2 and 4 workers. Parameters (comma-separated lists):
//! `GMP_STRESS_CAPS` (default `0,1,64`), `GMP_STRESS_WORKERS` (default `2`, full `2,4`),
//! `GMP_STRESS_MSGS` (messages per run). For instance, for a new buffered channel:
//!
//! ```text
//! GMP_STRESS=full GMP_STRESS_CAPS=1,2,64,1024 cargo test --release --test stress_chan_exactly_once -- --nocapture
//! ```
//!
//! Values still in the channel once every consumer has seen it closed are received at the end
//! and reported as "stranded after close": an error (`None` must be final, see
//! `recv_none_is_final`), as are lost and duplicated values.

mod stress_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gmp::chan::{self, Receiver, Sender, TryRecvError, TrySendError};
use gmp::{JoinHandle, select};
use stress_common::{Rng, list_from_env, number_from_env, rate, report, size};

/// Messages dropped anywhere but in `Msg::take` (a loss), over the whole binary.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// A value that is not `Copy` and counts its drops: the channel and the cancelled futures must
/// hand it on or give it back, never drop it.
#[derive(Debug)]
struct Msg(u64);

impl Msg {
    /// The consumer's end: records nothing as dropped.
    fn take(self) -> u64 {
        let v = self.0;
        std::mem::forget(self);
        v
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

/// How many times each value was received, and what the cancellations did.
struct Ledger {
    seen: Vec<AtomicU8>,
    given_back: AtomicU64,
    send_losses: AtomicU64,
    recv_losses: AtomicU64,
    aborts: AtomicU64,
}

impl Ledger {
    fn new(n: u64) -> Ledger {
        Ledger {
            seen: (0..n).map(|_| AtomicU8::new(0)).collect(),
            given_back: AtomicU64::new(0),
            send_losses: AtomicU64::new(0),
            recv_losses: AtomicU64::new(0),
            aborts: AtomicU64::new(0),
        }
    }

    fn record(&self, m: Msg) {
        let v = m.take() as usize;
        // Saturating: a value received 255 times is reported, not wrapped to 0.
        let _ = self.seen[v].fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
            Some(n.saturating_add(1))
        });
    }
}

fn short(rng: &mut Rng) -> Duration {
    Duration::from_micros(rng.below(50))
}

async fn produce(tx: Sender<Msg>, values: std::ops::Range<u64>, seed: u64, ledger: Arc<Ledger>) {
    let mut rng = Rng::new(seed);
    for v in values {
        let mut msg = Msg(v);
        loop {
            match rng.below(10) {
                // A timeout around a send future we keep: a send that lost gives its value back.
                0 | 1 => {
                    let mut f = tx.send(msg);
                    match gmp::time::timeout(short(&mut rng), &mut f).await {
                        Ok(r) => {
                            r.expect("the channel closed under a producer");
                            break;
                        }
                        Err(_) => match f.into_value() {
                            Some(back) => {
                                ledger.given_back.fetch_add(1, Ordering::Relaxed);
                                msg = back;
                            }
                            None => break, // delivered just before the timer fired
                        },
                    }
                }
                // A select! arm racing a timer: an unchosen send delivers nothing.
                2 | 3 => {
                    let mut f = tx.send(msg);
                    let sent = select! {
                        r = &mut f => { r.expect("the channel closed under a producer"); true }
                        () = gmp::time::sleep(short(&mut rng)) => false,
                    };
                    if sent {
                        break;
                    }
                    ledger.send_losses.fetch_add(1, Ordering::Relaxed);
                    msg = f
                        .into_value()
                        .expect("a send arm that was not chosen delivered its value");
                    ledger.given_back.fetch_add(1, Ordering::Relaxed);
                }
                4 => match tx.try_send(msg) {
                    Ok(()) => break,
                    Err(TrySendError::Full(back)) => {
                        ledger.given_back.fetch_add(1, Ordering::Relaxed);
                        msg = back;
                        gmp::yield_now().await;
                    }
                    Err(e) => panic!("the channel closed under a producer: {e:?}"),
                },
                _ => {
                    tx.send(msg)
                        .await
                        .expect("the channel closed under a producer");
                    break;
                }
            }
        }
    }
}

async fn consume(rx: Receiver<Msg>, seed: u64, ledger: Arc<Ledger>) {
    let mut rng = Rng::new(seed);
    loop {
        // `None`: this attempt got nothing; `Some(None)`: closed and drained.
        let got: Option<Option<Msg>> = match rng.below(8) {
            // Dropped blind when the timer wins: a value handed to it must go back.
            0 | 1 => gmp::time::timeout(short(&mut rng), rx.recv()).await.ok(),
            2 | 3 => select! {
                v = rx.recv() => Some(v),
                () = gmp::time::sleep(short(&mut rng)) => None,
            },
            4 => match rx.try_recv() {
                Ok(m) => Some(Some(m)),
                Err(TryRecvError::Empty) => {
                    gmp::yield_now().await;
                    None
                }
                Err(TryRecvError::Closed) => Some(None),
            },
            _ => Some(rx.recv().await),
        };
        match got {
            Some(Some(m)) => ledger.record(m),
            Some(None) => return,
            None => {
                ledger.recv_losses.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Keeps `consumers` consumers running, aborting a random one (most often parked in `recv`)
/// every few dozen yields and starting a replacement, until `stop`. Returns the last ones, and
/// its receiver (see `stranded` in `run`).
async fn churn(
    rx: Receiver<Msg>,
    consumers: u64,
    stop: Arc<AtomicBool>,
    seed: u64,
    ledger: Arc<Ledger>,
) -> (Vec<JoinHandle<()>>, Receiver<Msg>) {
    let mut rng = Rng::new(seed);
    let mut next_seed = seed * 1000;
    let mut start = |rng: &mut Rng| {
        next_seed += 1;
        gmp::spawn(consume(rx.clone(), next_seed ^ rng.next(), ledger.clone()))
    };
    let mut live: Vec<_> = (0..consumers).map(|_| start(&mut rng)).collect();
    while !stop.load(Ordering::Relaxed) {
        for _ in 0..rng.below(64) {
            gmp::yield_now().await;
        }
        let i = rng.below(consumers) as usize;
        live[i].abort();
        let old = std::mem::replace(&mut live[i], start(&mut rng));
        // Cancelled, or finished (it can only finish once the channel is closed).
        if let Err(e) = old.await {
            assert!(e.is_cancelled(), "a consumer panicked: {e}");
        }
        ledger.aborts.fetch_add(1, Ordering::Relaxed);
    }
    (live, rx)
}

struct Run {
    cap: usize,
    workers: usize,
    messages: u64,
    producers: u64,
    consumers: u64,
}

fn run(r: &Run) {
    let rt = gmp::Builder::new().maxprocs(r.workers).build().unwrap();
    let ledger = Arc::new(Ledger::new(r.messages));
    let dropped_before = DROPPED.load(Ordering::Relaxed);
    let limit = Duration::from_secs(size(120, 1200));
    let t0 = Instant::now();
    let body = {
        let ledger = ledger.clone();
        let (cap, messages, producers, consumers) = (r.cap, r.messages, r.producers, r.consumers);
        async move {
            let (tx, rx) = chan::bounded::<Msg>(cap);
            let per = messages.div_ceil(producers);
            let ps: Vec<_> = (0..producers)
                .map(|p| {
                    let values = (p * per).min(messages)..((p + 1) * per).min(messages);
                    gmp::spawn(produce(tx.clone(), values, 0xA11CE + p, ledger.clone()))
                })
                .collect();
            drop(tx); // closed once the last producer is done
            let stop = Arc::new(AtomicBool::new(false));
            let churner = gmp::spawn(churn(rx, consumers, stop.clone(), 0xB0B, ledger.clone()));
            for p in ps {
                p.await.expect("a producer panicked");
            }
            stop.store(true, Ordering::Relaxed);
            let (live, rx) = churner.await.expect("the churner panicked");
            for c in live {
                c.await.expect("a consumer panicked");
            }
            // Every consumer has seen the channel closed and drained, so nothing may be left:
            // a value here was given back after another receive had returned `None` (see
            // `recv_none_is_final` below).
            let mut stranded = 0;
            while let Ok(m) = rx.try_recv() {
                stranded += 1;
                ledger.record(m);
            }
            stranded
        }
    };
    let stranded = rt.block_on(async {
        match gmp::time::timeout(limit, body).await {
            Ok(stranded) => stranded,
            Err(_) => panic!(
                "cap {}: the stress run hung for {limit:?}\n{}",
                r.cap,
                gmp::runtime::dump()
            ),
        }
    });
    let elapsed = t0.elapsed();
    let (mut lost, mut dup) = (Vec::new(), Vec::new());
    for (v, n) in ledger.seen.iter().enumerate() {
        match n.load(Ordering::Relaxed) {
            0 => lost.push(v),
            1 => {}
            _ => dup.push(v),
        }
    }
    let dropped = DROPPED.load(Ordering::Relaxed) - dropped_before;
    report(format_args!(
        "exactly-once cap {:>4}, {} workers, {}P/{}C: {} msgs in {:.2?} = {:.0} msgs/s; lost {}, \
         duplicated {}, dropped {}, stranded after close {stranded}; {} given back by losing sends ({} select losses), {} empty \
         receive attempts, {} consumers aborted",
        r.cap,
        r.workers,
        r.producers,
        r.consumers,
        r.messages,
        elapsed,
        rate(r.messages, elapsed),
        lost.len(),
        dup.len(),
        dropped,
        ledger.given_back.load(Ordering::Relaxed),
        ledger.send_losses.load(Ordering::Relaxed),
        ledger.recv_losses.load(Ordering::Relaxed),
        ledger.aborts.load(Ordering::Relaxed),
    ));
    assert!(
        lost.is_empty(),
        "cap {}: {} values lost, first {:?}",
        r.cap,
        lost.len(),
        &lost[..lost.len().min(10)]
    );
    assert!(
        dup.is_empty(),
        "cap {}: {} values received twice, first {:?}",
        r.cap,
        dup.len(),
        &dup[..dup.len().min(10)]
    );
    assert_eq!(dropped, 0, "cap {}: values dropped unreceived", r.cap);
    assert!(
        ledger.aborts.load(Ordering::Relaxed) > 0,
        "no consumer was aborted"
    );
    assert_eq!(stranded, 0, "cap {}: values given back after `None`", r.cap);
    drop(rt);
    assert_eq!(
        DROPPED.load(Ordering::Relaxed),
        dropped_before,
        "dropped at shutdown"
    );
}

#[test]
fn exactly_once_under_random_cancellation() {
    let caps = list_from_env("GMP_STRESS_CAPS", &[0, 1, 64]);
    let workers = list_from_env("GMP_STRESS_WORKERS", &size(vec![2], vec![2, 4]));
    let messages = number_from_env("GMP_STRESS_MSGS", size(60_000, 10_000_000));
    for &w in &workers {
        for &cap in &caps {
            run(&Run {
                cap,
                workers: w,
                messages,
                producers: 4,
                consumers: 4,
            });
        }
    }
}

/// Go: once a receive reports the channel closed (`v, ok := <-ch` with `ok == false`), every
/// later receive does too. A value handed to a parked receive whose future is then dropped
/// goes back into the channel, so while one is handed out, a receive on the closed, empty
/// channel waits rather than say `None` (this failed at capacity 0 before the rendezvous path
/// tracked handed values: the value came back after a `None`).
#[test]
fn recv_none_is_final() {
    for cap in [0, 1, 4] {
        futures::executor::block_on(async {
            let (tx, rx) = chan::bounded::<u32>(cap);
            let other = rx.clone();
            let mut parked = rx.recv();
            assert!(futures::poll!(&mut parked).is_pending());
            tx.try_send(7).unwrap(); // handed to the parked receive (cap 0), or buffered
            drop(tx); // closed
            let mut first = std::pin::pin!(other.recv());
            let early = futures::poll!(&mut first);
            assert_ne!(
                early,
                std::task::Poll::Ready(None),
                "cap {cap}: `None` too early"
            );
            drop(parked); // gives 7 back, or passes its wake on
            let first = match early {
                std::task::Poll::Ready(v) => v,
                std::task::Poll::Pending => first.await,
            };
            assert_eq!(first, Some(7), "cap {cap}");
            assert_eq!(other.try_recv(), Err(TryRecvError::Closed), "cap {cap}");
        });
    }
}

/// The same with the handed receive taking its value: the receive waiting on the closed
/// channel then sees `None`, and so does every other one parked behind it.
#[test]
fn receives_parked_behind_a_handed_value_see_none_once_it_is_taken() {
    futures::executor::block_on(async {
        let (tx, rx) = chan::bounded::<u32>(0);
        let mut parked = Box::pin(async {
            select! {
                v = rx.recv() => v,
            }
        });
        assert!(futures::poll!(&mut parked).is_pending());
        tx.try_send(7).unwrap(); // handed to the parked select arm
        drop(tx); // closed
        let mut a = std::pin::pin!(rx.recv());
        let mut b = std::pin::pin!(rx.recv());
        assert!(futures::poll!(&mut a).is_pending(), "7 is still handed out");
        assert!(futures::poll!(&mut b).is_pending(), "7 is still handed out");
        assert_eq!(parked.await, Some(7));
        assert_eq!(a.await, None);
        assert_eq!(b.await, None);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}
