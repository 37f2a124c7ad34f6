//! The task allocation and its type-erased handle.
//!
//! # Invariants
//!
//! - A task is one `Cell<F, S>` in memory from [`cell_cache::alloc`](super::cell_cache), given
//!   back with `cell_cache::free` after the cell is dropped in place; `Header` is its first field
//!   (`#[repr(C)]`), so `NonNull<Header>` and `NonNull<Cell<F, S>>` are the same address.
//! - The vtable stored in the header is the one instantiated for the cell's `F` and `S`, so
//!   every vtable function casts back to the right type.
//! - The allocation lives while the reference count in the state word is non-zero; the thread
//!   that drops the last reference frees it (`dealloc`) and nobody touches it afterwards.
//! - [`RawTask`] is a plain pointer (it owns nothing); [`Notified`] owns one reference and
//!   gives it back on drop.

use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::Location;
use std::ptr::NonNull;
use std::task::Waker;

use super::Id;
use super::header::Header;
use super::join::JoinError;
use crate::loom::UnsafeCell;

/// What a scheduler does with a task. Implemented by the worker pool and the blocking pool.
pub(crate) trait Schedule: Send + Sync + Sized + 'static {
    /// A wake from outside the task's own poll: queue it.
    fn schedule(&self, task: Notified);
    /// The task woke itself during its poll (a yield, or budget exhaustion): queue it behind
    /// the work already waiting.
    fn yield_now(&self, task: Notified) {
        self.schedule(task);
    }
    /// The task is completing (its output is stored, `COMPLETE` not yet set): count the
    /// completion and take it out of the registry, now or later (see [`Released`]).
    fn release(&self, task: RawTask) -> Released;
    /// A task nobody joins panicked.
    fn unhandled_panic(&self, task: &Header, payload: &(dyn std::any::Any + Send));
    /// A task whose output is a panic is completing: `true` before it leaves the registry,
    /// `false` once its panic is reported or handed to its joiner. Lets a checker that saw the
    /// registry empty wait for reports still on their way (see `runtime::panics`).
    fn panic_completing(&self, _begin: bool) {}
}

/// What [`Schedule::release`] did with a completing task.
pub(crate) enum Released {
    /// Unregistered now: the caller drops this many references when it is done with the task
    /// (its running reference, and the registry's unless the shutdown sweep took that one).
    Now(usize),
    /// Queued for a deferred removal (`registry::Retired`): the running reference and the
    /// registry's went with it, and the caller drops none (the task stays allocated until
    /// the removal, which runs only after the caller is done with it).
    Deferred,
}

pub(crate) struct Vtable {
    /// Runs the task (consumes the caller's `Notified` reference).
    pub(crate) poll: unsafe fn(NonNull<Header>),
    /// Queues the task; the caller hands over one reference.
    pub(crate) schedule: unsafe fn(NonNull<Header>),
    /// Frees the allocation.
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
    /// `JoinHandle::poll`: writes `Poll<Result<T, JoinError>>` through the pointer when ready.
    pub(crate) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// `JoinHandle::drop`.
    pub(crate) drop_join_handle: unsafe fn(NonNull<Header>),
    /// Runtime shutdown: the caller owns the task (`transition_to_shutdown` returned true);
    /// drop the future and complete.
    pub(crate) shutdown: unsafe fn(NonNull<Header>),
}

pub(crate) enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

/// The whole task allocation.
#[repr(C)]
pub(crate) struct Cell<F: Future, S> {
    pub(crate) header: Header,
    pub(crate) scheduler: S,
    pub(crate) stage: UnsafeCell<Stage<F>>,
    pub(crate) join_waker: UnsafeCell<Option<Waker>>,
}

/// A type-erased pointer to a task. Owns nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

// SAFETY: a task is `Send` (its future and output are `Send`, its scheduler is `Send + Sync`),
// and every access through the pointer is synchronized by the state word.
unsafe impl Send for RawTask {}
// SAFETY: as above; shared access only reads the header or goes through the state word.
unsafe impl Sync for RawTask {}

impl RawTask {
    /// Allocates a task. The state starts with three references: the registry, the
    /// `JoinHandle` and the first `Notified`.
    pub(crate) fn new<F, S>(
        future: F,
        scheduler: S,
        id: Id,
        spawn_site: &'static Location<'static>,
        registry_shard: u16,
    ) -> RawTask
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
        S: Schedule,
    {
        let cell = Cell {
            header: Header::new(
                super::harness::vtable::<F, S>(),
                id,
                spawn_site,
                registry_shard,
            ),
            scheduler,
            stage: UnsafeCell::new(Stage::Running(future)),
            join_waker: UnsafeCell::new(None),
        };
        let ptr = super::cell_cache::alloc::<Cell<F, S>>();
        // SAFETY: freshly allocated for a `Cell<F, S>`, properly aligned and unused.
        unsafe { ptr.as_ptr().write(cell) };
        RawTask { ptr: ptr.cast() }
    }

