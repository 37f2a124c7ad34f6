//! Runs the networking examples and checks what they do: `tcp_echo` prints its line;
//! `http_hello` (feature `hyper`) is started on 127.0.0.1:0 and answers 1,000 requests over one
//! keep-alive connection from a hyper client running on gmp; `debug_tasks` (features `hyper`
//! and `metrics`) serves the task dump, Prometheus metrics that a real text-format parser reads
//! back with the right values, and a live page that headless Chromium renders.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// `target/<profile dir>`, found from this test's own executable (`.../deps/net_examples-*`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps")
        .to_path_buf()
}

/// Builds example `name` (with `features`) with this test's profile and target directory and
/// returns its path.
fn build_example(name: &str, features: &[&str]) -> PathBuf {
    let dir = profile_dir();
    let profile = match dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev",
        Some(other) => other,
    };
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args([
        "build",
        "--quiet",
        "-p",
        "gmp",
        "--example",
        name,
        "--profile",
        profile,
    ]);
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    let status = cmd
        .arg("--target-dir")
        .arg(dir.parent().expect("target dir"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cannot run cargo");
    assert!(status.success(), "building example {name} failed");
    dir.join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

#[test]
fn tcp_echo_prints_its_line() {
    let bin = build_example("tcp_echo", &[]);
    for procs in ["1", "2", "4"] {
        let out = Command::new(&bin)
            .env("GOMAXPROCS", procs)
            .output()
            .expect("run tcp_echo");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "tcp_echo failed: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(stdout, "echoed 1000 lines over 10 connections\n");
    }
}

/// Kills the child process when dropped (also on a failed assertion).
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(feature = "hyper")]
#[test]
fn http_hello_answers_1000_keep_alive_requests() {
    use http_body_util::{BodyExt, Empty};
    use hyper::body::Bytes;

    let bin = build_example("http_hello", &["hyper"]);
    let mut child = KillOnDrop(
        Command::new(&bin)
            .arg("127.0.0.1:0")
            .env("GOMAXPROCS", "2")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start http_hello"),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();

    let rt = gmp::Builder::new().maxprocs(2).build().unwrap();
    let ok = rt.block_on(async move {
        let conn = gmp::net::TcpStream::connect(addr.as_str()).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(conn).await.unwrap();
        gmp::spawn(connection).detach();
        let mut ok = 0;
        for _ in 0..1000 {
            sender.ready().await.unwrap();
            let req = hyper::Request::get("/")
                .header("host", addr.as_str())
                .body(Empty::<Bytes>::new())
                .unwrap();
            let res = sender.send_request(req).await.unwrap();
            assert_eq!(res.status(), 200);
            let body = res.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(&body[..], b"Hello, World!");
            ok += 1;
        }
        ok
    });
    assert_eq!(ok, 1000);
}

#[cfg(all(feature = "hyper", feature = "metrics"))]
#[test]
fn debug_tasks_serves_the_task_dump() {
    use std::io::{Read, Write};
    let (_child, host) = start_debug_tasks();
    assert!(host.starts_with("127.0.0.1:"), "{host}");
    let get = |path: &str| {
        let mut conn = std::net::TcpStream::connect(host.as_str()).expect("connect");
        write!(
            conn,
            "GET {path} HTTP/1.1\r\nHost: gmp\r\nConnection: close\r\n\r\n"
        )
        .expect("send request");
        let mut response = String::new();
        conn.read_to_string(&mut response).expect("read response");
        response
    };
    for path in ["/debug/tasks", "/debug/tasks?debug=2"] {
        let response = get(path);
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        // The task parked forever by the example is listed with its spawn site.
        assert!(response.contains("examples/debug_tasks.rs"), "{response}");
        assert!(response.contains(" [waiting, "), "{response}");
        assert!(response.contains(" [chan receive, "), "{response}");
    }
    // Grouped: the three receivers are one line (they may still be starting: retry a little).
    let source = include_str!("../examples/debug_tasks.rs");
    let line = source
        .lines()
        .position(|l| l.contains("gmp::spawn(async move { rx.recv().await })"))
        .unwrap()
        + 1;
    let want = format!("\n3 @ examples/debug_tasks.rs:{line}:");
    let mut response = String::new();
    for _ in 0..200 {
        response = get("/debug/tasks?debug=1");
        if response.contains(&want) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("gmp task profile: total "), "{response}");
    let group = response
        .lines()
        .find(|l| l.starts_with(&want[1..]))
        .unwrap_or_else(|| panic!("no {want:?} in {response}"));
    assert!(group.ends_with(" [chan receive]"), "{response}");
    // Anything else is refused, and nothing else is served.
    assert!(get("/debug/tasks?debug=0").starts_with("HTTP/1.1 400"));
}

/// Starts `debug_tasks` on 127.0.0.1:0 with two workers; returns the process and `host:port`.
#[cfg(all(feature = "hyper", feature = "metrics"))]
fn start_debug_tasks() -> (KillOnDrop, String) {
    let bin = build_example("debug_tasks", &["hyper", "metrics"]);
    let mut child = KillOnDrop(
        Command::new(&bin)
            .arg("127.0.0.1:0")
            .env("GOMAXPROCS", "2")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start debug_tasks"),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the listening line");
    let host = line
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|u| u.strip_suffix("/debug/tasks"))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, host)
}

