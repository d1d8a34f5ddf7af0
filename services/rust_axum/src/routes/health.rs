//! `GET /livez`: the process answers. `GET /healthz`: whether PostgreSQL, MySQL and memcached
//! all answer.

use std::future::Future;

use axum::{Json, extract::State, http::StatusCode};
use mysql_async::prelude::Queryable;
use serde_json::{Value, json};

use crate::{config::HEALTH_TIMEOUT, error::AppError, state::AppState};

/// Liveness touches no dependency: restarting the process cures no database or memcached outage.
pub async fn livez() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    // The three checks run concurrently, each under its own short deadline.
    let (postgres, mysql, memcached) = tokio::join!(
        check("postgres", async {
            state.postgres.get().await?.simple_query("SELECT 1").await?;
            Ok(())
        }),
        check("mysql", async {
            state.mysql.get_conn().await?.ping().await?;
            Ok(())
        }),
        check("memcached", async {
            state.memcache.get().await?.version().await?;
            Ok(())
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
            details.push(err);
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

/// Runs one probe under [`HEALTH_TIMEOUT`]. The error is a fixed phrase naming what failed;
/// the driver's own error is logged.
async fn check(
    name: &'static str,
    probe: impl Future<Output = Result<(), AppError>>,
) -> Result<(), String> {
    match tokio::time::timeout(HEALTH_TIMEOUT, probe).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => {
            tracing::warn!(dependency = name, cause = ?err, "health check failed");
            Err(format!("{name} unavailable"))
        }
        Err(_) => {
            tracing::warn!(dependency = name, "health check timed out");
            Err(format!("{name} unavailable"))
        }
    }
}
