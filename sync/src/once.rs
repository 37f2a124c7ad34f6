//! `Once` and `OnceCell`: Go's `sync.Once` (and `sync.OnceValue`) as futures.
//!
//! # Design
//!
//! The value lives in a `std::sync::OnceLock` (lock-free reads once set); initializations are
//! serialized by a one-permit [`Semaphore`], so concurrent callers queue FIFO behind the one
//! running the initializer instead of running it twice. The initializer runs in the calling
//! task. If its future is dropped (the caller was cancelled), the permit goes back and the next
//! queued caller runs *its* initializer: an initialization is never lost and never doubled.
//!
//! Panics: [`OnceCell`] treats a panicking initializer like a cancelled one (the next caller
//! retries). [`Once`] follows Go's `sync.Once`: "if f panics, Do considers it to have returned;
//! future calls of Do return without calling f".
//!
//! Rejected: a state machine of our own with an `UnsafeCell<MaybeUninit<T>>` (what `OnceLock`
//! already is, in `std`, without `unsafe` here).

#![deny(unsafe_code)]

use gmp_executor::runtime::WaitReason;
use std::fmt;
use std::future::Future;
use std::sync::OnceLock;

use crate::loom::{AtomicBool, Ordering};
use crate::semaphore::Semaphore;

/// A cell initialized at most once, asynchronously: Go's `sync.OnceValue`, as a value.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let cell = gmp_sync::OnceCell::new();
/// let v = cell.get_or_init(|| async { 40 + 2 }).await;
/// assert_eq!(*v, 42);
/// assert_eq!(cell.get_or_init(|| async { unreachable!() }).await, &42);
/// # });
/// ```
pub struct OnceCell<T> {
    value: OnceLock<T>,
    init: Semaphore,
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OnceCell").field(&self.value.get()).finish()
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> OnceCell<T> {
    /// An empty cell.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = gmp_sync::OnceCell::<u8>::new();
    /// assert!(cell.get().is_none());
    /// ```
    pub fn new() -> Self {
        OnceCell {
            value: OnceLock::new(),
            init: Semaphore::new(1),
        }
    }

    /// The value, if initialized.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = gmp_sync::OnceCell::new();
    /// cell.set(1).unwrap();
    /// assert_eq!(cell.get(), Some(&1));
    /// ```
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// Sets the value if the cell is empty; gives `value` back otherwise.
    ///
    /// # Errors
    ///
    /// `Err(value)` if the cell was already initialized.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = gmp_sync::OnceCell::new();
    /// assert_eq!(cell.set(1), Ok(()));
    /// assert_eq!(cell.set(2), Err(2));
    /// ```
    pub fn set(&self, value: T) -> Result<(), T> {
        self.value.set(value)
    }

    /// The value, running `init` first if the cell is empty. Concurrent callers wait for the
    /// running initializer (FIFO); if it is cancelled or panics, the next one runs its own.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let config = gmp_sync::OnceCell::new();
    /// let c = config.get_or_init(|| async { String::from("loaded") }).await;
    /// assert_eq!(c, "loaded");
    /// # });
    /// ```
    pub async fn get_or_init<F, Fut>(&self, init: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        match self
            .get_or_try_init(|| async { Ok::<T, std::convert::Infallible>(init().await) })
            .await
        {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }

    /// Like [`get_or_init`](Self::get_or_init) with a fallible initializer: on `Err` the cell
    /// stays empty and the error is returned (the next caller tries again).
    ///
    /// # Errors
    ///
    /// The initializer's error.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let cell = gmp_sync::OnceCell::<u32>::new();
    /// assert_eq!(cell.get_or_try_init(|| async { Err("not yet") }).await, Err("not yet"));
    /// assert_eq!(cell.get_or_try_init(|| async { Ok::<_, &str>(7) }).await, Ok(&7));
    /// # });
    /// ```
    pub async fn get_or_try_init<F, Fut, E>(&self, init: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(v) = self.value.get() {
            return Ok(v);
        }
        let _permit = crate::waiting::labeled(WaitReason::Once, self.init.acquire(1)).await;
        if let Some(v) = self.value.get() {
            return Ok(v);
        }
        let v = init().await?;
        Ok(self.value.get_or_init(|| v))
    }

    /// Consumes the cell, returning the value if initialized.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = gmp_sync::OnceCell::new();
    /// cell.set("x").unwrap();
    /// assert_eq!(cell.into_inner(), Some("x"));
    /// ```
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }
}

/// Runs an initialization exactly once: Go's `sync.Once`, with an async function.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let once = gmp_sync::Once::new();
/// let mut runs = 0;
/// once.call_once(|| async { runs += 1 }).await;
/// once.call_once(|| async { unreachable!() }).await;
/// assert_eq!(runs, 1);
/// assert!(once.is_completed());
/// # });
/// ```
pub struct Once {
    /// Release: pairs with the Acquire loads in `call_once`/`is_completed`, publishing the
    /// effects of `f`.
    done: AtomicBool,
    init: Semaphore,
}

impl fmt::Debug for Once {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Once")
            .field("done", &self.is_completed())
            .finish()
    }
}

impl Default for Once {
    fn default() -> Self {
        Self::new()
    }
}

impl Once {
    /// A `Once` whose function has not run.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!gmp_sync::Once::new().is_completed());
    /// ```
    pub fn new() -> Self {
        Once {
            done: AtomicBool::new(false),
            init: Semaphore::new(1),
        }
    }

    /// Whether a call has completed (returned or panicked).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let once = gmp_sync::Once::new();
    /// once.call_once(|| async {}).await;
    /// assert!(once.is_completed());
    /// # });
    /// ```
    pub fn is_completed(&self) -> bool {
        // Acquire: see `done`.
        self.done.load(Ordering::Acquire)
    }

    /// Runs `f` if no call has completed yet: Go's `once.Do(f)`. Concurrent callers wait until
    /// the running call completes. If `f` panics, the `Once` counts as done (as in Go); if the
    /// running call is cancelled (its future dropped), the next caller runs its own `f`.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let once = gmp_sync::Once::new();
    /// let r = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
    ///     once.call_once(|| async { panic!("init failed") }),
    /// )).await;
    /// assert!(r.is_err());
    /// assert!(once.is_completed()); // Go semantics: not retried
    /// # });
    /// ```
    pub async fn call_once<F, Fut>(&self, f: F)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = ()>,
    {
        if self.is_completed() {
            return;
        }
        let _permit = crate::waiting::labeled(WaitReason::Once, self.init.acquire(1)).await;
        if self.is_completed() {
            return;
        }
        struct MarkOnPanic<'a>(&'a AtomicBool);
        impl Drop for MarkOnPanic<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    // Release: see `Once::done`.
                    self.0.store(true, Ordering::Release);
                }
            }
        }
        let mark = MarkOnPanic(&self.done);
        f().await;
        std::mem::forget(mark);
        // Release: see `Once::done`.
        self.done.store(true, Ordering::Release);
    }
}
