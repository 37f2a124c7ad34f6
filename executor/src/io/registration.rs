//! A mio source registered with a reactor, and the readiness loop every socket operation runs.

use std::io;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use mio::Interest;

use super::driver::{IoDriver, shutdown_error};
use super::scheduled_io::{Direction, ReadyEvent, ScheduledIo};

/// A mio source registered with the current runtime's reactor (or the fallback reactor outside
/// a runtime). Dropping it deregisters the source, then closes it.
pub(crate) struct PollEvented<S: mio::event::Source> {
    /// `None` only after `into_inner`.
    source: Option<S>,
    driver: Arc<IoDriver>,
    io: Arc<ScheduledIo>,
}

impl<S: mio::event::Source + std::fmt::Debug> std::fmt::Debug for PollEvented<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollEvented")
            .field("source", &self.source)
            .field("io", &self.io)
            .finish()
    }
}

/// The reactor new registrations on this thread go to: the current runtime's, else the
/// fallback thread's.
fn current_driver() -> io::Result<Arc<IoDriver>> {
    match super::binding::current() {
        Some(d) => Ok(d),
        None => super::fallback::driver(),
    }
}

impl<S: mio::event::Source> PollEvented<S> {
    /// Registers `source` for reading and writing.
    pub(crate) fn new(source: S) -> io::Result<Self> {
        Self::with_interest(source, Interest::READABLE | Interest::WRITABLE)
    }

    pub(crate) fn with_interest(mut source: S, interest: Interest) -> io::Result<Self> {
        let driver = current_driver()?;
        let io = driver.register(&mut source, interest)?;
        Ok(PollEvented {
            source: Some(source),
            driver,
            io,
        })
    }

    pub(crate) fn get(&self) -> &S {
        self.source
            .as_ref()
            .expect("source present until into_inner")
    }

    /// Ready once the resource may make progress in `dir` (or the runtime shut down: error).
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        let res = self.io.poll_ready(cx, dir);
        if res.is_pending() {
            crate::task::wait::waiting_on(
                cx,
                match dir {
                    Direction::Read => crate::task::wait::WaitReason::IoRead,
                    Direction::Write => crate::task::wait::WaitReason::IoWrite,
                },
            );
        }
        res.map(|r| r.map_err(|()| shutdown_error()))
    }

    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        self.io.clear_readiness(event);
    }

    /// Runs the non-blocking `op` until it does not return `WouldBlock`, waiting for readiness
    /// in `dir` in between. Spends one unit of the task's coop budget first.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        ready!(crate::coop::poll_proceed(cx));
        loop {
            let event = ready!(self.poll_ready(cx, dir))?;
            match op(self.get()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(event),
                res => return Poll::Ready(res),
            }
        }
    }

    /// Like [`poll_io`](Self::poll_io) for a stream transfer of `len` bytes: a short transfer
    /// (`0 < n < len`) means the socket buffer was drained (or filled), so the readiness is
    /// cleared at once, saving the syscall that would return `WouldBlock`. An event that came
    /// meanwhile keeps it (the sequence check in `clear_readiness`).
    pub(crate) fn poll_transfer(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        len: usize,
        mut op: impl FnMut(&S) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        ready!(crate::coop::poll_proceed(cx));
        loop {
            let event = ready!(self.poll_ready(cx, dir))?;
            match op(self.get()) {
                Ok(n) => {
                    if n > 0 && n < len {
                        self.clear_readiness(event);
                    }
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(event),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// Async form of [`poll_io`](Self::poll_io).
    pub(crate) async fn io<R>(
        &self,
        dir: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        std::future::poll_fn(|cx| self.poll_io(cx, dir, &mut op)).await
    }
}

impl<S: mio::event::Source> Drop for PollEvented<S> {
    fn drop(&mut self) {
        if let Some(mut source) = self.source.take() {
            self.driver.deregister(&mut source, &self.io);
        }
    }
}
