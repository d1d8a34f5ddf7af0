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
    # Every database connect and query is bounded (CONTRACT.md, general rules).
    db_timeout_seconds: float = 3.0


@cache
def get_settings() -> Settings:
    return Settings()
