//! A `timerfd` registered in the reactor: how the parked worker holding timer duty wakes for a
//! deadline with microsecond precision while blocked in `epoll_wait` (whose own timeout has
//! millisecond granularity, rounded up by mio: a 100 us sleep would wait 1 ms).
//!
//! The timer is one-shot and relative; `arm` skips the syscall when the same deadline is
//! already armed. A fired timerfd is never read: re-arming resets its expiration count, and
//! epoll reports each expiry as a new edge, so reading it would only cost a syscall.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct TimerFd {
    fd: OwnedFd,
    /// The deadline the timer is armed for, if it has not been seen to fire.
    armed: Option<Instant>,
}

impl TimerFd {
    pub(crate) fn new() -> io::Result<TimerFd> {
        // SAFETY: timerfd_create takes two integer arguments and returns a new descriptor or -1;
        // no memory is passed.
        let fd = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a descriptor we just created and nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(TimerFd { fd, armed: None })
    }

    pub(crate) fn raw(&self) -> std::os::fd::RawFd {
        self.fd.as_raw_fd()
    }

    /// Arms the timer to fire at `deadline` (in the future, `now` being the current time).
    pub(crate) fn arm(&mut self, deadline: Instant, now: Instant) -> io::Result<()> {
        if self.armed == Some(deadline) {
            return Ok(());
        }
        // At least 1 ns: an all-zero `it_value` would disarm the timer.
        let d = (deadline - now).max(Duration::from_nanos(1));
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: d.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
                tv_nsec: d.subsec_nanos() as _,
            },
        };
        // SAFETY: `spec` is a valid itimerspec on our stack, the old-value pointer is null (not
        // wanted), and the descriptor is a timerfd we own.
        let rc =
            unsafe { libc::timerfd_settime(self.fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
        if rc < 0 {
            self.armed = None;
            return Err(io::Error::last_os_error());
        }
        self.armed = Some(deadline);
        Ok(())
    }

    /// The reactor saw the timer fire.
    pub(crate) fn fired(&mut self) {
        self.armed = None;
    }
}
