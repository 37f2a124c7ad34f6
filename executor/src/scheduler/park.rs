//! Parking a worker thread.
//!
//! A dedicated parker rather than `std::thread::park`: user code running on a worker may call
//! `thread::park` itself (a nested `futures::executor::block_on`, say) and would consume our
//! unpark token, losing a wakeup. The parker is a `Mutex<bool>` ("notified") and a `Condvar`:
//! an `unpark` sets the flag under the lock and signals; `park` waits until the flag is set and
//! clears it, so an unpark that comes before the park is never lost.

use std::time::Instant;

use crate::loom::{Condvar, Mutex};

#[derive(Default)]
pub(crate) struct Parker {
    notified: Mutex<bool>,
    cvar: Condvar,
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker::default()
    }

    /// Blocks until unparked or `deadline` passes. Returns true if unparked.
    pub(crate) fn park(&self, deadline: Option<Instant>) -> bool {
        let mut notified = self.notified.lock().unwrap();
        loop {
            if *notified {
                *notified = false;
                return true;
            }
            match deadline {
                None => notified = self.cvar.wait(notified).unwrap(),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return false;
                    }
                    notified = self.timed_wait(notified, d - now);
                }
            }
        }
    }

    #[cfg(not(loom))]
    fn timed_wait<'a>(
        &self,
        g: std::sync::MutexGuard<'a, bool>,
        dur: std::time::Duration,
    ) -> std::sync::MutexGuard<'a, bool> {
        self.cvar.wait_timeout(g, dur).unwrap().0
    }

    #[cfg(loom)]
    fn timed_wait<'a>(
        &self,
        g: loom::sync::MutexGuard<'a, bool>,
        _dur: std::time::Duration,
    ) -> loom::sync::MutexGuard<'a, bool> {
        // loom has no time: a timed wait is a wait that may return at any point.
        self.cvar.wait(g).unwrap()
    }

    pub(crate) fn unpark(&self) {
        let mut notified = self.notified.lock().unwrap();
        *notified = true;
        drop(notified);
        self.cvar.notify_one();
    }
}
