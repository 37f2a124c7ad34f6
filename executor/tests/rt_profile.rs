//! The grouped task profile (Go's `/debug/pprof/goroutine?debug=1`): one line per (spawn site,
//! state or wait reason), largest first; and its cost for a million parked tasks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gmp_executor::runtime::{Profile, TaskState, WaitReason};
use gmp_executor::time::sleep;

mod common;
use common::rt;

const LONG: Duration = Duration::from_secs(3600);

/// Profiles until `f` holds (or fails after 10 s).
fn wait_for(rt: &gmp_executor::Runtime, f: impl Fn(&Profile) -> bool) -> Profile {
    common::poll_until(Duration::from_secs(10), || rt.handle().profile(), f)
}

#[test]
fn one_line_per_site_and_reason_largest_first() {
    let rt = rt(2);
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    let rx = futures::FutureExt::shared(rx);
    let mut handles = Vec::new();
    let sleep_line = line!() + 2;
    for _ in 0..5 {
        handles.push(rt.spawn(sleep(LONG)));
    }
    let foreign_line = line!() + 3;
    for _ in 0..2 {
        let rx = rx.clone();
        handles.push(rt.spawn(async move {
            let _ = rx.await;
        }));
    }
    let join_line = line!() + 1;
    let first = rt.spawn(sleep(LONG));
    let joiner = rt.spawn(async move { first.await.ok() });
    let p = wait_for(&rt, |p| {
        p.total() == 9 && p.groups().iter().all(|g| g.state == TaskState::Waiting)
    });
    let text = p.to_string();
    let site = |line: u32| format!("{}:{line}:", file!());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "gmp task profile: total 9", "{text}");
    assert!(
        lines[1].starts_with(&format!("5 @ {}", site(sleep_line)))
            && lines[1].ends_with(" [sleep]"),
        "{text}"
    );
    assert!(
        lines[2].starts_with(&format!("2 @ {}", site(foreign_line)))
            && lines[2].ends_with(" [waiting]"),
        "{text}"
    );
    // Two groups of one: the joined task sleeps at `first`'s site, the joiner at its own.
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        lines[3..]
            .iter()
            .any(|l| l.starts_with(&format!("1 @ {}", site(join_line))) && l.ends_with(" [sleep]")),
        "{text}"
    );
    assert!(
        lines[3..]
            .iter()
            .any(|l| l.starts_with(&format!("1 @ {}", site(join_line + 1)))
                && l.ends_with(" [join]")),
        "{text}"
    );
    assert_eq!(p.groups()[0].wait_reason(), Some(WaitReason::Sleep));
    assert_eq!(p.groups()[0].count, 5);

    // The dump grouped says the same.
    let from_dump = rt.handle().dump().grouped();
    assert_eq!(from_dump.to_string(), text);

    drop(tx);
    drop(joiner);
    drop(handles);
}

#[test]
fn running_and_runnable_groups_show_their_state() {
    let rt = gmp_executor::Builder::new()
        .maxprocs(1)
        .sysmon(false)
        .build()
        .unwrap();
    let release = Arc::new(AtomicBool::new(false));
    let r = release.clone();
    // A task spinning on the only worker keeps the one it spawns runnable.
    let spinner = rt.spawn(async move {
        let child = gmp_executor::spawn(async {});
        while !r.load(Ordering::Relaxed) {
            std::hint::spin_loop();
        }
        child.await.unwrap();
    });
    let p = wait_for(&rt, |p| p.total() == 2 && p.groups().len() == 2);
    let text = p.to_string();
    assert!(text.contains(" [running]"), "{text}");
    assert!(text.contains(" [runnable]"), "{text}");
    assert!(p.groups().iter().all(|g| g.wait_reason().is_none()));
    release.store(true, Ordering::Relaxed);
    rt.block_on(spinner).unwrap();
}

/// `cargo test --release -p gmp-executor --test rt_profile -- --ignored --nocapture`
///
/// A million parked tasks from one site: the profile's time, the dump's, and the longest a
/// spawn from another thread waited during the profile (the registry walk holds a shard lock
/// for one chunk at a time).
#[test]
#[ignore = "a million tasks: a measurement, run by hand in release mode"]
fn million_parked_tasks() {
    const N: usize = 1_000_000;
    let rt = rt(2);
    let handles: Vec<_> = (0..N).map(|_| rt.spawn(sleep(LONG))).collect();
    wait_for(&rt, |p| {
        p.groups()
            .iter()
            .any(|g| g.count == N && g.wait_reason() == Some(WaitReason::Sleep))
    });

    let stop = Arc::new(AtomicBool::new(false));
    let worst_spawn_ns = Arc::new(AtomicU64::new(0));
    let spawner = {
        let handle = rt.handle().clone();
        let (stop, worst) = (stop.clone(), worst_spawn_ns.clone());
        std::thread::spawn(move || {
            let mut spawned = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                spawned.push(handle.spawn(sleep(LONG)));
                worst.fetch_max(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
                std::thread::sleep(Duration::from_micros(20));
            }
            spawned.len()
        })
    };
    let mut times = Vec::new();
    let mut profile = Profile::default();
    for _ in 0..3 {
        let t = Instant::now();
        profile = rt.handle().profile();
        times.push(t.elapsed());
    }
    stop.store(true, Ordering::Relaxed);
    let extra = spawner.join().unwrap();
    let t = Instant::now();
    let dump = rt.handle().dump();
    let dump_time = t.elapsed();
    let t = Instant::now();
    let grouped = dump.grouped();
    let grouped_time = t.elapsed();
    println!("{profile}");
    println!(
        "profile of {} tasks: {times:?}; dump: {dump_time:?} (+ grouping it: {grouped_time:?}); \
         worst spawn latency during the profiles ({extra} spawns): {:?}",
        profile.total(),
        Duration::from_nanos(worst_spawn_ns.load(Ordering::Relaxed)),
    );
    assert!(profile.total() >= N);
    assert_eq!(grouped.total(), dump.len());
    drop(handles);
}
