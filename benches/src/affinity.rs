//! CPU affinity for the network rows: the server and its load generator on different cores,
//! so the two do not steal each other's time slices.
//!
//! Design: affinity is per thread and inherited by every thread and process created after it
//! is set. The harness sets its own thread's mask to the server's cores just while it starts a
//! server child (Rust or Go: every thread that child ever creates inherits the mask), and the
//! load generator pins itself to the client cores (passed in [`CLIENT_CPUS_ENV`]) before it
//! starts its threads. [`split`] decides the cores: on 2-3 cores the server gets the first
//! and the client the last; on 4 or more, the server gets two and the client the next two.
//! One core (or a kernel that refuses): no pinning, and the report says so.
//!
//! Rejected: `taskset` (not on every machine) and `pre_exec` hooks (unsafe in the parent for
//! every child, where setting the parent's own mask around `spawn` does the same).
//!
//! This is the one module of gmp-bench with `unsafe`: two libc calls.

use std::io;

/// The environment variable that tells the load generator its cores (`1` or `2,3`).
pub const CLIENT_CPUS_ENV: &str = "GMPB_CLIENT_CPUS";

/// The CPUs the calling thread may run on.
///
/// # Errors
///
/// When the kernel refuses `sched_getaffinity`.
pub fn get() -> io::Result<Vec<usize>> {
    // SAFETY: `cpu_set_t` is plain bytes; all-zero is a valid (empty) set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a live, writable `cpu_set_t` of the size passed; pid 0 is this thread.
    let rc =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((0..libc::CPU_SETSIZE as usize)
        // SAFETY: `cpu < CPU_SETSIZE`, the bound `CPU_ISSET` reads within.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect())
}

/// Restricts the calling thread (and every thread or process it creates afterwards) to `cpus`.
///
/// # Errors
///
/// When `cpus` is empty or names a CPU this process may not use.
pub fn set(cpus: &[usize]) -> io::Result<()> {
    if cpus.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "no CPUs"));
    }
    // SAFETY: as in `get`.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &cpu in cpus {
        if cpu >= libc::CPU_SETSIZE as usize {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "CPU out of range",
            ));
        }
        // SAFETY: `cpu < CPU_SETSIZE`, checked above.
        unsafe { libc::CPU_SET(cpu, &mut set) };
    }
    // SAFETY: `set` is a live `cpu_set_t` of the size passed; pid 0 is this thread.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The server's and the client's cores out of `allowed` (the CPUs this process may use), or
/// `None` when there is only one.
pub fn split(allowed: &[usize]) -> Option<(Vec<usize>, Vec<usize>)> {
    match allowed.len() {
        0 | 1 => None,
        2 | 3 => Some((vec![allowed[0]], vec![allowed[allowed.len() - 1]])),
        _ => Some((allowed[..2].to_vec(), allowed[2..4].to_vec())),
    }
}

/// `0,1`.
pub fn format(cpus: &[usize]) -> String {
    cpus.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses [`format()`]'s output; `None` for anything else.
pub fn parse(s: &str) -> Option<Vec<usize>> {
    s.split(',').map(|c| c.trim().parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_round_trips() {
        assert_eq!(split(&[0]), None);
        assert_eq!(split(&[0, 1]), Some((vec![0], vec![1])));
        assert_eq!(split(&[0, 1, 2, 3, 4]), Some((vec![0, 1], vec![2, 3])));
        assert_eq!(parse(&format(&[2, 3])), Some(vec![2, 3]));
        assert_eq!(parse("x"), None);
    }

    #[test]
    fn set_and_restore() {
        let all = get().unwrap();
        std::thread::spawn(move || {
            set(&all[..1]).unwrap();
            assert_eq!(get().unwrap(), all[..1]);
            // A thread started now inherits the mask.
            let inner = std::thread::spawn(get).join().unwrap().unwrap();
            assert_eq!(inner, all[..1]);
            set(&all).unwrap();
            assert_eq!(get().unwrap(), all);
        })
        .join()
        .unwrap();
    }
}
