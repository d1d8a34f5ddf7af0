"""Settings from the contract's environment (CONTRACT.md, "Environment")."""

from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    database_url: str  # postgresql://user:pass@host:port/db
    mysql_url: str  # mysql://user:pass@host:port/db
    memcached_addr: str  # host:port
    external_url: str
    pool_size: int = 10  # ignored by this service: it opens a connection per request
    cache_ttl_seconds: int = 20
    external_timeout_seconds: float = 2.0
    # Not part of the contract: bounds that keep a dead dependency from hanging a request.
    db_acquire_timeout_seconds: float = 1.0  # PostgreSQL: connecting
    db_statement_timeout_seconds: float = 1.5  # PostgreSQL: each statement
    db_timeout_seconds: float = 3.0  # MySQL: each connect; all of io-mix's transactions
    health_timeout_seconds: float = 1.5  # each check of /healthz
    memcached_timeout_seconds: float = 1.0

    @property
    def memcached_server(self) -> tuple[str, int]:
        host, _, port = self.memcached_addr.rpartition(":")
        return host, int(port)
