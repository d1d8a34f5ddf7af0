from sqlalchemy.pool import NullPool

from app.core.config import Settings
from app.db import create_postgres_engine, tortoise_config


def settings() -> Settings:
    return Settings(
        database_url="postgresql://u:p%40ss@db.example:5433/bench",
        mysql_url="mysql://u:p%40ss@my.example:3307/bench",
        memcached_addr="mc.example:11211",
        external_url="http://x.example/external",
        pool_size=7,
    )


def test_postgres_engine_uses_asyncpg_without_a_pool():
    engine = create_postgres_engine(settings())
    assert engine.url.drivername == "postgresql+asyncpg"
    assert engine.url.password == "p@ss"
    assert isinstance(engine.pool, NullPool)


def test_tortoise_connection_has_no_pool_settings():
    connection = tortoise_config(settings())["connections"]["default"]
    assert connection["engine"] == "app.core.tortoise_mysql"
    credentials = connection["credentials"]
    assert "maxsize" not in credentials
    assert credentials["password"] == "p@ss"
    assert (credentials["host"], credentials["port"]) == ("my.example", 3307)


def test_tortoise_runs_on_aiomysql(client):
    import tortoise.backends.mysql.client as tortoise_mysql

    assert tortoise_mysql.mysql.__name__ == "aiomysql"
