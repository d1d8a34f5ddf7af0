"""The contract's environment, read once at start-up."""

from functools import cache

from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    database_url: str
    mysql_url: str
    memcached_addr: str
    external_url: str
    pool_size: int = 10
    cache_ttl_seconds: int = 20
    external_timeout_seconds: float = 2.0
    # Not the contract's: the budget of one request's dependency work, so that a hung
    # dependency is answered within the contract's 5 s (README, "Bounded waits").
    db_acquire_timeout_seconds: float = 1.5  # a pooled connection, connecting it included
    db_timeout_seconds: float = 3.0  # a PostgreSQL statement; all of io-mix's transactions
    memcached_timeout_seconds: float = 1.0


@cache
def get_settings() -> Settings:
    return Settings()
