//! `POST /api/io-mix`: eight MySQL transactions, then a file round trip. The body is ignored.

use std::sync::LazyLock;

use axum::{Json, extract::State};
use mysql_async::{Conn, Params, Transaction, TxOpts, Value, prelude::Queryable};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::{db, error::AppError, metrics::Op, state::AppState};

const TRANSACTIONS: u64 = 8;
const ROWS_PER_BATCH: u64 = 10;

/// One multi-row INSERT of the whole batch: `(?, ?, ?)` once per row.
static INSERT_BATCH: LazyLock<String> = LazyLock::new(|| {
    let rows = vec!["(?, ?, ?)"; ROWS_PER_BATCH as usize].join(", ");
    format!("INSERT INTO mix_items (batch, name, value) VALUES {rows}")
});
const COUNT_BATCH: &str = "SELECT COUNT(*) FROM mix_items WHERE batch = ?";
// The LIMITs keep InnoDB's range scan on `ix_mix_items_batch` to the batch's own rows;
// without them it locks the next entry, another request's batch, and concurrent requests
// deadlock (error 1213) almost every time (CONTRACT.md, io-mix).
const UPDATE_HALF: &str =
    "UPDATE mix_items SET value = value + 1 WHERE batch = ? AND value < 5 LIMIT 5";
const DELETE_BATCH: &str = "DELETE FROM mix_items WHERE batch = ? LIMIT 10";

#[derive(Serialize, Default)]
pub struct Report {
    transactions: u64,
    rows_created: u64,
    rows_updated: u64,
    rows_deleted: u64,
    file_operations: u64,
}

pub async fn io_mix(State(state): State<AppState>) -> Result<Json<Report>, AppError> {
    let mut report = state
        .metrics
        .track(
            Op::MixMysql,
            db::bounded(async {
                let mut conn = state.mysql.get_conn().await?;
                let mut report = Report::default();
                for _ in 0..TRANSACTIONS {
                    run_transaction(&mut conn, &mut report).await?;
                }
                Ok(report)
            }),
        )
        .await?;
    report.file_operations = file_round_trip().await?;
    Ok(Json(report))
}

/// Runs one batch inside a transaction and adds what the server reported to `report`.
async fn run_transaction(conn: &mut Conn, report: &mut Report) -> Result<(), AppError> {
    let mut tx = conn.start_transaction(TxOpts::default()).await?;
    match run_batch(&mut tx, report).await {
        Ok(()) => {
            tx.commit().await?;
            report.transactions += 1;
            Ok(())
        }
        Err(err) => {
            // Explicit for the reader; mysql_async would also roll back a dropped transaction
            // (the path taken when the request's deadline cancels this future).
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(?rollback, "rollback failed");
            }
            Err(err)
        }
    }
}

async fn run_batch(tx: &mut Transaction<'_>, report: &mut Report) -> Result<(), AppError> {
    let batch = Uuid::new_v4().to_string();

    let rows: Vec<Value> = (0..ROWS_PER_BATCH)
        .flat_map(|k| [batch.as_str().into(), format!("item-{k}").into(), k.into()])
        .collect();
    tx.exec_drop(INSERT_BATCH.as_str(), Params::Positional(rows))
        .await?;
    report.rows_created += tx.affected_rows();

    let count: Option<u64> = tx.exec_first(COUNT_BATCH, (&batch,)).await?;
    if count != Some(ROWS_PER_BATCH) {
        return Err(AppError::Internal(format!(
            "batch {batch} holds {count:?} rows, expected {ROWS_PER_BATCH}"
        )));
    }

    tx.exec_drop(UPDATE_HALF, (&batch,)).await?;
    report.rows_updated += tx.affected_rows();

    tx.exec_drop(DELETE_BATCH, (&batch,)).await?;
    report.rows_deleted += tx.affected_rows();
    Ok(())
}

/// Writes a JSON document of about 1 KiB to a new temporary file, reads it back, checks it
/// and deletes the file. Returns the number of file operations (a write and a read).
async fn file_round_trip() -> Result<u64, AppError> {
    let id = Uuid::new_v4();
    let items: Vec<_> = (0..24)
        .map(|k| json!({ "name": format!("item-{k}"), "value": k }))
        .collect();
    let document =
        serde_json::to_vec(&json!({ "id": id.to_string(), "kind": "io-mix", "items": items }))?;
    let path = std::env::temp_dir().join(format!("rust_axum-io-mix-{id}.json"));

    tokio::fs::write(&path, &document).await?;
    let read_back = tokio::fs::read(&path).await;
    // Delete the file whatever the read gave, so that a failure leaves nothing behind.
    tokio::fs::remove_file(&path).await?;
    if read_back? != document {
        return Err(AppError::Internal(format!(
            "{} changed between write and read",
            path.display()
        )));
    }
    Ok(2)
}
