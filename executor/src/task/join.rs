//! `JoinHandle` and `JoinError` (in progress).
use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Handle to a spawned task: await it for the task's output; drop it to detach the task.
#[must_use = "dropping a JoinHandle detaches the task; call `.detach()` to say so"]
pub struct JoinHandle<T> {
    _p: PhantomData<T>,
}
impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JoinHandle")
    }
}
impl<T> JoinHandle<T> {
    /// Cancels the task at its next await.
    pub fn abort(&self) {
        todo!()
    }
    /// Detaches the task (Go's `go f()`): it keeps running, its output is dropped.
    pub fn detach(self) {}
    /// Whether the task has finished.
    pub fn is_finished(&self) -> bool {
        todo!()
    }
    /// The task's id.
    pub fn id(&self) -> super::Id {
        todo!()
    }
}
impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        todo!()
    }
}
/// Why a task did not return its output.
pub struct JoinError {
    _p: Option<Box<dyn Any + Send>>,
}
impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JoinError")
    }
}
