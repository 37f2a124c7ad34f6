//! The deadline driver: runs context deadline timers, on any executor or none.
//!
//! # Design
//!
//! A context's deadline must fire even if nobody polls anything (an `after_func` waiting on a
//! timeout, a child tree to cancel), and must work outside a gmp runtime. Each deadline is a
//! small future (a [`gmp_executor::time::Sleep`] raced against the scope's own cancellation)
//! run by one lazily started helper thread, `gmp-context-timers`, which is a minimal executor:
//! a ready queue of tasks behind a `std` mutex and condvar, each task's waker re-queueing it.
//! The timer future holds only a `Weak` reference to its scope and also wakes when the scope
//! is cancelled early or dropped, so a timer never keeps a context alive and exits as soon as
//! it is moot.
//!
//! This module uses `std` types directly (not the loom shim): it is a process-wide service,
//! outside any loom model.
//!
//! Rejected: a task per deadline on the current gmp runtime (needs a runtime, so deadlines
//! would behave differently under tokio or `block_on`); a thread per deadline (the cost Go's
//! timer heap exists to avoid); lazy deadlines checked only in `err()`/`done()` (an unobserved
//! context would never cancel its children or run its `after_func`s).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::task::{Context, Wake, Waker};

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

struct Task {
    future: Mutex<Option<BoxFuture>>,
    driver: &'static Driver,
}

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        self.driver.schedule(self);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.driver.schedule(self.clone());
    }
}

struct Driver {
    ready: Mutex<VecDeque<Arc<Task>>>,
    cv: Condvar,
}

impl Driver {
    fn schedule(&self, task: Arc<Task>) {
        self.ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(task);
        self.cv.notify_one();
    }

    fn run(&'static self) {
        loop {
            let task = {
                let mut q = self.ready.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    match q.pop_front() {
                        Some(t) => break t,
                        None => q = self.cv.wait(q).unwrap_or_else(|e| e.into_inner()),
                    }
                }
            };
            let waker = Waker::from(task.clone());
            let mut slot = task.future.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(fut) = slot.as_mut() {
                let mut cx = Context::from_waker(&waker);
                // A panicking timer must not take the driver down with it.
                let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    fut.as_mut().poll(&mut cx)
                }))
                .map_or(true, |p| p.is_ready());
                if done {
                    *slot = None;
                }
            }
        }
    }
}

fn driver() -> &'static Driver {
    static DRIVER: OnceLock<&'static Driver> = OnceLock::new();
    DRIVER.get_or_init(|| {
        let d: &'static Driver = Box::leak(Box::new(Driver {
            ready: Mutex::new(VecDeque::new()),
            cv: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("gmp-context-timers".into())
            .spawn(move || d.run())
            .expect("failed to start the context timer thread");
        d
    })
}

/// Runs `future` on the deadline driver thread.
pub(super) fn spawn(future: impl Future<Output = ()> + Send + 'static) {
    let d = driver();
    d.schedule(Arc::new(Task {
        future: Mutex::new(Some(Box::pin(future))),
        driver: d,
    }));
}
