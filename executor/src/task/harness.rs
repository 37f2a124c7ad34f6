//! Running a task: poll, complete, cancel, and the join-waker protocol.
//!
//! Every function here is instantiated per `(F, S)` and reached through the task's vtable. Each
//! `unsafe` block relies on the raw-task invariants (see [`raw`](super::raw)) plus the state
//! bit that grants access to the stage or the join waker (see the [`task`](super) design doc).

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use super::header::Header;
use super::join::JoinError;
use super::raw::{Cell, Notified, RawTask, Released, Schedule, Stage, Vtable};
use super::state::{TransitionToIdle, TransitionToRunning};

pub(super) fn vtable<F, S>() -> &'static Vtable
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    &Vtable {
        poll: poll::<F, S>,
        schedule: schedule::<F, S>,
        dealloc: dealloc::<F, S>,
        try_read_output: try_read_output::<F, S>,
        drop_join_handle: drop_join_handle::<F, S>,
        shutdown: shutdown::<F, S>,
    }
}

/// Typed view of a task, valid while the caller holds a reference.
struct Harness<F: Future, S> {
    cell: NonNull<Cell<F, S>>,
}

impl<F, S> Harness<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    /// # Safety
    /// `ptr` is a live task whose vtable was instantiated for `F` and `S`.
    unsafe fn from_raw(ptr: NonNull<Header>) -> Self {
        Harness { cell: ptr.cast() }
    }

    fn cell(&self) -> &Cell<F, S> {
        // SAFETY: `from_raw`'s contract: the allocation is live and of this type.
        unsafe { self.cell.as_ref() }
    }

    fn header(&self) -> &Header {
        &self.cell().header
    }

    fn raw(&self) -> RawTask {
        RawTask::from_raw(self.cell.cast())
    }

    fn dealloc(self) {
        /// Gives the memory back even if a drop below panics.
        struct Free<T>(NonNull<T>);
        impl<T> Drop for Free<T> {
            fn drop(&mut self) {
                // SAFETY: the cell was allocated by `cell_cache::alloc` in `RawTask::new`
                // and has been dropped in place; nothing uses the memory afterwards.
                unsafe { super::cell_cache::free(self.0) }
            }
        }
        let free = Free(self.cell);
        // SAFETY: called once the reference count reached zero: nobody else can reach the
        // cell, which `RawTask::new` initialized; it is dropped exactly once, here.
        unsafe { std::ptr::drop_in_place(free.0.as_ptr()) };
    }

    /// Runs one poll. Consumes the caller's `Notified` reference.
    fn poll(self) {
        match self.header().state.transition_to_running() {
            TransitionToRunning::Success => {}
            TransitionToRunning::Cancelled => return self.cancel_and_complete(),
            TransitionToRunning::Failed => {
                if self.header().state.ref_dec() {
                    self.dealloc();
                }
                return;
            }
        }
        let waker = super::waker::waker_ref(&self.cell().header);
        let mut cx = Context::from_waker(&waker);
        let res = self.cell().stage.with_mut(|stage| {
            // SAFETY: we hold RUNNING, which grants exclusive access to the stage; the future
            // never moves out of the allocation (it is pinned there until dropped).
            let fut = match unsafe { &mut *stage } {
                // SAFETY: as above: the future stays in place until the stage is replaced.
                Stage::Running(fut) => unsafe { std::pin::Pin::new_unchecked(fut) },
                _ => unreachable!("polled a task whose future is gone"),
            };
            // Events the task logs while polled belong to its span (if it has one).
            let _entered = self.header().span().map(tracing::Span::enter);
            catch_unwind(AssertUnwindSafe(|| fut.poll(&mut cx)))
        });
        match res {
            Ok(Poll::Ready(out)) => {
                self.store(Ok(out));
                self.complete();
            }
            Err(payload) => {
                self.store(Err(JoinError::panic(self.header().id, payload)));
                self.complete();
            }
            Ok(Poll::Pending) => match self.header().state.transition_to_idle() {
                TransitionToIdle::Ok => {}
                TransitionToIdle::OkDealloc => self.dealloc(),
                TransitionToIdle::OkNotified => {
                    // SAFETY: OkNotified: the running reference became the Notified one.
                    let task = unsafe { Notified::from_raw(self.raw()) };
                    self.cell().scheduler.yield_now(task);
                }
                TransitionToIdle::Cancelled => self.cancel_and_complete(),
            },
        }
    }

    /// Replaces the stage, dropping what was there (the future, on completion). A panic in that
    /// drop is caught: the stored output wins, and the panic, which no `JoinHandle` can see,
    /// is reported as unhandled.
    fn store(&self, out: Result<F::Output, JoinError>) {
        let old = self.cell().stage.with_mut(|stage| {
            // SAFETY: we hold RUNNING (exclusive access to the stage).
            unsafe { std::mem::replace(&mut *stage, Stage::Consumed) }
        });
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| drop(old))) {
            let scheduler = &self.cell().scheduler;
            let _ = catch_unwind(AssertUnwindSafe(|| {
                scheduler.unhandled_panic(self.header(), &*payload)
            }));
            // The payload's own destructor may panic too; it is nobody's to report.
            let _ = catch_unwind(AssertUnwindSafe(|| drop(payload)));
        }
        self.cell().stage.with_mut(|stage| {
            // SAFETY: as above.
            unsafe { *stage = Stage::Finished(out) }
        });
    }

    /// Drops the future (we hold RUNNING) and completes with a cancellation error.
    fn cancel_and_complete(self) {
        self.store(Err(JoinError::cancelled(self.header().id)));
        self.complete();
    }

    /// Publishes the output, wakes the joiner or disposes of the output, releases the
    /// registry's and the running reference. Consumes the running reference.
    fn complete(self) {
        let panicked = self.cell().stage.with(|stage| {
            // SAFETY: we hold RUNNING (exclusive access to the stage).
            matches!(unsafe { &*stage }, Stage::Finished(Err(e)) if e.is_panic())
        });
        if panicked {
            // The report below may come after the unregistering: announce it first.
            self.cell().scheduler.panic_completing(true);
        }
        // Count the completion first, so that once a joiner sees the output the task no longer
        // counts as live (`num_tasks()` right after `h.await` does not include it).
        let released = self.cell().scheduler.release(self.raw());
        let prev = self.header().state.transition_to_complete();
        let _ = catch_unwind(AssertUnwindSafe(|| {
            if !prev.is_join_interested() {
                // Nobody will read the output: we own it.
                let out = self.cell().stage.with_mut(|stage| {
                    // SAFETY: COMPLETE is set and JOIN_INTEREST was clear: the output is ours.
                    unsafe { std::mem::replace(&mut *stage, Stage::Consumed) }
                });
                if let Stage::Finished(Err(err)) = &out {
                    err.with_panic_payload(|payload| {
                        self.cell()
                            .scheduler
                            .unhandled_panic(self.header(), payload)
                    });
                }
                drop(out);
            } else if prev.is_join_waker_set() {
                self.cell().join_waker.with(|w| {
                    // SAFETY: JOIN_WAKER was set when we completed: the JoinHandle no longer
                    // writes the slot, and it stays allocated while we hold our reference.
                    if let Some(w) = unsafe { &*w } {
                        w.wake_by_ref();
                    }
                });
            }
        }));
        if panicked {
            self.cell().scheduler.panic_completing(false);
        }
        if let Released::Now(refs) = released {
            if self.header().state.ref_dec_n(refs) {
                self.dealloc();
            }
        }
    }

    /// `JoinHandle::poll`: is the output ready? If not, make sure `waker` will be woken.
    fn can_read_output(&self, waker: &Waker) -> bool {
        let state = &self.header().state;
        let snapshot = state.load();
        if snapshot.is_complete() {
            return true;
        }
        let res = if !snapshot.is_join_waker_set() {
            self.set_join_waker(waker.clone())
        } else {
            let same = self.cell().join_waker.with(|w| {
                // SAFETY: JOIN_WAKER is set: the slot holds a waker only the completing thread
                // may concurrently read; reading it here is a shared read too.
                unsafe { &*w }.as_ref().is_some_and(|w| w.will_wake(waker))
            });
            if same {
                return false;
            }
            state
                .unset_join_waker()
                .and_then(|()| self.set_join_waker(waker.clone()))
        };
        match res {
            Ok(()) => false,
            Err(s) => {
                debug_assert!(s.is_complete());
                true
            }
        }
    }

    fn set_join_waker(&self, waker: Waker) -> Result<(), super::state::Snapshot> {
        self.cell().join_waker.with_mut(|w| {
            // SAFETY: JOIN_WAKER is clear and we are the JoinHandle: the slot is ours.
            unsafe { *w = Some(waker) }
        });
        let res = self.header().state.set_join_waker();
        if res.is_err() {
            self.cell().join_waker.with_mut(|w| {
                // SAFETY: setting JOIN_WAKER failed, so the slot is still ours.
                unsafe { *w = None }
            });
        }
        res
    }

    fn take_output(&self) -> Result<F::Output, JoinError> {
        self.cell().stage.with_mut(|stage| {
            // SAFETY: COMPLETE is set and we are the JoinHandle with join interest: the output
            // is ours.
            match unsafe { std::mem::replace(&mut *stage, Stage::Consumed) } {
                Stage::Finished(out) => out,
                _ => panic!("JoinHandle polled after it returned Ready"),
            }
        })
    }
}

