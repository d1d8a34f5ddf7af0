//! Connection pools of PostgreSQL and MySQL, and the deadline every database call runs under.
//!
//! Both pools are lazy: building them opens no connection, so the service starts (and the
//! tests run) without a database, and a database that comes back is simply reconnected.

use std::{
    future::Future,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::{
    config::{Config, DEPENDENCY_TIMEOUT, TCP_USER_TIMEOUT},
    error::{AppError, Dependency},
};

pub fn postgres_pool(
    config: &Config,
) -> Result<deadpool_postgres::Pool, Box<dyn std::error::Error>> {
    let mut pg_config: tokio_postgres::Config = config.database_url.parse()?;
    pg_config
        .connect_timeout(DEPENDENCY_TIMEOUT)
        .tcp_user_timeout(TCP_USER_TIMEOUT);
    let manager = Manager::from_config(
        pg_config,
        NoTls,
        // `Fast` reuses a connection unless its socket is closed: no extra round trip per
        // checkout. A connection that breaks mid-query fails that query and is then dropped.
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(config.pool_size)
        .wait_timeout(Some(DEPENDENCY_TIMEOUT))
        .create_timeout(Some(DEPENDENCY_TIMEOUT))
        .recycle_timeout(Some(DEPENDENCY_TIMEOUT))
        .runtime(Runtime::Tokio1)
        .build()?;
    Ok(pool)
}

pub fn mysql_pool(config: &Config) -> Result<mysql_async::Pool, Box<dyn std::error::Error>> {
    let constraints = mysql_async::PoolConstraints::new(config.pool_size, config.pool_size)
        .ok_or("POOL_SIZE must be at least 1")?;
    let pool_opts = mysql_async::PoolOpts::new()
        .with_constraints(constraints)
        // The default COM_RESET_CONNECTION on every return to the pool costs a round trip and
        // drops the server-side prepared statements; the service leaves no session state behind.
        .with_reset_connection(false);
    let opts = mysql_async::OptsBuilder::from_opts(mysql_async::Opts::from_url(&config.mysql_url)?)
        .pool_opts(pool_opts)
        // By default mysql_async asks a local server for its Unix socket and reconnects there,
        // silently leaving the TCP address of MYSQL_URL; every service must use TCP.
        .prefer_socket(false);
    Ok(mysql_async::Pool::new(opts))
}

/// Runs `work` (pool checkout and queries or commands) within `deadline`, so that a dependency
/// that hangs gives `503` in bounded time, whatever step it hangs in. Dropping the work on
/// timeout is safe: a dropped tokio-postgres query leaves its connection usable (the late answer
/// is discarded), mysql_async rolls back an unfinished transaction before the connection is
/// reused, and a memcached client dropped halfway closes its connection.
pub async fn bounded<T>(
    dependency: Dependency,
    deadline: Duration,
    work: impl Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    tokio::time::timeout(deadline, work)
        .await
        .unwrap_or_else(|elapsed| Err(AppError::Unavailable(dependency, elapsed.into())))
}

/// Whether a write is on its way to the database: sent (the statement in autocommit, or the
/// COMMIT) and not yet answered. Until then a failure means nothing was written; while it is
/// in flight, the database may commit it whatever happens to this request.
#[derive(Debug, Default)]
pub struct InFlight(AtomicBool);

impl InFlight {
    /// Call just before sending the statement that writes, or the COMMIT.
    pub fn start(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Call once the database has answered it, whatever the answer.
    pub fn end(&self) {
        self.0.store(false, Ordering::Relaxed);
    }

    fn is_in_flight(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// [`bounded`] for work that writes: when the deadline fires while `write` is in flight, the
/// answer is `504` (outcome unknown), not `503`, because the dropped statement is still on the
/// server, which can commit it. Before `write` starts (pool wait, connect, prepare) the
/// deadline means nothing was written: `503`.
pub async fn bounded_write<T>(
    dependency: Dependency,
    deadline: Duration,
    write: &InFlight,
    work: impl Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    tokio::time::timeout(deadline, work)
        .await
        .unwrap_or_else(|elapsed| {
            Err(if write.is_in_flight() {
                AppError::OutcomeUnknown(dependency, elapsed.into())
            } else {
                AppError::Unavailable(dependency, elapsed.into())
            })
        })
}

/// Sorts the error of a PostgreSQL statement that writes, run in autocommit. An error answered
/// by the server (a constraint, `statement_timeout`, a read-only server, a backend terminated
/// by an administrator) means its implicit transaction was rolled back: `503`. Any other error
/// came from the connection (closed or broken while the statement was sent or running), so the
/// server may have committed it: `504`.
pub fn write_failed(err: tokio_postgres::Error) -> AppError {
    if err.as_db_error().is_some() {
        AppError::Unavailable(Dependency::Postgres, err.into())
    } else {
        AppError::OutcomeUnknown(Dependency::Postgres, err.into())
    }
}

#[cfg(test)]
mod tests {
    use std::future::pending;

    use super::*;

    const SHORT: Duration = Duration::from_millis(20);

    #[tokio::test]
    async fn deadline_before_the_write_is_sent_is_503() {
        let write = InFlight::default();
        let result: Result<(), _> =
            bounded_write(Dependency::Postgres, SHORT, &write, pending()).await;
        assert!(matches!(
            result,
            Err(AppError::Unavailable(Dependency::Postgres, _))
        ));
    }

    #[tokio::test]
    async fn deadline_while_the_write_is_in_flight_is_504() {
        let write = InFlight::default();
        let work = async {
            write.start();
            pending::<Result<(), AppError>>().await
        };
        let result = bounded_write(Dependency::Mysql, SHORT, &write, work).await;
        assert!(matches!(
            result,
            Err(AppError::OutcomeUnknown(Dependency::Mysql, _))
        ));
    }

    #[tokio::test]
    async fn deadline_after_the_write_was_answered_is_503() {
        // E.g. the SELECT that follows an INSERT which wrote nothing (a key already taken).
        let write = InFlight::default();
        let work = async {
            write.start();
            write.end();
            pending::<Result<(), AppError>>().await
        };
        let result = bounded_write(Dependency::Postgres, SHORT, &write, work).await;
        assert!(matches!(
            result,
            Err(AppError::Unavailable(Dependency::Postgres, _))
        ));
    }

    #[tokio::test]
    async fn a_write_that_finishes_in_time_keeps_its_result() {
        let write = InFlight::default();
        let work = async {
            write.start();
            Ok(7)
        };
        let result = bounded_write(Dependency::Postgres, SHORT, &write, work).await;
        assert!(matches!(result, Ok(7)));
    }

    /// A connection error (here: refused) is not an answer from the server, so for a write it
    /// leaves the outcome unknown. (Where the connection is refused in practice, at the pool
    /// checkout, nothing was sent and the handler answers 503 before any write starts.)
    #[tokio::test]
    async fn a_connection_error_during_a_write_is_504() {
        let err = tokio_postgres::connect(
            "host=127.0.0.1 port=9 user=x connect_timeout=1",
            tokio_postgres::NoTls,
        )
        .await
        .err()
        .expect("nothing listens on port 9");
        assert!(err.as_db_error().is_none());
        assert!(matches!(
            write_failed(err),
            AppError::OutcomeUnknown(Dependency::Postgres, _)
        ));
    }

    /// The server's error answer, here `statement_timeout` cancelling the statement, means it
    /// was rolled back: 503.
    #[tokio::test]
    #[ignore = "needs a live PostgreSQL: DATABASE_URL=postgresql://... cargo test -- --ignored"]
    async fn live_server_error_during_a_write_is_503() {
        let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
        let (client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
        tokio::spawn(connection);
        client
            .batch_execute("SET statement_timeout = '10ms'")
            .await
            .unwrap();
        let err = client.execute("SELECT pg_sleep(1)", &[]).await.unwrap_err();
        assert!(matches!(
            write_failed(err),
            AppError::Unavailable(Dependency::Postgres, _)
        ));
    }
}
