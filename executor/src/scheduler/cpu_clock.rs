//! A worker thread's CPU time, read from sysmon's thread: how sysmon tells a poll blocked off
//! the CPU (a syscall, a `thread::sleep`, a contended lock) from a long one that computes.
//!
//! The worker stores its thread's CPU-time clock id (`pthread_getcpuclockid`) once when it
//! starts; sysmon reads it with `clock_gettime`. Linux only; elsewhere the time is unknown and
//! sysmon falls back to its threshold alone.
//!
//! A thread short of CPU time is not necessarily blocked: on an oversubscribed machine (more
//! runnable threads than CPUs) a computing worker gets a fraction of a CPU too. So the worker
//! also stores its thread id, and sysmon asks the kernel for the thread's scheduler state
//! (`/proc/self/task/<tid>/stat`) before it calls a poll blocked: `R` (running, or runnable and
//! waiting for a CPU) is a poll that computes, not one blocked in a syscall.
//!
//! # Invariants
//!
//! - The slot holds [`UNBOUND`] or a clock id that `pthread_getcpuclockid` returned for a
//!   worker thread. Reading a clock id whose thread has exited is not undefined behaviour:
//!   `clock_gettime` fails with `EINVAL` (or reads a reused id: a wrong time for one sample),
//!   and the caller gets `None`.
//! - The only unsafe code is the three libc calls, each on memory it owns (or none).

use std::sync::atomic::{AtomicI32, AtomicI64, Ordering};
use std::time::Duration;

/// No clock: the worker has not started, or the platform has none.
const UNBOUND: i64 = i64::MIN;

/// One worker's CPU-time clock id, and its thread id (0: unknown).
pub(crate) struct Slot(AtomicI64, AtomicI32);

impl Default for Slot {
    fn default() -> Slot {
        Slot(AtomicI64::new(UNBOUND), AtomicI32::new(0))
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
            // SAFETY: `gettid` has no preconditions.
            let tid = unsafe { libc::gettid() };
            // Relaxed: as above.
            self.1.store(tid, Ordering::Relaxed);
        }
    }

    /// Whether the bound thread is running or waiting for a CPU (`R`) rather than asleep in
    /// the kernel, or `None` if unknown.
    pub(crate) fn is_runnable(&self) -> Option<bool> {
        // Relaxed: see `bind_current_thread`.
        let tid = self.1.load(Ordering::Relaxed);
        if tid == 0 {
            return None;
        }
        let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
        // `pid (comm) state ...`: the command may hold spaces and parentheses, the state is
        // the first field after the last `)`.
        let state = stat[stat.rfind(')')? + 1..]
            .split_ascii_whitespace()
            .next()?;
        Some(state == "R")
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

    #[test]
    fn tells_a_sleeping_thread_from_a_running_one() {
        assert_eq!(Slot::default().is_runnable(), None);
        let me = Slot::default();
        me.bind_current_thread();
        // The calling thread is running while it reads its own state.
        assert_eq!(me.is_runnable(), Some(true));
        let (bound_tx, bound_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let sleeper = std::thread::spawn(move || {
            let slot = std::sync::Arc::new(Slot::default());
            slot.bind_current_thread();
            bound_tx.send(slot).unwrap();
            // Asleep in the kernel until told to stop.
            let _ = stop_rx.recv();
        });
        let slot = bound_rx.recv().unwrap();
        // Wait for it to fall asleep in `recv` (bounded: a loaded machine may be slow).
        let until = Instant::now() + Duration::from_secs(10);
        while slot.is_runnable() != Some(false) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(
            slot.is_runnable(),
            Some(false),
            "a thread blocked in recv is asleep"
        );
        stop_tx.send(()).unwrap();
        sleeper.join().unwrap();
    }
}
