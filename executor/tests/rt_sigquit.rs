//! `Builder::dump_on_sigquit`: `kill -QUIT` prints every task and exits with status 2, as Go
//! does. The test re-runs its own binary as the child process that gets the signal.

#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

const CHILD: &str = "GMP_SIGQUIT_CHILD";

/// The child: a runtime with a waiting task, then "ready" on stdout, then a long sleep.
#[test]
fn child_waits_for_sigquit() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let rt = gmp_executor::Builder::new()
        .maxprocs(2)
        .dump_on_sigquit(true)
        .build()
        .unwrap();
    let (_tx, rx) = futures::channel::oneshot::channel::<()>();
    let _h = rt.spawn(async move { rx.await.ok() }); // sigquit spawn site
    std::thread::sleep(Duration::from_millis(50));
    println!("ready");
    std::thread::sleep(Duration::from_secs(30));
    panic!("no SIGQUIT came");
}

#[test]
fn sigquit_dumps_every_task_and_exits_with_status_2() {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_waits_for_sigquit",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("ready") {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "child ended early"
        );
    }
    let status = Command::new("kill")
        .args(["-QUIT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("SIGQUIT: quit"), "{stderr}");
    assert!(stderr.contains("runtime 0 (2 workers):"), "{stderr}");
    assert!(
        stderr.contains("gmp task dump: 1 task (0 running, 0 runnable, 1 waiting"),
        "{stderr}"
    );
    let source = include_str!("rt_sigquit.rs");
    let site_line = source
        .lines()
        .position(|l| l.contains("// sigquit spawn site"))
        .unwrap()
        + 1;
    assert!(
        stderr.contains(&format!("{}:{site_line}:", file!())),
        "{stderr}"
    );
}
