//! `errgroup`: Go's `golang.org/x/sync/errgroup` — a group of tasks working on subtasks of a
//! common job, with the first error, a shared cancellation and an optional concurrency limit.
//!
//! # Design
//!
//! A [`Group`] is a [`WaitGroup`] plus: the first error (a mutex-guarded slot), the first panic,
//! an optional cancel handle for the context from [`Group::with_context`], and an optional
//! [`Semaphore`] of `limit` permits. [`Group::go`] takes a permit (waiting, as Go's `g.Go`
//! blocks), counts the member in, and spawns a wrapper that runs the member under
//! `catch_unwind`, records an error or panic (cancelling the context on the first one, with
//! that error as the cause, as x/sync's `WithContext` does), then releases the permit and
//! counts the member out — in `Drop`, so a member dropped by a runtime shutdown is counted
//! out too. [`Group::wait`] waits for the count to reach zero, cancels the context (as Go's
//! `Wait` does: a no-op after a failure, so [`Canceled`](context::Error::Canceled) is the
//! cause only when no member failed), and returns the first error.
//!
//! The first member to fail cancels the context after it has recorded its failure and before
//! it is counted out, so by the time `wait` returns the cause is set.
//!
//! **Panics.** Go lets a panicking member crash the process. A Rust executor catches task
//! panics instead, which would make them silently vanish from the group; so the wrapper
//! catches the first panic and [`Group::wait`] resumes it (`std::panic::resume_unwind`) in the
//! waiting task. A panic takes precedence over errors.
//!
//! Lock order: the error and panic slots are leaves (the cause is cloned from the first error
//! under its slot's lock); the context is cancelled after the slot's lock is released.
//!
//! Rejected: keeping `JoinHandle`s to learn about panics (needs a `Vec` of handles that grows
//! with every member, the very thing a `WaitGroup` avoids).

#![deny(unsafe_code)]

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use gmp_executor::runtime::WaitReason;

use crate::context::{self, CancelCauseFunc, Cause, Context};
use std::sync::Arc;

use crate::loom::Mutex;
use crate::semaphore::{OwnedSemaphorePermit, Semaphore};
use crate::waitgroup::{WaitGroup, WaitGroupGuard};

struct Inner<E> {
    wg: WaitGroup,
    err: Mutex<Option<E>>,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    cancel: Option<Canceller<E>>,
    limit: Mutex<Option<(usize, Arc<Semaphore>)>>,
}

/// The group's context's cancel function, and how to make a cause of an error.
struct Canceller<E> {
    cancel: CancelCauseFunc,
    cause_of: fn(&E) -> Cause,
}

/// The cause recorded for the first error: a clone of it, shared.
fn cause_of<E>(err: &E) -> Cause
where
    E: Clone + Into<Box<dyn std::error::Error + Send + Sync>>,
{
    Arc::from(err.clone().into())
}

impl<E> Inner<E> {
    /// Keeps the first error, and cancels the context with it as the cause.
    fn fail_with_error(&self, e: E) {
        let cause = {
            let mut slot = self.err.lock().unwrap_or_else(|e| e.into_inner());
            if slot.is_some() {
                return;
            }
            let cause = self.cancel.as_ref().map(|c| (c.cause_of)(&e));
            *slot = Some(e);
            cause
        };
        if let Some(c) = &self.cancel {
            c.cancel.cancel_arc(cause);
        }
    }

    /// Keeps the first panic, and cancels the context with a [`MemberPanicked`] cause.
    fn fail_with_panic(&self, payload: Box<dyn Any + Send>) {
        let cause: Cause = {
            let mut slot = self.panic.lock().unwrap_or_else(|e| e.into_inner());
            if slot.is_some() {
                return;
            }
            let message = gmp_executor::task::panic_message(&*payload).to_string();
            *slot = Some(payload);
            Arc::new(MemberPanicked(message))
        };
        if let Some(c) = &self.cancel {
            c.cancel.cancel_arc(Some(cause));
        }
    }
}

/// The cause of a group's context cancelled because a member panicked: its `Display` is
/// `errgroup: a member panicked: ` and the panic message.
#[derive(Debug)]
struct MemberPanicked(String);

