//! The cancellation tree behind [`Context`](super::Context).
//!
//! # Design
//!
//! Every cancellable context owns a [`Scope`]; contexts that only add a value share their
//! parent's scope, and `background()`/`without_cancel()` have none. A scope records its
//! parent as a `Weak` plus its key in the parent's `children` slab, and the parent records the
//! child as a `Weak`: the tree never keeps a child alive. When the last `Arc` of a scope goes
//! (every clone of its contexts, its cancel handle, its `Done` futures), `Drop` removes its
//! slot from the parent. So a context whose cancel function is never called leaks nothing;
//! Go's keeps its child registered until the parent ends.
//!
//! **Cancel** is iterative: cancelling one scope (under its own lock) sets `err`/`cause`,
//! publishes `done`, and takes its children, waiters and after-funcs out; then, with no lock
//! held, it wakes the waiters, starts the after-funcs and pushes the live children on an
//! explicit stack; the loop pops and cancels each the same way. Each scope is visited once: a
//! tree of a million contexts, however deep, is cancelled in linear time with constant stack.
//! Children inherit the parent's `err` and cause, as in Go.
//!
//! **Invariants.** `done` is set (Release) only under the lock, after `err`; once set it is
//! never cleared. A cancelled scope's `children` is empty forever (new children of a
//! cancelled parent are born cancelled and never registered), so a stale key can never hit a
//! reused slot; removal still checks that the slot points at the scope being removed.
//!
//! **Lock order.** At most one scope lock is held at a time: creating a child locks only the
//! parent, removing a child locks only the parent, cancelling locks one scope at a time.
//! Wakers and after-funcs run with no lock held; `Arc`s that might be the last are dropped
//! with no lock held.
//!
//! **Deadlines.** A scope with its own deadline owns a `CallbackTimer` (gmp-executor's timer
//! entry whose waker is the callback) in `State::timer`. The waker, `DeadlineFire`, holds only a
//! `Weak` to the scope, so a pending deadline keeps nothing alive. It is armed with the scope's
//! lock held, and the callback takes that lock first, so the callback always finds the timer
//! installed. When it fires (on the thread firing timers, no wheel lock held) it cancels the
//! scope with `DeadlineExceeded` and the recorded cause — unless the wake-up came from the
//! runtime owning the wheel shutting down: then the timer moves to the fallback driver
//! (`rearm_if_shut_down`) and keeps waiting. Cancelling a scope (by any route) takes the timer
//! out and drops it after unlocking, which frees its wheel entry in O(1); dropping the scope
//! drops it too. Lock order: a scope lock, then a wheel lock (arming, re-arming); the wheel
//! never calls out with its lock held.
//!
//! Rejected: recursion (Go's `cancel` calls each child's `cancel`: a deep chain overflows a
//! Rust stack); strong child references (Go's map: leaks until the parent is cancelled); a
//! helper thread running one sleep future per deadline (what this replaced: invisible to the
//! deadlock check, and a cancelled deadline's memory came back only when the helper got to it);
//! a task per deadline (needs a runtime, and one more hop than cancelling on the firing
//! thread).

#![deny(unsafe_code)]

use std::sync::{Arc, Weak};
use std::task::{Wake, Waker};

use slab::Slab;

use super::{Cause, Context, Error};
use crate::loom::{AtomicBool, Mutex, MutexGuard, Ordering};
use crate::waitlist::WaitList;
use gmp_executor::time::{CallbackTimer, Instant};

