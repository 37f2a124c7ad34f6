//! Executor-agnostic hand-off primitives: the same code runs on gmp, tokio, async-executor and
//! on plain threads (through `futures_lite::future::block_on`), so a workload measures the
//! executor, not three different channel implementations.
//!
//! # Design
//!
//! - [`Signal`]: one waiter, sticky. `notify` sets a flag and wakes the registered waker;
//!   `wait` consumes the flag. A notify that comes before the wait is not lost.
//! - [`Countdown`]: an atomic counter whose last decrement notifies a [`Signal`] (a WaitGroup
//!   with one waiter).
//! - [`Gate`]: many waiters, opened once (Go's `close(ch)` on a channel everyone receives from).
//!
//! # Protocol
//!
//! `Signal::wait` registers its waker *before* the second check of the flag, and `notify` sets
//! the flag *before* waking: either the waiter sees the flag, or the notifier sees the waker
//! (`AtomicWaker` orders its own register/wake; the flag is `SeqCst` on both sides so the
//! flag store and the waker load cannot both be missed).
//!
//! Rejected: `futures::channel::oneshot` per round (an allocation per hand-off, which would be
//! measured as executor cost) and `async_channel` (its event-listener machinery dominates a
//! ping-pong).

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use futures::task::AtomicWaker;

/// A one-waiter, sticky wake-up flag: the hand-off used by `ping_pong` and `lifo_strand`.
///
/// # Examples
///
/// ```
/// let s = gmp_bench::handoff::Signal::new();
/// s.notify();
/// futures_lite::future::block_on(s.wait()); // returns at once: the notify was stored
/// ```
#[derive(Debug, Default)]
pub struct Signal {
    set: AtomicBool,
    waker: AtomicWaker,
}

impl Signal {
    /// A signal that is not set.
    pub fn new() -> Signal {
        Signal::default()
    }

    /// Sets the flag and wakes the waiter, if one is registered.
    pub fn notify(&self) {
        // SeqCst: pairs with the SeqCst swap in `Wait::poll` after it registered its waker.
        self.set.store(true, Ordering::SeqCst);
        self.waker.wake();
    }

    /// Waits until the flag is set, then clears it. Only one task may wait at a time.
    pub fn wait(&self) -> Wait<'_> {
        Wait { signal: self }
    }
}

/// Future returned by [`Signal::wait`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Wait<'a> {
    signal: &'a Signal,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let s = self.signal;
        // Fast path: already set (no waker registration).
        if s.set.swap(false, Ordering::SeqCst) {
            return Poll::Ready(());
        }
        s.waker.register(cx.waker());
        // SeqCst: pairs with the store in `notify`; see the module's protocol note.
        if s.set.swap(false, Ordering::SeqCst) {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

/// A counter whose last [`Countdown::done`] wakes the one waiter: a WaitGroup for benches.
///
/// # Examples
///
/// ```
/// let c = gmp_bench::handoff::Countdown::new(2);
/// c.done();
/// c.done();
/// futures_lite::future::block_on(c.wait());
/// ```
#[derive(Debug)]
pub struct Countdown {
    left: AtomicUsize,
    zero: Signal,
}

impl Countdown {
    /// A countdown expecting `n` calls to [`Countdown::done`] (`n` may be zero: then `wait`
    /// returns at once).
    pub fn new(n: usize) -> Countdown {
        let c = Countdown {
            left: AtomicUsize::new(n),
            zero: Signal::new(),
        };
        if n == 0 {
            c.zero.notify();
        }
        c
    }

    /// Counts one unit done; the last one wakes the waiter.
    pub fn done(&self) {
        // AcqRel: the last decrement acquires every earlier unit's writes before waking.
        if self.left.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.zero.notify();
        }
    }

    /// Waits until the count reaches zero.
    pub fn wait(&self) -> Wait<'_> {
        self.zero.wait()
    }
}

/// A gate many tasks wait on until it is opened once: parked units in the memory workload.
///
/// Each waiter costs one `Waker` in a vector, about what a parked goroutine costs its channel
/// (a `sudog`).
///
/// # Examples
///
/// ```
/// let g = gmp_bench::handoff::Gate::new();
/// g.open();
/// futures_lite::future::block_on(g.wait());
/// ```
#[derive(Debug, Default)]
pub struct Gate {
    state: Mutex<GateState>,
}

#[derive(Debug, Default)]
struct GateState {
    open: bool,
    waiters: Vec<Waker>,
}

impl Gate {
    /// A closed gate.
    pub fn new() -> Gate {
        Gate::default()
    }

    /// Opens the gate, waking every waiter. Waiters that come later pass at once.
    pub fn open(&self) {
        let waiters = {
            let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            st.open = true;
            std::mem::take(&mut st.waiters)
        };
        for w in waiters {
            w.wake();
        }
    }

    /// Waits until the gate is open.
    pub async fn wait(&self) {
        GateWait { gate: self }.await
    }
}

struct GateWait<'a> {
    gate: &'a Gate,
}

impl Future for GateWait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = self.gate.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.open {
            return Poll::Ready(());
        }
        // A re-poll before `open` is spurious (nobody else wakes us): registering again only
        // adds a duplicate waker, harmless.
        st.waiters.push(cx.waker().clone());
        Poll::Pending
    }
}

/// Wraps a future and sets `flag` whenever it returns `Pending`: lets a bench know that a task
/// is really parked (its poll returned) before waking it.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct NotePending<'a, F> {
    inner: F,
    flag: &'a AtomicBool,
}

impl<'a, F> NotePending<'a, F> {
    /// Wraps `inner`.
    pub fn new(inner: F, flag: &'a AtomicBool) -> Self {
        NotePending { inner, flag }
    }
}

impl<F: Future + Unpin> Future for NotePending<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let r = Pin::new(&mut self.inner).poll(cx);
        if r.is_pending() {
            // Release: pairs with the Acquire swap of the task that waits for the flag.
            self.flag.store(true, Ordering::Release);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn signal_ping_pong_on_threads() {
        let a = Arc::new(Signal::new());
        let b = Arc::new(Signal::new());
        let (a2, b2) = (a.clone(), b.clone());
        let t = std::thread::spawn(move || {
            futures_lite::future::block_on(async {
                for _ in 0..1000 {
                    a2.wait().await;
                    b2.notify();
                }
            })
        });
        futures_lite::future::block_on(async {
            for _ in 0..1000 {
                a.notify();
                b.wait().await;
            }
        });
        t.join().unwrap();
    }

    #[test]
    fn gate_releases_all() {
        let g = Arc::new(Gate::new());
        let c = Arc::new(Countdown::new(8));
        let ts: Vec<_> = (0..8)
            .map(|_| {
                let (g, c) = (g.clone(), c.clone());
                std::thread::spawn(move || {
                    futures_lite::future::block_on(g.wait());
                    c.done();
                })
            })
            .collect();
        g.open();
        futures_lite::future::block_on(c.wait());
        ts.into_iter().for_each(|t| t.join().unwrap());
    }
}
