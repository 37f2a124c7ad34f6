//! Go's channels: `make(chan T, n)`, `ch <- v`, `v, ok := <-ch`, `close(ch)`, `len`, `cap`,
//! `for range`, and (with [`select!`](crate::select!)) `select`.
//!
//! # The model
//!
//! [`bounded(cap)`](bounded) makes a channel and returns its two halves. With `cap == 0` it is
//! an *unbuffered* (rendezvous) channel: a send completes only when a receiver takes the value,
//! as in CSP. With `cap > 0` it is a FIFO buffer of `cap` values: a send waits only while the
//! buffer is full. Both halves are `Clone` (many producers, many consumers); each value goes to
//! exactly one receiver, and values sent by one task arrive in the order it sent them.
//!
//! Differences from Go, all on purpose:
//! - A send on a closed channel returns `Err(SendError(value))` with the value, where Go panics.
//!   So does closing twice: [`Sender::close`] returns `false`.
//! - Only a [`Sender`] can close (Go's rule that a receive-only channel cannot be closed), and
//!   the channel also closes when the last `Sender` is dropped, so `for range` over it ends.
//! - Dropping the last [`Receiver`] closes the channel too: a sender nobody can ever receive
//!   from gets its value back instead of leaking its task.
//! - There is no nil channel: disable a `select!` arm with an `if` guard instead.
//!
//! Every future is *cancel-safe*: dropping a [`SendFuture`] or [`RecvFuture`] at any point
//! (a timeout, a `select!` that chose another arm, an aborted task) never loses a value, never
//! delivers one twice, and never leaves the other side waiting forever. On an unbuffered
//! channel a receive dropped after a value was handed to it puts the value back at the front of
//! the channel; on a buffered one a receive is only woken (the value stays in the buffer), and
//! a woken receive that is dropped wakes the next one in its place. A send dropped
//! blind may have been delivered just before (a parked sender's value is taken by the
//! receiver); keep the future and call [`SendFuture::into_value`], or send from a
//! [`select!`](crate::select!) arm, to know for sure: an unchosen arm never delivers. See the
//! design note in `state.rs` for how.
//!
//! The channels need only a `Waker`, so they work under any executor; under gmp each operation
//! also spends the task's cooperative budget ([`gmp_executor::coop`]), and handing a value to a
//! parked receiver wakes it into the sender's worker's LIFO slot (Go's `runnext`).
//!
//! # Examples
//!
//! Go's done-channel signalling:
//!
//! ```
//! # futures::executor::block_on(async {
//! let (done_tx, done_rx) = gmp_sync::chan::bounded::<()>(0);
//! std::thread::spawn(move || {
//!     // ... work ...
//!     done_tx.close(); // close(done)
//! });
//! assert_eq!(done_rx.recv().await, None); // <-done
//! # });
//! ```
//!
//! # Module layout
//!
//! `state` (the flavor switch and the mutex-protected rendezvous algorithm), `buffered` (the
//! buffered algorithm: a lock-free ring plus a lobby of parked waiters), `ring` (the stamped
//! ring, the one `unsafe` module), `waiters` (slab FIFO lists of parked operations), `selection` (the token that makes one `select!` arm commit), `sender` and
//! `receiver` (handles and futures), `blocking` (plain-thread operations), `error`.

#![deny(unsafe_code)] // `ring` is the one exception

#[macro_use]
mod accessors;
mod blocking;
mod buffered;
mod error;
mod receiver;
mod ring;
pub(crate) mod selection;
mod sender;
mod state;

#[cfg(all(test, loom))]
mod loom_buffered;
#[cfg(all(test, loom))]
mod loom_models;

pub use error::{SendError, TryRecvError, TrySendError};
pub use receiver::{Receiver, RecvFuture};
pub use sender::{SendFuture, Sender};

use crate::loom::Arc;

/// Makes a channel of `cap` buffered values: Go's `make(chan T, cap)`; `cap == 0` makes an
/// unbuffered (rendezvous) channel.
///
/// Capacities up to 65,536 run on a lock-free ring whose slots are allocated here, as Go's
/// `make` allocates its buffer. A larger capacity (up to `usize::MAX`, a practically unbounded
/// queue) runs on a mutex-protected buffer that grows only as values arrive.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let (tx, rx) = gmp_sync::chan::bounded::<u32>(0);
/// let t = std::thread::spawn(move || tx.send_blocking(42));
/// assert_eq!(rx.recv().await, Some(42));
/// t.join().unwrap().unwrap();
/// # });
/// ```
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(state::Chan::new(cap));
    (Sender::new(chan.clone()), Receiver::new(chan))
}
