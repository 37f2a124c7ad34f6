//! `select!`: Go's `select` statement over channel operations and any other futures.
//!
//! # Design
//!
//! The macro builds one future that polls its arms, each poll in a fresh uniformly random order
//! (a Fisher-Yates shuffle from a per-thread xorshift generator, Go's `pollorder`), and
//! completes with the first arm that is ready. What makes it Go's select rather than a race of
//! futures is the *selection token* shared by its channel arms (see `chan/selection.rs`): a
//! channel arm completes only by committing the token to itself, under that channel's lock,
//! whether its own poll finds it ready or a counterpart on another thread pairs with its
//! parked waiter. So exactly one arm commits: an unchosen send delivers nothing and keeps its
//! value, an unchosen receive takes nothing, and a select never pairs its own send arm with its
//! own receive arm on one channel.
//!
//! - With a `default` arm the select is non-blocking (Go's `select { ... default: }`): its
//!   channel arms only try, never park, so nothing can commit behind its back, and `default`
//!   runs when no arm is ready.
//! - An arm whose `if` guard is false is never evaluated nor polled (Go's nil-channel idiom).
//!   With every arm disabled and no `default`, the select waits forever, like Go's `select {}`.
//! - Any other future can be an arm (a timer, a `JoinHandle`). Such an arm commits the token
//!   when it completes; if a channel arm committed first, its output is dropped (for a timer
//!   that is nothing; wrap other futures so that dropping their output is harmless).
//! - The select spends one unit of coop budget per poll, for all its arms together, and yields
//!   as a whole when the task has none left. Its channel arms spend no budget, and every other
//!   arm is polled in a charged scope (`gmp_executor::coop::charged`) where no leaf future (a
//!   timer, a `JoinHandle`, a lock) reports `Pending` for want of budget, so the choice among
//!   ready arms is uniform whatever their kind: were the arms charged one by one, the poll
//!   that spends the task's last unit would see its leaf arms yield and its channel arms and
//!   plain futures win.
//! - An arm expression may be `&mut fut` for a send or receive future created outside: after
//!   the select it is detached again, so [`SendFuture::into_value`] gives back the value of an
//!   unchosen send.
//!
//! Arms are matched against their output with `pattern = future`; the pattern must be
//! irrefutable (`Some(v) = rx.recv()` does not compile: match on the `Option` in the body, as
//! Go's `v, ok := <-ch` does).
//!
//! Rejected: tokio's approach of disabling an arm whose pattern does not match and polling on
//! (a committed channel arm cannot be un-committed), and "poll in random order and drop the
//! losers" without a token (a loser may already have taken a value; giving it back would
//! reorder the channel and make an unbuffered send complete without a receiver).
//!
//! [`SendFuture::into_value`]: crate::chan::SendFuture::into_value

#![forbid(unsafe_code)]

