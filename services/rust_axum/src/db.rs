//! Connection pools of PostgreSQL and MySQL, and the deadline every database call runs under.
//!
//! Both pools are lazy: building them opens no connection, so the service starts (and the
//! tests run) without a database, and a database that comes back is simply reconnected.

use std::{future::Future, time::Duration};

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
