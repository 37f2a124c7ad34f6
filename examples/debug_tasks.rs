//! Go's debug endpoints for a gmp service, served over HTTP by hyper on gmp:
//!
//! - `/debug/tasks?debug=1`: the tasks counted by spawn site and state or wait reason, largest
//!   group first (`1000 @ src/main.rs:12:5 [chan receive]`), the view that finds a leak, like
//!   Go's `/debug/pprof/goroutine?debug=1`;
//! - `/debug/tasks` or `?debug=2`: every live task with its state or wait reason, spawn site,
//!   age and poll count;
//! - `/metrics`: the runtime's metrics for Prometheus (`gmp_tasks` is Go's `go_goroutines`),
//!   in the OpenMetrics text format when the scraper asks for it, the classic one otherwise;
//! - `/debug/stats.json`: live tasks, polls and the grouped tasks as JSON (what the live page
//!   polls);
//! - `/debug/`: a live page that charts live tasks and polls per second over the last five
//!   minutes and shows the grouped tasks (one self-contained HTML file: nothing is fetched
//!   from anywhere else).
//!
//! Run: `cargo run --example debug_tasks --features hyper,metrics [ADDR]`, then open
//! `http://127.0.0.1:6060/debug/` or `curl 'http://127.0.0.1:6060/debug/tasks?debug=1'`.
//!
//! It listens on 127.0.0.1 unless you name another address: a task dump names your code paths
//! (Go's pprof left on a public port is a known leak). Every endpoint only reads: no request
//! can change the runtime.

use std::convert::Infallible;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gmp::hyper::GmpTimer;
use gmp::metrics::{RuntimeCollector, prometheus_client::registry::Registry};
use gmp::net::TcpListener;
use gmp::runtime::TaskState;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{ACCEPT, ALLOW, CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

/// The live page (inline CSS, JS and SVG).
const PAGE: &str = include_str!("debug_page.html");

/// The `Content-Type` of the dumps.
const TEXT: &str = "text/plain; charset=utf-8";

/// Rows of the grouped tasks sent to the page at most.
const MAX_GROUPS: usize = 200;

fn respond(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(body.into()));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `/debug/stats.json`: what the live page polls. The groups are the grouped profile's
/// (`?debug=1`), largest first, at most `MAX_GROUPS` of them.
fn stats_json() -> String {
    let m = gmp::runtime::Handle::current().metrics();
    let profile = gmp::runtime::profile();
    let in_state = |state: TaskState| -> usize {
        profile
            .groups()
            .iter()
            .filter(|g| g.state == state)
            .map(|g| g.count)
            .sum()
    };
    let groups: Vec<_> = profile
        .groups()
        .iter()
        .take(MAX_GROUPS)
        .map(|g| {
            // The group's line reads `count @ site [what]`: `what` is the wait reason (with a
            // select's arm count) or the state, as the profile prints it.
            let line = g.to_string();
            let what = line
                .rsplit_once(" [")
                .map_or("", |(_, w)| w.trim_end_matches(']'));
            serde_json::json!({
                "count": g.count,
                "state": what,
                "site": g.spawn_site.to_string(),
            })
        })
        .collect();
    let polls: u64 = m.workers.iter().map(|w| w.polls).sum::<u64>() + m.sysmon_helper_polls;
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    serde_json::json!({
        "time_ms": now_ms,
        "tasks": m.tasks_alive,
        "polls": polls,
        "spawned": m.tasks_spawned,
        "completed": m.tasks_completed,
        "panicked": m.tasks_panicked,
        "workers": m.workers.len(),
        "workers_parked": m.workers_parked,
        "workers_searching": m.workers_searching,
        "runnable": in_state(TaskState::Runnable),
        "running": in_state(TaskState::Running),
        "waiting": in_state(TaskState::Waiting),
        "blocking": in_state(TaskState::Blocking),
        "groups": groups,
        "groups_total": profile.groups().len(),
    })
    .to_string()
}

async fn debug(
    registry: &Registry,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read-only endpoints: nothing a request sends changes the runtime.
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut res = respond(StatusCode::METHOD_NOT_ALLOWED, "text/plain", "GET only\n");
        res.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Ok(res);
    }
    let res = match req.uri().path() {
        "/debug/tasks" => match req.uri().query() {
            Some("debug=1") => respond(StatusCode::OK, TEXT, gmp::runtime::profile().to_string()),
            None | Some("debug=2") => {
                respond(StatusCode::OK, TEXT, gmp::runtime::dump().to_string())
            }
            Some(_) => respond(
                StatusCode::BAD_REQUEST,
                TEXT,
                "debug=1 (grouped) or debug=2 (every task)\n",
            ),
        },
        "/metrics" => {
            let accept = req.headers().get(ACCEPT).and_then(|a| a.to_str().ok());
            match gmp::metrics::render(registry, accept) {
                Ok((content_type, body)) => respond(StatusCode::OK, content_type, body),
                Err(_) => respond(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "text/plain",
                    "cannot encode the metrics\n",
                ),
            }
        }
        "/debug/stats.json" => respond(StatusCode::OK, "application/json", stats_json()),
        "/debug/" | "/debug" => respond(StatusCode::OK, "text/html; charset=utf-8", PAGE),
        _ => respond(
            StatusCode::NOT_FOUND,
            "text/plain",
            "try /debug/ (live page), /debug/tasks?debug=1, /debug/tasks, /debug/stats.json or \
             /metrics\n",
        ),
    };
    Ok(res)
}

#[gmp::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:6060".to_owned());
    // Something to look at: a task parked forever (a leak, as a dump would reveal it), three
    // tasks blocked receiving from a channel nobody sends on, and a little steady work so the
    // page's polls per second move (without spawning, so the live task count stays put between
    // requests).
    gmp::spawn(std::future::pending::<()>()).detach();
    let (tx, rx) = gmp::chan::bounded::<()>(0);
    for _ in 0..3 {
        let rx = rx.clone();
        gmp::spawn(async move { rx.recv().await }).detach();
    }
    std::mem::forget(tx);
    gmp::spawn(async {
        let mut tick = gmp::time::Ticker::new(Duration::from_millis(100));
        loop {
            tick.tick().await;
            for _ in 0..10 {
                gmp::yield_now().await;
            }
        }
    })
    .detach();

    let mut registry = Registry::default();
    registry.register_collector(Box::new(RuntimeCollector::current()));
    let registry: &'static Registry = Box::leak(Box::new(registry));

    let listener = TcpListener::bind(addr).await?;
    println!("listening on http://{}/debug/tasks", listener.local_addr()?);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(GmpTimer::new());
    loop {
        let (conn, _peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let http = http.clone();
        gmp::spawn(async move {
            let service = hyper::service::service_fn(|req| debug(registry, req));
            if let Err(e) = http.serve_connection(conn, service).await {
                eprintln!("connection: {e}");
            }
        })
        .detach();
    }
}
