//! loom models of the task state machine: wake / run / complete / abort / join-drop races.
//!
//! Each model builds a real task (the production `raw`, `harness` and `state` code) with a
//! test scheduler whose queue is a loom mutex, races the operations on loom threads, then
//! drains the queue and checks exactly-once outcomes: the future dropped once, the output
//! taken or dropped once, the allocation freed once.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use loom::sync::Arc;
use loom::sync::Mutex;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use super::header::Header;
use super::raw::{Notified, RawTask, Released, Schedule};
use super::{Id, JoinHandle};

#[derive(Default)]
struct Counters {
    future_drops: AtomicUsize,
    output_drops: AtomicUsize,
    deallocs: AtomicUsize,
    polls: AtomicUsize,
}

struct Sched {
    queue: Arc<Mutex<VecDeque<Notified>>>,
    counters: Arc<Counters>,
}

impl Drop for Sched {
    fn drop(&mut self) {
        // The scheduler lives in the task cell: its drop is the cell's dealloc.
        self.counters.deallocs.fetch_add(1, Ordering::SeqCst);
    }
}

impl Schedule for Sched {
    fn schedule(&self, task: Notified) {
        self.queue.lock().unwrap().push_back(task);
    }
    fn release(&self, _task: RawTask) -> Released {
        // Stands for the registry: it hands its reference to the completing thread.
        Released::Now(2)
    }
    fn unhandled_panic(&self, _task: &Header, _payload: &(dyn std::any::Any + Send)) {}
}

struct Output(Arc<Counters>);
impl Drop for Output {
    fn drop(&mut self) {
        self.0.output_drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// Pending `pending_polls` times (parking its waker in `slot`), then ready.
struct TestFuture {
    counters: Arc<Counters>,
    pending_polls: usize,
    slot: Arc<Mutex<Option<Waker>>>,
}

impl Future for TestFuture {
    type Output = Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output> {
        self.counters.polls.fetch_add(1, Ordering::SeqCst);
        if self.pending_polls == 0 {
            return Poll::Ready(Output(self.counters.clone()));
        }
        self.pending_polls -= 1;
        *self.slot.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for TestFuture {
    fn drop(&mut self) {
        self.counters.future_drops.fetch_add(1, Ordering::SeqCst);
    }
}

struct Setup {
    queue: Arc<Mutex<VecDeque<Notified>>>,
    counters: Arc<Counters>,
    slot: Arc<Mutex<Option<Waker>>>,
}

fn setup(pending_polls: usize) -> (Setup, JoinHandle<Output>) {
    let queue = Arc::new(Mutex::new(VecDeque::new()));
    let counters = Arc::new(Counters::default());
    let slot = Arc::new(Mutex::new(None));
    let fut = TestFuture {
        counters: counters.clone(),
        pending_polls,
        slot: slot.clone(),
    };
    let sched = Sched {
        queue: queue.clone(),
        counters: counters.clone(),
    };
    let raw = RawTask::new(fut, sched, Id(1), std::panic::Location::caller(), 0);
    // SAFETY: a new task holds a reference for its first Notified.
    queue
        .lock()
        .unwrap()
        .push_back(unsafe { Notified::from_raw(raw) });
    (
        Setup {
            queue,
            counters,
            slot,
        },
        JoinHandle::new(raw),
    )
}

fn run_queue(queue: &Mutex<VecDeque<Notified>>) {
    loop {
        let task = queue.lock().unwrap().pop_front();
        match task {
            Some(t) => t.run(),
            None => break,
        }
    }
}

fn wake_slot(slot: &Mutex<Option<Waker>>) {
    let w = slot.lock().unwrap().take();
    if let Some(w) = w {
        w.wake();
    }
}

fn poll_join(join: &mut JoinHandle<Output>) -> Poll<Result<Output, super::JoinError>> {
    let waker = futures::task::noop_waker();
    Pin::new(join).poll(&mut Context::from_waker(&waker))
}

#[test]
fn join_drop_races_completion() {
    loom::model(|| {
        let (s, join) = setup(0);
        let q = s.queue.clone();
        let t = thread::spawn(move || run_queue(&q));
        drop(join);
        t.join().unwrap();
        assert_eq!(s.counters.future_drops.load(Ordering::SeqCst), 1);
        assert_eq!(s.counters.output_drops.load(Ordering::SeqCst), 1);
        assert_eq!(s.counters.deallocs.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn wake_races_poll() {
    loom::model(|| {
        let (s, mut join) = setup(1);
        let q = s.queue.clone();
        let runner = thread::spawn(move || run_queue(&q));
        let slot = s.slot.clone();
        let waker = thread::spawn(move || wake_slot(&slot));
        runner.join().unwrap();
        waker.join().unwrap();
        // Whichever order: the waker has fired or is still parked in the slot.
        wake_slot(&s.slot);
        run_queue(&s.queue);
        let out = match poll_join(&mut join) {
            Poll::Ready(Ok(out)) => out,
            other => panic!("task did not complete: {:?}", other.map(|r| r.map(|_| ()))),
        };
        assert_eq!(s.counters.polls.load(Ordering::SeqCst), 2);
        drop(out);
        drop(join);
        assert_eq!(s.counters.output_drops.load(Ordering::SeqCst), 1);
        assert_eq!(s.counters.deallocs.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn abort_races_run() {
    loom::model(|| {
        let (s, mut join) = setup(usize::MAX);
        let q = s.queue.clone();
        let runner = thread::spawn(move || run_queue(&q));
        join.abort();
        runner.join().unwrap();
        run_queue(&s.queue);
        match poll_join(&mut join) {
            Poll::Ready(Err(e)) => assert!(e.is_cancelled()),
            _ => panic!("aborted task did not finish cancelled"),
        }
        assert_eq!(s.counters.future_drops.load(Ordering::SeqCst), 1);
        // The waker left in the slot keeps the task allocated until dropped.
        drop(s.slot.lock().unwrap().take());
        drop(join);
        assert_eq!(s.counters.deallocs.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn join_waker_races_completion() {
    loom::model(|| {
        let (s, mut join) = setup(0);
        let q = s.queue.clone();
        let runner = thread::spawn(move || run_queue(&q));
        let woken = Arc::new(AtomicUsize::new(0));
        let w = futures::task::waker(std::sync::Arc::new(FlagWaker(woken.clone())));
        let first = Pin::new(&mut join).poll(&mut Context::from_waker(&w));
        runner.join().unwrap();
        if first.is_pending() {
            // Not ready at the first poll: completion must have woken us.
            assert_eq!(woken.load(Ordering::SeqCst), 1);
            assert!(poll_join(&mut join).is_ready());
        }
        drop(first);
        drop(join);
        assert_eq!(s.counters.output_drops.load(Ordering::SeqCst), 1);
        assert_eq!(s.counters.deallocs.load(Ordering::SeqCst), 1);
    });
}

struct FlagWaker(Arc<AtomicUsize>);
impl futures::task::ArcWake for FlagWaker {
    fn wake_by_ref(arc_self: &std::sync::Arc<Self>) {
        arc_self.0.fetch_add(1, Ordering::SeqCst);
    }
}
