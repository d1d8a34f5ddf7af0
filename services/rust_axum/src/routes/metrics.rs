//! `GET /metrics`: Prometheus text format, pool gauges refreshed at every scrape.

use axum::{extract::State, http::header, response::IntoResponse};

use crate::state::AppState;

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let postgres = state.postgres.status();
    state.metrics.set_pool(
        "postgres",
        state.pool_size,
        postgres.size - postgres.available,
    );
    let mysql = state.mysql.metrics();
    state.metrics.set_pool(
        "mysql",
        state.pool_size,
        mysql
            .connections_in_use
            .load(std::sync::atomic::Ordering::Relaxed),
    );

    (
        [(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)],
        state.metrics.render(),
    )
}
