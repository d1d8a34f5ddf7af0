//! `POST /api/io-mix`: eight MySQL transactions, then a file round trip. The body is ignored.

use std::{
    ops::AddAssign,
    pin::Pin,
    sync::{Arc, LazyLock},
    time::Duration,
};

use axum::{Json, extract::State};
use mysql_async::{Conn, Params, ServerError, Transaction, TxOpts, Value, prelude::Queryable};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::{
    config::DEPENDENCY_TIMEOUT,
    db,
    error::{AppError, Dependency},
    metrics::Op,
    state::AppState,
};

const TRANSACTIONS: u64 = 8;
const ROWS_PER_BATCH: u64 = 10;
/// How many times a transaction that keeps losing deadlocks is run in all.
const ATTEMPTS: u32 = 3;
/// MySQL/MariaDB error 1213, `ER_LOCK_DEADLOCK`.
const ER_LOCK_DEADLOCK: u16 = 1213;

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

impl AddAssign for Report {
    fn add_assign(&mut self, other: Self) {
        self.transactions += other.transactions;
        self.rows_created += other.rows_created;
        self.rows_updated += other.rows_updated;
        self.rows_deleted += other.rows_deleted;
        self.file_operations += other.file_operations;
    }
}

pub async fn io_mix(State(state): State<AppState>) -> Result<Json<Report>, AppError> {
    // Only a COMMIT can write: the deadline firing while one awaits its answer is a 504, at any
    // other step a 503 (the unfinished transaction is rolled back; the committed ones before it
    // each deleted what they inserted).
    // Shared, not borrowed: the boxed future of `retry_deadlocks` may borrow only the connection.
    let commit = Arc::new(db::InFlight::default());
    let mut report = state
        .metrics
        .track(
            Op::MixMysql,
            db::bounded_write(Dependency::Mysql, DEPENDENCY_TIMEOUT, &commit, async {
                let mut conn = state.mysql.get_conn().await?;
                let mut report = Report::default();
                for _ in 0..TRANSACTIONS {
                    report += retry_deadlocks(&mut conn, |conn| {
                        Box::pin(run_transaction(conn, Arc::clone(&commit)))
                    })
                    .await?;
                }
                Ok(report)
            }),
        )
        .await?;
    report.file_operations = file_round_trip().await?;
    Ok(Json(report))
}

/// Why one transaction failed. The server's error is kept whole, not yet an [`AppError`], so
/// that [`retry_deadlocks`] can tell a deadlock from the rest.
#[derive(Debug)]
enum TxError {
    /// The transaction was rolled back (or never began).
    Mysql(mysql_async::Error),
    /// The COMMIT was sent, but the connection failed before its answer: it may have committed.
    CommitUnknown(mysql_async::Error),
    /// The batch did not hold the rows just inserted: a bug, `500`.
    Invariant(String),
}

impl From<mysql_async::Error> for TxError {
    fn from(err: mysql_async::Error) -> Self {
        Self::Mysql(err)
    }
}

impl From<TxError> for AppError {
    fn from(err: TxError) -> Self {
        match err {
            TxError::Mysql(err) => err.into(),
            TxError::CommitUnknown(err) => Self::OutcomeUnknown(Dependency::Mysql, err.into()),
            TxError::Invariant(detail) => Self::Internal(detail.into()),
        }
    }
}

/// One attempt at a transaction, borrowing the connection it runs on.
type TxFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, TxError>> + Send + 'a>>;

/// Error 1213: InnoDB chose the transaction as a deadlock victim and rolled all of it back.
/// Nothing else is safe to rerun blindly: a lock wait timeout (1205) rolls back only the
/// statement, and a connection lost during COMMIT leaves unknown whether it committed.
fn is_deadlock(err: &mysql_async::Error) -> bool {
    matches!(
        err,
        mysql_async::Error::Server(ServerError {
            code: ER_LOCK_DEADLOCK,
            ..
        })
    )
}

