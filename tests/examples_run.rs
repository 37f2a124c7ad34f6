//! Builds the programs in `examples/` once, with the profile and target directory of this
//! test, then runs each and checks what it prints.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Once;

/// `target/<profile dir>`, found from this test's own executable (`.../deps/examples_run-*`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps")
        .to_path_buf()
}

/// Runs example `name` with `envs` and returns its stdout, asserting it exited successfully.
fn run_example(name: &str, envs: &[(&str, &str)]) -> String {
    static BUILD: Once = Once::new();
    let dir = profile_dir();
    BUILD.call_once(|| {
        let profile = match dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => "dev",
            Some(other) => other,
        };
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "-p",
                "gmp",
                "--examples",
                "--profile",
                profile,
                "--target-dir",
            ])
            .arg(dir.parent().expect("target dir"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cannot run cargo");
        assert!(status.success(), "building the examples failed");
    });

    let bin = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let mut cmd = Command::new(&bin);
    cmd.env_remove("GOMAXPROCS");
    cmd.envs(envs.iter().copied());
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    assert!(
        out.status.success(),
        "example {name} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn hello() {
    assert_eq!(
        run_example("hello", &[]),
        "Hello from goroutine!\nmain: goroutine finished\n"
    );
}

#[test]
fn wait_many() {
    let expected: String = (0..5).map(|i| format!("goroutine {i} done\n")).collect();
    assert_eq!(run_example("wait_many", &[]), expected + "all done\n");
}

#[test]
fn gomaxprocs_default_is_num_cpu() {
    let num_cpu = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(
        run_example("gomaxprocs", &[]),
        format!(
            "NumCPU: {num_cpu}\ndefault maxprocs: {num_cpu}\nmaxprocs after Builder::maxprocs(4): 4\n"
        )
    );
}

#[test]
fn gomaxprocs_default_follows_the_environment() {
    let out = run_example("gomaxprocs", &[("GOMAXPROCS", "3")]);
    let lines: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(
        lines,
        [
            "default maxprocs: 3",
            "maxprocs after Builder::maxprocs(4): 4"
        ]
    );
}

#[test]
fn interview_q1_prints_a_permutation() {
    let out = run_example("interview_q1", &[]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let mut digits: Vec<char> = lines[0].chars().collect();
    digits.sort_unstable();
    assert_eq!(digits, ['0', '1', '2', '3', '4'], "{out}");
    assert_eq!(lines[1], "a permutation of 0-4: true");
}

#[test]
fn main_returning_drops_the_sleeping_task() {
    assert_eq!(
        run_example("main_returns", &[]),
        "main returns\ndestructor ran\n"
    );
}

#[test]
fn task_dump_shows_each_state_with_its_spawn_site() {
    let out = run_example("task_dump", &[]);
    assert!(
        out.starts_with("gmp task dump: 3 tasks (1 running, "),
        "{out}"
    );
    for (state, marker) in [
        ("[waiting, ", "let waiting = gmp::spawn"),
        ("[in spawn_blocking, ", "let blocking = gmp::spawn_blocking"),
        ("[running on worker ", "let running = gmp::spawn"),
    ] {
        let source = include_str!("../examples/task_dump.rs");
        let line = source.lines().position(|l| l.contains(marker)).unwrap() + 1;
        let site = format!("created at\n\texamples/task_dump.rs:{line}:");
        let task = out
            .split("\n\n")
            .find(|t| t.contains(state))
            .unwrap_or_else(|| panic!("no {state} task:\n{out}"));
        assert!(task.contains(&site), "{state} task not at {site}:\n{out}");
    }
    assert!(
        out.contains("after they finish:\ngmp task dump: 0 tasks"),
        "{out}"
    );
    assert!(
        out.contains("tasks: 0 alive, 3 spawned, 3 completed"),
        "{out}"
    );
}

#[test]
fn leak_check_catches_the_leak_and_passes_the_fix() {
    let out = run_example("leak_check", &[]);
    assert!(
        out.starts_with("leaky version:\nfound 1 leaked task"),
        "{out}"
    );
    assert!(
        out.contains("created at\n\texamples/leak_check.rs:"),
        "{out}"
    );
    assert!(out.ends_with("fixed version: no leaked tasks\n"), "{out}");
}
