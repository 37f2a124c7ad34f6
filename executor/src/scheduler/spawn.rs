//! Making tasks: from a future (onto the workers) or a blocking closure (onto the pool).
//!
//! The public `spawn` / `spawn_blocking` live in `runtime`; they come here with what one
//! thread-local lookup found ([`Here`]: the runtime, the worker, the thread's id batch), and
//! nothing on the way looks the thread up again: the worker picks the registry shard and
//! takes the task into its LIFO slot.

use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use super::Shared;
use super::context::{self, Here};
use crate::blocking::BlockingTask;
use crate::task::JoinHandle;
use crate::task::header::Header;
use crate::task::raw::{Notified, RawTask, Released, Schedule};
use crate::task::registry::Insert;

/// Spawns `future` on the current thread's runtime, or gives it back outside one.
#[inline]
pub(crate) fn spawn_current<F>(
    future: F,
    location: &'static Location<'static>,
) -> Result<JoinHandle<F::Output>, F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    context::with_here(|here| match here.shared {
        Some(shared) => Ok(spawn(shared, &here, future, location)),
        None => Err(future),
    })
}

/// Runs `f` on the current thread's runtime's blocking pool, or gives it back outside one.
pub(crate) fn spawn_blocking_current<F, R>(
    f: F,
    location: &'static Location<'static>,
) -> Result<JoinHandle<R>, F>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    context::with_here(|here| match here.shared {
        Some(shared) => Ok(spawn_blocking(shared, &here, f, location)),
        None => Err(f),
    })
}

/// Spawns `future` on `shared` from any thread (a `Handle`).
pub(crate) fn spawn_on<F>(
    shared: &Arc<Shared>,
    future: F,
    location: &'static Location<'static>,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    context::with_here(|here| spawn(shared, &here, future, location))
}

/// Runs `f` on `shared`'s blocking pool from any thread (a `Handle`).
pub(crate) fn spawn_blocking_on<F, R>(
    shared: &Arc<Shared>,
    f: F,
    location: &'static Location<'static>,
) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    context::with_here(|here| spawn_blocking(shared, &here, f, location))
}

fn spawn<F>(
    shared: &Arc<Shared>,
    here: &Here<'_>,
    future: F,
    location: &'static Location<'static>,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let id = here.next_id();
    let worker = here.worker_of(shared);
    let shard = shared
        .registry
        .shard_for(worker.map_or(shared.num_workers(), |w| w.index()));
    let raw = RawTask::new(future, shared.clone(), id, location, shard);
    tracing::trace!(task.id = id.0, spawn_site = %location, "spawn");
    // SAFETY: a new task holds a reference for its first Notified.
    let notified = unsafe { Notified::from_raw(raw) };
    let join = JoinHandle::new(raw);
    match shared.registry.insert(raw) {
        Insert::Ok => shared.schedule_task_on(worker, notified, false),
        Insert::Closed => cancel_unregistered(raw, notified),
    }
    join
}

fn spawn_blocking<F, R>(
    shared: &Arc<Shared>,
    here: &Here<'_>,
    f: F,
    location: &'static Location<'static>,
) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let id = here.next_id();
    let raw = RawTask::new(
        BlockingTask::new(f),
        BlockingSchedule(shared.clone()),
        id,
        location,
        shared.registry.shard_for(shared.num_workers()) | crate::task::header::BLOCKING_JOB,
    );
    // SAFETY: a new task holds a reference for its first Notified.
    let notified = unsafe { Notified::from_raw(raw) };
    let join = JoinHandle::new(raw);
    match shared.registry.insert(raw) {
        Insert::Ok => shared.blocking.push(notified),
        Insert::Closed => cancel_unregistered(raw, notified),
    }
    join
}

/// A task spawned after shutdown began: complete it as cancelled without running it.
fn cancel_unregistered(raw: RawTask, notified: Notified) {
    drop(notified);
    raw.shutdown();
    // SAFETY: the registry refused the task, so its reference is ours to drop.
    unsafe { raw.drop_reference() };
}

/// The scheduler of blocking tasks: a wake (only `abort` can cause one) queues the task on the
/// pool again, where it is cancelled.
pub(crate) struct BlockingSchedule(pub(crate) Arc<Shared>);

impl Schedule for BlockingSchedule {
    fn schedule(&self, task: Notified) {
        self.0.blocking.push(task);
    }

    fn release(&self, task: RawTask) -> Released {
        Released::Now(self.0.registry.remove(task.header()))
    }

    fn unhandled_panic(&self, task: &Header, payload: &(dyn std::any::Any + Send)) {
        self.0.unhandled_panic(task, payload);
    }

    fn panic_completing(&self, begin: bool) {
        self.0.panics.completing(begin);
    }
}
