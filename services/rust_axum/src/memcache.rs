//! A pool of memcached connections.
//!
//! `async_memcached::Client` is one connection used through `&mut self`, so concurrent
//! requests need a pool; deadpool (already here for PostgreSQL) provides it. The client closes
//! its connection when an operation fails or is cancelled halfway, which `recycle` sees, so a
//! broken connection is never reused and a restarted memcached is reconnected.

use std::time::Duration;

use async_memcached::{Client, Error};
use deadpool::managed::{self, Metrics, RecycleError, RecycleResult};

pub type Pool = managed::Pool<Manager>;
pub type PoolError = managed::PoolError<Error>;

pub struct Manager {
    addr: String,
}

impl managed::Manager for Manager {
    type Type = Client;
    type Error = Error;

    async fn create(&self) -> Result<Client, Error> {
        Client::new(&self.addr).await
    }

    async fn recycle(&self, client: &mut Client, _: &Metrics) -> RecycleResult<Error> {
        if client.is_closed() {
            Err(RecycleError::message("connection closed"))
        } else {
            Ok(())
        }
    }
}

pub fn pool(addr: &str, size: usize, timeout: Duration) -> Result<Pool, managed::BuildError> {
    Pool::builder(Manager { addr: dsn(addr) })
        .max_size(size)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
}

/// The client's DSN for `MEMCACHED_ADDR` (`host:port`). The client parses a bare address as a
/// URL, where `127.0.0.1:11211` has no valid scheme, so it needs `tcp://` in front.
fn dsn(addr: &str) -> String {
    if addr.contains("://") {
        addr.to_owned()
    } else {
        format!("tcp://{addr}")
    }
}

#[cfg(test)]
mod tests {
    use super::dsn;

    #[test]
    fn host_and_port_become_a_tcp_dsn() {
        assert_eq!(dsn("127.0.0.1:21211"), "tcp://127.0.0.1:21211");
        assert_eq!(
            dsn("unix:///tmp/memcached.sock"),
            "unix:///tmp/memcached.sock"
        );
    }
}
