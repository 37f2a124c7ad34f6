//! Task dumps on `SIGQUIT`, as Go prints every goroutine's stack on `SIGQUIT` (Ctrl-\) and
//! exits with status 2. Opt-in: [`Builder::dump_on_sigquit`](crate::Builder::dump_on_sigquit).
//!
//! # Design
//!
//! A signal handler may only call async-signal-safe functions, so it does one thing: it writes
//! a byte to a pipe (the self-pipe trick) and restores `errno`. A `gmp-sigquit` thread blocks
//! reading the other end; when the byte arrives it takes a dump of every live runtime that
//! opted in, writes them to stderr after Go's `SIGQUIT: quit` line, and exits the process with
//! status 2. The handler, the pipe and the thread are set up once per process, the first time a
//! runtime opts in; runtimes register a `Weak` reference, so a dropped runtime is skipped.
//!
//! The `unsafe` here is the FFI itself (creating the pipe, installing the handler, the
//! handler's `write` and `errno` accesses), each with its own `SAFETY` note. Linux only (where
//! `libc` is a dependency); elsewhere the builder switch logs a warning and does nothing.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::FromRawFd;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, Weak};

use crate::scheduler::Shared;

/// Write end of the pipe, for the handler (`-1` until installed).
static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);

/// Runtimes that asked for dumps; the `Result` records whether installation worked.
static RUNTIMES: Mutex<Option<io::Result<Vec<Weak<Shared>>>>> = Mutex::new(None);

/// Registers `shared` for SIGQUIT dumps, installing the handler on first use.
pub(crate) fn register(shared: &Arc<Shared>) -> io::Result<()> {
    let mut runtimes = RUNTIMES.lock().unwrap_or_else(|e| e.into_inner());
    match runtimes.get_or_insert_with(install) {
        Ok(list) => {
            list.retain(|w| w.strong_count() > 0);
            list.push(Arc::downgrade(shared));
            Ok(())
        }
        Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
    }
}

fn install() -> io::Result<Vec<Weak<Shared>>> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 just created `fds[0]`, and nothing else owns it: the File takes it over.
    let read_end = unsafe { File::from_raw_fd(fds[0]) };
    // The reader blocks; only the writer (the handler) must never block.
    set_blocking(&read_end)?;
    PIPE_WRITE.store(fds[1], Ordering::Relaxed);
    std::thread::Builder::new()
        .name("gmp-sigquit".into())
        .spawn(move || listen(read_end))?;
    let handler = on_sigquit as extern "C" fn(libc::c_int);
    // SAFETY: installs a handler that only calls async-signal-safe functions (`write`, errno
    // access); glibc's `signal` has BSD semantics (the handler stays, syscalls restart).
    let prev = unsafe { libc::signal(libc::SIGQUIT, handler as libc::sighandler_t) };
    if prev == libc::SIG_ERR {
        return Err(io::Error::last_os_error());
    }
    Ok(Vec::new())
}

fn set_blocking(file: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own, with integer arguments.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

extern "C" fn on_sigquit(_: libc::c_int) {
    // SAFETY: `__errno_location` returns this thread's errno slot, valid for the thread's life.
    let errno = unsafe { *libc::__errno_location() };
    let fd = PIPE_WRITE.load(Ordering::Relaxed);
    let byte = 1u8;
    // SAFETY: `write` is async-signal-safe; `fd` is the pipe's write end (never closed), the
    // buffer is one valid byte. A full pipe (EAGAIN) means a dump is already on its way.
    unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
    // SAFETY: as above; restoring errno keeps the interrupted code's view intact.
    unsafe { *libc::__errno_location() = errno };
}

fn listen(mut pipe: File) {
    let mut buf = [0u8; 64];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::error!("gmp: SIGQUIT listener stopped: {e}");
                return;
            }
        }
    }
    let live: Vec<Arc<Shared>> = match &*RUNTIMES.lock().unwrap_or_else(|e| e.into_inner()) {
        Some(Ok(list)) => list.iter().filter_map(Weak::upgrade).collect(),
        _ => Vec::new(),
    };
    let mut out = String::from("SIGQUIT: quit\n");
    for (i, shared) in live.iter().enumerate() {
        out.push_str(&format!(
            "\nruntime {i} ({} workers):\n{}\n",
            shared.num_workers(),
            super::dump::dump_all(shared)
        ));
    }
    let mut stderr = io::stderr().lock();
    let _ = stderr.write_all(out.as_bytes());
    let _ = stderr.flush();
    std::process::exit(2);
}