impl fmt::Display for MemberPanicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "errgroup: a member panicked: {}", self.0)
    }
}

impl std::error::Error for MemberPanicked {}

/// A group of tasks with the first error, shared cancellation and an optional limit: Go's
/// `errgroup.Group`. Cheap to clone (members may spawn more members).
///
/// # Panics in members
///
/// Unlike Go (where a panicking goroutine crashes the process), a member's panic is caught,
/// cancels the group's context like an error, and is resumed by [`wait`](Group::wait).
///
/// # Examples
///
/// Go's `processAll`, with a limit of 10:
///
/// ```
/// use gmp_sync::{context::{self, Context}, errgroup::Group};
///
/// async fn process_item(ctx: Context, item: u32) -> Result<(), String> {
///     if ctx.is_done() { return Err("cancelled".into()); }
///     if item == 13 { Err(format!("bad item {item}")) } else { Ok(()) }
/// }
///
/// async fn process_all(ctx: &Context, items: Vec<u32>) -> Result<(), String> {
///     let (g, ctx) = Group::with_context(ctx);
///     g.set_limit(10);
///     for item in items {
///         g.go(process_item(ctx.clone(), item)).await;
///     }
///     g.wait().await
/// }
///
/// let rt = gmp_executor::Runtime::new().unwrap();
/// let r = rt.block_on(process_all(&Context::background(), (0..100).collect()));
/// assert_eq!(r, Err("bad item 13".to_string()));
/// ```
pub struct Group<E> {
    inner: Arc<Inner<E>>,
}

impl<E> Clone for Group<E> {
    fn clone(&self) -> Self {
        Group {
            inner: self.inner.clone(),
        }
    }
}

impl<E> fmt::Debug for Group<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group")
            .field("members", &self.inner.wg.count())
            .finish_non_exhaustive()
    }
}

impl<E: Send + 'static> Default for Group<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Send + 'static> Group<E> {
    fn build(cancel: Option<Canceller<E>>) -> Self {
        Group {
            inner: Arc::new(Inner {
                wg: WaitGroup::new(),
                err: Mutex::new(None),
                panic: Mutex::new(None),
                cancel,
                limit: Mutex::new(None),
            }),
        }
    }

    /// A group with no context and no limit (Go's zero `errgroup.Group`).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = futures::executor::ThreadPool::new().unwrap();
    /// futures::executor::block_on(async {
    ///     let g = gmp_sync::errgroup::Group::<std::io::Error>::new();
    ///     g.go_with(&pool, async { Ok(()) }).await.unwrap();
    ///     assert!(g.wait().await.is_ok());
    /// });
    /// ```
    pub fn new() -> Self {
        Self::build(None)
    }

