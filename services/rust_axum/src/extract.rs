//! axum's extractors with their rejections turned into [`AppError`], as in axum's
//! `customize-extractor-error` example, so that every bad input is a JSON `422` (or `413`).

use axum::extract::{FromRequest, FromRequestParts, Request};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::AppError;

/// `axum::extract::Path` answering `422` for a segment that does not parse.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct AppPath<T>(pub T);

/// `axum::extract::Query` answering `422` for a parameter that does not parse.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct AppQuery<T>(pub T);

/// A JSON body that must be an object, deserialized into `T`.
///
/// The body is read as a JSON object first because serde would also build a struct from a
/// JSON array (`["EF-2B-C4-F5-D6-34", "1.0"]`), which the contract rejects.
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(object) = axum::Json::<Map<String, Value>>::from_request(req, state).await?;
        T::deserialize(object)
            .map(AppJson)
            .map_err(|err| AppError::Validation(format!("invalid body: {err}")))
    }
}
