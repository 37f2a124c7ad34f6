//! A worker thread's CPU time, read from sysmon's thread: how sysmon tells a poll blocked off
//! the CPU (a syscall, a `thread::sleep`, a contended lock) from a long one that computes.
//!
//! The worker stores its thread's CPU-time clock id (`pthread_getcpuclockid`) once when it
//! starts; sysmon reads it with `clock_gettime`. Linux only; elsewhere the time is unknown and
//! sysmon falls back to its threshold alone.
//!
//! # Invariants
//!
//! - The slot holds [`UNBOUND`] or a clock id that `pthread_getcpuclockid` returned for a
//!   worker thread. Reading a clock id whose thread has exited is not undefined behaviour:
//!   `clock_gettime` fails with `EINVAL` (or reads a reused id: a wrong time for one sample),
//!   and the caller gets `None`.
//! - The only unsafe code is the two libc calls, each on memory it owns.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// No clock: the worker has not started, or the platform has none.
const UNBOUND: i64 = i64::MIN;

/// One worker's CPU-time clock id.
pub(crate) struct Slot(AtomicI64);

impl Default for Slot {
    fn default() -> Slot {
        Slot(AtomicI64::new(UNBOUND))
    }
}

impl Slot {
    /// Binds the slot to the calling thread.
    pub(crate) fn bind_current_thread(&self) {
        #[cfg(target_os = "linux")]
        {
            let mut id: libc::clockid_t = 0;
            // SAFETY: `pthread_self` is always valid for the calling thread, and `id` is a
            // live local the call writes.
            let rc = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut id) };
            if rc == 0 {
                // Relaxed: sysmon only needs the value eventually; a sample that misses it
                // falls back to the threshold.
                self.0.store(i64::from(id), Ordering::Relaxed);
            }
        }
    }

    /// The bound thread's CPU time so far, or `None` if unknown.
    pub(crate) fn thread_cpu_time(&self) -> Option<Duration> {
        let id = self.0.load(Ordering::Relaxed);
        if id == UNBOUND {
            return None;
        }
        #[cfg(target_os = "linux")]
        {
            let mut ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: `ts` is a live local the call writes; a stale clock id makes the call
            // fail, not misbehave (see the module's invariants).
            let rc = unsafe { libc::clock_gettime(id as libc::clockid_t, &mut ts) };
            if rc != 0 {
                return None;
            }
            Some(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
        }
        #[cfg(not(target_os = "linux"))]
        None
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn tells_spinning_from_sleeping() {
        assert_eq!(Slot::default().thread_cpu_time(), None);
        let me = Slot::default();
        me.bind_current_thread();
        let t0 = me.thread_cpu_time().unwrap();
        let end = Instant::now() + Duration::from_millis(20);
        while Instant::now() < end {
            std::hint::spin_loop();
        }
        let t1 = me.thread_cpu_time().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        let t2 = me.thread_cpu_time().unwrap();
        // Spinning 20 ms uses CPU time (at least some of it, on a loaded machine); sleeping
        // 20 ms uses next to none.
        assert!(t1 - t0 > t2 - t1, "spun {:?}, slept {:?}", t1 - t0, t2 - t1);
    }
}
