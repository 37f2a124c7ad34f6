//! `singleflight`: Go's `golang.org/x/sync/singleflight` — duplicate calls for the same key
//! share one execution and its result.
//!
//! # Design
//!
//! A map from key to the in-flight call, behind a mutex. The first caller for a key (the
//! *leader*) inserts a call and runs its own future in its own task; later callers (the
//! *followers*) register on the call's waiter list and get a clone of the result. When the
//! leader finishes it stores the result, removes the call from the map (unless
//! [`Group::forget`] already did) and wakes the followers.
//!
//! Cancel safety: if the leader's future is dropped (or panics) before finishing, the call is
//! marked *abandoned* and removed; the followers wake, and one of them becomes the new leader
//! by running *its* future (every caller passes one). Go cannot be cancelled mid-`Do`, so it
//! needs no such rule.
//!
//! Lock order: the map's mutex, then a call's mutex (never the reverse); the leader releases
//! the call's lock before taking the map's to remove the call.
//!
//! Rejected: spawning the leader's future as a task (so it survives its caller): needs a
//! runtime and `'static` futures, and keeps running work nobody may want.

#![deny(unsafe_code)]

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::loom::{Mutex, MutexGuard};
use crate::waitlist::WaitList;

struct CallState<V> {
    result: Option<V>,
    abandoned: bool,
    dups: usize,
    waiters: WaitList<Option<Waker>>,
}

struct Call<V> {
    state: Mutex<CallState<V>>,
}

impl<V> Call<V> {
    fn lock(&self) -> MutexGuard<'_, CallState<V>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Deduplicates concurrent calls by key: Go's `singleflight.Group`.
///
/// # Examples
///
/// ```
/// use gmp_sync::singleflight::Group;
/// # futures::executor::block_on(async {
/// let g: Group<&str, u32> = Group::new();
/// let (tx, rx) = futures::channel::oneshot::channel::<()>();
/// let leader = g.run("user:1", async { rx.await.unwrap(); 7 }); // slow lookup
/// let follower = g.run("user:1", async { unreachable!("deduplicated") });
/// let (a, b, ()) = futures::join!(leader, follower, async { tx.send(()).unwrap() });
/// assert_eq!((a.0, b.0), (7, 7));
/// assert!(b.1, "the follower got a shared result");
/// # });
/// ```
pub struct Group<K, V> {
    calls: Mutex<HashMap<K, Arc<Call<V>>>>,
}

impl<K, V> fmt::Debug for Group<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group").finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Default for Group<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Group<K, V> {
    /// An empty group.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = gmp_sync::singleflight::Group::<u32, String>::new();
    /// # drop(g);
    /// ```
    pub fn new() -> Self {
        Group {
            calls: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, Arc<Call<V>>>> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `future` for `key` unless a call for `key` is already in flight, in which case it
    /// waits for that call's result instead: Go's `g.Do(key, fn)` (`do` is a Rust keyword).
    /// Returns the value and whether it was shared with other callers.
    ///
    /// Errors are part of `V` (use a `Result`), as with Go's `(v, err, shared)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let g = gmp_sync::singleflight::Group::new();
    /// let (v, shared) = g.run(1, async { "one" }).await;
    /// assert_eq!((v, shared), ("one", false));
    /// # });
    /// ```
    pub async fn run<F>(&self, key: K, future: F) -> (V, bool)
    where
        F: Future<Output = V>,
    {
        let mut future = Some(future);
        loop {
            let (call, leader) = {
                let mut map = self.lock();
                match map.get(&key) {
                    Some(call) => {
                        call.lock().dups += 1;
                        (call.clone(), false)
                    }
                    None => {
                        let call = Arc::new(Call {
                            state: Mutex::new(CallState {
                                result: None,
                                abandoned: false,
                                dups: 0,
                                waiters: WaitList::new(),
                            }),
                        });
                        map.insert(key.clone(), call.clone());
                        (call, true)
                    }
                }
            };
            if !leader {
                match (Follow {
                    call: &call,
                    key: None,
                })
                .await
                {
                    Some(v) => return (v, true),
                    None => continue, // the leader gave up: try to lead
                }
            }
            let mut guard = Leader {
                group: self,
                key: &key,
                call: &call,
                finished: false,
            };
            let v = future.take().expect("a caller leads at most once").await;
            let shared = guard.finish(v.clone());
            return (v, shared);
        }
    }

    /// Forgets `key`'s in-flight call: later callers start a new one instead of waiting for it
    /// (Go's `g.Forget`). Callers already waiting still get its result.
    ///
    /// # Examples
    ///
    /// ```
    /// let g = gmp_sync::singleflight::Group::<&str, u8>::new();
    /// g.forget(&"nothing in flight"); // no-op
    /// ```
    pub fn forget(&self, key: &K) {
        let removed = self.lock().remove(key);
        drop(removed);
    }

    fn remove_if_current(&self, key: &K, call: &Arc<Call<V>>) {
        let mut map = self.lock();
        if map.get(key).is_some_and(|c| Arc::ptr_eq(c, call)) {
            map.remove(key);
        }
    }
}

struct Leader<'a, K: Hash + Eq + Clone, V: Clone> {
    group: &'a Group<K, V>,
    key: &'a K,
    call: &'a Arc<Call<V>>,
    finished: bool,
}

impl<K: Hash + Eq + Clone, V: Clone> Leader<'_, K, V> {
    /// Publishes the result; returns whether it was shared.
    fn finish(&mut self, v: V) -> bool {
        self.finished = true;
        let (shared, wakers) = {
            let mut st = self.call.lock();
            st.result = Some(v);
            let mut wakers = Vec::new();
            st.waiters.drain_linked(|w| wakers.extend(w.take()));
            (st.dups > 0, wakers)
        };
        self.group.remove_if_current(self.key, self.call);
        for w in wakers {
            w.wake();
        }
        shared
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Drop for Leader<'_, K, V> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // Cancelled or panicked: hand the key over to a follower.
        let wakers = {
            let mut st = self.call.lock();
            st.abandoned = true;
            let mut wakers = Vec::new();
            st.waiters.drain_linked(|w| wakers.extend(w.take()));
            wakers
        };
        self.group.remove_if_current(self.key, self.call);
        for w in wakers {
            w.wake();
        }
    }
}

/// A follower waiting for the leader's result (`None`: the leader abandoned the call).
#[must_use = "futures do nothing unless you `.await` or poll them"]
struct Follow<'a, V> {
    call: &'a Call<V>,
    key: Option<usize>,
}

impl<V: Clone> Future for Follow<'_, V> {
    type Output = Option<V>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<V>> {
        std::task::ready!(gmp_executor::coop::poll_proceed(cx));
        let this = self.get_mut();
        let mut st = this.call.lock();
        let out = match (&st.result, st.abandoned) {
            (Some(v), _) => Some(Some(v.clone())),
            (None, true) => Some(None),
            (None, false) => None,
        };
        if let Some(out) = out {
            if let Some(key) = this.key.take() {
                st.waiters.remove(key);
            }
            return Poll::Ready(out);
        }
        match this.key {
            None => this.key = Some(st.waiters.push_back(Some(cx.waker().clone()))),
            Some(key) => {
                *st.waiters.get_mut(key) = Some(cx.waker().clone());
                if !st.waiters.is_linked(key) {
                    st.waiters.link_back(key);
                }
            }
        }
        gmp_executor::runtime::waiting_on(cx, gmp_executor::runtime::WaitReason::Singleflight);
        Poll::Pending
    }
}

impl<V> Drop for Follow<'_, V> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.call.lock().waiters.remove(key);
        }
    }
}
