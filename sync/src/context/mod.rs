//! `Context`: Go's `context` package — cancellation, deadlines and request-scoped values
//! flowing down a tree of tasks.
//!
//! A [`Context`] is a cheap, clonable handle. Derive children with [`with_cancel`],
//! [`with_timeout`], [`with_deadline`] (and their `_cause` variants), [`with_value`] and
//! [`without_cancel`]; wait for cancellation with `ctx.done().await`; ask why with
//! [`Context::err`] and [`Context::cause`].
//!
//! Semantics follow Go's, with one deliberate improvement: **forgetting to cancel leaks
//! nothing.** When every clone of a child context and its cancel handle are dropped, the child
//! unregisters from its parent (Go keeps it until the parent is cancelled, which is why `go vet`
//! insists on `defer cancel()`). Cancelling a parent cancels every descendant, never the other
//! way, iteratively (a chain or a fan of a million contexts is fine).
//!
//! A deadline is a gmp timer ([`gmp_executor::time`]): inside a runtime an entry on the current
//! worker's timer wheel, outside one on the fallback timer thread, so deadlines fire under any
//! executor or none. When it fires, the thread firing timers cancels the context directly (no
//! task, no extra thread). A runtime waiting on a deadline (`ctx.done().await` in
//! `#[gmp::main]`) is never reported as deadlocked; `cancel()`, or dropping every clone of the
//! context, frees the timer at once; and the timer holds only a weak reference, so a pending
//! deadline keeps no context alive. A deadline made in a runtime still fires after that
//! runtime shuts down. `Duration::MAX` means "never" (it saturates to about 30 years).
//!
//! See `scope.rs` for the tree's algorithm and invariants, and its deadlines.
//!
//! # Examples
//!
//! Go's context-timeout worker:
//!
//! ```
//! use gmp_sync::context::{self, Context};
//! use std::time::Duration;
//! # futures::executor::block_on(async {
//! let (ctx, cancel) = context::with_timeout(&Context::background(), Duration::from_millis(20));
//! let worker = {
//!     let ctx = ctx.clone();
//!     async move {
//!         let mut ticks = 0;
//!         while ctx.err().is_none() {
//!             gmp_executor::time::sleep(Duration::from_millis(5)).await;
//!             ticks += 1;
//!         }
//!         ticks
//!     }
//! };
//! let ticks = worker.await;
//! ctx.done().await;
//! assert_eq!(ctx.err(), Some(context::Error::DeadlineExceeded));
//! assert!(ticks >= 1);
//! cancel.cancel(); // still good practice; a no-op now
//! # });
//! ```

#![deny(unsafe_code)]

mod scope;

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use gmp_executor::time::Instant;

use self::scope::Scope;
use crate::loom::{AtomicBool, Ordering};

/// Why a context is done: Go's `context.Canceled` and `context.DeadlineExceeded`.
///
/// # Examples
///
/// ```
/// use gmp_sync::context::Error;
/// assert_eq!(Error::Canceled.to_string(), "context canceled");
/// assert_eq!(Error::DeadlineExceeded.to_string(), "context deadline exceeded");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Error {
    /// The context was cancelled (its cancel function, or an ancestor's, was called).
    Canceled,
    /// The context's deadline passed.
    DeadlineExceeded,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Canceled => "context canceled",
            Error::DeadlineExceeded => "context deadline exceeded",
        })
    }
}

impl std::error::Error for Error {}

/// The reason given for a cancellation (Go's `context.Cause`): any error, shared.
pub type Cause = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// A typed key for [`with_value`]: declare one `static` per value kind. Lookups compare the
/// key's address, so two keys never collide even with the same type or name.
///
/// # Examples
///
/// ```
/// use gmp_sync::context::{self, Context, Key};
/// static REQUEST_ID: Key<u64> = Key::new("request-id");
/// let ctx = context::with_value(&Context::background(), &REQUEST_ID, 42);
/// assert_eq!(ctx.value(&REQUEST_ID), Some(&42));
/// ```
pub struct Key<T: 'static> {
    name: &'static str,
    _type: PhantomData<fn() -> T>,
}

