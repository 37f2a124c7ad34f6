//! Smoke test of the comparison harness: quick runs of a few cheap workloads must print their
//! tables with every peer's cells filled in, and write a records.json that parses back and a
//! self-contained report.html with a chart per table.
//!
//! gmp's cells are checked according to what the harness says about gmp: `n/a` while its
//! scheduler is missing, real numbers (and ratios) as soon as it works, with no change here.
//! Go is left out (`--no-go`) to keep the test hermetic and fast.

use std::process::Command;

/// A fresh directory for one test's report.
fn out_dir(test: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("gmpb-smoke-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn harness(args: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gmp-bench"));
    cmd.args(args);
    // Runs that measure write their report to a temporary directory, not into target/.
    if !args
        .iter()
        .any(|a| ["--list", "--child", "--out"].contains(a))
    {
        cmd.arg("--out")
            .arg(out_dir(&args.join("_").replace([',', '-'], "")));
    }
    let out = cmd.output().expect("run gmp-bench");
    let stdout = String::from_utf8(out.stdout).expect("utf-8 stdout");
    assert!(
        out.status.success(),
        "gmp-bench {args:?} failed\n--- stdout\n{stdout}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The rows (header first, separator dropped) of the table under the heading `heading`.
fn table(stdout: &str, heading: &str) -> Vec<Vec<String>> {
    let mut lines = stdout
        .lines()
        .skip_while(|l| !l.starts_with(heading))
        .skip(1);
    let rows: Vec<Vec<String>> = lines
        .by_ref()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter(|l| !l.starts_with("|-"))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect();
    assert!(!rows.is_empty(), "no table under {heading:?} in\n{stdout}");
    rows
}

fn row<'a>(t: &'a [Vec<String>], label: &str) -> &'a [String] {
    t.iter()
        .find(|r| r[0] == label)
        .unwrap_or_else(|| panic!("no row {label:?} in {t:?}"))
}

fn col(t: &[Vec<String>], name: &str) -> usize {
    t[0].iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name:?} in {:?}", t[0]))
}

/// `812 ns`, `4.5 us`, ...
fn is_time(cell: &str) -> bool {
    cell.split_once(' ').is_some_and(|(v, u)| {
        v.parse::<f64>().is_ok_and(|v| v > 0.0) && ["ns", "us", "ms", "s"].contains(&u)
    })
}

fn is_number(cell: &str) -> bool {
    cell.trim_end_matches('x')
        .parse::<f64>()
        .is_ok_and(|v| v > 0.0)
}

#[test]
fn quick_run_prints_the_tables() {
    let out = harness(&[
        "--quick",
        "--only",
        "spawn_many,ping_pong",
        "--no-go",
        "--no-curves",
    ]);
    let seed = table(&out, "## Goroutines vs OS threads");
    assert_eq!(
        seed[0],
        [
            "property",
            "gmp task",
            "OS thread",
            "tokio task",
            "async-executor task",
            "Go goroutine",
            "seed: goroutine / thread"
        ]
    );
    for label in [
        "creation (spawn+run+exit)",
        "context switch (one-way hand-off)",
    ] {
        let r = row(&seed, label);
        for peer in ["OS thread", "tokio task", "async-executor task"] {
            assert!(
                is_time(&r[col(&seed, peer)]),
                "{label} / {peer}: {:?}",
                r[col(&seed, peer)]
            );
        }
        let gmp = &r[col(&seed, "gmp task")];
        assert!(is_time(gmp), "{label} / gmp: {gmp:?}");
        assert_eq!(r[col(&seed, "Go goroutine")], "-", "Go was not asked for");
    }
    // park was not selected: its rows are there, empty.
    assert_eq!(
        row(&seed, "memory per parked unit (peak RSS)")[col(&seed, "tokio task")],
        "-"
    );

    let wl = table(&out, "## Executor and channel workloads");
    assert_eq!(
        wl[0],
        [
            "workload",
            "unit",
            "n",
            "gmp",
            "tokio",
            "async-executor",
            "Go",
            "gmp/tokio",
            "gmp/Go"
        ]
    );
    assert_eq!(wl.len(), 3, "only the two selected workloads: {wl:?}");
    for (name, unit) in [("spawn_many", "ns/task"), ("ping_pong", "ns/round trip")] {
        let r = row(&wl, name);
        assert_eq!(r[col(&wl, "unit")], unit);
        assert!(
            is_number(&r[col(&wl, "tokio")]) && is_number(&r[col(&wl, "async-executor")]),
            "{r:?}"
        );
        assert!(
            is_number(&r[col(&wl, "gmp")]) && is_number(&r[col(&wl, "gmp/tokio")]),
            "{r:?}"
        );
        assert_eq!(r[col(&wl, "gmp/Go")], "n/a");
    }
    assert!(
        !out.contains("## lifo_strand"),
        "lifo_strand was not selected"
    );
}

