//! Wait reasons in the task dump: a task blocked on each gmp primitive shows why, as Go's
//! goroutine profile does (`goroutine 7 [chan receive]`); a foreign future shows `waiting`; a
//! task that runs again forgets its old reason.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{AsyncReadExt, AsyncWriteExt};
use gmp::runtime::{Dump, TaskState, WaitReason};
use gmp::task::Id;
use gmp::{Runtime, chan, select};

const LONG: Duration = Duration::from_secs(3600);

fn rt() -> Runtime {
    gmp::Builder::new().maxprocs(2).build().unwrap()
}

/// Dumps until task `id` waits for `reason` (or fails after 10 s, showing the dump).
fn expect(rt: &Runtime, id: Id, reason: WaitReason) -> Dump {
    let start = Instant::now();
    loop {
        let dump = rt.handle().dump();
        let task = dump.tasks().iter().find(|t| t.id == id);
        if task.is_some_and(|t| t.state == TaskState::Waiting && t.wait_reason() == Some(reason)) {
            let text = dump.to_string();
            let shown = format!("task {id} [{reason}");
            assert!(text.contains(&shown), "no {shown:?} in\n{text}");
            return dump;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "task {id} never waited for {reason:?}:\n{dump}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Spawns `fut` and expects it to wait for `reason`.
fn spawn_expect<F>(rt: &Runtime, reason: WaitReason, fut: F) -> Dump
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let h = rt.spawn(fut);
    let dump = expect(rt, h.id(), reason);
    drop(h);
    dump
}

#[test]
fn chan_receive() {
    let rt = rt();
    let (tx, rx) = chan::bounded::<u32>(0);
    spawn_expect(&rt, WaitReason::ChanReceive, async move { rx.recv().await });
    // A receive as a stream too.
    let (tx2, mut rx2) = chan::bounded::<u32>(4);
    spawn_expect(&rt, WaitReason::ChanReceive, async move {
        futures::StreamExt::next(&mut rx2).await
    });
    drop((tx, tx2));
}

#[test]
fn chan_send() {
    let rt = rt();
    let (tx, rx) = chan::bounded::<u32>(0);
    spawn_expect(&rt, WaitReason::ChanSend, async move { tx.send(1).await });
    drop(rx);
}

#[test]
fn select_with_its_arm_count() {
    let rt = rt();
    let (_tx1, rx1) = chan::bounded::<u32>(0);
    let (tx2, _rx2) = chan::bounded::<u32>(0);
    let h = rt.spawn(async move {
        select! {
            _ = rx1.recv() => {},
            _ = tx2.send(5) => {},
            _ = gmp::time::sleep(LONG) => {},
        }
    });
    let dump = expect(&rt, h.id(), WaitReason::Select);
    let task = dump.tasks().iter().find(|t| t.id == h.id()).unwrap();
    assert_eq!(task.select_arms(), Some(3));
    let text = dump.to_string();
    assert!(
        text.contains(&format!("task {} [select (3 arms), ", h.id())),
        "{text}"
    );
}

#[test]
fn sleep_timer_ticker_timeout() {
    let rt = rt();
    spawn_expect(&rt, WaitReason::Sleep, gmp::time::sleep(LONG));
    spawn_expect(&rt, WaitReason::Timer, gmp::time::Timer::new(LONG));
    spawn_expect(&rt, WaitReason::Ticker, async {
        let mut t = gmp::time::Ticker::new(LONG);
        t.tick().await;
    });
    // Around a foreign future the deadline is the news; around a gmp one, the operand's reason.
    spawn_expect(
        &rt,
        WaitReason::Timeout,
        gmp::time::timeout(LONG, std::future::pending::<()>()),
    );
    let (tx, rx) = chan::bounded::<u32>(0);
    spawn_expect(
        &rt,
        WaitReason::ChanReceive,
        gmp::time::timeout(LONG, async move { rx.recv().await }),
    );
    drop(tx);
}

#[test]
fn io_read_write_accept() {
    let rt = rt();
    let bind = || {
        rt.block_on(gmp::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap()
    };
    let idle = bind();
    spawn_expect(
        &rt,
        WaitReason::IoAccept,
        async move { idle.accept().await },
    );

    let listener = bind();
    let addr = listener.local_addr().unwrap();

    let connect = || {
        rt.block_on(async {
            let c = gmp::net::TcpStream::connect(addr);
            let (c, s) = futures::join!(c, listener.accept());
            (c.unwrap(), s.unwrap().0)
        })
    };
    // Nobody writes to the reader's peer.
    let (mut reader, _quiet_peer) = connect();
    spawn_expect(&rt, WaitReason::IoRead, async move {
        let mut buf = [0u8; 16];
        reader.read(&mut buf).await
    });
    // Nobody reads from the writer's peer: the socket buffers fill and the write waits.
    let (mut writer, _deaf_peer) = connect();
    spawn_expect(&rt, WaitReason::IoWrite, async move {
        let chunk = vec![0u8; 1 << 20];
        loop {
            writer.write_all(&chunk).await?;
        }
        #[allow(unreachable_code)]
        Ok::<(), std::io::Error>(())
    });
}

#[test]
fn mutex_and_rwlock() {
    let rt = rt();
    let m = Arc::new(gmp::Mutex::new(0));
    let guard = m.try_lock().unwrap();
    let m2 = m.clone();
    spawn_expect(&rt, WaitReason::Mutex, async move {
        *m2.lock().await += 1;
    });
    drop(guard);

    let l = Arc::new(gmp::RwLock::new(0));
    let write_guard = l.try_write().unwrap();
    let l2 = l.clone();
    spawn_expect(&rt, WaitReason::RwLockRead, async move {
        let _ = *l2.read().await;
    });
    drop(write_guard);
    // Let the reader (if it got in) finish before taking a read guard for the writer test.
    let read_guard = loop {
        if let Some(g) = l.try_read() {
            break g;
        }
        std::thread::yield_now();
    };
    let l3 = l.clone();
    spawn_expect(&rt, WaitReason::RwLockWrite, async move {
        *l3.write().await += 1;
    });
    drop(read_guard);
}

#[test]
fn semaphore_waitgroup_notify() {
    let rt = rt();
    let sem = Arc::new(gmp::Semaphore::new(0));
    let s = sem.clone();
    spawn_expect(&rt, WaitReason::Semaphore, async move {
        s.acquire(1).await.forget();
    });
    sem.release(1);

    let wg = gmp::WaitGroup::new();
    wg.add(1);
    let w = wg.clone();
    spawn_expect(&rt, WaitReason::WaitGroup, async move { w.wait().await });
    wg.done();

    let notify = Arc::new(gmp::Notify::new());
    let n = notify.clone();
    spawn_expect(&rt, WaitReason::Notify, async move { n.notified().await });
    notify.notify_one();
}

#[test]
fn errgroup_limit() {
    let rt = rt();
    let g = gmp::errgroup::Group::<()>::new();
    g.set_limit(1);
    let (tx, rx) = chan::bounded::<()>(0);
    let g2 = g.clone();
    spawn_expect(&rt, WaitReason::ErrgroupLimit, async move {
        // The first member holds the only slot until `tx` closes.
        g2.go(async move {
            rx.recv().await;
            Ok(())
        })
        .await;
        g2.go(async { Ok(()) }).await;
    });
    tx.close();
    rt.block_on(g.wait()).unwrap();
}

#[test]
fn join_and_blocking_pool() {
    let rt = rt();
    let (tx, rx) = chan::bounded::<()>(0);
    let child = rt.spawn(async move { rx.recv().await });
    spawn_expect(&rt, WaitReason::Join, child);
    drop(tx);

    let (release, wait) = std::sync::mpsc::channel::<()>();
    let h = rt.spawn(async move { gmp::spawn_blocking(move || wait.recv()).await });
    expect(&rt, h.id(), WaitReason::BlockingPool);
    release.send(()).unwrap();
    rt.block_on(h).unwrap().unwrap().unwrap();
}

#[test]
fn context_done() {
    let rt = rt();
    let (ctx, cancel) = gmp::context::with_cancel(&gmp::context::Context::background());
    spawn_expect(
        &rt,
        WaitReason::ContextDone,
        async move { ctx.done().await },
    );
    spawn_expect(&rt, WaitReason::ContextDone, async {
        gmp::context::Context::background().done().await
    });
    cancel.cancel();
}

#[test]
fn once_and_singleflight() {
    let rt = rt();
    let (tx, rx) = chan::bounded::<()>(0);
    let cell = Arc::new(gmp::OnceCell::<u32>::new());
    let c = cell.clone();
    // The first caller initializes (waiting on the channel); the second waits for it.
    let first = rt.spawn(async move {
        *c.get_or_init(|| async move {
            rx.recv().await;
            1
        })
        .await
    });
    expect(&rt, first.id(), WaitReason::ChanReceive);
    let c = cell.clone();
    spawn_expect(&rt, WaitReason::Once, async move {
        *c.get_or_init(|| async { 2 }).await
    });
    tx.close();
    assert_eq!(rt.block_on(first).unwrap(), 1);

    let group = Arc::new(gmp::sync::singleflight::Group::<u32, u32>::new());
    let (tx, rx) = chan::bounded::<()>(0);
    let g = group.clone();
    let leader = rt.spawn(async move {
        g.run(7, async move {
            rx.recv().await;
            1
        })
        .await
    });
    expect(&rt, leader.id(), WaitReason::ChanReceive);
    let g = group.clone();
    spawn_expect(&rt, WaitReason::Singleflight, async move {
        g.run(7, async { 2 }).await
    });
    tx.close();
    assert_eq!(rt.block_on(leader).unwrap(), (1, true));
}

#[test]
fn a_foreign_future_shows_waiting() {
    let rt = rt();
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    let dump = spawn_expect(&rt, WaitReason::Other, rx);
    assert!(dump.to_string().contains(" [waiting, "), "{dump}");
    assert_eq!(dump.count_by_reason().get(&WaitReason::Other), Some(&1));
    drop(tx);
}

/// A task that waited on a channel, then runs again and waits on a foreign future, no longer
/// shows "chan receive".
#[test]
fn a_task_that_runs_again_forgets_its_old_reason() {
    let rt = rt();
    let (tx, rx) = chan::bounded::<u32>(0);
    let (otx, orx) = futures::channel::oneshot::channel::<()>();
    let h = rt.spawn(async move {
        rx.recv().await;
        orx.await.ok();
    });
    expect(&rt, h.id(), WaitReason::ChanReceive);
    rt.block_on(tx.send(1)).unwrap();
    expect(&rt, h.id(), WaitReason::Other);
    otx.send(()).unwrap();
    rt.block_on(h).unwrap();
}

/// Counting by reason, and a running task has none.
#[test]
fn count_by_reason() {
    let rt = rt();
    let (tx, rx) = chan::bounded::<u32>(0);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let rx = rx.clone();
        ids.push(rt.spawn(async move { rx.recv().await }).id());
    }
    for id in &ids {
        expect(&rt, *id, WaitReason::ChanReceive);
    }
    let dump = rt.handle().dump();
    assert_eq!(
        dump.count_by_reason().get(&WaitReason::ChanReceive),
        Some(&3)
    );
    let running = rt.block_on(async {
        let d = gmp::runtime::dump();
        d.tasks()
            .iter()
            .filter(|t| t.wait_reason().is_some())
            .count()
    });
    assert_eq!(running, 3);
    drop(tx);
}
