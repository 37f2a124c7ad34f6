//! The peers: one small trait, [`Rt`], over gmp, tokio and async-executor, so that every
//! workload is written once and runs unchanged on all three; plus [`Peer`], the names the
//! harness uses (which also cover OS threads and Go).
//!
//! Every runtime gets [`WORKERS`] worker threads. [`Rt::run`] spawns the workload's root future
//! *onto the workers* and blocks the calling thread until it finishes, so the workload's own
//! spawns happen from inside a task, as in Go (where `main` is a goroutine too).

use std::cell::OnceCell;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

/// Worker threads per runtime (Go's `GOMAXPROCS`), the same for every peer.
pub const WORKERS: usize = 2;

/// A contestant in the comparison.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Peer {
    /// gmp tasks on a `gmp::Runtime`.
    Gmp,
    /// Plain OS threads (`std::thread`), blocking in the kernel.
    Threads,
    /// tokio tasks on a multi-thread runtime.
    Tokio,
    /// async-executor tasks, `Executor::run` driven by [`WORKERS`] threads.
    AsyncExecutor,
    /// Go goroutines (`benches/go`, `GOMAXPROCS=2`).
    Go,
}

impl Peer {
    /// Every peer, in table order.
    pub const ALL: [Peer; 5] = [
        Peer::Gmp,
        Peer::Threads,
        Peer::Tokio,
        Peer::AsyncExecutor,
        Peer::Go,
    ];

    /// The peers that implement [`Rt`].
    pub const ASYNC: [Peer; 3] = [Peer::Gmp, Peer::Tokio, Peer::AsyncExecutor];

    /// The name used on the command line and in machine-readable lines.
    pub fn name(self) -> &'static str {
        match self {
            Peer::Gmp => "gmp",
            Peer::Threads => "threads",
            Peer::Tokio => "tokio",
            Peer::AsyncExecutor => "async-executor",
            Peer::Go => "go",
        }
    }

    /// Parses [`Peer::name`].
    pub fn parse(s: &str) -> Option<Peer> {
        Peer::ALL.into_iter().find(|p| p.name() == s)
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A multi-threaded async runtime, as far as the benches need one.
pub trait Rt: Sized + Send + Sync + 'static {
    /// Which peer this is.
    const PEER: Peer;

    /// Starts a runtime with `workers` worker threads.
    fn start(workers: usize) -> Self;

    /// Spawns `future` onto the workers and blocks the calling thread until it is done.
    ///
    /// # Panics
    ///
    /// Panics if the future panics.
    fn run<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Spawns a detached task from inside a task of this runtime (through the runtime's
    /// ambient context, as user code does).
    fn spawn<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// Spawns a detached task from a plain thread outside the runtime, through this runtime's
    /// handle (tokio's and gmp's `Runtime::spawn`, async-executor's `Executor::spawn`).
    fn spawn_outside<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// The runtime's own yield (Go's `runtime.Gosched()`).
    fn yield_now() -> impl Future<Output = ()> + Send;

    /// The runtime's own timer (Go's `time.Sleep`); async-io's for async-executor (smol).
    fn sleep(d: std::time::Duration) -> impl Future<Output = ()> + Send;
}

/// gmp: `gmp::Builder::new().maxprocs(n)`, `gmp::spawn`, `gmp::yield_now`.
#[derive(Debug)]
pub struct GmpRt {
    rt: gmp::Runtime,
}

impl Rt for GmpRt {
    const PEER: Peer = Peer::Gmp;

    fn start(workers: usize) -> Self {
        let rt = gmp::Builder::new()
            .maxprocs(workers)
            .thread_name("gmp-bench")
            .build()
            .expect("starting the gmp runtime");
        GmpRt { rt }
    }

    fn run<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let root = self.rt.spawn(future);
        self.rt.block_on(root).expect("gmp root task failed")
    }

    fn spawn<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        gmp::spawn(future).detach();
    }

    fn spawn_outside<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.rt.spawn(future).detach();
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        gmp::yield_now()
    }

    fn sleep(d: std::time::Duration) -> impl Future<Output = ()> + Send {
        gmp::time::sleep(d)
    }
}