impl<T: 'static> Key<T> {
    /// A key; `name` is for `Debug` output only.
    ///
    /// # Examples
    ///
    /// ```
    /// static USER: gmp_sync::context::Key<String> = gmp_sync::context::Key::new("user");
    /// assert_eq!(USER.name(), "user");
    /// ```
    pub const fn new(name: &'static str) -> Key<T> {
        Key {
            name,
            _type: PhantomData,
        }
    }

    /// The key's name.
    ///
    /// # Examples
    ///
    /// ```
    /// static K: gmp_sync::context::Key<u8> = gmp_sync::context::Key::new("k");
    /// assert_eq!(K.name(), "k");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn id(&'static self) -> usize {
        self as *const Key<T> as usize
    }
}

impl<T> fmt::Debug for Key<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({:?})", self.name)
    }
}

struct ValueEntry {
    key: usize,
    name: &'static str,
    value: Box<dyn Any + Send + Sync>,
}

struct Node {
    parent: Option<Arc<Node>>,
    value: Option<ValueEntry>,
    scope: Option<Arc<Scope>>,
}

impl Drop for Node {
    fn drop(&mut self) {
        // Unlink the parent chain iteratively: a chain of a million contexts must not recurse.
        let mut next = self.parent.take();
        while let Some(p) = next {
            next = Arc::into_inner(p).and_then(|mut n| n.parent.take());
        }
    }
}

/// A context: cancellation signal, deadline and values for a tree of tasks (Go's
/// `context.Context`). Cloning is cheap (an `Arc`).
///
/// # Examples
///
/// ```
/// use gmp_sync::context::{self, Context};
/// # futures::executor::block_on(async {
/// let (ctx, cancel) = context::with_cancel(&Context::background());
/// assert!(ctx.err().is_none());
/// cancel.cancel();
/// ctx.done().await;
/// assert_eq!(ctx.err(), Some(context::Error::Canceled));
/// # });
/// ```
#[derive(Clone)]
pub struct Context {
    node: Arc<Node>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Context");
        d.field("err", &self.err())
            .field("deadline", &self.deadline());
        if let Some(v) = &self.node.value {
            d.field("value", &v.name);
        }
        d.finish_non_exhaustive()
    }
}

impl Default for Context {
    fn default() -> Self {
        Context::background()
    }
}

impl Context {
    fn new(
        parent: Option<&Context>,
        value: Option<ValueEntry>,
        scope: Option<Arc<Scope>>,
    ) -> Context {
        Context {
            node: Arc::new(Node {
                parent: parent.map(|p| p.node.clone()),
                value,
                scope,
            }),
        }
    }

    /// The root context: never cancelled, no deadline, no values (Go's `Background`).
    ///
    /// # Examples
    ///
    /// ```
    /// let ctx = gmp_sync::context::Context::background();
    /// assert!(ctx.err().is_none() && ctx.deadline().is_none());
    /// ```
    pub fn background() -> Context {
        Context::new(None, None, None)
    }

    /// Same as [`background`](Self::background), marking code not yet given a real context
    /// (Go's `TODO`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gmp_sync::context::Context::todo().err().is_none());
    /// ```
    pub fn todo() -> Context {
        Context::background()
    }

    /// A future that completes when this context is cancelled or its deadline passes (Go's
    /// `<-ctx.Done()`). Cheap to create and to clone; never completes for a context that
    /// cannot be cancelled. Cancel-safe; spends coop budget.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let (ctx, cancel) = gmp_sync::context::with_cancel(&gmp_sync::context::Context::background());
    /// let done = ctx.done();
    /// let also = done.clone();
    /// cancel.cancel();
    /// done.await;
    /// also.await;
    /// # });
    /// ```
    pub fn done(&self) -> Done {
        Done {
            scope: self.node.scope.clone(),
            key: None,
        }
    }

    /// `None` while the context is live; then why it is done (Go's `ctx.Err()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use gmp_sync::context::{self, Context, Error};
    /// let (ctx, cancel) = context::with_cancel(&Context::background());
    /// cancel.cancel();
    /// assert_eq!(ctx.err(), Some(Error::Canceled));
    /// ```
    pub fn err(&self) -> Option<Error> {
        let scope = self.node.scope.as_ref()?;
        if !scope.is_done() {
            return None;
        }
        scope.lock().err
    }

