//! The tokio-compat route (feature `tokio-compat`): crates that need tokio's timer, reactor or
//! spawner (`tokio::time::sleep`, `tokio::net`, `tower::timeout`, `reqwest`) run inside gmp
//! tasks.
//!
//! A runtime built with [`Builder::tokio_compat(true)`](crate::Builder::tokio_compat) (or
//! `#[gmp::main(tokio_compat)]`, `#[gmp::test(tokio_compat)]`) enters a tokio runtime's
//! [`Handle`](crate::tokio_compat::Handle) on every thread that polls its tasks: each worker, each blocking-pool thread,
//! sysmon's helper thread, and the thread in `block_on` for the call. `tokio::runtime::Handle::current()` then works there,
//! so tokio's leaf futures register with tokio's timer and reactor, which one thread of tokio's
//! own drives.
//!
//! # Design
//!
//! One tokio runtime for the whole process, started on first use: a `current_thread` runtime
//! with `enable_all` (I/O and time drivers), whose thread, `gmp-tokio-rt`, sits in
//! `block_on(pending())` for the life of the process. That thread parks in tokio's driver
//! (epoll with the next tokio timer as timeout), so it fires tokio's timers, reports tokio
//! sockets' readiness, and runs the tasks `tokio::spawn` puts on that runtime (reqwest's
//! connection tasks, for instance). gmp's workers only *enter* its handle; they never drive it.
//!
//! Invariants: a thread enters the handle once, for as long as it polls a compat runtime's
//! tasks (a worker's or blocking thread's life, a `block_on` call), and drops its guard on the
//! same thread, in the reverse order of any other tokio handle it entered meanwhile (tokio
//! checks that). The tokio runtime is never shut down, so a tokio future made under its handle
//! never finds it gone.
//!
//! Rejected: one tokio runtime per gmp runtime. Entering its handle for a thread's whole life
//! needs a guard borrowing the handle for that long; a per-runtime handle would have to be
//! leaked (with its driver's file descriptors) for every runtime a test suite builds, and two
//! tokio driver threads would serve one process for nothing. Rejected too: entering the handle
//! around each task poll (a thread-local swap per poll on gmp's hottest path, for every task,
//! tokio or not).
//!
//! # Costs
//!
//! One extra thread per process (however many compat runtimes), plus tokio's driver wake-ups
//! for the tokio timers and sockets in use. Every tokio timer fire and socket event crosses a
//! thread (tokio's driver thread wakes the gmp task, on a gmp worker), and tasks spawned with
//! `tokio::spawn` run on that one tokio thread, not on gmp's workers.
//!
//! Deadlock detection is off on a compat runtime: tokio's thread holds wakers that gmp's
//! detector cannot see, so a task sleeping on a tokio timer would look deadlocked.
//!
//! # The trap: a tokio future made outside the context
//!
//! Some tokio futures bind to the current tokio handle when they are *created*, not when they
//! are first polled: `tokio::time::sleep(d)` (and `timeout`, `interval`) looks up the handle at
//! once, and panics with "there is no reactor running, must be called from the context of a
//! Tokio 1.x runtime" on a thread that entered none (a plain `std::thread`, or `main` before
//! the runtime is built). A future made under *another* tokio runtime's handle binds to that
//! runtime's drivers: if nothing drives them, it never completes (it hangs); if that runtime is
//! dropped, it fails. Do not move such futures into gmp tasks at all: in a trial, a
//! `tokio::time::sleep` made under a never-driven `current_thread` runtime, awaited in a gmp
//! task under a gmp timeout, tripped tokio 1.54's "Attempt to remove item not present in the
//! timing wheel" assertion when the timeout dropped it, and the process then crashed. `async fn`s such as `tokio::net::TcpStream::connect` are lazy and bind on
//! their first poll, inside a gmp task, which is fine.
//!
//! What to do: make tokio futures inside the gmp task that awaits them (wrap the call in
//! `async move { .. }`, which defers it to the first poll), or enter [`handle()`](crate::tokio_compat::handle) on the plain
//! thread first (`let _g = handle()?.enter();`).
//!
//! # Examples
//!
//! ```
//! let rt = gmp_executor::Builder::new().tokio_compat(true).build().unwrap();
//! rt.block_on(async {
//!     let slept = gmp_executor::spawn(async {
//!         tokio::time::sleep(std::time::Duration::from_millis(5)).await;
//!         "slept on tokio's timer, in a gmp task"
//!     });
//!     assert_eq!(slept.await.unwrap(), "slept on tokio's timer, in a gmp task");
//! });
//! ```

use std::io;
use std::sync::{Mutex, OnceLock};

pub use tokio::runtime::Handle;

/// The process's compat tokio runtime's handle.
static HANDLE: OnceLock<Handle> = OnceLock::new();

/// The name of the thread driving the compat tokio runtime.
pub const THREAD_NAME: &str = "gmp-tokio-rt";

/// The handle of the tokio runtime that compat runtimes enter, starting it (and its thread,
/// [`THREAD_NAME`]) on first use. Enter it on a thread gmp does not run to make tokio futures
/// there (see the trap in the [module docs](self)).
///
/// # Errors
///
/// The OS's error if the tokio runtime or its thread cannot be started.
///
/// # Examples
///
/// A tokio timer made on a plain thread, awaited in a gmp task:
///
/// ```
/// use std::time::Duration;
/// let handle = gmp_executor::runtime::tokio_compat::handle().unwrap();
/// let sleep = {
///     let _entered = handle.enter(); // without this, `sleep` panics: no tokio context
///     tokio::time::sleep(Duration::from_millis(1))
/// };
/// let rt = gmp_executor::Builder::new().tokio_compat(true).build().unwrap();
/// rt.block_on(rt.spawn(sleep)).unwrap();
/// ```
pub fn handle() -> io::Result<&'static Handle> {
    if let Some(h) = HANDLE.get() {
        return Ok(h);
    }
    // One starter at a time: two callers racing must not start two tokio threads.
    static STARTING: Mutex<()> = Mutex::new(());
    let _starting = STARTING.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(h) = HANDLE.get() {
        return Ok(h);
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name(THREAD_NAME.to_owned())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            let _ = tx.send(Ok(rt.handle().clone()));
            // Drive tokio's I/O and time drivers, and `tokio::spawn`ed tasks, forever.
            rt.block_on(std::future::pending::<()>());
        })?;
    let handle = rx
        .recv()
        .map_err(|_| io::Error::other("the tokio compat thread exited while starting"))??;
    tracing::debug!("gmp: started the tokio compat runtime on thread {THREAD_NAME}");
    Ok(HANDLE.get_or_init(|| handle))
}

/// The guard of a thread that entered the compat handle (or `None`: compat is off).
pub(crate) type Entered = Option<tokio::runtime::EnterGuard<'static>>;

/// Enters the compat handle on this thread when `enabled`, until the guard drops. The handle
/// was started by `Builder::build`, so this never fails.
pub(crate) fn enter(enabled: bool) -> Entered {
    if !enabled {
        return None;
    }
    let handle = HANDLE
        .get()
        .expect("a compat runtime's Builder::build started the tokio compat runtime");
    Some(handle.enter())
}
