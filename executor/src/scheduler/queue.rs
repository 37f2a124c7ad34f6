//! TEMPORARY stand-in for the lock-free local run queue (same API), replaced on merge.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

pub(crate) const LOCAL_QUEUE_CAPACITY: usize = 256;

pub(crate) fn local<T>() -> (Local<T>, Stealer<T>) {
    let q = Arc::new(Mutex::new(VecDeque::with_capacity(LOCAL_QUEUE_CAPACITY)));
    (Local { q: q.clone() }, Stealer { q })
}

pub(crate) struct Local<T> {
    q: Arc<Mutex<VecDeque<T>>>,
}

pub(crate) struct Stealer<T> {
    q: Arc<Mutex<VecDeque<T>>>,
}

impl<T> Clone for Stealer<T> {
    fn clone(&self) -> Self {
        Stealer { q: self.q.clone() }
    }
}

impl<T> Local<T> {
    pub(crate) fn push_back_or_overflow(
        &mut self,
        value: T,
        overflow: impl FnOnce(&mut dyn Iterator<Item = T>),
    ) {
        let mut q = self.q.lock().unwrap();
        if q.len() < LOCAL_QUEUE_CAPACITY {
            q.push_back(value);
            return;
        }
        let mut batch: Vec<T> = q.drain(..LOCAL_QUEUE_CAPACITY / 2).collect();
        drop(q);
        batch.push(value);
        overflow(&mut batch.into_iter());
    }
    pub(crate) fn pop(&mut self) -> Option<T> {
        self.q.lock().unwrap().pop_front()
    }
    #[allow(dead_code)]
    pub(crate) fn len(&self) -> usize {
        self.q.lock().unwrap().len()
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.q.lock().unwrap().is_empty()
    }
    pub(crate) fn remaining_slots(&self) -> usize {
        LOCAL_QUEUE_CAPACITY - self.q.lock().unwrap().len()
    }
}

impl<T> Stealer<T> {
    pub(crate) fn steal_into(&self, dst: &mut Local<T>) -> Option<T> {
        let mut src = self.q.lock().unwrap();
        let n = src.len() - src.len() / 2;
        if n == 0 {
            return None;
        }
        let mut taken: VecDeque<T> = src.drain(..n).collect();
        drop(src);
        let first = taken.pop_front();
        dst.q.lock().unwrap().extend(taken);
        first
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.q.lock().unwrap().is_empty()
    }
    #[allow(dead_code)]
    pub(crate) fn len(&self) -> usize {
        self.q.lock().unwrap().len()
    }
}