    /// Whether the context is done (`err().is_some()`), for polling loops: Go's
    /// `select { case <-ctx.Done(): ... default: }`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!gmp_sync::context::Context::background().is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        self.node.scope.as_ref().is_some_and(|s| s.is_done())
    }

    /// The cause of cancellation (Go's `context.Cause(ctx)`): the cause given to a
    /// `*_cause` function, or the [`Error`] itself when none was given. `None` while live.
    ///
    /// # Examples
    ///
    /// ```
    /// use gmp_sync::context::{self, Context};
    /// #[derive(Debug)]
    /// struct Shutdown;
    /// impl std::fmt::Display for Shutdown {
    ///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("shutting down") }
    /// }
    /// impl std::error::Error for Shutdown {}
    ///
    /// let (ctx, cancel) = context::with_cancel_cause(&Context::background());
    /// cancel.cancel(Shutdown);
    /// assert_eq!(ctx.cause().unwrap().to_string(), "shutting down");
    /// assert_eq!(ctx.err(), Some(context::Error::Canceled));
    /// ```
    pub fn cause(&self) -> Option<Cause> {
        let scope = self.node.scope.as_ref()?;
        if !scope.is_done() {
            return None;
        }
        let st = scope.lock();
        match (&st.cause, st.err) {
            (Some(c), _) => Some(c.clone()),
            (None, Some(e)) => Some(Arc::new(e)),
            (None, None) => None,
        }
    }

    /// When the context will be cancelled by a deadline, its own or an ancestor's (a child
    /// never outlives its parent's deadline). Go's `ctx.Deadline()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gmp_sync::context::{self, Context};
    /// use std::time::Duration;
    /// let (parent, _c1) = context::with_timeout(&Context::background(), Duration::from_secs(1));
    /// let (child, _c2) = context::with_timeout(&parent, Duration::from_secs(60));
    /// assert_eq!(child.deadline(), parent.deadline());
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.node.scope.as_ref().and_then(|s| s.deadline)
    }

    /// The value stored under `key` by this context or its nearest ancestor that has one
    /// (Go's `ctx.Value(key)`, typed).
    ///
    /// # Examples
    ///
    /// ```
    /// use gmp_sync::context::{self, Context, Key};
    /// static USER: Key<&str> = Key::new("user");
    /// let ctx = context::with_value(&Context::background(), &USER, "gopher");
    /// let (child, _cancel) = context::with_cancel(&ctx);
    /// assert_eq!(child.value(&USER), Some(&"gopher"));
    /// assert_eq!(Context::background().value(&USER), None);
    /// ```
    pub fn value<T: Send + Sync + 'static>(&self, key: &'static Key<T>) -> Option<&T> {
        let id = key.id();
        let mut node: &Node = &self.node;
        loop {
            if let Some(v) = &node.value
                && v.key == id
            {
                return v.value.downcast_ref::<T>();
            }
            node = node.parent.as_deref()?;
        }
    }

    #[cfg(test)]
    fn child_count(&self) -> usize {
        self.node.scope.as_ref().map_or(0, |s| s.child_count())
    }
}

/// Future returned by [`Context::done`]. `Clone` (a clone is a fresh, unregistered waiter),
/// `Unpin`, `Send` and `Sync`.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let (ctx, cancel) = gmp_sync::context::with_cancel(&gmp_sync::context::Context::background());
/// let d: gmp_sync::context::Done = ctx.done();
/// cancel.cancel();
/// d.await;
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Done {
    scope: Option<Arc<Scope>>,
    key: Option<usize>,
}

impl fmt::Debug for Done {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Done")
            .field("cancellable", &self.scope.is_some())
            .finish_non_exhaustive()
    }
}

impl Clone for Done {
    fn clone(&self) -> Self {
        Done {
            scope: self.scope.clone(),
            key: None,
        }
    }
}

