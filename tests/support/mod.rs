//! Helpers shared by the `leak_*` tests.

#![allow(dead_code)]

use gmp::leak::{Leaks, Options};
use gmp::runtime::TaskState;

/// The 1-based line after the one of `source` that contains `marker` (a comment above a spawn).
pub(crate) fn line_after(source: &str, marker: &str) -> u32 {
    let mut found = source
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(marker) && !l.contains("line_after("));
    let (i, _) = found
        .next()
        .unwrap_or_else(|| panic!("marker {marker:?} not found"));
    assert!(found.next().is_none(), "marker {marker:?} found twice");
    u32::try_from(i + 2).unwrap()
}

/// Runs `body` on a fresh two-worker runtime (like `#[gmp::test]`), then runs the leak check
/// `#[gmp::test]` runs and returns what it found, with `body`'s output (kept alive until
/// after the check).
pub(crate) fn check<T>(body: impl std::future::Future<Output = T>) -> (Result<(), Leaks>, T) {
    let rt = gmp::Builder::new().maxprocs(2).build().unwrap();
    let out = rt.block_on(body);
    let leaks = gmp::leak::find(rt.handle(), &Options::new());
    (leaks, out)
}

/// Asserts that `leaks` holds exactly one live task per line in `lines`, spawned in `file`
/// (the test file, as `file!()` names it) at those lines, and that its report names them.
pub(crate) fn assert_leaked_at(leaks: &Leaks, file: &str, lines: &[u32]) {
    let mut found: Vec<u32> = leaks
        .tasks()
        .iter()
        .map(|t| {
            assert_eq!(t.spawn_site.file(), file, "{leaks}");
            // Blocked leaks are caught waiting; a leaked ticker may be caught between sleeps
            // (queued or mid-poll). Never in the blocking pool.
            assert!(
                matches!(
                    t.state,
                    TaskState::Waiting | TaskState::Runnable | TaskState::Running
                ),
                "{leaks}"
            );
            t.spawn_site.line()
        })
        .collect();
    found.sort_unstable();
    assert_eq!(found, lines, "{leaks}");
    let report = leaks.to_string();
    for line in lines {
        assert!(
            report.contains(&format!("created at\n\t{file}:{line}:")),
            "{report}"
        );
    }
}
