//! Parking a worker thread.
//!
//! A dedicated parker rather than `std::thread::park`: user code running on a worker may call
//! `thread::park` itself (a nested `futures::executor::block_on`, say) and would consume our
//! unpark token, losing a wakeup. The parker is a `Mutex<State>` and a `Condvar`: an `unpark`
//! sets the `notified` token under the lock and wakes the parked thread; `park` returns once the
//! token is set and clears it, so an unpark that comes before the park is never lost.
//!
//! # Two ways to block
//!
//! - [`Parker::park`]: on the condvar (with an optional deadline).
//! - [`Parker::park_in`]: inside a driver (the I/O reactor's blocking poll: see `crate::io`),
//!   which an `unpark` interrupts by calling the parker's *interrupt* (the reactor's
//!   `mio::Waker`) instead of signalling the condvar.
//!
//! `park_in` checks the token and records `in_driver` under the lock *before* blocking;
//! `unpark` sets the token under the lock and reads `in_driver` *before* choosing how to wake.
//! So an unpark either comes first (the parker sees the token and does not block) or sees
//! `in_driver` and interrupts the driver, whose wait returns at once even if it has not begun
//! (the interrupt is sticky: a readable eventfd). An interrupt that lands after the driver
//! returned costs the next driver wait one spurious return.

use std::sync::Arc;
use std::time::Instant;

use crate::loom::{Condvar, Mutex};

/// Wakes a thread blocked in a driver (see [`Parker::park_in`]).
pub(crate) type Interrupt = Arc<dyn Fn() + Send + Sync>;

#[derive(Default)]
pub(crate) struct Parker {
    state: Mutex<State>,
    cvar: Condvar,
    /// How to wake this parker while it blocks in a driver; `None` for parkers that never do.
    interrupt: Option<Interrupt>,
}

#[derive(Default)]
struct State {
    /// The unpark token.
    notified: bool,
    /// The owner is inside `park_in`: wake it with `interrupt`, not the condvar.
    in_driver: bool,
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker::default()
    }

    /// A parker that can also block in a driver, interrupted by `interrupt`.
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn with_interrupt(interrupt: Interrupt) -> Parker {
        Parker {
            interrupt: Some(interrupt),
            ..Parker::default()
        }
    }

    /// Blocks until unparked or `deadline` passes. Returns true if unparked.
    pub(crate) fn park(&self, deadline: Option<Instant>) -> bool {
        let mut st = self.state.lock().unwrap();
        loop {
            if st.notified {
                st.notified = false;
                return true;
            }
            match deadline {
                None => st = self.cvar.wait(st).unwrap(),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return false;
                    }
                    st = self.timed_wait(st, d - now);
                }
            }
        }
    }

    /// Blocks by calling `block` (a driver wait that [`unpark`](Self::unpark) interrupts),
    /// unless already unparked. Returns true if unparked (before or during the wait). `block`
    /// may return early for its own reasons (an I/O event, its deadline), like a timed park.
    ///
    /// `block` returns whether it was woken by an interrupt *and nothing else*. If no unpark
    /// token is then found, the interrupt was a stale one (sent to an earlier wait that had
    /// already returned), and `block` is called again instead of returning for nothing.
    ///
    /// # Panics
    ///
    /// Panics if the parker was made without an interrupt.
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn park_in(&self, mut block: impl FnMut() -> bool) -> bool {
        assert!(
            self.interrupt.is_some(),
            "park_in needs a parker with an interrupt"
        );
        {
            let mut st = self.state.lock().unwrap();
            if st.notified {
                st.notified = false;
                return true;
            }
            st.in_driver = true;
        }
        loop {
            let interrupted_only = block();
            let mut st = self.state.lock().unwrap();
            if st.notified || !interrupted_only {
                st.in_driver = false;
                return std::mem::take(&mut st.notified);
            }
            // A stale interrupt: still `in_driver`, so a new unpark interrupts the next wait.
        }
    }

    #[cfg(not(loom))]
    fn timed_wait<'a>(
        &self,
        g: std::sync::MutexGuard<'a, State>,
        dur: std::time::Duration,
    ) -> std::sync::MutexGuard<'a, State> {
        self.cvar.wait_timeout(g, dur).unwrap().0
    }

    #[cfg(loom)]
    fn timed_wait<'a>(
        &self,
        g: loom::sync::MutexGuard<'a, State>,
        _dur: std::time::Duration,
    ) -> loom::sync::MutexGuard<'a, State> {
        // loom has no time: a timed wait is a wait that may return at any point.
        self.cvar.wait(g).unwrap()
    }

    pub(crate) fn unpark(&self) {
        let mut st = self.state.lock().unwrap();
        st.notified = true;
        let in_driver = st.in_driver;
        drop(st);
        if in_driver {
            if let Some(interrupt) = &self.interrupt {
                interrupt();
            }
        } else {
            self.cvar.notify_one();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// A driver stand-in: blocks on a channel that the interrupt sends to.
    fn chan_parker() -> (Arc<Parker>, std::sync::mpsc::Receiver<()>, Arc<AtomicUsize>) {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let tx = std::sync::Mutex::new(tx);
        let interrupts = Arc::new(AtomicUsize::new(0));
        let i = interrupts.clone();
        let parker = Arc::new(Parker::with_interrupt(Arc::new(move || {
            i.fetch_add(1, Ordering::SeqCst);
            let _ = tx.lock().unwrap().send(());
        })));
        (parker, rx, interrupts)
    }

    #[test]
    fn unpark_before_park_in_skips_the_driver() {
        let (p, _rx, interrupts) = chan_parker();
        p.unpark();
        let mut blocked = false;
        assert!(p.park_in(|| {
            blocked = true;
            false
        }));
        assert!(!blocked);
        assert_eq!(interrupts.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn unpark_during_park_in_interrupts_the_driver() {
        let (p, rx, interrupts) = chan_parker();
        let p2 = p.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            p2.unpark();
        });
        assert!(p.park_in(|| {
            rx.recv().unwrap();
            true
        }));
        t.join().unwrap();
        assert_eq!(interrupts.load(Ordering::SeqCst), 1);
        // Back to condvar mode: a later unpark does not interrupt.
        p.unpark();
        assert!(p.park(None));
        assert_eq!(interrupts.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn stale_interrupt_is_waited_through() {
        let (p, rx, _) = chan_parker();
        let p2 = p.clone();
        // A stale interrupt is pending before the park; the real unpark comes later.
        let (stale_tx, stale_rx) = std::sync::mpsc::channel::<()>();
        stale_tx.send(()).unwrap();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            p2.unpark();
        });
        let mut waits = 0;
        assert!(p.park_in(|| {
            waits += 1;
            if stale_rx.try_recv().is_err() {
                rx.recv().unwrap();
            }
            true
        }));
        assert_eq!(waits, 2, "the stale interrupt must not end the park");
        t.join().unwrap();
    }

    #[test]
    fn racing_unparks_never_hang() {
        for _ in 0..2000 {
            let (p, rx, _) = chan_parker();
            let p2 = p.clone();
            let t = std::thread::spawn(move || p2.unpark());
            // Either the token is seen before blocking or the interrupt ends the wait.
            assert!(p.park_in(|| {
                rx.recv_timeout(Duration::from_secs(5))
                    .expect("lost wake-up");
                true
            }));
            t.join().unwrap();
        }
    }
}