impl Future for Done {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        std::task::ready!(gmp_executor::coop::poll_proceed(cx));
        let this = self.get_mut();
        let Some(scope) = &this.scope else {
            // Background: never done.
            gmp_executor::runtime::waiting_on(cx, gmp_executor::runtime::WaitReason::ContextDone);
            return Poll::Pending;
        };
        if scope.is_done() {
            return Poll::Ready(());
        }
        let mut st = scope.lock();
        if st.err.is_some() {
            return Poll::Ready(());
        }
        match this.key {
            None => this.key = Some(st.waiters.push_back(Some(cx.waker().clone()))),
            Some(key) => match st.waiters.get_mut(key) {
                Some(w) if w.will_wake(cx.waker()) => {}
                slot => *slot = Some(cx.waker().clone()),
            },
        }
        gmp_executor::runtime::waiting_on(cx, gmp_executor::runtime::WaitReason::ContextDone);
        Poll::Pending
    }
}

impl Drop for Done {
    fn drop(&mut self) {
        if let (Some(key), Some(scope)) = (self.key.take(), &self.scope) {
            scope.lock().waiters.remove(key);
        }
    }
}

/// Cancels the context it came with (and its descendants): Go's `CancelFunc`.
///
/// Dropping it does **not** cancel; but once it and every clone of its context are dropped,
/// the context unregisters from its parent, so forgetting to cancel leaks nothing. For Go's
/// `defer cancel()`, use [`CancelFunc::guard`].
///
/// # Examples
///
/// ```
/// use gmp_sync::context::{self, Context};
/// let (ctx, cancel) = context::with_cancel(&Context::background());
/// cancel.cancel();
/// cancel.cancel(); // idempotent
/// assert!(ctx.is_done());
/// ```
#[derive(Clone)]
pub struct CancelFunc {
    scope: Arc<Scope>,
}

impl fmt::Debug for CancelFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelFunc")
            .field("done", &self.scope.is_done())
            .finish()
    }
}

impl CancelFunc {
    /// Cancels the context with [`Error::Canceled`]; no-op if already done.
    ///
    /// # Examples
    ///
    /// ```
    /// let (ctx, cancel) = gmp_sync::context::with_cancel(&gmp_sync::context::Context::background());
    /// cancel.cancel();
    /// assert!(ctx.err().is_some());
    /// ```
    pub fn cancel(&self) {
        self.scope.cancel(Error::Canceled, None);
    }

    /// A guard that cancels when dropped: Go's `defer cancel()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gmp_sync::context::{self, Context};
    /// let (ctx, cancel) = context::with_cancel(&Context::background());
    /// {
    ///     let _cancel = cancel.guard();
    /// }
    /// assert!(ctx.is_done());
    /// ```
    pub fn guard(self) -> CancelGuard {
        CancelGuard { cancel: self }
    }
}

/// Cancels its context when dropped; from [`CancelFunc::guard`].
///
/// # Examples
///
/// ```
/// let (ctx, cancel) = gmp_sync::context::with_cancel(&gmp_sync::context::Context::background());
/// let g: gmp_sync::context::CancelGuard = cancel.guard();
/// drop(g);
/// assert!(ctx.is_done());
/// ```
#[derive(Debug)]
#[must_use = "the context is cancelled as soon as the guard is dropped"]
pub struct CancelGuard {
    cancel: CancelFunc,
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Cancels its context with a cause: Go's `CancelCauseFunc`.
///
/// # Examples
///
/// ```
/// use gmp_sync::context::{self, Context, Error};
/// let (ctx, cancel) = context::with_cancel_cause(&Context::background());
/// cancel.cancel(Error::DeadlineExceeded); // any error type works as a cause
/// assert_eq!(ctx.err(), Some(Error::Canceled));
/// assert_eq!(ctx.cause().unwrap().to_string(), "context deadline exceeded");
/// ```
#[derive(Clone)]
pub struct CancelCauseFunc {
    scope: Arc<Scope>,
}

impl fmt::Debug for CancelCauseFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelCauseFunc")
            .field("done", &self.scope.is_done())
            .finish()
    }
}