pub(super) type AfterEntry = (Context, Box<dyn FnOnce() + Send + 'static>);

#[derive(Default)]
pub(super) struct State {
    pub(super) err: Option<Error>,
    pub(super) cause: Option<Cause>,
    children: Slab<Weak<Scope>>,
    pub(super) waiters: WaitList<Option<Waker>>,
    pub(super) after: Slab<AfterEntry>,
    /// The armed deadline (see "Deadlines"); taken out and dropped, freeing its wheel entry,
    /// when the scope is cancelled, and dropped with the scope.
    timer: Option<CallbackTimer>,
    /// The cause recorded if the deadline fires (`with_deadline_cause`).
    deadline_cause: Option<Cause>,
}

pub(super) struct Scope {
    /// Set once, under `state`'s lock, after `err`. Release: pairs with the Acquire loads in
    /// `is_done`, so a reader that sees `true` also sees `err` and `cause`.
    done: AtomicBool,
    state: Mutex<State>,
    /// Registration in the parent's `children`.
    parent: Option<(Weak<Scope>, usize)>,
    /// Effective deadline (never later than an ancestor's).
    pub(super) deadline: Option<Instant>,
}

impl Scope {
    /// A new scope under `parent` (if any): born cancelled if the parent is.
    pub(super) fn new(parent: Option<&Arc<Scope>>, deadline: Option<Instant>) -> Arc<Scope> {
        let deadline = match (deadline, parent.and_then(|p| p.deadline)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some(parent) = parent else {
            return Arc::new(Scope {
                done: AtomicBool::new(false),
                state: Mutex::new(State::default()),
                parent: None,
                deadline,
            });
        };
        let mut ps = parent.lock();
        if let Some(err) = ps.err {
            let state = State {
                err: Some(err),
                cause: ps.cause.clone(),
                ..State::default()
            };
            return Arc::new(Scope {
                done: AtomicBool::new(true),
                state: Mutex::new(state),
                parent: None,
                deadline,
            });
        }
        let entry = ps.children.vacant_entry();
        let child = Arc::new(Scope {
            done: AtomicBool::new(false),
            state: Mutex::new(State::default()),
            parent: Some((Arc::downgrade(parent), entry.key())),
            deadline,
        });
        entry.insert(Arc::downgrade(&child));
        child
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the scope has been cancelled (cheap: one Acquire load).
    pub(super) fn is_done(&self) -> bool {
        // Acquire: pairs with the Release store in `cancel_one`.
        self.done.load(Ordering::Acquire)
    }

    /// Cancels this scope and every descendant. Returns `false` if it was already cancelled.
    pub(super) fn cancel(self: &Arc<Self>, err: Error, cause: Option<Cause>) -> bool {
        let mut stack = Vec::new();
        if !self.cancel_one(err, &cause, &mut stack) {
            return false;
        }
        self.unregister();
        while let Some(child) = stack.pop() {
            child.cancel_one(err, &cause, &mut stack);
            // `child` may be the last reference: dropped here, with no lock held.
        }
        true
    }

    /// Arms the scope's deadline timer (see "Deadlines"), or cancels the scope at once if the
    /// deadline is already due. Does nothing for a scope born cancelled.
    pub(super) fn arm_deadline(self: &Arc<Self>, deadline: Instant, cause: Option<Cause>) {
        let mut st = self.lock();
        if st.err.is_some() {
            return;
        }
        let fire = Waker::from(Arc::new(DeadlineFire {
            scope: Arc::downgrade(self),
        }));
        // Armed with the lock held, so the callback (which takes it) finds `timer` set.
        match CallbackTimer::arm(deadline, fire) {
            Ok(timer) => {
                st.timer = Some(timer);
                st.deadline_cause = cause;
            }
            Err(_due) => {
                drop(st);
                self.cancel(Error::DeadlineExceeded, cause);
            }
        }
    }

    /// The deadline callback: cancels with `DeadlineExceeded` unless the scope is already done
    /// or the wake-up came from a runtime shutting down (then the timer moves to the fallback
    /// driver and keeps waiting).
    fn deadline_fired(self: &Arc<Self>, fire: &Arc<DeadlineFire>) {
        let cause = {
            let mut st = self.lock();
            if st.err.is_some() {
                return;
            }
            if let Some(timer) = st.timer.as_mut()
                && timer.rearm_if_shut_down(&Waker::from(fire.clone()))
            {
                return;
            }
            st.deadline_cause.take()
        };
        self.cancel(Error::DeadlineExceeded, cause);
    }

    /// Cancels this scope alone; pushes its live children on `stack`.
    fn cancel_one(&self, err: Error, cause: &Option<Cause>, stack: &mut Vec<Arc<Scope>>) -> bool {
        let (children, after) = {
            let mut st = self.lock();
            if st.err.is_some() {
                return false;
            }
            st.err = Some(err);
            st.cause = cause.clone();
            // Release: see `done`.
            self.done.store(true, Ordering::Release);
            let mut wakers = Vec::new();
            st.waiters.drain_linked(|w| wakers.extend(w.take()));
            let children = std::mem::take(&mut st.children);
            let after = std::mem::take(&mut st.after);
            let timer = st.timer.take();
            let deadline_cause = st.deadline_cause.take();
            drop(st);
            // Frees the wheel entry now (O(1)), with no scope lock held; the cause may be the
            // last reference to a user's error.
            drop((timer, deadline_cause));
            for w in wakers {
                w.wake();
            }
            (children, after)
        };
        stack.extend(children.into_iter().filter_map(|(_, w)| w.upgrade()));
        for (_, (keepalive, f)) in after {
            super::run_after_func(f);
            drop(keepalive);
        }
        true
    }

    /// Removes this scope's slot from its parent (if it is still there).
    fn unregister(&self) {
        let Some((parent, key)) = &self.parent else {
            return;
        };
        let Some(parent) = parent.upgrade() else {
            return;
        };
        {
            let mut ps = parent.lock();
            if ps
                .children
                .get(*key)
                .is_some_and(|w| std::ptr::eq(w.as_ptr(), self))
            {
                ps.children.remove(*key);
            }
        }
        drop(parent);
    }

    #[cfg(test)]
    pub(super) fn child_count(&self) -> usize {
        self.lock().children.len()
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        self.unregister();
        // The deadline timer (if any) is dropped with `state`, after this, with no lock held:
        // its wheel entry is freed at once.
    }
}

/// A scope's deadline callback: the waker of its `CallbackTimer` entry. Holds only a `Weak`, so
/// a pending deadline never keeps its context alive.
struct DeadlineFire {
    scope: Weak<Scope>,
}

impl Wake for DeadlineFire {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(scope) = self.scope.upgrade() {
            scope.deadline_fired(self);
            // `scope` may be the last reference: dropped here, with no lock held.
        }
    }
}