/// Runs `transaction` until it succeeds, fails otherwise, or has lost [`ATTEMPTS`] deadlocks.
/// The LIMITs make deadlocks rare, not impossible: when purge removes delete-marked index
/// entries, their gap locks pass to the next entry, which can be another batch's. The MySQL
/// manual's answer to a deadlock is to run the transaction again; the random pause of a few
/// milliseconds lets the winner finish first. The caller's deadline bounds all attempts.
///
/// `transaction` borrows `conn` for one attempt at a time. (A boxed future rather than an
/// async closure: the handler's future must be `Send`, which rustc cannot yet prove through
/// an `AsyncFnMut`.)
async fn retry_deadlocks<C, T>(
    conn: &mut C,
    mut transaction: impl FnMut(&mut C) -> TxFuture<'_, T>,
) -> Result<T, TxError> {
    let mut attempt = 1;
    loop {
        match transaction(conn).await {
            Err(TxError::Mysql(err)) if is_deadlock(&err) && attempt < ATTEMPTS => {
                tracing::debug!(attempt, "deadlock victim, running the transaction again");
                let pause = Duration::from_micros(rand::random_range(1_000..5_000));
                tokio::time::sleep(pause).await;
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// Runs one batch inside a transaction and returns what the server reported. `commit` is in
/// flight from the moment the COMMIT is sent until its answer.
async fn run_transaction(conn: &mut Conn, commit: Arc<db::InFlight>) -> Result<Report, TxError> {
    let mut tx = conn.start_transaction(TxOpts::default()).await?;
    match run_batch(&mut tx).await {
        Ok(report) => {
            commit.start();
            let committed = tx.commit().await;
            commit.end();
            committed.map_err(commit_failed)?;
            Ok(report)
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

/// Sorts the error of a COMMIT: an error answered by the server means the transaction was
/// rolled back (a deadlock victim among them, run again by [`retry_deadlocks`]); any other
/// error came from the connection, after the COMMIT may have reached the server.
fn commit_failed(err: mysql_async::Error) -> TxError {
    match err {
        mysql_async::Error::Server(_) => TxError::Mysql(err),
        _ => TxError::CommitUnknown(err),
    }
}

async fn run_batch(tx: &mut Transaction<'_>) -> Result<Report, TxError> {
    let batch = Uuid::new_v4().to_string();
    let mut report = Report {
        transactions: 1,
        ..Report::default()
    };

    let rows: Vec<Value> = (0..ROWS_PER_BATCH)
        .flat_map(|k| [batch.as_str().into(), format!("item-{k}").into(), k.into()])
        .collect();
    tx.exec_drop(INSERT_BATCH.as_str(), Params::Positional(rows))
        .await?;
    report.rows_created = tx.affected_rows();

    let count: Option<u64> = tx.exec_first(COUNT_BATCH, (&batch,)).await?;
    if count != Some(ROWS_PER_BATCH) {
        return Err(TxError::Invariant(format!(
            "batch {batch} holds {count:?} rows, expected {ROWS_PER_BATCH}"
        )));
    }

    tx.exec_drop(UPDATE_HALF, (&batch,)).await?;
    report.rows_updated = tx.affected_rows();

    tx.exec_drop(DELETE_BATCH, (&batch,)).await?;
    report.rows_deleted = tx.affected_rows();
    Ok(report)
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
        return Err(AppError::Internal(
            format!("{} changed between write and read", path.display()).into(),
        ));
    }
    Ok(2)
}

#[cfg(test)]
mod tests {
    use std::io;

    use mysql_async::{DriverError, IoError, Opts, OptsBuilder, Pool};

    use super::*;

    fn server_error(code: u16) -> mysql_async::Error {
        mysql_async::Error::Server(ServerError {
            code,
            message: format!("error {code}"),
            state: "40001".to_owned(),
        })
    }

    #[test]
    fn only_error_1213_is_a_deadlock() {
        assert!(is_deadlock(&server_error(1213)));
        for err in [
            server_error(1205), // lock wait timeout
            server_error(1062),
            mysql_async::Error::Driver(DriverError::ConnectionClosed),
            mysql_async::Error::Io(IoError::Io(io::ErrorKind::ConnectionReset.into())),
            mysql_async::Error::Other("error 1213".into()),
        ] {
            assert!(!is_deadlock(&err), "{err}");
        }
    }

    #[test]
    fn a_commit_the_server_refused_was_rolled_back_and_any_other_failure_is_unknown() {
        assert!(matches!(
            commit_failed(server_error(1180)),
            TxError::Mysql(_)
        ));
        assert!(matches!(
            commit_failed(server_error(ER_LOCK_DEADLOCK)),
            TxError::Mysql(ref err) if is_deadlock(err)
        ));
        for err in [
            mysql_async::Error::Driver(DriverError::ConnectionClosed),
            mysql_async::Error::Io(IoError::Io(io::ErrorKind::ConnectionReset.into())),
        ] {
            let unknown = AppError::from(commit_failed(err));
            assert!(matches!(
                unknown,
                AppError::OutcomeUnknown(Dependency::Mysql, _)
            ));
        }
    }

    /// Runs `retry_deadlocks` on a transaction that fails with `errors` in turn, then
    /// returns the number of its attempt. Returns the result and the attempts made.
    async fn retry_failing(errors: Vec<TxError>) -> (Result<u32, TxError>, u32) {
        let mut errors = errors.into_iter();
        let mut attempts = 0;
        let result = retry_deadlocks(&mut attempts, |attempts| {
            *attempts += 1;
            let outcome = errors.next().map_or(Ok(*attempts), Err);
            Box::pin(async move { outcome })
        })
        .await;
        (result, attempts)
    }

    fn deadlock() -> TxError {
        TxError::Mysql(server_error(ER_LOCK_DEADLOCK))
    }

    #[tokio::test]
    async fn a_deadlock_victim_runs_again_up_to_three_times() {
        assert!(matches!(retry_failing(vec![]).await, (Ok(1), 1)));
        assert!(matches!(
            retry_failing(vec![deadlock(), deadlock()]).await,
            (Ok(3), 3)
        ));
        let (result, attempts) = retry_failing(vec![deadlock(), deadlock(), deadlock()]).await;
        assert!(matches!(result, Err(TxError::Mysql(ref err)) if is_deadlock(err)));
        assert_eq!(attempts, 3);
    }

    #[tokio::test]
    async fn nothing_else_runs_again() {
        let others = [
            || TxError::Mysql(server_error(1205)),
            || TxError::Mysql(mysql_async::Error::Driver(DriverError::ConnectionClosed)),
            || TxError::Invariant("batch holds 9 rows".to_owned()),
        ];
        for other in others {
            let (result, attempts) = retry_failing(vec![other()]).await;
            assert!(result.is_err());
            assert_eq!(attempts, 1);
            let (result, attempts) = retry_failing(vec![deadlock(), other()]).await;
            assert!(result.is_err());
            assert_eq!(attempts, 2);
        }
    }

    /// Two transactions deadlock on a real MariaDB, each holding a row the other wants: InnoDB
    /// rolls back the lighter one, and its second attempt commits.
    #[tokio::test]
    #[ignore = "needs a live MariaDB: MYSQL_URL=mysql://... cargo test -- --ignored"]
    async fn live_deadlock_victim_is_retried() {
        const UPDATE: &str = "UPDATE mix_items SET value = value + 1 WHERE id = ?";
        const INSERT: &str = "INSERT INTO mix_items (batch, name, value) VALUES (?, ?, ?)";
        let url = std::env::var("MYSQL_URL").expect("MYSQL_URL");
        let pool =
            Pool::new(OptsBuilder::from_opts(Opts::from_url(&url).unwrap()).prefer_socket(false));
        let batch = Uuid::new_v4().to_string(); // rows x and y, of a batch no request uses
        let mut setup = pool.get_conn().await.unwrap();
        setup.exec_drop(INSERT, (&batch, "x", 0)).await.unwrap();
        let x = setup.last_insert_id().unwrap();
        setup.exec_drop(INSERT, (&batch, "y", 0)).await.unwrap();
        let y = setup.last_insert_id().unwrap();

        // The winner locks y, after enough undo log to make it the heavier transaction: InnoDB
        // rolls back the one that has done the least work.
        let mut winner = pool.start_transaction(TxOpts::default()).await.unwrap();
        for k in 0..20 {
            winner
                .exec_drop(INSERT, (&batch, "ballast", k))
                .await
                .unwrap();
        }
        winner.exec_drop(UPDATE, (y,)).await.unwrap();
        let mut winner = Some(winner);

        let mut victim = pool.get_conn().await.unwrap();
        let mut attempts = 0;
        let result = retry_deadlocks(&mut victim, |conn| {
            attempts += 1;
            let winner = winner.take();
            Box::pin(async move {
                let mut tx = conn.start_transaction(TxOpts::default()).await?;
                tx.exec_drop(UPDATE, (x,)).await?;
                if let Some(mut winner) = winner {
                    // The winner now waits for x, held here, while this waits for y: a cycle.
                    let (won, lost) =
                        tokio::join!(winner.exec_drop(UPDATE, (x,)), tx.exec_drop(UPDATE, (y,)));
                    won.expect("the heavier transaction wins");
                    winner.rollback().await.unwrap();
                    lost?;
                } else {
                    tx.exec_drop(UPDATE, (y,)).await?;
                }
                Ok(tx.commit().await?)
            })
        })
        .await;

        setup
            .exec_drop("DELETE FROM mix_items WHERE batch = ?", (&batch,))
            .await
            .unwrap();
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(attempts, 2, "the first attempt was not a deadlock victim");
    }
}
