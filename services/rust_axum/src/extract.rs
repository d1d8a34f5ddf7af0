//! axum's extractors with their rejections turned into [`AppError`], as in axum's
//! `customize-extractor-error` example, so that every bad input is a JSON `422` (or `413`).

use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    http::{HeaderValue, request::Parts},
};
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

/// The optional `Idempotency-Key` header of `POST /api/devices`: 1 to 255 visible ASCII
/// characters (`!` to `~`). Any other value, or the header given twice, is `422`.
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let mut values = parts.headers.get_all("idempotency-key").iter();
        match (values.next(), values.next()) {
            (None, _) => Ok(Self(None)),
            (Some(value), None) => match valid_key(value) {
                Some(key) => Ok(Self(Some(key.to_owned()))),
                None => Err(AppError::Validation(
                    "Idempotency-Key must be 1 to 255 visible ASCII characters".to_owned(),
                )),
            },
            (Some(_), Some(_)) => Err(AppError::Validation(
                "Idempotency-Key must be given once".to_owned(),
            )),
        }
    }
}

/// The key if `value` is 1 to 255 characters, each from `!` to `~` (no space, tab or byte
/// outside ASCII).
fn valid_key(value: &HeaderValue) -> Option<&str> {
    let key = value.to_str().ok()?;
    let valid = (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
    valid.then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(bytes: &[u8]) -> bool {
        valid_key(&HeaderValue::from_bytes(bytes).unwrap()).is_some()
    }

    #[test]
    fn key_is_1_to_255_visible_ascii_characters() {
        let every_visible: Vec<u8> = (b'!'..=b'~').collect();
        for key in [
            &b"~"[..],
            &[b'k'; 255],
            every_visible.as_slice(),
            b"a,b;c=\\\"d\"",
        ] {
            assert!(valid(key), "{key:?} refused");
        }
        for key in [
            &b""[..],
            &[b'k'; 256],
            b"two words",
            b"tab\tinside",
            "cl\u{e9}".as_bytes(),
            b"latin-1-\xe9",
        ] {
            assert!(!valid(key), "{key:?} accepted");
        }
    }
}
