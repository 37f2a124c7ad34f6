//! `JoinHandle` (await, abort, detach) and `JoinError`.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use super::Id;
use super::raw::RawTask;
use super::state::TransitionToNotified;

/// An owned permission to await a task's output: Go's `go` statement plus a way to wait.
///
/// Awaiting gives `Ok(output)`, or a [`JoinError`] telling a panic (with its payload) from a
/// cancellation. Dropping the handle *detaches* the task (it keeps running; its output is
/// dropped when it finishes), which is what Go's `go f()` does; [`detach`](Self::detach) says
/// so explicitly. [`abort`](Self::abort) cancels the task at its next `.await`.
///
/// # Examples
///
/// ```
/// # let rt = gmp_executor::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let h = gmp_executor::spawn(async { 40 + 2 });
/// assert_eq!(h.await.unwrap(), 42);
///
/// let stuck = gmp_executor::spawn(std::future::pending::<()>());
/// stuck.abort();
/// assert!(stuck.await.unwrap_err().is_cancelled());
/// # });
/// ```
#[must_use = "dropping a JoinHandle detaches the task; call `.detach()` to say so"]
pub struct JoinHandle<T> {
    raw: RawTask,
    _p: PhantomData<T>,
}

// SAFETY: the handle only moves the output (`T: Send`) out of the task, under the state
// protocol; it holds no thread-bound data.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only allows `abort`, `is_finished` and `id`, which touch the atomic
// state word.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    pub(crate) fn new(raw: RawTask) -> JoinHandle<T> {
        JoinHandle {
            raw,
            _p: PhantomData,
        }
    }

    /// Cancels the task: its future is dropped at its next `.await` (immediately if it is
    /// idle), and awaiting this handle then gives a cancelled [`JoinError`]. No effect on a
    /// finished task.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gmp_executor::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let h = gmp_executor::spawn(std::future::pending::<()>());
    /// h.abort();
    /// assert!(h.await.unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn abort(&self) {
        if self.raw.header().state.transition_to_notified_and_cancel()
            == TransitionToNotified::Submit
        {
            // SAFETY: Submit: a reference was taken for the Notified.
            unsafe { self.raw.schedule() }
        }
    }

    /// Detaches the task (Go's `go f()`): it keeps running, and its output is dropped when it
    /// finishes. Same as dropping the handle, but says so.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gmp_executor::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// gmp_executor::spawn(async { /* fire and forget */ }).detach();
    /// # });
    /// ```
    pub fn detach(self) {}

    /// Whether the task has finished (completed, panicked or been cancelled).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gmp_executor::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let h = gmp_executor::spawn(std::future::pending::<()>());
    /// assert!(!h.is_finished());
    /// # });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.load().is_complete()
    }

    /// The task's id.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gmp_executor::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let h = gmp_executor::spawn(async {});
    /// println!("spawned task {}", h.id());
    /// # });
    /// ```
    pub fn id(&self) -> Id {
        self.raw.header().id
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        std::task::ready!(crate::coop::poll_proceed(cx));
        let mut out: Poll<Result<T, JoinError>> = Poll::Pending;
        // SAFETY: `out` has the task's output type, and we are its JoinHandle.
        unsafe {
            self.raw
                .try_read_output(&mut out as *mut _ as *mut (), cx.waker())
        };
        if out.is_pending() {
            crate::task::wait::waiting_on(
                cx,
                if self.raw.header().is_blocking_job() {
                    crate::task::wait::WaitReason::BlockingPool
                } else {
                    crate::task::wait::WaitReason::Join
                },
            );
        }
        out
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        // SAFETY: we are the JoinHandle and give up our reference.
        unsafe { self.raw.drop_join_handle() }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Why a task did not produce its output: it panicked, or it was cancelled.
///
/// # Examples
///
/// ```
/// # let rt = gmp_executor::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let err = gmp_executor::spawn(async { panic!("boom") }).await.unwrap_err();
/// assert!(err.is_panic());
/// assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
/// # });
/// ```
pub struct JoinError {
    id: Id,
    repr: Repr,
}

enum Repr {
    Cancelled,
    // A Mutex makes the error `Sync` without unsafe; it is only touched on the error path. Boxed
    // so that every task's output slot (`Result<T, JoinError>`) stays two words plus `T`.
    Panic(Box<Mutex<Box<dyn Any + Send + 'static>>>),
}

impl JoinError {
    pub(crate) fn cancelled(id: Id) -> JoinError {
        JoinError {
            id,
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(id: Id, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError {
            id,
            repr: Repr::Panic(Box::new(Mutex::new(payload))),
        }
    }

    /// Lets the harness inspect a panic payload without consuming the error.
    pub(crate) fn with_panic_payload<R>(
        &self,
        f: impl FnOnce(&(dyn Any + Send)) -> R,
    ) -> Option<R> {
        match &self.repr {
            Repr::Panic(m) => {
                let guard = m.lock().unwrap_or_else(|e| e.into_inner());
                Some(f(&**guard))
            }
            Repr::Cancelled => None,
        }
    }

    /// Whether the task was cancelled (aborted, or dropped at runtime shutdown).
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gmp_executor::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let h = gmp_executor::spawn(std::future::pending::<()>());
    /// h.abort();
    /// assert!(h.await.unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// Whether the task panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gmp_executor::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let e = gmp_executor::spawn(async { panic!("x") }).await.unwrap_err();
    /// assert!(e.is_panic());
    /// # });
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic payload, to re-raise with `std::panic::resume_unwind`.
    ///
    /// # Panics
    ///
    /// Panics if the task was cancelled rather than panicking.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gmp_executor::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let e = gmp_executor::spawn(async { panic!("x") }).await.unwrap_err();
    /// let payload = e.into_panic();
    /// assert_eq!(*payload.downcast::<&str>().unwrap(), "x");
    /// # });
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .expect("`JoinError::into_panic` called on a cancelled task's error")
    }

    /// The panic payload, or the error back if the task was cancelled.
    ///
    /// # Errors
    ///
    /// Returns `self` when the task was cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gmp_executor::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let h = gmp_executor::spawn(std::future::pending::<()>());
    /// h.abort();
    /// assert!(h.await.unwrap_err().try_into_panic().is_err());
    /// # });
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(m) => Ok(m.into_inner().unwrap_or_else(|e| e.into_inner())),
            Repr::Cancelled => Err(self),
        }
    }

    /// The id of the task that failed.
    ///
    /// # Examples
    ///
    /// ```
    /// # let rt = gmp_executor::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let h = gmp_executor::spawn(async { panic!("x") });
    /// let id = h.id();
    /// assert_eq!(h.await.unwrap_err().id(), id);
    /// # });
    /// ```
    pub fn id(&self) -> Id {
        self.id
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "task {} was cancelled", self.id),
            Repr::Panic(m) => match m.try_lock() {
                Ok(p) => write!(
                    f,
                    "task {} panicked with message {:?}",
                    self.id,
                    super::harness::panic_message(&**p)
                ),
                Err(_) => write!(f, "task {} panicked", self.id),
            },
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "JoinError::Cancelled({})", self.id),
            Repr::Panic(m) => match m.try_lock() {
                Ok(p) => write!(
                    f,
                    "JoinError::Panic({}, {:?}, ..)",
                    self.id,
                    super::harness::panic_message(&**p)
                ),
                Err(_) => write!(f, "JoinError::Panic({}, ..)", self.id),
            },
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(e: JoinError) -> std::io::Error {
        std::io::Error::other(e.to_string())
    }
}
