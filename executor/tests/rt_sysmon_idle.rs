//! An idle runtime's sysmon sleeps until a worker wakes (alone in its test binary, so that no
//! other runtime's sysmon is measured with it).

use std::time::Duration;

/// CPU time of this process's threads named `name`, from `/proc` (Linux).
#[cfg(target_os = "linux")]
fn cpu_time_of(name: &str) -> Duration {
    let mut total = 0;
    for t in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        if comm.trim() == name {
            let s = std::fs::read_to_string(t.path().join("schedstat")).unwrap_or_default();
            total += s
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Duration::from_nanos(total)
}

#[cfg(target_os = "linux")]
#[test]
fn an_idle_runtime_costs_no_sysmon_time() {
    let rt = gmp_executor::Builder::new().maxprocs(2).build().unwrap();
    rt.block_on(async { gmp_executor::spawn(async {}).await.unwrap() });
    std::thread::sleep(Duration::from_millis(50));
    let before = cpu_time_of("gmp-sysmon");
    std::thread::sleep(Duration::from_millis(500));
    let spent = cpu_time_of("gmp-sysmon") - before;
    // An idle sysmon sleeps without a timeout: nothing at all (allow for the wake-ups that
    // brought it to sleep).
    assert!(
        spent < Duration::from_millis(2),
        "sysmon used {spent:?} while idle"
    );
    drop(rt);
}
