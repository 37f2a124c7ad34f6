//! Runs the networking examples and checks what they do: `tcp_echo` prints its line;
//! `http_hello` (feature `hyper`) is started on 127.0.0.1:0 and answers 1,000 requests over one
//! keep-alive connection from a hyper client running on gmp.

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

#[cfg(feature = "hyper")]
#[test]
fn debug_tasks_serves_the_task_dump() {
    use std::io::{Read, Write};
    let bin = build_example("debug_tasks", &["hyper"]);
    let mut child = KillOnDrop(
        Command::new(&bin)
            .arg("127.0.0.1:0")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start debug_tasks"),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the listening line");
    let url = line
        .trim()
        .strip_prefix("listening on http://")
        .expect(&line);
    let host = url.strip_suffix("/debug/tasks").expect(url);
    assert!(host.starts_with("127.0.0.1:"), "{host}");
    let get = |path: &str| {
        let mut conn = std::net::TcpStream::connect(host).expect("connect");
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
