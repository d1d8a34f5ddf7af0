//! The contract's environment, read once at startup.

use std::{env, fmt, str::FromStr, time::Duration};

/// Upper bound of one request's work on a database, pool wait and connect included: the
/// contract asks for at most 3 s so that a request with a dead dependency is answered within 5 s.
pub const DEPENDENCY_TIMEOUT: Duration = Duration::from_secs(3);

/// Upper bound of one memcached call, pool wait included. Short: `POST /api/devices` makes it
/// after its PostgreSQL insert, and the whole request must stay within the contract's 5 s.
pub const MEMCACHED_TIMEOUT: Duration = Duration::from_secs(1);

/// A connection to a database that stops answering (a black hole, not a refusal) is dropped by
/// the kernel after this long without an acknowledgement of what was sent (`TCP_USER_TIMEOUT`),
/// so that no pool keeps it.
pub const TCP_USER_TIMEOUT: Duration = Duration::from_secs(5);

/// `/healthz` must answer quickly even when everything behind it is down.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(1);

/// Largest request body accepted; larger ones get `413`.
pub const MAX_BODY_BYTES: usize = 65_536;

#[derive(Clone, Debug)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub database_url: String,
    pub mysql_url: String,
    pub memcached_addr: String,
    pub external_url: String,
    pub pool_size: usize,
    pub cache_ttl_seconds: i64,
    pub external_timeout: Duration,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            host: optional("HOST", "127.0.0.1".to_owned())?,
            port: optional("PORT", 8000)?,
            database_url: required("DATABASE_URL")?,
            mysql_url: required("MYSQL_URL")?,
            memcached_addr: required("MEMCACHED_ADDR")?,
            external_url: required("EXTERNAL_URL")?,
            pool_size: optional("POOL_SIZE", 10)?,
            cache_ttl_seconds: optional("CACHE_TTL_SECONDS", 20)?,
            external_timeout: seconds("EXTERNAL_TIMEOUT_SECONDS", 2.0)?,
        })
    }
}

fn required(name: &'static str) -> Result<String, ConfigError> {
    env::var(name).map_err(|_| ConfigError {
        name,
        reason: "is required".to_owned(),
    })
}

fn optional<T: FromStr>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    match env::var(name) {
        Ok(value) => value.parse().map_err(|err| ConfigError {
            name,
            reason: format!("{value:?}: {err}"),
        }),
        Err(_) => Ok(default),
    }
}

fn seconds(name: &'static str, default: f64) -> Result<Duration, ConfigError> {
    let seconds = optional(name, default)?;
    Duration::try_from_secs_f64(seconds).map_err(|err| ConfigError {
        name,
        reason: format!("{seconds}: {err}"),
    })
}

#[derive(Debug)]
pub struct ConfigError {
    name: &'static str,
    reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "environment variable {} {}", self.name, self.reason)
    }
}

impl std::error::Error for ConfigError {}
