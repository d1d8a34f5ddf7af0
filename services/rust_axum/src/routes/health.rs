//! `GET /healthz`: whether PostgreSQL, MySQL and memcached all answer.

use axum::{Json, extract::State, http::StatusCode};
use mysql_async::prelude::Queryable;
use serde_json::{Value, json};

use crate::{config::HEALTH_TIMEOUT, db, error::AppError, state::AppState};

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    // The three checks run concurrently, each under its own short deadline.
    let (postgres, mysql, memcached) = tokio::join!(
        db::within(HEALTH_TIMEOUT, async {
            state.postgres.get().await?.simple_query("SELECT 1").await?;
            Ok(())
        }),
        db::within(HEALTH_TIMEOUT, async {
            state.mysql.get_conn().await?.ping().await?;
            Ok(())
        }),
        db::within(HEALTH_TIMEOUT, async {
            state.memcache.get().await?.version().await?;
            Ok::<_, AppError>(())
        }),
    );

    let mut down = Vec::new();
    let mut details = Vec::new();
    for (name, result) in [
        ("postgres", postgres),
        ("mysql", mysql),
        ("memcached", memcached),
    ] {
        if let Err(err) = result {
            down.push(name);
            details.push(err.to_string());
        }
    }

    if down.is_empty() {
        (StatusCode::OK, Json(json!({ "status": "ok" })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "detail": details.join("; "), "down": down })),
        )
    }
}
