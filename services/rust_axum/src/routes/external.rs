//! `GET /api/fetch-external`: the upstream's JSON through one shared HTTP client.

use axum::{Json, extract::State};
use serde_json::Value;

use crate::{error::AppError, metrics::Op, state::AppState};

/// Refused, failed, non-2xx or non-JSON: `502`. Not complete within the client's timeout
/// (`EXTERNAL_TIMEOUT_SECONDS`, body included): `504`. See `From<reqwest::Error> for AppError`.
pub async fn fetch(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    let body = state
        .metrics
        .track(Op::GetExternal, async {
            let response = state.http.get(&*state.external_url).send().await?;
            response.error_for_status()?.json::<Value>().await
        })
        .await?;
    Ok(Json(body))
}
