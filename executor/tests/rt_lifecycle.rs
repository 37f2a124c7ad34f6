//! Lifecycle combinations: every order of complete / abort / join-drop / panic, counting the
//! future's drops, the output's drops and polls exactly.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use gmp_executor::Builder;

#[derive(Default)]
struct Counts {
    future_drops: AtomicUsize,
    output_drops: AtomicUsize,
    polls: AtomicUsize,
}

struct Output(Arc<Counts>);
impl Drop for Output {
    fn drop(&mut self) {
        self.0.output_drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Clone, Copy, Debug)]
enum Outcome {
    Complete,
    Panic,
    Abort,
}

#[derive(Clone, Copy, Debug)]
enum Join {
    /// Await the handle.
    Await,
    /// Drop the handle before the task is released.
    DropEarly,
    /// Let the task finish, then drop the handle unread.
    DropLate,
}

/// Pending until released through `gate`, then completes / panics (or is aborted first).
struct Subject {
    counts: Arc<Counts>,
    outcome: Outcome,
    gate: Arc<std::sync::Mutex<(bool, Option<Waker>)>>,
}

impl Future for Subject {
    type Output = Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output> {
        self.counts.polls.fetch_add(1, Ordering::SeqCst);
        let mut g = self.gate.lock().unwrap();
        if !g.0 {
            g.1 = Some(cx.waker().clone());
            return Poll::Pending;
        }
        drop(g);
        match self.outcome {
            Outcome::Complete => Poll::Ready(Output(self.counts.clone())),
            Outcome::Panic => panic!("subject panics"),
            Outcome::Abort => Poll::Pending,
        }
    }
}

impl Drop for Subject {
    fn drop(&mut self) {
        self.counts.future_drops.fetch_add(1, Ordering::SeqCst);
    }
}

fn release(gate: &std::sync::Mutex<(bool, Option<Waker>)>) {
    let w = {
        let mut g = gate.lock().unwrap();
        g.0 = true;
        g.1.take()
    };
    if let Some(w) = w {
        w.wake();
    }
}

fn wait_until(mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(
            std::time::Instant::now() < deadline,
            "condition not reached in 10 s"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn check(workers: usize, outcome: Outcome, join: Join) {
    let rt = Builder::new().maxprocs(workers).build().unwrap();
    let counts = Arc::new(Counts::default());
    let gate = Arc::new(std::sync::Mutex::new((false, None)));
    let subject = Subject {
        counts: counts.clone(),
        outcome,
        gate: gate.clone(),
    };
    let handle = rt.spawn(subject);
    wait_until(|| counts.polls.load(Ordering::SeqCst) >= 1);
    if let Outcome::Abort = outcome {
        handle.abort();
    }
    let mut handle = Some(handle);
    if let Join::DropEarly = join {
        drop(handle.take());
    }
    release(&gate);
    wait_until(|| counts.future_drops.load(Ordering::SeqCst) == 1);
    if let Some(h) = handle.take() {
        match join {
            Join::Await => {
                let res = rt.block_on(h);
                match (outcome, res) {
                    (Outcome::Complete, Ok(out)) => drop(out),
                    (Outcome::Panic, Err(e)) => assert!(e.is_panic(), "{e}"),
                    (Outcome::Abort, Err(e)) => assert!(e.is_cancelled(), "{e}"),
                    (o, r) => panic!("{o:?} gave {:?}", r.map(|_| ())),
                }
            }
            Join::DropLate => {
                wait_until(|| h.is_finished());
                drop(h);
            }
            Join::DropEarly => unreachable!(),
        }
    }
    drop(rt);
    let c = &counts;
    assert_eq!(
        c.future_drops.load(Ordering::SeqCst),
        1,
        "{outcome:?}/{join:?}: future drops"
    );
    let expect_output = usize::from(matches!(outcome, Outcome::Complete));
    assert_eq!(
        c.output_drops.load(Ordering::SeqCst),
        expect_output,
        "{outcome:?}/{join:?}: output drops"
    );
    let polls = c.polls.load(Ordering::SeqCst);
    // Pending once, then: completes or panics on the second poll; an aborted task is cancelled
    // without (or, racing the release, after at most one more) poll.
    match outcome {
        Outcome::Complete | Outcome::Panic => assert_eq!(polls, 2, "{outcome:?}/{join:?}: polls"),
        Outcome::Abort => assert!(
            (1..=2).contains(&polls),
            "{outcome:?}/{join:?}: polls {polls}"
        ),
    }
}

#[test]
fn every_outcome_and_join_order() {
    for workers in [1, 2, 4] {
        for outcome in [Outcome::Complete, Outcome::Panic, Outcome::Abort] {
            for join in [Join::Await, Join::DropEarly, Join::DropLate] {
                check(workers, outcome, join);
            }
        }
    }
}