impl CancelCauseFunc {
    /// Cancels with [`Error::Canceled`] and `cause` (no-op if already done).
    ///
    /// # Examples
    ///
    /// ```
    /// let (ctx, cancel) = gmp_sync::context::with_cancel_cause(&gmp_sync::context::Context::background());
    /// cancel.cancel(std::io::Error::other("disk full"));
    /// assert_eq!(ctx.cause().unwrap().to_string(), "disk full");
    /// ```
    pub fn cancel<E: std::error::Error + Send + Sync + 'static>(&self, cause: E) {
        self.cancel_arc(Some(Arc::new(cause)));
    }

    /// Cancels with an already-shared cause, or none (then the cause is `Error::Canceled`,
    /// as with Go's `cancel(nil)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use gmp_sync::context::{self, Context, Error};
    /// let (ctx, cancel) = context::with_cancel_cause(&Context::background());
    /// cancel.cancel_arc(None);
    /// assert_eq!(ctx.cause().unwrap().to_string(), Error::Canceled.to_string());
    /// ```
    pub fn cancel_arc(&self, cause: Option<Cause>) {
        self.scope.cancel(Error::Canceled, cause);
    }
}

fn child_scope(parent: &Context, deadline: Option<Instant>) -> Arc<Scope> {
    Scope::new(parent.node.scope.as_ref(), deadline)
}

/// A child that is cancelled when `cancel` is called or `parent` is done: Go's
/// `context.WithCancel`.
///
/// # Examples
///
/// ```
/// use gmp_sync::context::{self, Context};
/// let (parent, cancel_parent) = context::with_cancel(&Context::background());
/// let (child, _cancel_child) = context::with_cancel(&parent);
/// cancel_parent.cancel();
/// assert!(child.is_done());
/// ```
pub fn with_cancel(parent: &Context) -> (Context, CancelFunc) {
    let scope = child_scope(parent, None);
    (
        Context::new(Some(parent), None, Some(scope.clone())),
        CancelFunc { scope },
    )
}

/// [`with_cancel`] whose cancel function records a cause: Go's `context.WithCancelCause`.
///
/// # Examples
///
/// ```
/// use gmp_sync::context::{self, Context};
/// let (ctx, cancel) = context::with_cancel_cause(&Context::background());
/// cancel.cancel(std::fmt::Error);
/// assert!(ctx.cause().is_some());
/// ```
pub fn with_cancel_cause(parent: &Context) -> (Context, CancelCauseFunc) {
    let scope = child_scope(parent, None);
    (
        Context::new(Some(parent), None, Some(scope.clone())),
        CancelCauseFunc { scope },
    )
}

/// A child cancelled at `deadline` (or earlier, with its parent or by `cancel`): Go's
/// `context.WithDeadline`. The effective deadline is the earlier of `deadline` and the
/// parent's.
///
/// # Examples
///
/// ```
/// use gmp_sync::context::{self, Context, Error};
/// let past = gmp_executor::time::Instant::now();
/// let (ctx, _cancel) = context::with_deadline(&Context::background(), past);
/// assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
/// ```
pub fn with_deadline(parent: &Context, deadline: Instant) -> (Context, CancelFunc) {
    with_deadline_inner(parent, deadline, None)
}

/// [`with_deadline`] that records `cause` when the deadline passes: Go's
/// `context.WithDeadlineCause`.
///
/// # Examples
///
/// ```
/// use gmp_sync::context::{self, Context, Error};
/// let past = gmp_executor::time::Instant::now();
/// let (ctx, _c) = context::with_deadline_cause(&Context::background(), past, std::fmt::Error);
/// assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
/// assert_eq!(ctx.cause().unwrap().to_string(), std::fmt::Error.to_string());
/// ```
pub fn with_deadline_cause<E: std::error::Error + Send + Sync + 'static>(
    parent: &Context,
    deadline: Instant,
    cause: E,
) -> (Context, CancelFunc) {
    with_deadline_inner(parent, deadline, Some(Arc::new(cause)))
}

/// A child cancelled after `timeout`: Go's `context.WithTimeout`.
///
/// # Examples
///
/// ```
/// use gmp_sync::context::{self, Context, Error};
/// use std::time::Duration;
/// # futures::executor::block_on(async {
/// let (ctx, _cancel) = context::with_timeout(&Context::background(), Duration::from_millis(5));
/// ctx.done().await;
/// assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
/// # });
/// ```
pub fn with_timeout(parent: &Context, timeout: Duration) -> (Context, CancelFunc) {
    with_deadline(parent, gmp_executor::time::deadline_after(timeout))
}

