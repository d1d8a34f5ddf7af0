//! The router: every endpoint of the contract, and JSON answers for unknown paths and methods.

mod devices;
mod external;
mod fib;
mod health;
mod iomix;
mod metrics;
mod users;

use axum::{
    Json, Router,
    http::StatusCode,
    middleware,
    routing::{get, post},
};
use serde_json::{Value, json};

use crate::{
    body_limit::limit_body,
    overload::{Admission, MAX_IN_FLIGHT, SLOT_WAIT, admit},
    state::AppState,
};

pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/api/devices", get(devices::list).post(devices::create))
        .route("/api/users", get(users::list))
        .route("/api/fib/{n}", get(fib::fib))
        .route("/api/fetch-external", get(external::fetch))
        .route("/api/io-mix", post(iomix::io_mix))
        .route("/livez", get(health::livez))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(metrics::metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(limit_body))
        .layer(middleware::from_fn_with_state(
            Admission::new(MAX_IN_FLIGHT, SLOT_WAIT),
            admit,
        ))
        .with_state(state)
}

async fn not_found() -> (StatusCode, Json<Value>) {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "detail": "Not Found" })),
    )
}

async fn method_not_allowed() -> (StatusCode, Json<Value>) {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(json!({ "detail": "Method Not Allowed" })),
    )
}
