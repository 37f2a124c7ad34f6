//! "all tasks are asleep - deadlock!": reported when nothing can run again, and only then.

use std::time::{Duration, Instant};

use futures::channel::oneshot;
use gmp_executor::Builder;

mod common;
use common::{panic_message, rt};

#[test]
fn main_waiting_on_a_channel_nobody_sends_on() {
    for n in [1, 2, 4] {
        let rt = rt(n);
        let start = Instant::now();
        let msg = panic_message(|| {
            rt.block_on(async {
                let (_tx, rx) = oneshot::channel::<()>();
                rx.await.ok();
            })
        });
        assert!(msg.starts_with("all tasks are asleep - deadlock!"), "{msg}");
        assert!(msg.contains("gmp task dump: 0 tasks"), "{msg}");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "slow: {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn two_tasks_waiting_on_each_other_are_in_the_dump() {
    let rt = rt(2);
    let line = line!() + 5;
    let msg = panic_message(|| {
        rt.block_on(async {
            let (tx1, rx1) = oneshot::channel::<u32>();
            let (tx2, rx2) = oneshot::channel::<u32>();
            let a = gmp_executor::spawn(async move { tx2.send(rx1.await.unwrap()).ok() });
            let b = gmp_executor::spawn(async move { tx1.send(rx2.await.unwrap()).ok() });
            a.await.unwrap();
            b.await.unwrap();
        })
    });
    assert!(msg.starts_with("all tasks are asleep - deadlock!"), "{msg}");
    assert!(
        msg.contains("2 tasks (0 running, 0 runnable, 2 waiting"),
        "{msg}"
    );
    assert!(msg.contains(&format!("{}:{line}:", file!())), "{msg}");
    assert!(msg.contains(&format!("{}:{}:", file!(), line + 1)), "{msg}");
}

#[test]
fn a_sleeping_task_is_not_a_deadlock() {
    let rt = rt(2);
    rt.block_on(async {
        gmp_executor::spawn(gmp_executor::time::sleep(Duration::from_millis(200)))
            .await
            .unwrap();
    });
}

#[test]
fn a_running_blocking_job_is_not_a_deadlock() {
    let rt = rt(1);
    rt.block_on(async {
        gmp_executor::spawn_blocking(|| std::thread::sleep(Duration::from_millis(200)))
            .await
            .unwrap();
    });
}

#[test]
fn a_handle_on_another_thread_is_not_a_deadlock() {
    let rt = rt(2);
    let handle = rt.handle().clone();
    let (tx, rx) = oneshot::channel::<u32>();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        handle.spawn(async move { tx.send(7).unwrap() })
    });
    assert_eq!(rt.block_on(rx).unwrap(), 7);
    drop(t.join().unwrap());
}

#[test]
fn turned_off_for_programs_woken_by_foreign_threads() {
    let rt = Builder::new()
        .maxprocs(2)
        .deadlock_detection(false)
        .build()
        .unwrap();
    let (tx, rx) = oneshot::channel::<u32>();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        tx.send(3).unwrap();
    });
    assert_eq!(rt.block_on(rx).unwrap(), 3);
}

#[test]
fn a_busy_runtime_is_not_a_deadlock() {
    // Many short wakes through the task graph, each of which passes through quiescent-looking
    // moments.
    let rt = rt(2);
    rt.block_on(async {
        for _ in 0..200 {
            let (tx, rx) = oneshot::channel::<()>();
            gmp_executor::spawn(async move {
                gmp_executor::time::sleep(Duration::from_micros(200)).await;
                tx.send(()).unwrap();
            })
            .detach();
            rx.await.unwrap();
        }
    });
}