/// [`with_timeout`] that records `cause` when the timeout expires: Go's
/// `context.WithTimeoutCause`.
///
/// # Examples
///
/// ```
/// use gmp_sync::context::{self, Context};
/// use std::time::Duration;
/// # futures::executor::block_on(async {
/// let (ctx, _c) = context::with_timeout_cause(&Context::background(), Duration::from_millis(1), std::fmt::Error);
/// ctx.done().await;
/// assert_eq!(ctx.cause().unwrap().to_string(), std::fmt::Error.to_string());
/// # });
/// ```
pub fn with_timeout_cause<E: std::error::Error + Send + Sync + 'static>(
    parent: &Context,
    timeout: Duration,
    cause: E,
) -> (Context, CancelFunc) {
    with_deadline_cause(parent, gmp_executor::time::deadline_after(timeout), cause)
}

fn with_deadline_inner(
    parent: &Context,
    deadline: Instant,
    cause: Option<Cause>,
) -> (Context, CancelFunc) {
    if parent.deadline().is_some_and(|d| d <= deadline) {
        // The parent's deadline comes first: it will cancel us (Go does the same).
        return with_cancel(parent);
    }
    let scope = child_scope(parent, Some(deadline));
    let ctx = Context::new(Some(parent), None, Some(scope.clone()));
    scope.arm_deadline(deadline, cause);
    (ctx, CancelFunc { scope })
}

/// A child carrying `value` under `key`; cancellation and deadline are the parent's: Go's
/// `context.WithValue`, with a typed key.
///
/// # Examples
///
/// ```
/// use gmp_sync::context::{self, Context, Key};
/// static TRACE: Key<String> = Key::new("trace");
/// let ctx = context::with_value(&Context::background(), &TRACE, "abc".to_string());
/// assert_eq!(ctx.value(&TRACE).map(String::as_str), Some("abc"));
/// ```
pub fn with_value<T: Send + Sync + 'static>(
    parent: &Context,
    key: &'static Key<T>,
    value: T,
) -> Context {
    let entry = ValueEntry {
        key: key.id(),
        name: key.name,
        value: Box::new(value),
    };
    Context::new(Some(parent), Some(entry), parent.node.scope.clone())
}

/// A child with the parent's values but none of its cancellation or deadline: Go's
/// `context.WithoutCancel`.
///
/// # Examples
///
/// ```
/// use gmp_sync::context::{self, Context};
/// let (parent, cancel) = context::with_cancel(&Context::background());
/// let detached = context::without_cancel(&parent);
/// cancel.cancel();
/// assert!(parent.is_done() && !detached.is_done());
/// ```
pub fn without_cancel(parent: &Context) -> Context {
    Context::new(Some(parent), None, None)
}

fn run_after_func(f: Box<dyn FnOnce() + Send + 'static>) {
    // Go runs `f` in its own goroutine; a thread here, so `f` may block without stalling the
    // canceller or any runtime worker. The deadlock check counts the thread while it runs.
    gmp_executor::time::spawn_callback_thread("gmp-after-func", f)
        .expect("gmp: failed to spawn an after_func thread");
}

/// Arranges for `f` to run (on its own thread) once `ctx` is done, or at once if it already
/// is: Go's `context.AfterFunc`. The registration keeps `ctx` alive and registered with its
/// parent until `f` runs or is stopped, as in Go.
///
/// # Examples
///
/// ```
/// use gmp_sync::context::{self, Context};
/// let (ctx, cancel) = context::with_cancel(&Context::background());
/// let (tx, rx) = std::sync::mpsc::channel();
/// let _stop = context::after_func(&ctx, move || tx.send("cleaned up").unwrap());
/// cancel.cancel();
/// assert_eq!(rx.recv().unwrap(), "cleaned up");
/// ```
pub fn after_func<F: FnOnce() + Send + 'static>(ctx: &Context, f: F) -> AfterFunc {
    let Some(scope) = &ctx.node.scope else {
        return AfterFunc {
            reg: None,
            stopped: AtomicBool::new(false),
        };
    };
    let mut st = scope.lock();
    if st.err.is_some() {
        drop(st);
        run_after_func(Box::new(f));
        return AfterFunc {
            reg: None,
            stopped: AtomicBool::new(true),
        };
    }
    let key = st.after.insert((ctx.clone(), Box::new(f)));
    drop(st);
    AfterFunc {
        reg: Some((Arc::downgrade(scope), key)),
        stopped: AtomicBool::new(false),
    }
}

