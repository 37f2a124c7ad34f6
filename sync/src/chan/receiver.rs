//! The receiving half: [`Receiver`], its [`RecvFuture`], and its `Stream` implementation.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::error::TryRecvError;
use super::selection::SelArm;
use super::state::{Chan, RecvOp, RecvPoll};
use crate::loom::{Arc, Ordering};
use gmp_executor::runtime::WaitReason;

/// The receiving half of a channel: Go's `<-chan T`. Cloneable (multi-consumer: each value goes
/// to exactly one receiver).
///
/// It is also a `Stream` of values that ends when the channel is closed and drained, which is
/// Go's `for v := range ch`. Dropping the last `Receiver` closes the channel and drops the
/// buffered values, so senders stop waiting (where Go would leak the sending goroutine).
///
/// # Examples
///
/// ```
/// use futures::StreamExt;
/// # futures::executor::block_on(async {
/// let (tx, mut rx) = gmp_sync::chan::bounded(3);
/// for i in 0..3 {
///     tx.send(i).await.unwrap();
/// }
/// drop(tx);
/// let mut got = Vec::new();
/// while let Some(v) = rx.next().await {
///     got.push(v);
/// }
/// assert_eq!(got, [0, 1, 2]);
/// # });
/// ```
pub struct Receiver<T> {
    pub(crate) chan: Arc<Chan<T>>,
    /// The receive in flight through the `Stream` interface.
    stream: RecvOp,
}

impl<T> Receiver<T> {
    pub(crate) fn new(chan: Arc<Chan<T>>) -> Receiver<T> {
        Receiver {
            chan,
            stream: RecvOp::new(),
        }
    }

    /// Receives a value: Go's `v, ok := <-ch`, with `None` for `ok == false` (closed and
    /// drained).
    ///
    /// Cancel safety: dropping the future never loses a value. A value handed to it that it
    /// did not return goes back to the front of the channel (or to another waiting receiver).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let (tx, rx) = gmp_sync::chan::bounded(1);
    /// tx.send(7).await.unwrap();
    /// tx.close();
    /// assert_eq!(rx.recv().await, Some(7));
    /// assert_eq!(rx.recv().await, None);
    /// # });
    /// ```
    pub fn recv(&self) -> RecvFuture<'_, T> {
        RecvFuture {
            chan: &self.chan,
            op: RecvOp::new(),
            sel: None,
        }
    }

    /// Receives without waiting: Go's `select { case v := <-ch: default: }`.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if nothing is ready, [`TryRecvError::Closed`] if the channel
    /// is closed and drained.
    ///
    /// # Examples
    ///
    /// ```
    /// use gmp_sync::chan::TryRecvError;
    /// let (tx, rx) = gmp_sync::chan::bounded(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.try_send(3).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(3));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let mut op = RecvOp::new();
        match self.chan.poll_recv(&mut op, None, None) {
            RecvPoll::Value(v) => Ok(v),
            RecvPoll::Closed => Err(TryRecvError::Closed),
            RecvPoll::Empty | RecvPoll::Pending => Err(TryRecvError::Empty),
        }
    }

    /// Receives on a plain thread, parking it while the receive waits.
    ///
    /// Do not call this from an async task: it blocks the worker thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = gmp_sync::chan::bounded(0);
    /// let t = std::thread::spawn(move || rx.recv_blocking());
    /// tx.send_blocking("ping").unwrap();
    /// assert_eq!(t.join().unwrap(), Some("ping"));
    /// ```
    pub fn recv_blocking(&self) -> Option<T> {
        super::blocking::block_on(self.recv())
    }

    handle_accessors!(Receiver, "rx", "tx");
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        // Relaxed: a new handle is made from a live one, which keeps the count above zero.
        self.chan.receivers.fetch_add(1, Ordering::Relaxed);
        Receiver::new(self.chan.clone())
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.cancel_recv(&mut self.stream);
        if Chan::<T>::release(&self.chan.receivers) {
            self.chan.close_and_drain();
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("chan", &*self.chan)
            .finish()
    }
}

/// The receiver as a `Stream`: Go's `for v := range ch`. Ends when the channel is closed and
/// drained. A value handed to an in-flight `poll_next` is given back if the receiver is
/// dropped before it returns it.
///
/// # Examples
///
/// ```
/// use futures::StreamExt;
/// # futures::executor::block_on(async {
/// let (tx, rx) = gmp_sync::chan::bounded(4);
/// tx.send(1).await.unwrap();
/// tx.send(2).await.unwrap();
/// drop(tx);
/// assert_eq!(rx.collect::<Vec<_>>().await, [1, 2]);
/// # });
/// ```
impl<T> futures_core::Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        ready!(gmp_executor::coop::poll_proceed(cx));
        match this
            .chan
            .poll_recv(&mut this.stream, None, Some(cx.waker()))
        {
            RecvPoll::Value(v) => Poll::Ready(Some(v)),
            RecvPoll::Closed => Poll::Ready(None),
            RecvPoll::Empty | RecvPoll::Pending => {
                gmp_executor::runtime::waiting_on(cx, WaitReason::ChanReceive);
                Poll::Pending
            }
        }
    }
}

impl<T> futures_core::FusedStream for Receiver<T> {
    fn is_terminated(&self) -> bool {
        // Closed with nothing buffered is final: nothing can be sent or given back any more
        // once no receive is in flight.
        self.stream_terminated()
    }
}

impl<T> Receiver<T> {
    fn stream_terminated(&self) -> bool {
        self.chan.is_closed() && self.chan.len() == 0
    }
}

/// Future returned by [`Receiver::recv`]. `Unpin`; resolves to `None` once the channel is
/// closed and drained.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let (tx, rx) = gmp_sync::chan::bounded(1);
/// let fut = rx.recv();
/// tx.try_send(9).unwrap();
/// assert_eq!(fut.await, Some(9));
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct RecvFuture<'a, T> {
    chan: &'a Chan<T>,
    op: RecvOp,
    /// Set when the future is an arm of a `select!`.
    sel: Option<SelArm>,
}

impl<T> RecvFuture<'_, T> {
    /// Makes this receive an arm of a select.
    pub(crate) fn attach(&mut self, sel: SelArm) {
        self.sel = Some(sel);
    }

    /// Leaves the select: unqueues a parked receive (an unchosen arm never holds a value).
    pub(crate) fn detach(&mut self) {
        if self.sel.take().is_some() {
            self.chan.cancel_recv(&mut self.op);
        }
    }
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        if this.sel.is_none() {
            // A select spends the budget once for all its arms.
            ready!(gmp_executor::coop::poll_proceed(cx));
        }
        match this
            .chan
            .poll_recv(&mut this.op, this.sel.as_ref(), Some(cx.waker()))
        {
            RecvPoll::Value(v) => Poll::Ready(Some(v)),
            RecvPoll::Closed => Poll::Ready(None),
            RecvPoll::Empty | RecvPoll::Pending => {
                gmp_executor::runtime::waiting_on(cx, WaitReason::ChanReceive);
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for RecvFuture<'_, T> {
    fn drop(&mut self) {
        self.chan.cancel_recv(&mut self.op);
    }
}

impl<T> fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture").finish_non_exhaustive()
    }
}
