//! Thread-local runtime context (in progress).
use std::sync::Arc;
use crate::scheduler::Shared;
pub(crate) fn current_shared() -> Option<Arc<Shared>> { todo!() }