/// Handle returned by [`after_func`]; dropping it does not unregister the function.
///
/// # Examples
///
/// ```
/// use gmp_sync::context::{self, Context};
/// let (ctx, cancel) = context::with_cancel(&Context::background());
/// let stop = context::after_func(&ctx, || unreachable!());
/// assert!(stop.stop());  // f will not run
/// assert!(!stop.stop()); // already stopped
/// cancel.cancel();
/// ```
pub struct AfterFunc {
    reg: Option<(std::sync::Weak<Scope>, usize)>,
    stopped: AtomicBool,
}

impl fmt::Debug for AfterFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AfterFunc").finish_non_exhaustive()
    }
}

impl AfterFunc {
    /// Unregisters the function: `true` if this call stopped it from running, `false` if it
    /// has already been started or stopped (Go's `stop()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use gmp_sync::context::{self, Context};
    /// let stop = context::after_func(&Context::background(), || {});
    /// assert!(stop.stop()); // background is never done: f can never run
    /// ```
    pub fn stop(&self) -> bool {
        // Relaxed: only makes `stop` idempotent; the scope lock orders the rest.
        if self.stopped.swap(true, Ordering::Relaxed) {
            return false;
        }
        let Some((scope, key)) = &self.reg else {
            return true;
        };
        let Some(scope) = scope.upgrade() else {
            return false;
        };
        let entry = scope.lock().after.try_remove(*key);
        // Dropped with no lock held: the keepalive context may be the scope's last reference.
        drop(scope);
        entry.is_some()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn dropping_a_forgotten_child_unregisters_it() {
        let (parent, _cancel) = with_cancel(&Context::background());
        for _ in 0..1000 {
            let (child, cancel) = with_cancel(&parent);
            let _grandchild = with_value(&child, &KEY, 1);
            drop((child, cancel));
        }
        assert_eq!(parent.child_count(), 0);
        let (child, cancel) = with_cancel(&parent);
        assert_eq!(parent.child_count(), 1);
        cancel.cancel();
        assert_eq!(
            parent.child_count(),
            0,
            "a cancelled child leaves its parent"
        );
        drop(child);
    }

    static KEY: Key<i32> = Key::new("k");

    #[test]
    fn deep_chain_cancels_and_drops_without_recursion() {
        let (root, cancel) = with_cancel(&Context::background());
        let mut ctx = root.clone();
        let mut cancels = Vec::new();
        for _ in 0..200_000 {
            let (c, f) = with_cancel(&ctx);
            cancels.push(f);
            ctx = c;
        }
        cancel.cancel();
        assert_eq!(ctx.err(), Some(Error::Canceled));
        drop(cancels);
        drop(ctx);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::thread;

    /// Cancelling the root races with creating a grandchild and dropping a child: every
    /// context alive afterwards is cancelled, and the dropped child is unregistered.
    #[test]
    fn loom_context_cancel_tree() {
        loom::model(|| {
            let (root, cancel) = with_cancel(&Context::background());
            let (a, _ca) = with_cancel(&root);
            let (b, cb) = with_cancel(&root);
            let t1 = thread::spawn(move || {
                let (grand, _cg) = with_cancel(&a);
                (a, grand)
            });
            let t2 = thread::spawn(move || drop((b, cb)));
            cancel.cancel();
            let (a, grand) = t1.join().unwrap();
            t2.join().unwrap();
            assert_eq!(a.err(), Some(Error::Canceled));
            assert_eq!(grand.err(), Some(Error::Canceled));
            assert_eq!(root.child_count(), 0);
        });
    }

    /// A waiter on a grandchild's `done()` is woken by the root's cancellation.
    #[test]
    fn loom_context_done_wakes() {
        loom::model(|| {
            let (root, cancel) = with_cancel(&Context::background());
            let (child, _c) = with_cancel(&root);
            let grand = with_value(&child, &LOOM_KEY, 7);
            let t = thread::spawn(move || loom::future::block_on(grand.done()));
            cancel.cancel();
            t.join().unwrap();
        });
    }

    static LOOM_KEY: Key<i32> = Key::new("loom");
}