/// Waits on several channel operations (and other futures) at once: Go's `select`.
///
/// ```text
/// select! {
///     pattern = future => body,
///     pattern = future, if guard => body,
///     default => body,
/// }
/// ```
///
/// When several arms are ready, one is chosen uniformly at random; exactly one arm commits
/// (an unchosen send keeps its value, an unchosen receive takes nothing). With no arm ready
/// and no `default`, it waits. A body may use `break`, `continue`, `return` and `?` of the
/// enclosing function: unlike Go's, a `break` leaves the enclosing loop, not the select (leave
/// a body early with a labeled block, `'sel: { select! { .. => break 'sel v } }`). The futures are dropped before the chosen body runs, so bodies may use
/// the channels again. See the [module documentation](mod@crate::select) for the rules.
///
/// # Examples
///
/// A receive with a timeout, and a send that keeps its value when not chosen:
///
/// ```
/// use std::time::Duration;
/// use gmp_sync::{chan, select};
///
/// # futures::executor::block_on(async {
/// let (tx, rx) = chan::bounded::<u32>(0);
/// let (quit_tx, quit_rx) = chan::bounded::<()>(0);
///
/// // Nobody sends: the timer wins.
/// let got = select! {
///     v = rx.recv() => v,
///     _ = gmp_executor::time::sleep(Duration::from_millis(10)) => None,
/// };
/// assert_eq!(got, None);
///
/// // Go's `select { case ch <- v: ... case <-quit: ... }`, keeping `v` if it was not sent.
/// quit_tx.close();
/// let mut send = tx.send(7);
/// select! {
///     r = &mut send => r.unwrap(),
///     _ = quit_rx.recv() => {}
/// }
/// assert_eq!(send.into_value(), Some(7));
///
/// // Go's nil channel: a false guard disables an arm; `default` makes it non-blocking.
/// let enabled = false;
/// let which = select! {
///     _ = tx.send(1), if enabled => "sent",
///     default => "nothing ready",
/// };
/// assert_eq!(which, "nothing ready");
/// # });
/// ```
#[macro_export]
macro_rules! select {
    ($($tokens:tt)*) => {
        $crate::__select_parse! {
            @arms []
            @default []
            @supply [
                (0 _0 __T0 __arm0) (1 _1 __T1 __arm1) (2 _2 __T2 __arm2) (3 _3 __T3 __arm3)
                (4 _4 __T4 __arm4) (5 _5 __T5 __arm5) (6 _6 __T6 __arm6) (7 _7 __T7 __arm7)
                (8 _8 __T8 __arm8) (9 _9 __T9 __arm9) (10 _10 __T10 __arm10) (11 _11 __T11 __arm11)
                (12 _12 __T12 __arm12) (13 _13 __T13 __arm13) (14 _14 __T14 __arm14) (15 _15 __T15 __arm15)
                (16 _16 __T16 __arm16) (17 _17 __T17 __arm17) (18 _18 __T18 __arm18) (19 _19 __T19 __arm19)
                (20 _20 __T20 __arm20) (21 _21 __T21 __arm21) (22 _22 __T22 __arm22) (23 _23 __T23 __arm23)
                (24 _24 __T24 __arm24) (25 _25 __T25 __arm25) (26 _26 __T26 __arm26) (27 _27 __T27 __arm27)
                (28 _28 __T28 __arm28) (29 _29 __T29 __arm29) (30 _30 __T30 __arm30) (31 _31 __T31 __arm31)
            ]
            @rest [$($tokens)*]
        }
    };
}