#[test]
fn list_names_every_workload() {
    let out = harness(&["--list"]);
    for w in gmp_bench::workloads::WORKLOADS {
        assert!(
            out.lines()
                .any(|l| l.split_whitespace().next() == Some(w.name)),
            "{} missing from\n{out}",
            w.name
        );
    }
}

#[test]
fn child_prints_one_record() {
    let out = harness(&["--child", "ping_pong", "tokio", "100", "0", "2"]);
    let line = out
        .lines()
        .find(|l| l.starts_with("GMPB "))
        .expect("a record line");
    assert!(
        line.starts_with("GMPB workload=ping_pong peer=tokio n=100 reps=2 ns="),
        "{line}"
    );
    assert!(line.contains(" samples="), "{line}");
}

#[test]
fn channel_workloads_and_their_goals() {
    let out = harness(&[
        "--quick",
        "--only",
        "chan_ping_pong,chan_mpmc",
        "--no-go",
        "--no-curves",
    ]);
    let wl = table(&out, "## Executor and channel workloads");
    let pp = row(&wl, "chan_ping_pong");
    assert!(is_number(&pp[col(&wl, "tokio")]), "{pp:?}");
    assert!(is_number(&pp[col(&wl, "async-executor")]), "{pp:?}");
    // tokio's mpsc has one receiver: no mpmc cell.
    let mpmc = row(&wl, "chan_mpmc");
    assert_eq!(mpmc[col(&wl, "tokio")], "-");
    assert!(is_number(&mpmc[col(&wl, "async-executor")]), "{mpmc:?}");
    assert!(is_number(&mpmc[col(&wl, "gmp")]), "{mpmc:?}");
    // Without Go the goals have no verdict.
    let goals = table(&out, "Channel goals");
    let g = row(&goals, "chan_mpmc <= 0.75x Go");
    assert_eq!(g[col(&goals, "verdict")], "n/a");
}

#[test]
fn sysmon_workloads_and_their_goals() {
    let out = harness(&[
        "--quick",
        "--only",
        "blocking_spin,all_blocked_sleep,fairness",
        "--no-go",
    ]);
    let t = table(&out, "## Blocked workers and fairness");
    assert_eq!(
        t[0],
        [
            "workload", "peer", "p50", "p99", "max", "samples", "gmp goal"
        ]
    );
    // Three workloads, each with rows for gmp, tokio, async-executor and an unasked Go.
    assert_eq!(t.len(), 1 + 3 * 4, "{t:?}");
    let cell = |w: &str, peer: &str, c: &str| -> String {
        let r = t
            .iter()
            .find(|r| r[0] == w && r[1] == peer)
            .unwrap_or_else(|| panic!("no row {w}/{peer} in {t:?}"));
        r[col(&t, c)].clone()
    };
    for w in ["blocking_spin", "all_blocked_sleep", "fairness"] {
        for peer in ["tokio", "async-executor"] {
            let samples = cell(w, peer, "samples");
            assert!(
                samples.ends_with("probes") || samples.contains("ticks"),
                "{w}/{peer}: {samples:?}"
            );
            assert_eq!(cell(w, peer, "gmp goal"), "", "{w}/{peer}");
        }
        assert_eq!(cell(w, "go", "p99"), "-", "Go was not asked for");
        let (p99, goal) = (cell(w, "gmp", "p99"), cell(w, "gmp", "gmp goal"));
        assert!(is_time(&p99), "{w}/gmp: {p99:?}");
        assert!(
            goal.ends_with(": goal met") || goal.ends_with(": GOAL MISSED"),
            "{w}: {goal:?}"
        );
    }
    // A probe behind a tokio worker blocked 100 ms is late, but it runs.
    assert!(is_time(&cell("all_blocked_sleep", "tokio", "p99")));
    assert!(cell("fairness", "gmp", "gmp goal").starts_with("p99 <= 300.0 us"));
}

