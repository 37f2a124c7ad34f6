//! The sending half: [`Sender`], its [`SendFuture`], and its `Sink` implementation.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::PoisonError;
use std::task::{Context, Poll, ready};

use super::error::{SendError, TrySendError};
use super::selection::SelArm;
use super::state::{Chan, SendOp, SendPoll};
use crate::loom::{Arc, Ordering};
use gmp_executor::runtime::WaitReason;

/// The sending half of a channel: Go's `chan<- T`. Cloneable (multi-producer).
///
/// The channel closes when [`close`](Sender::close) is called on any handle, or when the last
/// `Sender` is dropped.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let (tx, rx) = gmp_sync::chan::bounded(2);
/// let tx2 = tx.clone();
/// tx.send(1).await.unwrap();
/// tx2.send(2).await.unwrap();
/// drop((tx, tx2)); // the last sender closes the channel
/// assert_eq!(rx.recv().await, Some(1));
/// assert_eq!(rx.recv().await, Some(2));
/// assert_eq!(rx.recv().await, None);
/// # });
/// ```
pub struct Sender<T> {
    pub(crate) chan: Arc<Chan<T>>,
    /// The value in flight through the `Sink` interface. Only ever reached through `&mut self`
    /// (`get_mut`, no locking); the `Mutex` is there so that `Sender<T>` is `Sync` whenever
    /// `T: Send`, like `std`'s, although it may hold a `T`.
    sink: std::sync::Mutex<SendOp<T>>,
}

impl<T> Sender<T> {
    pub(crate) fn new(chan: Arc<Chan<T>>) -> Sender<T> {
        Sender {
            chan,
            sink: std::sync::Mutex::new(SendOp::new(None)),
        }
    }

    /// Sends `value`: Go's `ch <- value`.
    ///
    /// Completes once the value is buffered or, on an unbuffered channel, handed to a receiver
    /// (a receiver that is parked gets it directly, and the send completes without parking).
    /// Fails with the value if the channel is closed, or closes while the send waits.
    ///
    /// Cancel safety: dropping the future never loses the value and never delivers it twice.
    /// A value a receiver took *before* the drop (the hand-off happens on the receiver's side,
    /// possibly just before a timeout fires) stays delivered; any other value is never
    /// delivered. To know which, keep the future: [`SendFuture::into_value`] returns the value
    /// if it was not delivered, and as a [`select!`](crate::select!) arm an unchosen send
    /// never delivers.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let (tx, rx) = gmp_sync::chan::bounded(1);
    /// tx.send("hi").await.unwrap();
    /// assert_eq!(rx.recv().await, Some("hi"));
    /// # });
    /// ```
    pub fn send(&self, value: T) -> SendFuture<'_, T> {
        SendFuture {
            chan: &self.chan,
            op: SendOp::new(Some(value)),
            sel: None,
        }
    }

    /// Sends without waiting: Go's `select { case ch <- v: default: }`.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] if the buffer is full (unbuffered: no receiver is waiting),
    /// [`TrySendError::Closed`] if the channel is closed; both give the value back.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = gmp_sync::chan::bounded(1);
    /// assert!(tx.try_send(1).is_ok());
    /// assert!(tx.try_send(2).unwrap_err().is_full());
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let mut op = SendOp::new(Some(value));
        match self.chan.poll_send(&mut op, None, None) {
            SendPoll::Sent => Ok(()),
            SendPoll::Closed => Err(TrySendError::Closed(
                op.value.take().expect("value given back"),
            )),
            SendPoll::Full | SendPoll::Pending => Err(TrySendError::Full(
                op.value.take().expect("value given back"),
            )),
        }
    }

    /// Sends from a plain thread, parking it while the send waits.
    ///
    /// Do not call this from an async task: it blocks the worker thread. Use
    /// [`send`](Sender::send), or move the call into `spawn_blocking`.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if the channel is or becomes closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = gmp_sync::chan::bounded(0);
    /// let t = std::thread::spawn(move || tx.send_blocking(5).unwrap());
    /// assert_eq!(rx.recv_blocking(), Some(5));
    /// t.join().unwrap();
    /// ```
    pub fn send_blocking(&self, value: T) -> Result<(), SendError<T>> {
        super::blocking::block_on(self.send(value))
    }

    /// Closes the channel: Go's `close(ch)`.
    ///
    /// Parked senders get their values back as [`SendError`]; receivers drain what is buffered
    /// and then get `None`. Returns `false` if the channel was already closed (where Go
    /// panics).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let (tx, rx) = gmp_sync::chan::bounded(4);
    /// tx.send(1).await.unwrap();
    /// assert!(tx.close());
    /// assert!(!tx.close());
    /// assert_eq!(rx.recv().await, Some(1));
    /// assert_eq!(rx.recv().await, None);
    /// # });
    /// ```
    pub fn close(&self) -> bool {
        self.chan.close()
    }

    handle_accessors!(Sender, "tx", "rx");

    fn poll_sink(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), SendError<T>>> {
        let op = self.sink.get_mut().unwrap_or_else(PoisonError::into_inner);
        if op.is_idle() {
            return Poll::Ready(Ok(()));
        }
        ready!(gmp_executor::coop::poll_proceed(cx));
        match self.chan.poll_send(op, None, Some(cx.waker())) {
            SendPoll::Sent => Poll::Ready(Ok(())),
            SendPoll::Closed => {
                Poll::Ready(Err(SendError(op.value.take().expect("value given back"))))
            }
            SendPoll::Full | SendPoll::Pending => {
                gmp_executor::runtime::waiting_on(cx, WaitReason::ChanSend);
                Poll::Pending
            }
        }
    }
}

