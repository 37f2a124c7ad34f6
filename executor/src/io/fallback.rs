//! The fallback reactor: sockets created outside any gmp runtime (under `futures::executor`,
//! another executor, a plain thread) register with a global [`IoDriver`] served by a thread,
//! `gmp-io`, started lazily on the first such registration and kept for the life of the
//! process. It blocks in the reactor with no timeout; it is the only blocking poller of its
//! driver, which is what the driver's waker protocol requires.

use std::io;
use std::sync::{Arc, OnceLock};

use super::driver::IoDriver;

/// The fallback driver, started on first use.
pub(crate) fn driver() -> io::Result<Arc<IoDriver>> {
    static DRIVER: OnceLock<Result<Arc<IoDriver>, io::ErrorKind>> = OnceLock::new();
    let init = || -> io::Result<Arc<IoDriver>> {
        let driver = Arc::new(IoDriver::new()?);
        let d = driver.clone();
        std::thread::Builder::new()
            .name("gmp-io".into())
            .spawn(move || {
                tracing::debug!("gmp fallback I/O thread started");
                loop {
                    let (wake, _) = d.park(None);
                    d.wake_all(wake);
                }
            })?;
        Ok(driver)
    };
    DRIVER
        .get_or_init(|| {
            init().map_err(|e| {
                tracing::error!(err = %e, "gmp: cannot start the fallback I/O thread");
                e.kind()
            })
        })
        .clone()
        .map_err(|kind| io::Error::new(kind, "gmp: the fallback I/O reactor failed to start"))
}