#[test]
fn network_rows_under_the_built_in_load_generator() {
    let out = harness(&["--quick", "--only", "tcp_echo", "--no-go"]);
    let t = table(&out, "## Network");
    let r = row(&t, "tcp_echo");
    // Columns: workload, unit, s x rounds, then (value, p99) per gmp, tokio, Go.
    assert!(is_number(&r[5]) && is_time(&r[6]), "tokio: {r:?}");
    assert!(is_number(&r[3]) && is_time(&r[4]), "gmp: {r:?}");
    assert!(
        out.contains("the load generator (gmp-bench --load"),
        "the note says what loads the servers:\n{out}"
    );
}

#[test]
fn run_writes_records_and_a_self_contained_report() {
    let dir = out_dir("report");
    let d = dir.to_str().unwrap();
    // spawn_many brings its size curve (ns and bytes per task).
    let out = harness(&[
        "--quick",
        "--only",
        "spawn_many",
        "--no-go",
        "--reps",
        "2",
        "--out",
        d,
    ]);
    assert!(out.contains(&format!("report: {d}/report.html")), "{out}");

    let json = std::fs::read_to_string(dir.join("records.json")).expect("records.json");
    let v: serde_json::Value = serde_json::from_str(&json).expect("records.json parses");
    assert_eq!(v["mode"], "quick");
    let m = &v["machine"];
    assert!(m["cores"].as_u64().unwrap() >= 1, "{m}");
    for k in [
        "cpu_model",
        "kernel",
        "rustc",
        "git_commit",
        "load_avg",
        "pinning",
    ] {
        assert!(
            m[k].as_str().is_some_and(|s| !s.is_empty()),
            "machine.{k}: {m}"
        );
    }
    let recs = v["records"].as_array().unwrap();
    let tokio = recs
        .iter()
        .find(|r| r["workload"] == "spawn_many" && r["peer"] == "tokio")
        .expect("a spawn_many/tokio record");
    assert_eq!(
        tokio["samples"].as_array().unwrap().len(),
        2,
        "every round's sample: {tokio}"
    );
    let curve_sizes: Vec<u64> = v["curves"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["peer"] == "tokio")
        .map(|r| r["n"].as_u64().unwrap())
        .collect();
    assert_eq!(curve_sizes, [1_000, 10_000, 100_000]);

    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    let sections = html.matches("<h2>").count();
    // The seed table, the executor table, and the spawn curve's two charts.
    assert!(sections >= 4, "{sections} sections");
    assert_eq!(html.matches("<svg").count(), sections, "a chart per table");
    for outside in ["<script", "src=", "href=", "@import", "url("] {
        assert!(
            !html.contains(outside),
            "report.html loads something ({outside})"
        );
    }

    // Comparing a run with itself (the same samples): nothing is called faster or slower.
    let again = harness(&[
        "--quick",
        "--only",
        "ping_pong",
        "--no-go",
        "--no-curves",
        "--compare",
        &format!("{d}/records.json"),
    ]);
    assert!(again.contains("## Compared with"), "{again}");
}
