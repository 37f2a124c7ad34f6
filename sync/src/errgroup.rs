//! `errgroup`: Go's `golang.org/x/sync/errgroup` — a group of tasks working on subtasks of a
//! common job, with the first error, a shared cancellation and an optional concurrency limit.
//!
//! # Design
//!
//! A [`Group`] is a [`WaitGroup`] plus: the first error (a mutex-guarded slot), the first panic,
//! an optional cancel handle for the context from [`Group::with_context`], and an optional
//! [`Semaphore`] of `limit` permits. [`Group::go`] takes a permit (waiting, as Go's `g.Go`
//! blocks), counts the member in, and spawns a wrapper that runs the member under
//! `catch_unwind`, records an error or panic (cancelling the context on the first one), then
//! releases the permit and counts the member out — in `Drop`, so a member dropped by a
//! runtime shutdown is counted out too. [`Group::wait`] waits for the count to reach zero,
//! cancels the context (as Go's `Wait` does), and returns the first error.
//!
//! **Panics.** Go lets a panicking member crash the process. A Rust executor catches task
//! panics instead, which would make them silently vanish from the group; so the wrapper
//! catches the first panic and [`Group::wait`] resumes it (`std::panic::resume_unwind`) in the
//! waiting task. A panic takes precedence over errors.
//!
//! Lock order: the error and panic slots are leaves; the context is cancelled after the slot's
//! lock is released.
//!
//! Rejected: keeping `JoinHandle`s to learn about panics (needs a `Vec` of handles that grows
//! with every member, the very thing a `WaitGroup` avoids).

#![deny(unsafe_code)]

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

use crate::context::{self, CancelFunc, Context};
use std::sync::Arc;

use crate::loom::Mutex;
use crate::semaphore::{OwnedSemaphorePermit, Semaphore};
use crate::waitgroup::{WaitGroup, WaitGroupGuard};

struct Inner<E> {
    wg: WaitGroup,
    err: Mutex<Option<E>>,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    cancel: Option<CancelFunc>,
    limit: Mutex<Option<(usize, Arc<Semaphore>)>>,
}

impl<E> Inner<E> {
    fn fail(&self, f: impl FnOnce(&Self) -> bool) {
        if f(self)
            && let Some(c) = &self.cancel
        {
            c.cancel();
        }
    }
}

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
    fn build(cancel: Option<CancelFunc>) -> Self {
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

    /// A group and a context derived from `ctx` that is cancelled by the first member to fail
    /// and when [`wait`](Self::wait) returns: Go's `errgroup.WithContext`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gmp_sync::{context::Context, errgroup::Group};
    /// let pool = futures::executor::ThreadPool::new().unwrap();
    /// futures::executor::block_on(async {
    ///     let (g, ctx) = Group::with_context(&Context::background());
    ///     g.go_with(&pool, async { Err("boom") }).await.unwrap();
    ///     let waiter = ctx.clone();
    ///     // released by the first error:
    ///     g.go_with(&pool, async move { waiter.done().await; Ok(()) }).await.unwrap();
    ///     assert_eq!(g.wait().await, Err("boom"));
    ///     assert!(ctx.is_done());
    /// });
    /// ```
    pub fn with_context(ctx: &Context) -> (Self, Context) {
        let (ctx, cancel) = context::with_cancel(ctx);
        (Self::build(Some(cancel)), ctx)
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
            Some(sem) => Some(sem.acquire_owned(1).await),
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
            Some(sem) => Some(sem.acquire_owned(1).await),
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
            match AssertUnwindSafe(future).catch_unwind().await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => inner.fail(|i| {
                    let mut slot = i.err.lock().unwrap_or_else(|e| e.into_inner());
                    let first = slot.is_none();
                    if first {
                        *slot = Some(e);
                    }
                    first
                }),
                Err(payload) => inner.fail(|i| {
                    let mut slot = i.panic.lock().unwrap_or_else(|e| e.into_inner());
                    let first = slot.is_none();
                    if first {
                        *slot = Some(payload);
                    }
                    first
                }),
            }
        }
    }

    /// Waits for every member, cancels the group's context, and returns the first error:
    /// Go's `g.Wait()`. The error is handed out once (a second `wait` returns `Ok`).
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
            c.cancel();
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
