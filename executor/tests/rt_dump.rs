//! The task dump: every state, spawn sites, poll counts, ages, and the Display form.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use gmp_executor::Handle;
use gmp_executor::runtime::{Dump, TaskInfo, TaskState};

mod common;
use common::rt;

/// Takes dumps until `f` finds what it wants (or fails after 5 s).
fn wait_for(handle: &Handle, f: impl FnMut(&Dump) -> bool) -> Dump {
    common::poll_until(Duration::from_secs(5), || handle.dump(), f)
}

fn find(dump: &Dump, id: gmp_executor::task::Id) -> Option<&TaskInfo> {
    dump.tasks().iter().find(|t| t.id == id)
}

#[test]
fn waiting_task_shows_spawn_site_polls_and_time_in_state() {
    let rt = rt(2);
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    let line = line!() + 1;
    let h = rt.spawn(async move { rx.await.ok() });
    let id = h.id();
    wait_for(rt.handle(), |d| {
        find(d, id).is_some_and(|t| t.state == TaskState::Waiting)
    });
    std::thread::sleep(Duration::from_millis(30));
    let dump = rt.handle().dump();
    let t = find(&dump, id).unwrap();
    assert_eq!(t.spawn_site.file(), file!());
    assert_eq!(t.spawn_site.line(), line);
    assert_eq!(t.polls, 1);
    assert!(t.worker.is_some());
    assert!(t.in_state >= Duration::from_millis(20), "{t:?}");
    assert!(t.age >= t.in_state, "{t:?}");
    let text = dump.to_string();
    assert!(
        text.starts_with("gmp task dump: 1 task (0 running, 0 runnable, 1 waiting"),
        "{text}"
    );
    assert!(text.contains(&format!("task {id} [waiting, ")), "{text}");
    assert!(
        text.contains(&format!("created at\n\t{}:{line}:", file!())),
        "{text}"
    );
    drop(tx);
    rt.block_on(h).unwrap();
    assert!(rt.handle().dump().is_empty());
}

#[test]
fn running_runnable_and_blocking_states() {
    // One worker: a task spinning on it keeps the task it spawns runnable in its LIFO slot.
    // sysmon off: on a loaded machine it would hand the stuck slot to its helper, which runs
    // the child before a dump sees it runnable.
    let rt = gmp_executor::Builder::new()
        .maxprocs(1)
        .sysmon(false)
        .build()
        .unwrap();
    let release = Arc::new(AtomicBool::new(false));
    // A failed assertion below must not leave the spinner spinning (the runtime's drop would
    // wait for it for good).
    struct Release(Arc<AtomicBool>);
    impl Drop for Release {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
        }
    }
    let _release_on_unwind = Release(release.clone());
    let (id_tx, id_rx) = std::sync::mpsc::channel();
    let r = release.clone();
    let spinner = rt.spawn(async move {
        let child = gmp_executor::spawn(async {});
        id_tx.send(child.id()).unwrap();
        while !r.load(Ordering::Acquire) {
            std::hint::spin_loop();
        }
        child.await.unwrap();
    });
    let child = id_rx.recv().unwrap();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let blocking = rt.handle().spawn_blocking(move || go_rx.recv().ok());

    let dump = wait_for(rt.handle(), |d| {
        find(d, blocking.id()).is_some_and(|t| t.state == TaskState::Blocking)
    });
    let s = find(&dump, spinner.id()).unwrap();
    assert_eq!(s.state, TaskState::Running);
    assert_eq!(s.worker, Some(0));
    assert_eq!(find(&dump, child).unwrap().state, TaskState::Runnable);
    assert_eq!(find(&dump, child).unwrap().polls, 0);
    assert_eq!(find(&dump, blocking.id()).unwrap().worker, None);
    let text = dump.to_string();
    assert!(text.contains("[running on worker 0, "), "{text}");
    assert!(text.contains("[runnable, "), "{text}");
    assert!(text.contains("[in spawn_blocking, "), "{text}");
    assert_eq!(dump.count(TaskState::Running), 1);

    release.store(true, Ordering::Release);
    go_tx.send(()).unwrap();
    rt.block_on(async {
        spinner.await.unwrap();
        blocking.await.unwrap();
    });
}

#[test]
fn dump_from_inside_a_task_and_tasks_are_sorted_by_id() {
    let rt = rt(2);
    rt.block_on(async {
        let (tx, rx) = futures::channel::oneshot::channel::<()>();
        let rx = futures::future::FutureExt::shared(rx);
        let hs: Vec<_> = (0..50)
            .map(|_| {
                let rx = rx.clone();
                gmp_executor::spawn(async move {
                    let _ = rx.await;
                })
            })
            .collect();
        let dump = gmp_executor::runtime::dump();
        assert_eq!(dump.len(), 50);
        assert!(dump.tasks().windows(2).all(|w| w[0].id < w[1].id));
        drop(tx);
        for h in hs {
            h.await.unwrap();
        }
    });
}
