//! The contract's body limit, on every route: a body over [`MAX_BODY_BYTES`] is `413`.
//!
//! `DefaultBodyLimit` only bounds the extractors that read the body, so `POST /api/io-mix`
//! (which ignores its body) and every GET would accept any size. This middleware reads each
//! body up to the limit before routing, whether its size is declared by `Content-Length` or
//! streamed chunked, and hands the handler the buffered bytes.

use axum::{
    body::{self, Body},
    extract::Request,
    middleware::Next,
    response::Response,
};
use http_body_util::LengthLimitError;

use crate::{config::MAX_BODY_BYTES, error::AppError};

pub async fn limit_body(request: Request, next: Next) -> Result<Response, AppError> {
    let (parts, body) = request.into_parts();
    let bytes = body::to_bytes(body, MAX_BODY_BYTES).await.map_err(|err| {
        if err.into_inner().is::<LengthLimitError>() {
            AppError::PayloadTooLarge
        } else {
            // A broken chunked encoding or a client gone mid-body.
            AppError::Validation("the request body could not be read".to_owned())
        }
    })?;
    Ok(next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await)
}