    pub(crate) fn from_raw(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    pub(crate) fn as_ptr(self) -> NonNull<Header> {
        self.ptr
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: callers hold a reference (directly or through an owner that does), so the
        // allocation is live; the header is only read through `&`.
        unsafe { self.ptr.as_ref() }
    }

    fn vtable(&self) -> &'static Vtable {
        self.header().vtable
    }

    /// # Safety
    /// The caller gives up one reference it owns.
    pub(crate) unsafe fn drop_reference(self) {
        // SAFETY: forwarded contract.
        unsafe { self.drop_references(1) }
    }

    /// # Safety
    /// The caller gives up `n` references it owns.
    pub(crate) unsafe fn drop_references(self, n: usize) {
        if self.header().state.ref_dec_n(n) {
            // SAFETY: those were the last references.
            unsafe { (self.vtable().dealloc)(self.ptr) }
        }
    }

    /// # Safety
    /// `dst` points to a `Poll<Result<T, JoinError>>` for the task's output type `T`, and the
    /// caller is the task's `JoinHandle`.
    pub(crate) unsafe fn try_read_output(self, dst: *mut (), waker: &Waker) {
        // SAFETY: forwarded contract.
        unsafe { (self.vtable().try_read_output)(self.ptr, dst, waker) }
    }

    /// # Safety
    /// The caller is the task's `JoinHandle`, giving up its reference.
    pub(crate) unsafe fn drop_join_handle(self) {
        // SAFETY: forwarded contract.
        unsafe { (self.vtable().drop_join_handle)(self.ptr) }
    }

    /// # Safety
    /// The caller hands over one reference, which becomes the queued `Notified`.
    pub(crate) unsafe fn schedule(self) {
        // SAFETY: forwarded contract.
        unsafe { (self.vtable().schedule)(self.ptr) }
    }

    /// Cancels the task for runtime shutdown if nobody is running it. Does not consume a
    /// reference.
    pub(crate) fn shutdown(self) {
        if self.header().state.transition_to_shutdown() {
            // SAFETY: `transition_to_shutdown` gave us ownership of the stage.
            unsafe { (self.vtable().shutdown)(self.ptr) }
        }
    }
}

/// A task that is ready to run; owns one reference (the `NOTIFIED` bit's).
pub(crate) struct Notified(RawTask);

impl Notified {
    /// # Safety
    /// The caller transfers a reference it owns that corresponds to the `NOTIFIED` bit.
    pub(crate) unsafe fn from_raw(raw: RawTask) -> Notified {
        Notified(raw)
    }

    pub(crate) fn into_raw(self) -> RawTask {
        ManuallyDrop::new(self).0
    }

    pub(crate) fn header(&self) -> &Header {
        self.0.header()
    }

    /// Polls the task once (or cancels it), consuming this reference.
    pub(crate) fn run(self) {
        let raw = self.into_raw();
        // SAFETY: we hand over the Notified reference, as `poll` requires.
        unsafe { (raw.vtable().poll)(raw.ptr) }
    }
}

impl Drop for Notified {
    fn drop(&mut self) {
        // SAFETY: a Notified owns one reference.
        unsafe { self.0.drop_reference() }
    }
}

impl std::fmt::Debug for Notified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Notified").field(&self.header().id).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod size_tests {
    use super::*;

    #[test]
    fn task_cell_is_small() {
        type F = std::future::Ready<()>;
        let header = std::mem::size_of::<Header>();
        // The scheduler is an `Arc` (the runtime's `Shared`), one pointer like this one.
        let cell = std::mem::size_of::<Cell<F, std::sync::Arc<()>>>();
        let join_error = std::mem::size_of::<JoinError>();
        // Header 72: 48 of scheduling state (state word, vtable, id, the registry's two links)
        // + 24 of task-dump diagnostics (spawn time with the registry shard, polls,
        // state-change stamp; the spawn site shares a word with the optional span). Then
        // scheduler 8 + stage + join waker 16; the stage of a small future must not be
        // inflated by the (cold) panic payload. 120 bytes is a 128-byte malloc chunk.
        assert_eq!(header, 72, "task header is {header} bytes");
        assert!(join_error <= 16, "JoinError is {join_error} bytes");
        assert!(cell <= 120, "task cell is {cell} bytes");
    }
}