/// Parses a `/metrics` body with `prometheus-parse`, insisting that every sample line parsed
/// (the parser skips a value it cannot read).
#[cfg(all(feature = "hyper", feature = "metrics"))]
fn parse_metrics(body: &str) -> prometheus_parse::Scrape {
    let scrape = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_owned())))
        .expect("parse the text format");
    let sample_lines = body
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .count();
    assert_eq!(
        scrape.samples.len(),
        sample_lines,
        "a sample did not parse:\n{body}"
    );
    scrape
}

/// The value of the one sample of `metric` whose labels include `labels`.
#[cfg(all(feature = "hyper", feature = "metrics"))]
fn sample(scrape: &prometheus_parse::Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    use prometheus_parse::Value;
    let found: Vec<f64> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
            ref other => panic!("{metric}: unexpected {other:?}"),
        })
        .collect();
    assert_eq!(found.len(), 1, "{metric}{labels:?}: {found:?}");
    found[0]
}

/// The sum of every sample of `metric`.
#[cfg(all(feature = "hyper", feature = "metrics"))]
fn total(scrape: &prometheus_parse::Scrape, metric: &str) -> f64 {
    use prometheus_parse::Value;
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric)
        .map(|s| match s.value {
            Value::Counter(v) | Value::Gauge(v) => v,
            ref other => panic!("{metric}: unexpected {other:?}"),
        })
        .sum()
}

