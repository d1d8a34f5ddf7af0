//! One error type for every handler: each failure maps to the contract's status and a JSON
//! `{"detail": ...}` body, and the `From` impls let handlers use `?`.

use std::fmt;

use axum::{
    Json,
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

#[derive(Debug)]
pub enum AppError {
    /// Bad input: `422`.
    Validation(String),
    /// A body over the limit: `413`.
    PayloadTooLarge,
    /// A database or cache failed or did not answer in time: `503`.
    Unavailable(String),
    /// The upstream of `/api/fetch-external` failed or sent something that is not JSON: `502`.
    BadGateway(String),
    /// The upstream did not answer in time: `504`.
    GatewayTimeout,
    /// A bug or a broken invariant: `500`.
    Internal(String),
}

impl AppError {
    fn status_and_detail(&self) -> (StatusCode, &str) {
        match self {
            Self::Validation(detail) => (StatusCode::UNPROCESSABLE_ENTITY, detail),
            Self::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body is larger than 65536 bytes",
            ),
            Self::Unavailable(detail) => (StatusCode::SERVICE_UNAVAILABLE, detail),
            Self::BadGateway(detail) => (StatusCode::BAD_GATEWAY, detail),
            Self::GatewayTimeout => (
                StatusCode::GATEWAY_TIMEOUT,
                "the external service did not answer in time",
            ),
            Self::Internal(detail) => (StatusCode::INTERNAL_SERVER_ERROR, detail),
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.status_and_detail().1)
    }
}

impl std::error::Error for AppError {}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, detail) = self.status_and_detail();
        if status.is_server_error() {
            tracing::warn!(%status, detail, "request failed");
        }
        (status, Json(json!({ "detail": detail }))).into_response()
    }
}

// axum answers a syntax error with 400 and a missing content type with 415; the contract
// wants 422 for every malformed body. (Size is not the extractor's concern: `body_limit`
// has already refused any body over the limit with 413.)
impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        Self::Validation(rejection.body_text())
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        Self::Validation(rejection.body_text())
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        Self::Validation(rejection.body_text())
    }
}

impl From<deadpool_postgres::PoolError> for AppError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        Self::Unavailable(format!("postgres: {err}"))
    }
}

impl From<tokio_postgres::Error> for AppError {
    fn from(err: tokio_postgres::Error) -> Self {
        Self::Unavailable(format!("postgres: {err}"))
    }
}

impl From<mysql_async::Error> for AppError {
    fn from(err: mysql_async::Error) -> Self {
        Self::Unavailable(format!("mysql: {err}"))
    }
}

impl From<reqwest::Error> for AppError {
    fn from(err: reqwest::Error) -> Self {
        if err.is_timeout() {
            Self::GatewayTimeout
        } else {
            Self::BadGateway(format!("external service: {err}"))
        }
    }
}

impl From<std::io::Error> for AppError {
    fn from(err: std::io::Error) -> Self {
        Self::Internal(format!("file system: {err}"))
    }
}

impl From<crate::memcache::PoolError> for AppError {
    fn from(err: crate::memcache::PoolError) -> Self {
        Self::Unavailable(format!("memcached: {err}"))
    }
}

impl From<async_memcached::Error> for AppError {
    fn from(err: async_memcached::Error) -> Self {
        Self::Unavailable(format!("memcached: {err}"))
    }
}

impl From<serde_json::Error> for AppError {
    fn from(err: serde_json::Error) -> Self {
        Self::Internal(format!("JSON encoding: {err}"))
    }
}
