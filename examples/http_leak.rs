//! The goroutines chapter's Case 1: an HTTP response body that is never read or closed.
//!
//! In Go, `resp, _ := http.Get(url)` without `defer resp.Body.Close()` keeps the transport's
//! goroutines for that connection alive. gmp-http's client (hyper-util's) runs each connection
//! as a gmp task, plus one that waits to put the connection back in the pool; a response kept
//! alive and unread holds its connection mid-body, so neither task can ever finish. Here a caller keeps responses "to read later" in a registry and never does.
//!
//! The fix is Go's: read the body to its end (or drop it, Rust's `Close`), and let the client
//! go when done. `#[gmp::test]`'s leak check reports the first version's task, with its spawn
//! site, and passes the second (tests/http_leak.rs).
//!
//! Run: `cargo run --example http_leak --features http`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Mutex;

use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Response, StatusCode, Uri};

/// The size of the server's response: a download larger than a connection's read buffer, so a
/// response that is never read holds its connection mid-body. (A response whose body arrives
/// in one read is complete before anyone reads it; the connection then goes free, unlike Go's.)
pub(crate) const BODY_LEN: usize = 1 << 20;

/// A download server on its own runtime and thread (its tasks are not the client's leak).
pub(crate) fn start_server() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = gmp::Builder::new().maxprocs(1).build().unwrap();
        rt.block_on(async move {
            let listener = gmp::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((conn, _)) = listener.accept().await else {
                    continue;
                };
                gmp::spawn(async move {
                    let svc = hyper::service::service_fn(|_req| async {
                        let body = Bytes::from(vec![b'x'; BODY_LEN]);
                        Ok::<_, Infallible>(Response::new(Full::new(body)))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(conn, svc)
                        .await;
                })
                .detach();
            }
        })
    });
    addr
}

/// Leaky: checks the status and keeps the response, body unread, "for later".
pub(crate) async fn status_leaky(uri: Uri, later: &Mutex<Vec<Response<Incoming>>>) -> StatusCode {
    let client = gmp_http::client::new::<Empty<Bytes>>();
    let res = client.get(uri).await.expect("GET");
    let status = res.status();
    later.lock().unwrap().push(res); // never read, never dropped: its connection stays busy
    status
}

/// Fixed: reads the body to its end (Go's `io.Copy(io.Discard, resp.Body)` then
/// `resp.Body.Close()`); the client, dropped on return, closes its idle connection.
pub(crate) async fn status_fixed(uri: Uri) -> StatusCode {
    let client = gmp_http::client::new::<Empty<Bytes>>();
    let res = client.get(uri).await.expect("GET");
    let status = res.status();
    let body = res.into_body().collect().await.expect("body"); // or drop(res)
    assert_eq!(body.to_bytes().len(), BODY_LEN);
    status
}

/// Fixed too: the body is not wanted, so the response is dropped (Go's `resp.Body.Close()`
/// without reading): hyper closes the connection mid-body instead of reusing it.
pub(crate) async fn status_dropped(uri: Uri) -> StatusCode {
    let client = gmp_http::client::new::<Empty<Bytes>>();
    let res = client.get(uri).await.expect("GET");
    res.status()
} // `res` and `client` drop here

/// Responses nobody reads, kept for the life of the program.
pub(crate) static LATER: Mutex<Vec<Response<Incoming>>> = Mutex::new(Vec::new());

#[allow(dead_code)]
fn main() {
    let addr = start_server();
    let uri: Uri = format!("http://{addr}/").parse().unwrap();
    let options = gmp::leak::Options::new();

    let rt = gmp::Runtime::new().unwrap();
    let status = rt.block_on(status_leaky(uri.clone(), &LATER));
    match gmp::leak::find(rt.handle(), &options) {
        Ok(()) => println!("leaky: {status}, no leaked task"),
        Err(leaks) => println!("leaky: {status}, {leaks}"),
    }

    let rt = gmp::Runtime::new().unwrap();
    let status = rt.block_on(status_fixed(uri.clone()));
    match gmp::leak::find(rt.handle(), &options) {
        Ok(()) => println!("fixed: {status}, no leaked task"),
        Err(leaks) => println!("fixed: {status}, {leaks}"),
    }

    let rt = gmp::Runtime::new().unwrap();
    let status = rt.block_on(status_dropped(format!("http://{addr}/").parse().unwrap()));
    match gmp::leak::find(rt.handle(), &options) {
        Ok(()) => println!("dropped: {status}, no leaked task"),
        Err(leaks) => println!("dropped: {status}, {leaks}"),
    }
}