unsafe fn poll<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: vtable contract (the caller hands over a Notified reference).
    unsafe { Harness::<F, S>::from_raw(ptr) }.poll();
}

unsafe fn schedule<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: vtable contract; the caller's reference becomes the Notified one.
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    // SAFETY: as above.
    let task = unsafe { Notified::from_raw(harness.raw()) };
    harness.cell().scheduler.schedule(task);
}

unsafe fn dealloc<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: vtable contract: the last reference was dropped.
    unsafe { Harness::<F, S>::from_raw(ptr) }.dealloc();
}

unsafe fn try_read_output<F, S>(ptr: NonNull<Header>, dst: *mut (), waker: &Waker)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: vtable contract.
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    if harness.can_read_output(waker) {
        let dst = dst.cast::<Poll<Result<F::Output, JoinError>>>();
        // SAFETY: the caller passes a valid, initialized `Poll<Result<F::Output, JoinError>>`.
        unsafe { *dst = Poll::Ready(harness.take_output()) };
    }
}

unsafe fn drop_join_handle<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: vtable contract: the JoinHandle gives up its reference.
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    if harness.header().state.unset_join_interest().is_err() {
        // Complete with our interest: the output is ours to drop. A panicking destructor of
        // the output propagates to the dropper, as with any value.
        let out = harness.cell().stage.with_mut(|stage| {
            // SAFETY: COMPLETE was set while we had join interest.
            unsafe { std::mem::replace(&mut *stage, Stage::Consumed) }
        });
        // A panic whose handle is dropped unread is as unhandled as a detached task's.
        if let Stage::Finished(Err(err)) = &out {
            err.with_panic_payload(|payload| {
                harness
                    .cell()
                    .scheduler
                    .unhandled_panic(harness.header(), payload)
            });
        }
        let guard = DropRef(harness);
        drop(out);
        drop(guard);
        return;
    }
    drop(DropRef(harness));

    struct DropRef<F: Future + Send + 'static, S: Schedule>(Harness<F, S>)
    where
        F::Output: Send + 'static;
    impl<F: Future + Send + 'static, S: Schedule> Drop for DropRef<F, S>
    where
        F::Output: Send + 'static,
    {
        fn drop(&mut self) {
            if self.0.header().state.ref_dec() {
                Harness::<F, S> { cell: self.0.cell }.dealloc();
            }
        }
    }
}

unsafe fn shutdown<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: vtable contract: the caller took RUNNING via `transition_to_shutdown` and holds
    // a reference (the registry's) for the duration of this call. `complete` consumes one
    // reference: take an extra one to stand for "running".
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    harness.header().state.ref_inc();
    harness.cancel_and_complete();
}

/// The message of a panic payload: the `&str` or `String` that `panic!` put in it, or
/// `"Box<dyn Any>"` for any other payload (as the standard panic hook prints it).
///
/// # Examples
///
/// ```
/// let payload = std::panic::catch_unwind(|| panic!("boom {}", 7)).unwrap_err();
/// assert_eq!(gmp_executor::task::panic_message(&*payload), "boom 7");
/// ```
pub fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
}