#[cfg(all(feature = "hyper", feature = "metrics"))]
#[test]
fn debug_tasks_metrics_parse_and_count_idle_connections() {
    use http_body_util::{BodyExt, Empty};
    use hyper::body::Bytes;

    const IDLE: usize = 16;
    let (_child, host) = start_debug_tasks();
    let rt = gmp::Builder::new().maxprocs(1).build().unwrap();
    rt.block_on(async move {
        // One keep-alive connection for every scrape, so the scraper's own task is the same
        // one in each.
        let conn = gmp::net::TcpStream::connect(host.as_str()).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(conn).await.unwrap();
        gmp::spawn(connection).detach();
        let mut get = async |accept: Option<&str>| {
            sender.ready().await.unwrap();
            let mut req = hyper::Request::get("/metrics").header("host", host.as_str());
            if let Some(a) = accept {
                req = req.header("accept", a);
            }
            let res = sender
                .send_request(req.body(Empty::<Bytes>::new()).unwrap())
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            (content_type, String::from_utf8(body.to_vec()).unwrap())
        };

        // Prometheus asks for OpenMetrics and gets it.
        let (content_type, body) = get(Some("application/openmetrics-text;version=1.0.0")).await;
        assert!(
            content_type.starts_with("application/openmetrics-text"),
            "{content_type}"
        );
        assert!(body.ends_with("# EOF\n"), "{body}");

        let (content_type, body) = get(None).await;
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "{content_type}"
        );
        let mut before = parse_metrics(&body);
        // The example's three receivers on a channel nobody sends on (they may still be
        // starting: retry a little).
        let receivers = |s: &prometheus_parse::Scrape| {
            sample(s, "gmp_tasks_waiting", &[("reason", "chan receive")])
        };
        for _ in 0..500 {
            if receivers(&before) == 3.0 {
                break;
            }
            gmp::time::sleep(std::time::Duration::from_millis(10)).await;
            before = parse_metrics(&get(None).await.1);
        }
        assert_eq!(receivers(&before), 3.0, "{body}");
        assert_eq!(sample(&before, "gmp_workers", &[]), 2.0);
        for worker in ["0", "1"] {
            for family in [
                "gmp_worker_polls_total",
                "gmp_worker_steals_total",
                "gmp_worker_lifo_steals_total",
                "gmp_worker_lifo_hits_total",
                "gmp_worker_injection_pops_total",
                "gmp_worker_parks_total",
                "gmp_worker_budget_forced_yields_total",
                "gmp_worker_local_queue_depth",
            ] {
                sample(&before, family, &[("worker", worker)]);
            }
        }
        for family in [
            "gmp_tasks_panicked_total",
            "gmp_unhandled_panics_total",
            "gmp_workers_parked",
            "gmp_workers_searching",
            "gmp_injection_queue_depth",
            "gmp_sysmon_long_polls_total",
            "gmp_sysmon_handoff_tasks_total",
            "gmp_sysmon_helpers_started_total",
            "gmp_sysmon_helper_polls_total",
            "gmp_sysmon_io_wakeups_total",
            "gmp_blocking_threads",
            "gmp_blocking_busy_threads",
            "gmp_blocking_queue_depth",
            "gmp_timers",
            "gmp_io_registrations",
        ] {
            sample(&before, family, &[]);
        }
        let tasks = |s: &prometheus_parse::Scrape| sample(s, "gmp_tasks", &[]);
        let waiting =
            |s: &prometheus_parse::Scrape| sample(s, "gmp_tasks_by_state", &[("state", "waiting")]);
        // The task the example parks forever waits on a future gmp does not know.
        assert!(sample(&before, "gmp_tasks_waiting", &[("reason", "waiting")]) >= 1.0);
        assert_eq!(total(&before, "gmp_tasks_by_state"), tasks(&before));
        assert_eq!(total(&before, "gmp_tasks_waiting"), waiting(&before));

        // Each idle connection is one more task, waiting to read its request (hyper's header
        // timer is the last thing its poll registers, so the reason may read `sleep`). They
        // start one by one: wait until every one is counted and waits.
        let idle_waiting = |s: &prometheus_parse::Scrape| {
            sample(s, "gmp_tasks_waiting", &[("reason", "IO wait (read)")])
                + sample(s, "gmp_tasks_waiting", &[("reason", "sleep")])
        };
        let idle: Vec<_> = (0..IDLE)
            .map(|_| std::net::TcpStream::connect(host.as_str()).unwrap())
            .collect();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let after = loop {
            let after = parse_metrics(&get(None).await.1);
            if tasks(&after) == tasks(&before) + IDLE as f64
                && idle_waiting(&after) == idle_waiting(&before) + IDLE as f64
            {
                break after;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "live tasks never rose by {IDLE}, all waiting:\n{}",
                get(None).await.1
            );
            gmp::time::sleep(std::time::Duration::from_millis(10)).await;
        };
        assert_eq!(total(&after, "gmp_tasks_waiting"), waiting(&after));
        assert!(
            sample(&after, "gmp_tasks_spawned_total", &[])
                >= sample(&before, "gmp_tasks_spawned_total", &[]) + IDLE as f64
        );
        assert!(total(&after, "gmp_worker_polls_total") > total(&before, "gmp_worker_polls_total"));
        assert!(
            sample(&after, "gmp_io_registrations", &[])
                >= sample(&before, "gmp_io_registrations", &[]) + IDLE as f64
        );

        // Closed, they are gone again.
        drop(idle);
        loop {
            let now = parse_metrics(&get(None).await.1);
            if tasks(&now) == tasks(&before) {
                assert_eq!(
                    sample(&now, "gmp_tasks_completed_total", &[]),
                    sample(&before, "gmp_tasks_completed_total", &[]) + IDLE as f64
                );
                break;
            }
            assert!(
                std::time::Instant::now() < deadline + std::time::Duration::from_secs(10),
                "the idle connections' tasks never ended"
            );
            gmp::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    });
}