/// Parses `select!` arms one at a time (a tt-muncher). Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_parse {
    // All arms parsed.
    (@arms $arms:tt @default $def:tt @supply $supply:tt @rest []) => {
        $crate::__select_emit! { @arms $arms @default $def }
    };
    // `default => body`
    (@arms $arms:tt @default [] @supply $supply:tt @rest [default => $body:block, $($rest:tt)*]) => {
        $crate::__select_parse! { @arms $arms @default [$body] @supply $supply @rest [$($rest)*] }
    };
    (@arms $arms:tt @default [] @supply $supply:tt @rest [default => $body:block $($rest:tt)*]) => {
        $crate::__select_parse! { @arms $arms @default [$body] @supply $supply @rest [$($rest)*] }
    };
    (@arms $arms:tt @default [] @supply $supply:tt @rest [default => $body:expr, $($rest:tt)*]) => {
        $crate::__select_parse! { @arms $arms @default [$body] @supply $supply @rest [$($rest)*] }
    };
    (@arms $arms:tt @default [] @supply $supply:tt @rest [default => $body:expr]) => {
        $crate::__select_parse! { @arms $arms @default [$body] @supply $supply @rest [] }
    };
    (@arms $arms:tt @default [$($d:tt)+] @supply $supply:tt @rest [default $($rest:tt)*]) => {
        ::core::compile_error!("select! has more than one `default` arm")
    };
    // `pattern = future, if guard => body`
    (@arms [$($arms:tt)*] @default $def:tt @supply [$next:tt $($supply:tt)*]
     @rest [$p:pat = $f:expr, if $c:expr => $body:block, $($rest:tt)*]) => {
        $crate::__select_parse! { @arms [$($arms)* ($next [$p] [$f] [$c] [$body])] @default $def @supply [$($supply)*] @rest [$($rest)*] }
    };
    (@arms [$($arms:tt)*] @default $def:tt @supply [$next:tt $($supply:tt)*]
     @rest [$p:pat = $f:expr, if $c:expr => $body:block $($rest:tt)*]) => {
        $crate::__select_parse! { @arms [$($arms)* ($next [$p] [$f] [$c] [$body])] @default $def @supply [$($supply)*] @rest [$($rest)*] }
    };
    (@arms [$($arms:tt)*] @default $def:tt @supply [$next:tt $($supply:tt)*]
     @rest [$p:pat = $f:expr, if $c:expr => $body:expr, $($rest:tt)*]) => {
        $crate::__select_parse! { @arms [$($arms)* ($next [$p] [$f] [$c] [$body])] @default $def @supply [$($supply)*] @rest [$($rest)*] }
    };
    (@arms [$($arms:tt)*] @default $def:tt @supply [$next:tt $($supply:tt)*]
     @rest [$p:pat = $f:expr, if $c:expr => $body:expr]) => {
        $crate::__select_parse! { @arms [$($arms)* ($next [$p] [$f] [$c] [$body])] @default $def @supply [$($supply)*] @rest [] }
    };
    // `pattern = future => body`
    (@arms [$($arms:tt)*] @default $def:tt @supply [$next:tt $($supply:tt)*]
     @rest [$p:pat = $f:expr => $body:block, $($rest:tt)*]) => {
        $crate::__select_parse! { @arms [$($arms)* ($next [$p] [$f] [] [$body])] @default $def @supply [$($supply)*] @rest [$($rest)*] }
    };
    (@arms [$($arms:tt)*] @default $def:tt @supply [$next:tt $($supply:tt)*]
     @rest [$p:pat = $f:expr => $body:block $($rest:tt)*]) => {
        $crate::__select_parse! { @arms [$($arms)* ($next [$p] [$f] [] [$body])] @default $def @supply [$($supply)*] @rest [$($rest)*] }
    };
    (@arms [$($arms:tt)*] @default $def:tt @supply [$next:tt $($supply:tt)*]
     @rest [$p:pat = $f:expr => $body:expr, $($rest:tt)*]) => {
        $crate::__select_parse! { @arms [$($arms)* ($next [$p] [$f] [] [$body])] @default $def @supply [$($supply)*] @rest [$($rest)*] }
    };
    (@arms [$($arms:tt)*] @default $def:tt @supply [$next:tt $($supply:tt)*]
     @rest [$p:pat = $f:expr => $body:expr]) => {
        $crate::__select_parse! { @arms [$($arms)* ($next [$p] [$f] [] [$body])] @default $def @supply [$($supply)*] @rest [] }
    };
    (@arms $arms:tt @default $def:tt @supply [] @rest [$($rest:tt)+]) => {
        ::core::compile_error!("select! supports at most 32 arms besides `default`")
    };
    (@arms $arms:tt @default $def:tt @supply $supply:tt @rest [$($rest:tt)+]) => {
        ::core::compile_error!(
            "select! expects arms of the form `pattern = future => body`, \
             `pattern = future, if guard => body`, or `default => body`"
        )
    };
}

