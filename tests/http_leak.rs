//! The goroutines chapter's Case 1 over HTTP (examples/http_leak.rs): a response body never
//! read nor dropped leaks its connection's task, and `#[gmp::test]`'s leak check says so; the
//! fixed version, which reads the body, leaks nothing.

#[path = "../examples/http_leak.rs"]
mod http_leak;

fn uri() -> hyper::Uri {
    static ADDR: std::sync::OnceLock<std::net::SocketAddr> = std::sync::OnceLock::new();
    let addr = ADDR.get_or_init(http_leak::start_server);
    format!("http://{addr}/").parse().unwrap()
}

#[gmp::test]
// Two tasks: the connection's (hyper's dispatcher, waiting for the body to be wanted) and
// hyper-util's, waiting for that connection to be free again to put it back in the pool.
#[should_panic(expected = "found 2 leaked tasks")]
async fn unread_body_leaks_its_connection_task() {
    let status = http_leak::status_leaky(uri(), &http_leak::LATER).await;
    assert_eq!(status, 200);
}

#[gmp::test]
async fn read_body_leaks_nothing() {
    assert_eq!(http_leak::status_fixed(uri()).await, 200);
}

#[gmp::test]
async fn dropped_response_leaks_nothing() {
    assert_eq!(http_leak::status_dropped(uri()).await, 200);
}
