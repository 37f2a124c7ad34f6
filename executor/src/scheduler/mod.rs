//! The scheduler (in progress).

pub(crate) mod queue;

use std::future::Future;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;
use crate::task::JoinHandle;
pub(crate) struct Shared {}
impl Shared {
    pub(crate) fn start(_b: &crate::Builder) -> std::io::Result<Arc<Shared>> { todo!() }
    pub(crate) fn spawn<F>(_this: &Arc<Shared>, _f: F, _l: &'static Location<'static>) -> JoinHandle<F::Output>
    where F: Future + Send + 'static, F::Output: Send + 'static { todo!() }
    pub(crate) fn spawn_blocking<F, R>(_this: &Arc<Shared>, _f: F, _l: &'static Location<'static>) -> JoinHandle<R>
    where F: FnOnce() -> R + Send + 'static, R: Send + 'static { todo!() }
    pub(crate) fn block_on<F: Future>(&self, _f: F) -> F::Output { todo!() }
    pub(crate) fn shutdown(&self, _t: Option<Duration>) { todo!() }
    pub(crate) fn is_shutdown(&self) -> bool { todo!() }
    pub(crate) fn num_workers(&self) -> usize { todo!() }
    pub(crate) fn num_tasks(&self) -> usize { todo!() }
}