/// tokio: a multi-thread runtime, `tokio::spawn`, `tokio::task::yield_now`.
#[derive(Debug)]
pub struct TokioRt {
    rt: tokio::runtime::Runtime,
}

impl Rt for TokioRt {
    const PEER: Peer = Peer::Tokio;

    fn start(workers: usize) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("tokio-bench")
            .enable_all()
            .build()
            .expect("starting the tokio runtime");
        TokioRt { rt }
    }

    fn run<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let root = self.rt.spawn(future);
        self.rt.block_on(root).expect("tokio root task failed")
    }

    fn spawn<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(tokio::spawn(future));
    }

    fn spawn_outside<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(self.rt.spawn(future));
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }

    fn sleep(d: std::time::Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(d)
    }
}

thread_local! {
    /// The executor the current async-executor worker thread runs: the ambient context that
    /// `AsyncExecutorRt::spawn` uses, like tokio's and gmp's thread-local runtime handle.
    static CURRENT_EX: OnceCell<Arc<async_executor::Executor<'static>>> = const { OnceCell::new() };
}

/// async-executor: one `Executor` shared by [`WORKERS`] threads each driving `Executor::run`
/// until a shutdown channel closes; `futures_lite::future::yield_now`.
#[derive(Debug)]
pub struct AsyncExecutorRt {
    ex: Arc<async_executor::Executor<'static>>,
    stop: Option<async_channel::Sender<()>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Rt for AsyncExecutorRt {
    const PEER: Peer = Peer::AsyncExecutor;

    fn start(workers: usize) -> Self {
        let ex = Arc::new(async_executor::Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let threads = (0..workers)
            .map(|i| {
                let ex = ex.clone();
                let stopped = stopped.clone();
                std::thread::Builder::new()
                    .name(format!("async-executor-bench-{i}"))
                    .spawn(move || {
                        CURRENT_EX.with(|c| c.set(ex.clone()).ok());
                        // `recv` fails once the sender is dropped: that is the shutdown signal.
                        futures_lite::future::block_on(ex.run(async {
                            let _ = stopped.recv().await;
                        }));
                    })
                    .expect("starting an async-executor worker thread")
            })
            .collect();
        AsyncExecutorRt {
            ex,
            stop: Some(stop),
            threads,
        }
    }

    fn run<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        futures_lite::future::block_on(self.ex.spawn(future))
    }

    fn spawn<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        CURRENT_EX.with(|c| {
            c.get()
                .expect("AsyncExecutorRt::spawn called outside an async-executor worker")
                .spawn(future)
                .detach()
        });
    }

    fn spawn_outside<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.ex.spawn(future).detach();
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        futures_lite::future::yield_now()
    }

    async fn sleep(d: std::time::Duration) {
        async_io::Timer::after(d).await;
    }
}

impl Drop for AsyncExecutorRt {
    fn drop(&mut self) {
        drop(self.stop.take());
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// An operation generic over the runtime, for [`with_rt`] (Rust has no generic closures).
pub trait OnRt {
    /// What the operation returns.
    type Out;
    /// Runs the operation on `rt`.
    fn call<R: Rt>(self, rt: &R) -> Self::Out;
}

/// Starts the runtime of `peer` with [`WORKERS`] workers, runs `op` on it and shuts it down.
/// `None` for peers that are not async runtimes (threads, Go).
pub fn with_rt<O: OnRt>(peer: Peer, op: O) -> Option<O::Out> {
    match peer {
        Peer::Gmp => Some(op.call(&GmpRt::start(WORKERS))),
        Peer::Tokio => Some(op.call(&TokioRt::start(WORKERS))),
        Peer::AsyncExecutor => Some(op.call(&AsyncExecutorRt::start(WORKERS))),
        Peer::Threads | Peer::Go => None,
    }
}
