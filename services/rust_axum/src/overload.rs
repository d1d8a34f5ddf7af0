//! Admission control: at most [`MAX_IN_FLIGHT`] requests run at once; a request that finds no
//! free slot waits for one at most [`SLOT_WAIT`] (tokio's semaphore queues the waiters in
//! order), then gets a fast `503 {"detail":"overloaded"}`.
//!
//! Not tower's `LoadShedLayer` over `ConcurrencyLimitLayer`: it refuses at once, and a client
//! refused at once sends its next request at once, so 900 such clients take the one CPU from
//! the requests being served. `ConcurrencyLimitLayer` alone waits without a bound. This is the
//! semaphore that `ConcurrencyLimitLayer` holds, with a deadline on the wait.

use std::{sync::Arc, time::Duration};

use axum::{
    Json,
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;
use tokio::sync::Semaphore;

/// Four times the benchmark's largest load (100 connections), so it never refuses one of them;
/// the requests past `POOL_SIZE` wait on the pool, each within its own deadline.
pub const MAX_IN_FLIGHT: usize = 400;
/// At several thousand requests/s a full queue of `MAX_IN_FLIGHT` drains in a tenth of a
/// second: the wait is reached only far over the service's capacity.
pub const SLOT_WAIT: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct Admission {
    slots: Arc<Semaphore>,
    wait: Duration,
}

impl Admission {
    pub fn new(limit: usize, wait: Duration) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limit)),
            wait,
        }
    }
}

pub async fn admit(State(admission): State<Admission>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(admission.wait, admission.slots.acquire()).await {
        // The permit is held until the response is built.
        Ok(Ok(_permit)) => next.run(request).await,
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "detail": "overloaded" })),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{Router, body::Body, middleware, routing::get};
    use http_body_util::BodyExt;
    use tokio::sync::Notify;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_request_past_the_wait_is_503_overloaded() {
        let release = Arc::new(Notify::new());
        let held = release.clone();
        let router = Router::new()
            .route("/", get(move || async move { held.notified().await }))
            .layer(middleware::from_fn_with_state(
                Admission::new(1, Duration::from_millis(20)),
                admit,
            ));
        let request = || Request::builder().uri("/").body(Body::empty()).unwrap();

        let first = tokio::spawn(router.clone().oneshot(request()));
        tokio::task::yield_now().await;
        let second = router.clone().oneshot(request()).await.unwrap();
        assert_eq!(second.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = second.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], br#"{"detail":"overloaded"}"#);

        release.notify_one();
        assert_eq!(first.await.unwrap().unwrap().status(), StatusCode::OK);
    }
}