// The value in flight is never pinned: it moves into the channel.
impl<T> Unpin for Sender<T> {}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        // Relaxed: a new handle is made from a live one, which keeps the count above zero.
        self.chan.senders.fetch_add(1, Ordering::Relaxed);
        Sender::new(self.chan.clone())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan
            .cancel_send(self.sink.get_mut().unwrap_or_else(PoisonError::into_inner));
        if Chan::<T>::release(&self.chan.senders) {
            self.chan.close();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("chan", &*self.chan).finish()
    }
}

/// The sender as a `Sink`: `start_send` queues one value, `poll_ready`/`poll_flush` drive it
/// to delivery, `poll_close` delivers it and then closes the channel (for every handle).
///
/// A value whose delivery fails because the channel closed comes back in the error.
///
/// # Examples
///
/// ```
/// use futures::SinkExt;
/// # futures::executor::block_on(async {
/// let (mut tx, rx) = gmp_sync::chan::bounded(4);
/// tx.send_all(&mut futures::stream::iter([Ok(1), Ok(2)])).await.unwrap();
/// SinkExt::close(&mut tx).await.unwrap(); // flushes, then closes the channel
/// assert_eq!(rx.recv().await, Some(1));
/// assert_eq!(rx.recv().await, Some(2));
/// assert_eq!(rx.recv().await, None);
/// # });
/// ```
impl<T> futures_sink::Sink<T> for Sender<T> {
    type Error = SendError<T>;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), SendError<T>>> {
        self.get_mut().poll_sink(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), SendError<T>> {
        let this = self.get_mut();
        let op = this.sink.get_mut().unwrap_or_else(PoisonError::into_inner);
        assert!(op.is_idle(), "Sink::start_send called without poll_ready");
        *op = SendOp::new(Some(item));
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), SendError<T>>> {
        self.get_mut().poll_sink(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), SendError<T>>> {
        let this = self.get_mut();
        let res = ready!(this.poll_sink(cx));
        this.chan.close();
        Poll::Ready(res)
    }
}

/// Future returned by [`Sender::send`]. `Unpin`; resolves to `Err(SendError(value))` if the
/// channel is or becomes closed.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let (tx, rx) = gmp_sync::chan::bounded(0);
/// let fut = tx.send(1); // nothing happens until polled
/// // Not delivered: the value comes back.
/// assert_eq!(fut.into_value(), Some(1));
/// # drop(rx);
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct SendFuture<'a, T> {
    chan: &'a Chan<T>,
    op: SendOp<T>,
    /// Set when the future is an arm of a `select!`.
    sel: Option<SelArm>,
}

impl<T> SendFuture<'_, T> {
    /// Abandons the send and returns its value, or `None` if it was already delivered (or the
    /// future already completed).
    ///
    /// This is how a value comes back from a `select!` whose send arm was not chosen: pass the
    /// arm as `&mut fut`, then call `into_value` after the select.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let (tx, rx) = gmp_sync::chan::bounded::<String>(0);
    /// let mut send = tx.send("keep me".to_string());
    /// gmp_sync::select! {
    ///     _ = &mut send => unreachable!("no receiver"),
    ///     default => {}
    /// }
    /// assert_eq!(send.into_value().as_deref(), Some("keep me"));
    /// # drop(rx);
    /// # });
    /// ```
    pub fn into_value(mut self) -> Option<T> {
        self.chan.cancel_send(&mut self.op);
        self.op.value.take()
    }

    /// Makes this send an arm of a select.
    pub(crate) fn attach(&mut self, sel: SelArm) {
        self.sel = Some(sel);
    }

    /// Leaves the select: unqueues a parked, undelivered send (keeping its value here).
    pub(crate) fn detach(&mut self) {
        if self.sel.take().is_some() {
            self.chan.cancel_send(&mut self.op);
        }
    }
}

// The value is never pinned: it moves into the channel or back to the caller.
impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.sel.is_none() {
            // A select spends the budget once for all its arms.
            ready!(gmp_executor::coop::poll_proceed(cx));
        }
        match this
            .chan
            .poll_send(&mut this.op, this.sel.as_ref(), Some(cx.waker()))
        {
            SendPoll::Sent => Poll::Ready(Ok(())),
            SendPoll::Closed => Poll::Ready(Err(SendError(
                this.op.value.take().expect("value given back"),
            ))),
            SendPoll::Full | SendPoll::Pending => {
                gmp_executor::runtime::waiting_on(cx, WaitReason::ChanSend);
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for SendFuture<'_, T> {
    fn drop(&mut self) {
        self.chan.cancel_send(&mut self.op);
        // The undelivered value (if any) drops here, outside the channel lock.
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture")
            .field("op", &self.op.is_idle())
            .finish_non_exhaustive()
    }
}
