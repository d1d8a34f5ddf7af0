//! What every handler shares: the pools, the HTTP client, the settings and the metrics.

use std::sync::Arc;

use crate::{
    config::{Config, MEMCACHED_TIMEOUT},
    db, memcache,
    metrics::Metrics,
};

#[derive(Clone)]
pub struct AppState {
    pub postgres: deadpool_postgres::Pool,
    pub mysql: mysql_async::Pool,
    pub memcache: memcache::Pool,
    /// One client for every call to the external service: connections are kept alive and reused.
    pub http: reqwest::Client,
    pub external_url: Arc<str>,
    pub pool_size: usize,
    pub cache_ttl_seconds: i64,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// Builds the state without connecting to anything; connections open on first use.
    /// Must run inside a tokio runtime (mysql_async's pool starts a background task).
    pub fn new(config: &Config) -> Result<Self, Box<dyn std::error::Error>> {
        let http = reqwest::Client::builder()
            .timeout(config.external_timeout)
            .no_proxy()
            .build()?;
        Ok(Self {
            postgres: db::postgres_pool(config)?,
            mysql: db::mysql_pool(config)?,
            memcache: memcache::pool(&config.memcached_addr, config.pool_size, MEMCACHED_TIMEOUT)?,
            http,
            external_url: config.external_url.as_str().into(),
            pool_size: config.pool_size,
            cache_ttl_seconds: config.cache_ttl_seconds,
            metrics: Arc::new(Metrics::new()),
        })
    }
}
