//! Each example's output, checked. The examples run on the gmp runtime, so these wait for the
//! scheduler.

#[path = "../examples/sync_waitgroup.rs"]
mod sync_waitgroup;

#[path = "../examples/context_timeout_worker.rs"]
mod context_timeout_worker;

#[path = "../examples/errgroup_process_all.rs"]
mod errgroup_process_all;

#[path = "../examples/errgroup_db_fanout.rs"]
mod errgroup_db_fanout;

#[path = "../examples/graceful_stop.rs"]
mod graceful_stop;

#[path = "../examples/context_leak.rs"]
mod context_leak;

fn run<F: std::future::Future>(f: F) -> F::Output {
    gmp::Runtime::new().unwrap().block_on(f)
}

#[test]

fn sync_waitgroup_output() {
    let lines = run(sync_waitgroup::run());
    assert_eq!(lines.len(), 6);
    assert_eq!(lines.last().map(String::as_str), Some("all done"));
    let mut ids: Vec<_> = lines[..5].to_vec();
    ids.sort();
    assert_eq!(
        ids,
        (0..5)
            .map(|i| format!("goroutine {i} done"))
            .collect::<Vec<_>>()
    );
}

#[test]

fn context_timeout_worker_output() {
    let lines = run(context_timeout_worker::run());
    let ticks = lines.iter().filter(|l| *l == "worker: tick").count();
    assert!(
        (3..=7).contains(&ticks),
        "{ticks} ticks in 300 ms at 50 ms: {lines:?}"
    );
    // The worker ticks, then reports the cancellation last; main reports the timeout once,
    // after the first ticks. The two are not ordered: the deadline (300 ms) and the sixth tick
    // (300 ms plus a few microseconds of drift) fire together, and which task prints first is
    // up to the scheduler (in Go too).
    let worker: Vec<&String> = lines.iter().filter(|l| l.starts_with("worker:")).collect();
    assert_eq!(worker.len(), ticks + 1, "{lines:?}");
    assert_eq!(worker[ticks], "worker: context cancelled", "{lines:?}");
    let timeout: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i] == "timeout, shutting down")
        .collect();
    assert!(timeout.len() == 1 && timeout[0] >= 3, "{lines:?}");
    assert_eq!(lines.len(), ticks + 2, "{lines:?}");
}

#[test]

fn errgroup_process_all_output() {
    let lines = run(errgroup_process_all::run());
    assert!(
        lines[0].starts_with("clean batch: ok, 40 processed"),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("batch with a bad item: error: item 42: invalid"),
        "{lines:?}"
    );
    for l in &lines {
        let peak: usize = l
            .rsplit(' ')
            .next()
            .unwrap()
            .trim_end_matches(')')
            .parse()
            .unwrap();
        assert!((1..=10).contains(&peak), "{l}");
    }
}

#[test]

fn errgroup_db_fanout_output() {
    let lines = run(errgroup_db_fanout::run());
    assert!(
        lines[0].starts_with("unbounded: ") && lines[0].contains("pool exhausted"),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("limit 10: 0 of 10 requests failed"),
        "{lines:?}"
    );
}

#[test]

fn graceful_stop_output() {
    let lines = run(graceful_stop::run());
    assert_eq!(
        lines,
        [
            "worker A (done channel): stopped (did work: true)",
            "worker B (context): stopped (did work: true), err = context canceled"
        ]
    );
}

#[test]

fn context_leak_output() {
    let lines = run(context_leak::run());
    assert_eq!(
        lines,
        [
            "leak3: 1 worker still running after it returned",
            "fixed3: 0 workers running after it returned"
        ]
    );
}