    /// A group and a context derived from `ctx` that is cancelled by the first member to fail,
    /// with that error as its [cause](Context::cause), and when [`wait`](Self::wait) returns:
    /// Go's `errgroup.WithContext`.
    ///
    /// The cause is a clone of the first error converted into a
    /// `Box<dyn Error + Send + Sync>`, hence the bound: any `Clone` error type, `String` or
    /// `&'static str`. For an error type `E` the cause downcasts to it, Go's
    /// `context.Cause(ctx) == err`. A non-`Clone` error (`std::io::Error`) can travel in an
    /// `Arc`, or as a [`context::Cause`]. If a member panics the cause's `Display` is
    /// `errgroup: a member panicked: ` and the panic message. The cause is
    /// [`Canceled`](context::Error::Canceled) only when `wait` returns `Ok` (or when `ctx` was
    /// cancelled first, whose cause is kept).
    ///
    /// # Examples
    ///
    /// ```
    /// use gmp_sync::{context::Context, errgroup::Group};
    /// let pool = futures::executor::ThreadPool::new().unwrap();
    /// futures::executor::block_on(async {
    ///     let (g, ctx) = Group::with_context(&Context::background());
    ///     g.go_with(&pool, async { Err(std::fmt::Error) }).await.unwrap();
    ///     let waiter = ctx.clone();
    ///     // released by the first error:
    ///     g.go_with(&pool, async move { waiter.done().await; Ok(()) }).await.unwrap();
    ///     assert_eq!(g.wait().await, Err(std::fmt::Error));
    ///     assert!(ctx.is_done());
    ///     // context.Cause(ctx) == err
    ///     assert!(ctx.cause().unwrap().downcast_ref::<std::fmt::Error>().is_some());
    /// });
    /// ```
    pub fn with_context(ctx: &Context) -> (Self, Context)
    where
        E: Clone + Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (ctx, cancel) = context::with_cancel_cause(ctx);
        let canceller = Canceller {
            cancel,
            cause_of: cause_of::<E>,
        };
        (Self::build(Some(canceller)), ctx)
    }

    /// Limits the number of active members to `limit` (`None`: no limit): Go's `SetLimit`.
    /// [`go`](Self::go) then waits for a free slot and [`try_go`](Self::try_go) fails.
    ///
    /// # Panics
    ///
    /// Panics if members are active, as Go's does (and on a limit of zero members, which could
    /// never start).
    ///
    /// # Examples
    ///
    /// ```
    /// let g = gmp_sync::errgroup::Group::<()>::new();
    /// g.set_limit(10);
    /// g.set_limit(None);
    /// ```
    #[track_caller]
    pub fn set_limit(&self, limit: impl Into<Option<usize>>) {
        let limit = limit.into();
        let active = self.inner.wg.count();
        assert!(
            active == 0,
            "errgroup: modify limit while {active} goroutines in the group are still active"
        );
        assert!(
            limit != Some(0),
            "errgroup: a limit of 0 would never start a member"
        );
        *self.inner.limit.lock().unwrap_or_else(|e| e.into_inner()) =
            limit.map(|n| (n, Arc::new(Semaphore::new(n))));
    }

    fn semaphore(&self) -> Option<Arc<Semaphore>> {
        self.inner
            .limit
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|(_, s)| s.clone())
    }

    /// Spawns `future` on the current gmp runtime as a member, first waiting for a free slot
    /// if a limit is set: Go's `g.Go(f)`. The first `Err` is kept for [`wait`](Self::wait)
    /// and cancels the group's context.
    ///
    /// # Panics
    ///
    /// Panics outside a gmp runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let g = gmp_sync::errgroup::Group::new();
    ///     for i in 0..3 {
    ///         g.go(async move { if i == 1 { Err(i) } else { Ok(()) } }).await;
    ///     }
    ///     assert_eq!(g.wait().await, Err(1));
    /// });
    /// ```
    pub async fn go<F>(&self, future: F)
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
    {
        let permit = match self.semaphore() {
            Some(sem) => {
                Some(crate::waiting::labeled(WaitReason::ErrgroupLimit, sem.acquire_owned(1)).await)
            }
            None => None,
        };
        gmp_executor::spawn(self.member(permit, future)).detach();
    }

    /// [`go`](Self::go) on any executor implementing [`futures_util::task::Spawn`].
    ///
    /// # Errors
    ///
    /// The spawner's error if it refused the task (the member is then not counted).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = futures::executor::ThreadPool::new().unwrap();
    /// futures::executor::block_on(async {
    ///     let g = gmp_sync::errgroup::Group::<String>::new();
    ///     g.set_limit(2);
    ///     for _ in 0..10 {
    ///         g.go_with(&pool, async { Ok(()) }).await.unwrap();
    ///     }
    ///     assert!(g.wait().await.is_ok());
    /// });
    /// ```
    pub async fn go_with<S, F>(
        &self,
        spawner: &S,
        future: F,
    ) -> Result<(), futures_util::task::SpawnError>
    where
        S: futures_util::task::Spawn + ?Sized,
        F: Future<Output = Result<(), E>> + Send + 'static,
    {
        let permit = match self.semaphore() {
            Some(sem) => {
                Some(crate::waiting::labeled(WaitReason::ErrgroupLimit, sem.acquire_owned(1)).await)
            }
            None => None,
        };
        spawner.spawn_obj(futures_util::task::FutureObj::new(Box::new(
            self.member(permit, future),
        )))
    }

    /// Spawns `future` as a member only if a slot is free now: Go's `g.TryGo`. Returns
    /// whether it was started (if not, `future` is dropped unpolled).
    ///
    /// # Panics
    ///
    /// Panics outside a gmp runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let g = gmp_sync::errgroup::Group::<()>::new();
    ///     g.set_limit(1);
    ///     let (tx, rx) = futures::channel::oneshot::channel::<()>();
    ///     assert!(g.try_go(async move { let _ = rx.await; Ok(()) }));
    ///     assert!(!g.try_go(async { Ok(()) })); // at the limit
    ///     tx.send(()).unwrap();
    ///     g.wait().await.unwrap();
    /// });
    /// ```
    pub fn try_go<F>(&self, future: F) -> bool
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
    {
        match self.try_slot() {
            Some(permit) => {
                gmp_executor::spawn(self.member(permit, future)).detach();
                true
            }
            None => false,
        }
    }

    /// [`try_go`](Self::try_go) on any executor implementing [`futures_util::task::Spawn`];
    /// `false` also if the spawner refused the task.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = futures::executor::ThreadPool::new().unwrap();
    /// futures::executor::block_on(async {
    ///     let g = gmp_sync::errgroup::Group::<()>::new();
    ///     assert!(g.try_go_with(&pool, async { Ok(()) }));
    ///     g.wait().await.unwrap();
    /// });
    /// ```
    pub fn try_go_with<S, F>(&self, spawner: &S, future: F) -> bool
    where
        S: futures_util::task::Spawn + ?Sized,
        F: Future<Output = Result<(), E>> + Send + 'static,
    {
        match self.try_slot() {
            Some(permit) => spawner
                .spawn_obj(futures_util::task::FutureObj::new(Box::new(
                    self.member(permit, future),
                )))
                .is_ok(),
            None => false,
        }
    }

    /// `Some(permit)` for a free slot, `Some(None)` with no limit, `None` at the limit.
    fn try_slot(&self) -> Option<Option<OwnedSemaphorePermit>> {
        match self.semaphore() {
            Some(sem) => sem.try_acquire_owned(1).map(Some),
            None => Some(None),
        }
    }

    /// The wrapper spawned for each member. Counted in now; counted out (and its slot
    /// released first, as in Go) when it finishes or is dropped.
    fn member<F>(
        &self,
        permit: Option<OwnedSemaphorePermit>,
        future: F,
    ) -> impl Future<Output = ()> + Send + 'static
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
    {
        let guard: WaitGroupGuard = self.inner.wg.guard();
        let inner = self.inner.clone();
        async move {
            let _guard = guard;
            let _permit = permit; // dropped before `_guard`: slot first, then done
            // Recorded (and the context cancelled) before `_guard` counts the member out.
            match AssertUnwindSafe(future).catch_unwind().await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => inner.fail_with_error(e),
                Err(payload) => inner.fail_with_panic(payload),
            }
        }
    }

    /// Waits for every member, cancels the group's context, and returns the first error:
    /// Go's `g.Wait()`. The error is handed out once (a second `wait` returns `Ok`). The
    /// context's cause is then the first error, or [`Canceled`](context::Error::Canceled) if
    /// there was none (see [`with_context`](Self::with_context)).
    ///
    /// # Panics
    ///
    /// Resumes the first panic of a member, if any (see the type docs).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = futures::executor::ThreadPool::new().unwrap();
    /// futures::executor::block_on(async {
    ///     let g = gmp_sync::errgroup::Group::<&str>::new();
    ///     g.go_with(&pool, async { panic!("member panicked") }).await.unwrap();
    ///     let r = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(g.wait())).await;
    ///     assert!(r.is_err());
    /// });
    /// ```
    pub async fn wait(&self) -> Result<(), E> {
        self.inner.wg.wait().await;
        if let Some(c) = &self.inner.cancel {
            // A no-op if a member failed: its error is the cause.
            c.cancel.cancel_arc(None);
        }
        let panic = self
            .inner
            .panic
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(p) = panic {
            std::panic::resume_unwind(p);
        }
        match self
            .inner
            .err
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
