//! The fallback driver: timers created outside any gmp runtime (under `futures::executor`,
//! another executor, plain threads) register on a one-wheel [`TimeDriver`] served by a global
//! thread, `gmp-timer`, started lazily on the first such registration and kept for the life of
//! the process.
//!
//! # Precision
//!
//! The thread parks until the driver's next deadline and fires what is due. Two things make a
//! plain `park_timeout` late by tens of microseconds on Linux: the thread's *timer slack* (50 us
//! by default: the kernel may delay a timed wake-up that much to batch it with others) and the
//! wake-up latency itself (scheduling, and in a VM the virtual timer). So:
//! 1. The thread sets its timer slack to 1 ns (`prctl(PR_SET_TIMERSLACK)`; Linux only).
//! 2. It parks until a little *before* the deadline and spins (`spin_loop`, re-reading the clock
//!    and the driver's next deadline) for the rest. The spin window tracks a decaying maximum of
//!    how late recent parks woke up, clamped to [`MIN_SPIN`]..=[`MAX_SPIN`].
//!
//! CPU cost: at most [`MAX_SPIN`] (50 us) of spinning per wake-up, only when a timer is due
//! within that window; an idle driver (no timers) parks without a timeout and costs nothing. A
//! process running a 100 us sleep in a loop keeps this thread spinning up to half the time;
//! timers 10 ms apart cost it at most 0.5% of a core.
//!
//! Rejected: spinning without parking (a core per process), `timerfd`/`epoll` (same slack
//! and wake-up latency as a futex wait, more syscalls), and a dedicated high-priority thread
//! (needs privileges).

use std::sync::{Arc, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

use super::driver::TimeDriver;

/// Shortest final spin: covers the cost of the wake-up itself.
const MIN_SPIN: Duration = Duration::from_micros(5);
/// Longest final spin per wake-up.
const MAX_SPIN: Duration = Duration::from_micros(50);

static DRIVER: OnceLock<Arc<TimeDriver>> = OnceLock::new();

/// Timer entries on the fallback driver (0 if it was never started; never starts it). The
/// deadlock check counts them: a `block_on` may be waiting on a timer made outside any runtime
/// (a context deadline created before the runtime, a timer first polled elsewhere, an
/// `after_func` from a plain thread).
pub(crate) fn live_timers() -> usize {
    DRIVER.get().map_or(0, |d| d.live_timers())
}

/// The fallback driver, started on first use.
pub(crate) fn driver() -> &'static Arc<TimeDriver> {
    static THREAD: OnceLock<Thread> = OnceLock::new();
    DRIVER.get_or_init(|| {
        // Registrations only happen once `get_or_init` has returned, by which time `THREAD` is
        // set, so no unpark is lost to an unset handle.
        let driver = Arc::new(TimeDriver::new(
            1,
            Arc::new(|| {
                if let Some(t) = THREAD.get() {
                    t.unpark();
                }
            }),
        ));
        let d = driver.clone();
        let handle = std::thread::Builder::new()
            .name("gmp-timer".into())
            .spawn(move || run(&d))
            .expect("gmp: failed to start the timer thread");
        let _ = THREAD.set(handle.thread().clone());
        driver
    })
}

fn run(driver: &TimeDriver) {
    set_timer_slack();
    tracing::debug!("gmp fallback timer thread started");
    let mut parker = PreciseParker::new();
    loop {
        driver.process(Instant::now());
        match driver.next_deadline() {
            None => std::thread::park(),
            Some(deadline) => parker.wait_until(driver, deadline),
        }
    }
}

/// Lowers this thread's timer slack to 1 ns so timed parks are not batched (Linux only).
pub(crate) fn set_timer_slack() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_TIMERSLACK takes one integer argument and only changes the calling
        // thread's timer slack; no memory is passed to the kernel.
        let rc = unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0) };
        if rc != 0 {
            tracing::debug!(err = %std::io::Error::last_os_error(), "PR_SET_TIMERSLACK failed");
        }
    }
}

/// Parks until shortly before a deadline, then spins; learns how late parks wake.
#[derive(Debug)]
struct PreciseParker {
    /// Decaying maximum of observed park lateness.
    late: Duration,
}

impl PreciseParker {
    fn new() -> Self {
        PreciseParker { late: MAX_SPIN }
    }

    fn spin_window(&self) -> Duration {
        (self.late + self.late / 4).clamp(MIN_SPIN, MAX_SPIN)
    }

    /// Waits until `deadline`, or returns earlier when unparked (a new earliest timer) so the
    /// caller re-reads the driver's next deadline.
    fn wait_until(&mut self, driver: &TimeDriver, deadline: Instant) {
        let now = Instant::now();
        if deadline <= now {
            return;
        }
        let spin = self.spin_window();
        if deadline - now > spin {
            let target = deadline - spin;
            std::thread::park_timeout(target - now);
            let woke = Instant::now();
            if woke >= target {
                // A timed-out park: learn its lateness (an unpark before `target` teaches
                // nothing). Decay slowly so one lucky wake-up does not shrink the window.
                self.late = (woke - target).max(self.late - self.late / 16);
            }
            return;
        }
        loop {
            std::hint::spin_loop();
            if Instant::now() >= deadline || driver.next_deadline().is_some_and(|d| d < deadline) {
                return;
            }
        }
    }
}