/// Headless Chromium, if this machine has it.
#[cfg(all(feature = "hyper", feature = "metrics"))]
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// The value of attribute `name` in the first tag of `dom` that contains `marker`.
#[cfg(all(feature = "hyper", feature = "metrics"))]
fn attr<'a>(dom: &'a str, marker: &str, name: &str) -> &'a str {
    let at = dom
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in the page:\n{dom}"));
    let start = dom[..at].rfind('<').expect("tag start");
    let end = at + dom[at..].find('>').expect("tag end");
    let tag = &dom[start..end];
    let key = format!(" {name}=\"");
    let v = tag
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {tag}"))
        + key.len();
    &tag[v..v + tag[v..].find('"').expect("attribute end")]
}

#[cfg(all(feature = "hyper", feature = "metrics"))]
#[test]
fn debug_page_renders_in_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have chromium (.ci/run installs it)"
        );
        eprintln!(
            "SKIPPED debug_page_renders_in_chromium: no chromium on PATH \
             (Debian: apt-get install chromium)"
        );
        return;
    };
    let (_child, host) = start_debug_tasks();
    let profile = std::env::temp_dir().join(format!("gmp-chromium-{}", std::process::id()));
    // Five seconds of the page's virtual time: it polls /debug/stats.json once a second.
    let mut chrome = KillOnDrop(
        Command::new(&browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--virtual-time-budget=5000",
                "--dump-dom",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("http://{host}/debug/"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium"),
    );
    let mut stdout = chrome.0.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut dom = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut dom).map(|_| dom)
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while chrome.0.try_wait().expect("wait for chromium").is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "chromium did not finish in 120 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let dom = reader.join().unwrap().expect("read the DOM");
    let _ = std::fs::remove_dir_all(&profile);

    // The page fetched its data, drew both charts, and filled the table.
    assert_eq!(attr(&dom, "<body", "data-status"), "live", "{dom}");
    let samples: usize = attr(&dom, "<body", "data-samples").parse().unwrap();
    assert!(samples >= 3, "{samples} samples:\n{dom}");
    let tasks_points: usize = attr(&dom, "id=\"chart-tasks\"", "data-points")
        .parse()
        .unwrap();
    assert_eq!(tasks_points, samples, "{dom}");
    let polls_points: usize = attr(&dom, "id=\"chart-polls\"", "data-points")
        .parse()
        .unwrap();
    // A rate needs two samples whose server times differ.
    assert!((1..samples).contains(&polls_points), "{dom}");
    for chart in ["chart-tasks", "chart-polls"] {
        let svg = &dom[dom.find(&format!("id=\"{chart}\"")).unwrap()..];
        let svg = &svg[..svg.find("</svg>").unwrap()];
        assert!(
            svg.contains("<path class=\"series\""),
            "{chart} has no line: {svg}"
        );
    }
    let rows: usize = attr(&dom, "id=\"groups\"", "data-rows").parse().unwrap();
    let table = &dom[dom.find("id=\"groups\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    assert_eq!(table.matches("<tr>").count(), rows + 1, "{table}");
    // The example's parked task and its three receivers, by spawn site and wait reason.
    assert!(table.contains("<td>waiting</td>"), "{table}");
    assert!(
        table.contains("<td class=\"n\">3</td><td>chan receive</td>"),
        "{table}"
    );
    assert!(table.contains("examples/debug_tasks.rs"), "{table}");
}
