//! The blocking pool: Go's hand-off of an M blocked in a syscall, made explicit.
//!
//! `spawn_blocking(f)` makes an ordinary task (registered, joinable, visible to `num_tasks`)
//! whose future runs `f` once, and queues it here instead of on a worker. Pool threads are
//! started on demand up to `max_blocking_threads`; an idle thread exits after the keep-alive.
//! At shutdown the pool stops taking work; queued jobs are cancelled by the shutdown sweep,
//! running ones finish on their (detached) threads.
//!
//! Lock order: `state` is a leaf lock; no task code runs under it.
//!
//! Layer: below the scheduler, beside `time` and `io`. It may use `task` (it runs `Notified`
//! tasks) and `loom`, never `scheduler` or `runtime`: the scheduler makes the tasks, registers
//! them and hands them here; their `Schedule` (`scheduler::spawn::BlockingSchedule`) brings a
//! wake back.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::loom::{Condvar, Mutex};
use crate::task::header::PLACE_BLOCKING;
use crate::task::raw::Notified;

pub(crate) struct Pool {
    state: Mutex<State>,
    cvar: Condvar,
    max_threads: usize,
    keep_alive: Duration,
    /// Enter the tokio compat handle on the pool's threads (`crate::tokio_compat`).
    #[cfg(all(feature = "tokio-compat", not(loom)))]
    tokio_compat: bool,
}

struct State {
    queue: VecDeque<Notified>,
    threads: usize,
    /// Threads waiting on the condvar.
    idle: usize,
    /// Wakeups sent to idle threads that they have not yet consumed: a push only counts on an
    /// idle thread that nobody else has claimed.
    pending_wakeups: usize,
    /// Jobs being run now.
    busy: usize,
    /// Jobs taken from the queue so far.
    started: u64,
    shutdown: bool,
    next_name: usize,
}

impl Pool {
    /// A pool of at most `max_threads` threads, each exiting after `keep_alive` idle.
    pub(crate) fn new(max_threads: usize, keep_alive: Duration, tokio_compat: bool) -> Pool {
        #[cfg(not(all(feature = "tokio-compat", not(loom))))]
        let _ = tokio_compat;
        Pool {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                threads: 0,
                idle: 0,
                pending_wakeups: 0,
                busy: 0,
                started: 0,
                shutdown: false,
                next_name: 0,
            }),
            cvar: Condvar::new(),
            max_threads,
            keep_alive,
            #[cfg(all(feature = "tokio-compat", not(loom)))]
            tokio_compat,
        }
    }

    /// Queues a blocking task, starting a thread for it if none is idle (up to the limit).
    pub(crate) fn push(self: &Arc<Self>, task: Notified) {
        task.header().on_scheduled();
        let mut st = self.state.lock().unwrap();
        if st.shutdown {
            drop(st);
            drop(task); // the shutdown sweep cancels it
            return;
        }
        st.queue.push_back(task);
        if st.idle > st.pending_wakeups {
            st.pending_wakeups += 1;
            drop(st);
            self.cvar.notify_one();
            return;
        }
        if st.threads >= self.max_threads {
            return; // a busy thread picks it up when done
        }
        st.threads += 1;
        let name = st.next_name;
        st.next_name += 1;
        drop(st);
        let pool = self.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("gmp-blocking-{name}"))
            .spawn(move || {
                #[cfg(all(feature = "tokio-compat", not(loom)))]
                let _tokio = crate::tokio_compat::enter(pool.tokio_compat);
                pool.thread_main()
            });
        if let Err(e) = spawned {
            self.state.lock().unwrap().threads -= 1;
            tracing::error!(
                "gmp: failed to start a blocking-pool thread: {e}; the job waits for a running thread"
            );
        }
    }

    fn thread_main(&self) {
        let mut st = self.state.lock().unwrap();
        loop {
            if let Some(task) = st.queue.pop_front() {
                st.busy += 1;
                st.started += 1;
                drop(st);
                task.header().on_poll_start(PLACE_BLOCKING);
                task.run();
                st = self.state.lock().unwrap();
                st.busy -= 1;
                continue;
            }
            if st.shutdown {
                break;
            }
            st.idle += 1;
            let (guard, timeout) = self.cvar.wait_timeout(st, self.keep_alive).unwrap();
            st = guard;
            st.idle -= 1;
            st.pending_wakeups = st.pending_wakeups.saturating_sub(1);
            if timeout.timed_out() && st.queue.is_empty() && !st.shutdown {
                break;
            }
        }
        st.threads -= 1;
    }

    /// Whether no job is queued or running (for deadlock detection).
    pub(crate) fn is_idle(&self) -> bool {
        let st = self.state.lock().unwrap();
        st.queue.is_empty() && st.busy == 0
    }

    /// Jobs started so far (deadlock detection's progress count).
    pub(crate) fn jobs_started(&self) -> u64 {
        self.state.lock().unwrap().started
    }

    /// Threads, of those the ones running a job, and jobs queued (for metrics).
    pub(crate) fn counts(&self) -> (usize, usize, usize) {
        let st = self.state.lock().unwrap();
        (st.threads, st.busy, st.queue.len())
    }

    pub(crate) fn shutdown(&self) {
        let tasks: Vec<_> = {
            let mut st = self.state.lock().unwrap();
            st.shutdown = true;
            st.queue.drain(..).collect()
        };
        self.cvar.notify_all();
        drop(tasks);
    }
}

/// A blocking job's future: runs the closure on its first poll.
pub(crate) struct BlockingTask<F>(Option<F>);

impl<F> BlockingTask<F> {
    pub(crate) fn new(f: F) -> Self {
        BlockingTask(Some(f))
    }
}

impl<F> Unpin for BlockingTask<F> {}

impl<F: FnOnce() -> R, R> Future for BlockingTask<F> {
    type Output = R;
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let f = self
            .0
            .take()
            .expect("blocking task polled after completion");
        Poll::Ready(f())
    }
}
