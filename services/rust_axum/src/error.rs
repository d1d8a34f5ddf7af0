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

/// A failure's cause: logged by the service, never sent to the client.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug)]
pub enum AppError {
    /// Bad input: `422`.
    Validation(String),
    /// A body over the limit: `413`.
    PayloadTooLarge,
    /// A database or cache failed or did not answer in time, and nothing was written: `503`.
    Unavailable(Dependency, Cause),
    /// A write was sent (the statement in autocommit, or the COMMIT) and then the deadline
    /// passed or the connection broke before its answer: the database may still commit it, so
    /// the client is told the outcome is unknown (`504`) rather than that it failed.
    OutcomeUnknown(Dependency, Cause),
    /// The upstream of `/api/fetch-external` failed or sent something that is not JSON: `502`.
    BadGateway(Cause),
    /// The upstream did not answer in time: `504`.
    GatewayTimeout,
    /// A bug or a broken invariant: `500`.
    Internal(Cause),
}

/// What a `503` names.
#[derive(Clone, Copy, Debug)]
pub enum Dependency {
    Postgres,
    Mysql,
    Memcached,
}

impl AppError {
    /// The status and the `detail` sent. Every 5xx detail is a fixed phrase naming what failed:
    /// a driver's message can carry addresses, SQLSTATEs and server text (CONTRACT.md).
    fn status_and_detail(&self) -> (StatusCode, &str) {
        match self {
            Self::Validation(detail) => (StatusCode::UNPROCESSABLE_ENTITY, detail),
            Self::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body is larger than 65536 bytes",
            ),
            Self::Unavailable(Dependency::Postgres, _) => {
                (StatusCode::SERVICE_UNAVAILABLE, "postgres unavailable")
            }
            Self::Unavailable(Dependency::Mysql, _) => {
                (StatusCode::SERVICE_UNAVAILABLE, "mysql unavailable")
            }
            Self::Unavailable(Dependency::Memcached, _) => {
                (StatusCode::SERVICE_UNAVAILABLE, "memcached unavailable")
            }
            Self::OutcomeUnknown(Dependency::Postgres, _) => (
                StatusCode::GATEWAY_TIMEOUT,
                "postgres timed out: outcome unknown",
            ),
            Self::OutcomeUnknown(Dependency::Mysql, _) => (
                StatusCode::GATEWAY_TIMEOUT,
                "mysql timed out: outcome unknown",
            ),
            Self::OutcomeUnknown(Dependency::Memcached, _) => (
                StatusCode::GATEWAY_TIMEOUT,
                "memcached timed out: outcome unknown",
            ),
            Self::BadGateway(_) => (StatusCode::BAD_GATEWAY, "upstream failed"),
            Self::GatewayTimeout => (StatusCode::GATEWAY_TIMEOUT, "upstream timed out"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
        }
    }

    fn cause(&self) -> Option<&Cause> {
        match self {
            Self::Unavailable(_, cause)
            | Self::OutcomeUnknown(_, cause)
            | Self::BadGateway(cause)
            | Self::Internal(cause) => Some(cause),
            _ => None,
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.status_and_detail().1)
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause().map(|cause| &**cause as _)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, detail) = self.status_and_detail();
        if status.is_server_error() {
            // The cause is logged here, the only place a request's failure is reported.
            match self.cause() {
                Some(cause) => tracing::warn!(%status, detail, %cause, "request failed"),
                None => tracing::warn!(%status, detail, "request failed"),
            }
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
        Self::Unavailable(Dependency::Postgres, err.into())
    }
}

// A failure before a write was sent, or of a read: `503`. The errors of a statement that writes
// are sorted by `db::write_failed` instead, and those of io-mix's COMMIT by `iomix`.
impl From<tokio_postgres::Error> for AppError {
    fn from(err: tokio_postgres::Error) -> Self {
        Self::Unavailable(Dependency::Postgres, err.into())
    }
}

impl From<mysql_async::Error> for AppError {
    fn from(err: mysql_async::Error) -> Self {
        Self::Unavailable(Dependency::Mysql, err.into())
    }
}

impl From<reqwest::Error> for AppError {
    fn from(err: reqwest::Error) -> Self {
        if err.is_timeout() {
            Self::GatewayTimeout
        } else {
            Self::BadGateway(err.into())
        }
    }
}

impl From<std::io::Error> for AppError {
    fn from(err: std::io::Error) -> Self {
        Self::Internal(err.into())
    }
}

impl From<crate::memcache::PoolError> for AppError {
    fn from(err: crate::memcache::PoolError) -> Self {
        Self::Unavailable(Dependency::Memcached, err.into())
    }
}

impl From<async_memcached::Error> for AppError {
    fn from(err: async_memcached::Error) -> Self {
        Self::Unavailable(Dependency::Memcached, err.into())
    }
}

impl From<serde_json::Error> for AppError {
    fn from(err: serde_json::Error) -> Self {
        Self::Internal(err.into())
    }
}

impl From<time::error::Format> for AppError {
    fn from(err: time::error::Format) -> Self {
        Self::Internal(err.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_is_503_and_outcome_unknown_is_504_with_fixed_phrases() {
        let cause = || Cause::from("driver text that must not reach the client");
        for (err, status, detail) in [
            (
                AppError::Unavailable(Dependency::Postgres, cause()),
                StatusCode::SERVICE_UNAVAILABLE,
                "postgres unavailable",
            ),
            (
                AppError::OutcomeUnknown(Dependency::Postgres, cause()),
                StatusCode::GATEWAY_TIMEOUT,
                "postgres timed out: outcome unknown",
            ),
            (
                AppError::OutcomeUnknown(Dependency::Mysql, cause()),
                StatusCode::GATEWAY_TIMEOUT,
                "mysql timed out: outcome unknown",
            ),
        ] {
            assert_eq!(err.status_and_detail(), (status, detail));
        }
    }
}