/// Expands parsed `select!` arms into the polling future and the body dispatch. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_emit {
    (@arms [$( (($i:tt $v:ident $t:ident $a:ident) [$($p:tt)*] [$($f:tt)*] [$($c:tt)*] [$($body:tt)*]) )*]
     @default [$($def:tt)*]) => {{
        #[allow(non_camel_case_types, dead_code, clippy::enum_variant_names)]
        enum __SelectOut<$($t,)*> {
            $($v($t),)*
            __Default,
        }
        #[allow(unused_imports)]
        use $crate::select::__private::{ViaChan as _, ViaFuture as _};
        let __sel = $crate::select::__private::Selector::new($crate::__select_has_default!($($def)*));
        let __out = {
            $(
                let mut $a = $crate::select::__private::pin!(
                    if true $(&& $c)* {
                        $crate::select::__private::Some(
                            (&mut &mut $crate::select::__private::Wrap(
                                $crate::select::__private::Some($($f)*)
                            )).__gmp_select_arm(&__sel, $i)
                        )
                    } else {
                        $crate::select::__private::None
                    }
                );
            )*
            $crate::select::__private::poll_fn(|__cx| {
                use $crate::select::__private::{Future as _, Poll};
                $crate::select::__private::ready!(__sel.poll_budget(__cx));
                if let $crate::select::__private::Some(__k) = __sel.selected() {
                    // An arm committed (a counterpart paired with it): only it may complete.
                    $(
                        if __k == $i {
                            if let $crate::select::__private::Some(__f) = $a.as_mut().as_pin_mut() {
                                return __f.poll(__cx).map(__SelectOut::$v);
                            }
                        }
                    )*
                    return Poll::Pending;
                }
                let mut __order = [$($i as u8,)*];
                let __order_ref: &mut [u8] = &mut __order;
                __sel.shuffle(__order_ref);
                for &__k in __order_ref.iter() {
                    $(
                        if __k == $i {
                            if let $crate::select::__private::Some(__f) = $a.as_mut().as_pin_mut() {
                                if let Poll::Ready(__v) = __f.poll(__cx) {
                                    return Poll::Ready(__SelectOut::$v(__v));
                                }
                            }
                        }
                    )*
                }
                if let $crate::select::__private::Some(__k) = __sel.selected() {
                    // A counterpart committed an arm while we polled the others.
                    $(
                        if __k == $i {
                            if let $crate::select::__private::Some(__f) = $a.as_mut().as_pin_mut() {
                                return __f.poll(__cx).map(__SelectOut::$v);
                            }
                        }
                    )*
                    return Poll::Pending;
                }
                __sel.note_waiting(__cx, __order_ref.len());
                $crate::__select_default_poll!(__SelectOut; $($def)*)
            }).await
        };
        match __out {
            $( __SelectOut::$v($($p)*) => { $($body)* } )*
            __SelectOut::__Default => { $crate::__select_default_body!($($def)*) }
        }
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_has_default {
    () => {
        false
    };
    ($($def:tt)+) => {
        true
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_default_poll {
    ($out:ident;) => {
        $crate::select::__private::Poll::Pending
    };
    ($out:ident; $($def:tt)+) => {
        // Non-blocking select: no arm parked, so nothing can commit behind us.
        $crate::select::__private::Poll::Ready($out::__Default)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_default_body {
    () => {
        ::core::unreachable!()
    };
    ($($def:tt)+) => {
        $($def)+
    };
}

/// Support for the `select!` expansion. Not public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use core::future::{Future, poll_fn};
    pub use core::option::Option::{self, None, Some};
    pub use core::pin::pin;
    pub use core::task::{Poll, ready};

    use std::cell::Cell;
    use std::fmt;
    use std::ops::{Deref, DerefMut};
    use std::pin::Pin;
    use std::task::Context;

    use crate::chan::selection::{SelArm, Selection};
    use crate::chan::{RecvFuture, SendFuture};
    use crate::loom::Arc;

    /// One `select!` invocation's token.
    pub struct Selector {
        sel: Arc<Selection>,
    }

    impl Drop for Selector {
        fn drop(&mut self) {
            // The arms are gone (they are dropped first), and with them every waiter that held
            // the token: keep it for the next select on this thread.
            #[cfg(not(loom))]
            if Arc::get_mut(&mut self.sel).is_some() {
                let sel = self.sel.clone();
                let _ = SPARE.try_with(|s| s.set(Some(sel)));
            }
        }
    }

    impl fmt::Debug for Selector {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Selector")
                .field("selected", &self.sel.selected())
                .finish()
        }
    }

    #[cfg(not(loom))]
    thread_local! {
        /// A token from an earlier select on this thread, reused so that a select in a loop
        /// allocates nothing (Go's select allocates nothing either).
        static SPARE: Cell<Option<Arc<Selection>>> = const { Cell::new(None) };
    }

    impl Selector {
        pub fn new(nonblocking: bool) -> Selector {
            #[cfg(not(loom))]
            if let Some(mut sel) = SPARE.with(Cell::take) {
                // Unique: no waiter of an earlier select can still see it.
                if let Some(s) = Arc::get_mut(&mut sel) {
                    *s = Selection::new(nonblocking);
                    return Selector { sel };
                }
            }
            Selector {
                sel: Arc::new(Selection::new(nonblocking)),
            }
        }

        fn arm(&self, arm: usize) -> SelArm {
            SelArm {
                sel: self.sel.clone(),
                arm,
            }
        }

        /// The arm that committed, if any.
        pub fn selected(&self) -> Option<usize> {
            self.sel.selected()
        }

        /// One unit of coop budget for the whole select; with none left the select yields
        /// as a whole, before polling any arm.
        pub fn poll_budget(&self, cx: &mut Context<'_>) -> Poll<()> {
            gmp_executor::coop::poll_proceed(cx)
        }

        /// Records that the task waits in this select of `arms` arms (after its arms recorded
        /// theirs), unless it has a `default` arm and so never waits.
        #[inline]
        pub fn note_waiting(&self, cx: &Context<'_>, arms: usize) {
            if !self.sel.is_nonblocking() {
                gmp_executor::runtime::waiting_on_select(cx, arms);
            }
        }

        /// Shuffles the poll order uniformly (Fisher-Yates). Under loom the order is fixed:
        /// a model must replay identically.
        pub fn shuffle(&self, order: &mut [u8]) {
            if cfg!(loom) {
                return;
            }
            for i in (1..order.len()).rev() {
                let j = (next_random() % (i as u64 + 1)) as usize;
                order.swap(i, j);
            }
        }
    }

    thread_local! {
        static RNG: Cell<u64> = const { Cell::new(0) };
    }

    /// xorshift64*, seeded per thread from the thread-local's address and the clock.
    fn next_random() -> u64 {
        RNG.with(|c| {
            let mut x = c.get();
            if x == 0 {
                let addr = c as *const Cell<u64> as u64;
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64);
                x = (addr ^ nanos.rotate_left(32)) | 1;
            }
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            c.set(x);
            x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 16
        })
    }

    /// Holder for the autoref dispatch between channel arms and other futures.
    #[derive(Debug)]
    pub struct Wrap<F>(pub Option<F>);

    /// A channel future that can leave a selection.
    trait Attach {
        fn detach(&mut self);
    }

    impl<T> Attach for RecvFuture<'_, T> {
        fn detach(&mut self) {
            RecvFuture::detach(self);
        }
    }

    impl<T> Attach for SendFuture<'_, T> {
        fn detach(&mut self) {
            SendFuture::detach(self);
        }
    }

    /// Chosen for channel futures (owned or `&mut`): they take part in the selection token.
    pub trait ViaChan {
        /// The arm's future.
        type Arm;
        /// Turns the arm expression into the arm's future.
        fn __gmp_select_arm(&mut self, sel: &Selector, arm: usize) -> Self::Arm;
    }

    /// Chosen for any other future: it commits the token when it completes.
    pub trait ViaFuture {
        /// The arm's future.
        type Arm;
        /// Turns the arm expression into the arm's future.
        fn __gmp_select_arm(&mut self, sel: &Selector, arm: usize) -> Self::Arm;
    }

    impl<'a, T> ViaChan for &mut Wrap<RecvFuture<'a, T>> {
        type Arm = RecvFuture<'a, T>;
        fn __gmp_select_arm(&mut self, sel: &Selector, arm: usize) -> Self::Arm {
            let mut f = self.0.take().expect("arm taken once");
            f.attach(sel.arm(arm));
            f
        }
    }

    impl<'a, T> ViaChan for &mut Wrap<SendFuture<'a, T>> {
        type Arm = SendFuture<'a, T>;
        fn __gmp_select_arm(&mut self, sel: &Selector, arm: usize) -> Self::Arm {
            let mut f = self.0.take().expect("arm taken once");
            f.attach(sel.arm(arm));
            f
        }
    }

    impl<'b, 'a, T> ViaChan for &mut Wrap<&'b mut RecvFuture<'a, T>> {
        type Arm = Borrowed<'b, RecvFuture<'a, T>>;
        fn __gmp_select_arm(&mut self, sel: &Selector, arm: usize) -> Self::Arm {
            let f = self.0.take().expect("arm taken once");
            f.attach(sel.arm(arm));
            Borrowed(f)
        }
    }

    impl<'b, 'a, T> ViaChan for &mut Wrap<&'b mut SendFuture<'a, T>> {
        type Arm = Borrowed<'b, SendFuture<'a, T>>;
        fn __gmp_select_arm(&mut self, sel: &Selector, arm: usize) -> Self::Arm {
            let f = self.0.take().expect("arm taken once");
            f.attach(sel.arm(arm));
            Borrowed(f)
        }
    }

    impl<F: Future> ViaFuture for Wrap<F> {
        type Arm = FutureArm<F>;
        fn __gmp_select_arm(&mut self, sel: &Selector, arm: usize) -> Self::Arm {
            FutureArm {
                fut: self.0.take().expect("arm taken once"),
                sel: sel.arm(arm),
            }
        }
    }

    /// A borrowed channel future in a select; leaves the selection when the select ends.
    #[allow(private_bounds)]
    #[must_use = "futures do nothing unless polled"]
    pub struct Borrowed<'b, F: Attach>(&'b mut F);

    impl<F: Attach> fmt::Debug for Borrowed<'_, F> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Borrowed(..)")
        }
    }

    impl<F: Attach> Deref for Borrowed<'_, F> {
        type Target = F;
        fn deref(&self) -> &F {
            self.0
        }
    }

    impl<F: Attach> DerefMut for Borrowed<'_, F> {
        fn deref_mut(&mut self) -> &mut F {
            self.0
        }
    }

    impl<F: Attach + Future + Unpin> Future for Borrowed<'_, F> {
        type Output = F::Output;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            Pin::new(&mut *self.0).poll(cx)
        }
    }

    impl<F: Attach> Drop for Borrowed<'_, F> {
        fn drop(&mut self) {
            self.0.detach();
        }
    }

    /// Any other future in a select: commits the token when it completes. It is polled in a
    /// charged scope: the select spent the budget for this poll, so no leaf inside it may
    /// report `Pending` for want of budget (a channel arm spends none in a select).
    #[pin_project::pin_project]
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct FutureArm<F> {
        #[pin]
        fut: F,
        sel: SelArm,
    }

    impl<F: Future> Future for FutureArm<F> {
        type Output = F::Output;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            let this = self.project();
            let fut = this.fut;
            match gmp_executor::coop::charged(|| fut.poll(cx)) {
                // A channel arm committed first: this output is dropped (see the module docs).
                Poll::Ready(v) if this.sel.sel.try_select(this.sel.arm) => Poll::Ready(v),
                _ => Poll::Pending,
            }
        }
    }
}
