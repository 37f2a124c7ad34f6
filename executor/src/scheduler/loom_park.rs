//! loom model of the parking protocol (see `idle`): no wakeup is lost between a worker finding
//! the queues empty and parking, whatever the interleaving with a producer.
//!
//! The production `Idle` and `Parker` are driven by a miniature worker loop that follows
//! `worker.rs` (search, park as last searcher with a re-check, wake as searcher); the "queue" is
//! an atomic count. If a wakeup were lost, every thread would end up blocked and loom would
//! report a deadlock.

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
use loom::thread;

use super::idle::Idle;
use super::park::Parker;

struct Model {
    idle: Idle,
    parkers: Vec<Parker>,
    work: AtomicUsize,
    done: AtomicBool,
}

impl Model {
    fn notify_parked(&self) {
        fence(Ordering::SeqCst);
        if let Some(i) = self.idle.worker_to_notify() {
            self.parkers[i].unpark();
        }
    }

    fn has_work(&self) -> bool {
        fence(Ordering::SeqCst);
        self.work.load(Ordering::SeqCst) > 0
    }

    fn take_work(&self) -> bool {
        self.work
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |w| w.checked_sub(1))
            .is_ok()
    }

    fn produce(&self) {
        self.work.fetch_add(1, Ordering::SeqCst);
        self.notify_parked();
    }

    fn worker(&self, index: usize) {
        let mut searching = false;
        loop {
            if self.done.load(Ordering::SeqCst) {
                return;
            }
            if !searching {
                searching = self.idle.transition_worker_to_searching();
            }
            if self.take_work() {
                if searching && self.idle.transition_worker_from_searching() {
                    self.notify_parked();
                }
                // The single item is consumed: end the model, waking everyone.
                self.done.store(true, Ordering::SeqCst);
                for p in &self.parkers {
                    p.unpark();
                }
                return;
            }
            if self.idle.transition_worker_to_parked(index, searching) && self.has_work() {
                self.notify_parked();
            }
            if self.done.load(Ordering::SeqCst) {
                return;
            }
            self.parkers[index].park(None);
            searching = self.idle.transition_worker_from_parked(index);
        }
    }
}

#[test]
fn producer_wakeup_is_never_lost() {
    loom::model(|| {
        let m = Arc::new(Model {
            idle: Idle::new(2),
            parkers: vec![Parker::new(), Parker::new()],
            work: AtomicUsize::new(0),
            done: AtomicBool::new(false),
        });
        let workers: Vec<_> = (0..2)
            .map(|i| {
                let m = m.clone();
                thread::spawn(move || m.worker(i))
            })
            .collect();
        m.produce();
        for w in workers {
            w.join().unwrap();
        }
        assert_eq!(m.work.load(Ordering::SeqCst), 0);
    });
}
