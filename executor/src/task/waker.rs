//! The task's `Waker`: each waker owns one task reference.

use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::header::Header;
use super::raw::RawTask;
use super::state::TransitionToNotified;

/// A waker borrowed from a running task: it owns no reference (the poller holds one), so it
/// costs nothing to make; cloning it takes a reference.
pub(super) struct WakerRef<'a> {
    waker: ManuallyDrop<Waker>,
    _p: PhantomData<&'a Header>,
}

impl Deref for WakerRef<'_> {
    type Target = Waker;
    fn deref(&self) -> &Waker {
        &self.waker
    }
}

pub(super) fn waker_ref(header: &Header) -> WakerRef<'_> {
    let raw = RawWaker::new(header as *const Header as *const (), &VTABLE);
    // SAFETY: the vtable functions below uphold the RawWaker contract; the data pointer is a
    // live task for 'a, and the ManuallyDrop keeps us from dropping a reference we don't own.
    let waker = ManuallyDrop::new(unsafe { Waker::from_raw(raw) });
    WakerRef {
        waker,
        _p: PhantomData,
    }
}

/// The task a waker wakes, if it is a gmp task's waker (for a leaf future that records its
/// task's wait reason; see `task::wait`).
#[inline]
pub(crate) fn task_of(waker: &Waker) -> Option<&Header> {
    if std::ptr::eq(waker.vtable(), &VTABLE) {
        // SAFETY: a waker with our vtable was made from a live task header and owns (or, for
        // the poller's `WakerRef`, borrows) a reference to it, which lives as long as `waker`.
        Some(unsafe { &*waker.data().cast::<Header>() })
    } else {
        None
    }
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

fn raw(ptr: *const ()) -> RawTask {
    // SAFETY (of the callers): wakers are only created from live task headers.
    RawTask::from_raw(NonNull::new(ptr as *mut Header).expect("null task waker"))
}

unsafe fn clone(ptr: *const ()) -> RawWaker {
    raw(ptr).header().state.ref_inc();
    RawWaker::new(ptr, &VTABLE)
}

unsafe fn wake(ptr: *const ()) {
    let task = raw(ptr);
    match task.header().state.transition_to_notified_by_val() {
        // SAFETY: Submit: our reference becomes the Notified one.
        TransitionToNotified::Submit => unsafe { task.schedule() },
        TransitionToNotified::DoNothing => {}
        // SAFETY: we released the last reference.
        TransitionToNotified::Dealloc => unsafe { (task.header().vtable.dealloc)(task.as_ptr()) },
    }
}

unsafe fn wake_by_ref(ptr: *const ()) {
    let task = raw(ptr);
    match task.header().state.transition_to_notified_by_ref() {
        // SAFETY: Submit: a new reference was taken for the Notified.
        TransitionToNotified::Submit => unsafe { task.schedule() },
        TransitionToNotified::DoNothing => {}
        TransitionToNotified::Dealloc => unreachable!("wake_by_ref released a reference"),
    }
}

unsafe fn drop_waker(ptr: *const ()) {
    // SAFETY: a waker owns one reference.
    unsafe { raw(ptr).drop_reference() }
}
