//! [`TimeoutLayer`]: tower's request timeout on gmp's timers, the native replacement for
//! `tower::timeout` and `tower_http::timeout`, which need tokio's timer.
//!
//! A request whose response is not ready within the limit gets `408 Request Timeout` with an
//! empty body (as `tower_http`'s `TimeoutLayer` answers), and the handler's future is dropped:
//! its work is cancelled at its next `.await`. The error type stays the inner service's, so the
//! layer fits axum's `Router::layer`, which wants infallible services.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use http::{Request, Response, StatusCode};
use tower_service::Service;

/// Answers `408 Request Timeout` to a request whose response takes longer than a limit
/// (gmp's timers; no tokio runtime).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use gmp_http::TimeoutLayer;
///
/// let app: axum::Router = axum::Router::new()
///     .route("/", axum::routing::get(|| async { "hi" }))
///     .layer(TimeoutLayer::new(Duration::from_secs(10)));
/// # drop(app);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TimeoutLayer {
    limit: Duration,
}

impl TimeoutLayer {
    /// A layer that gives each request `limit` to produce its response head.
    pub fn new(limit: Duration) -> TimeoutLayer {
        TimeoutLayer { limit }
    }
}

impl<S> tower_layer::Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Timeout<S> {
        Timeout {
            inner,
            limit: self.limit,
        }
    }
}

/// The service [`TimeoutLayer`] wraps around another.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tower_layer::Layer;
///
/// let route: axum::routing::MethodRouter = axum::routing::get(|| async { "hi" });
/// let _timed: gmp_http::timeout::Timeout<_> =
///     gmp_http::TimeoutLayer::new(Duration::from_secs(1)).layer(route);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Timeout<S> {
    inner: S,
    limit: Duration,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Timeout<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        ResponseFuture {
            inner: gmp_executor::time::timeout(self.limit, self.inner.call(req)),
        }
    }
}

/// The response future of [`Timeout`].
#[pin_project::pin_project]
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ResponseFuture<F> {
    #[pin]
    inner: gmp_executor::time::Timeout<F>,
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    ResBody: Default,
{
    type Output = Result<Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Ready(match ready!(self.project().inner.poll(cx)) {
            Ok(res) => res,
            Err(_elapsed) => {
                let mut res = Response::new(ResBody::default());
                *res.status_mut() = StatusCode::REQUEST_TIMEOUT;
                Ok(res)
            }
        })
    }
}
