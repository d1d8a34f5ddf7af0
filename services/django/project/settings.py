"""Only the settings this service uses, all from the contract's environment (CONTRACT.md)."""

import os
from urllib.parse import unquote, urlsplit

from bench.postgres import BoundedConnection


def database_from_url(url: str) -> dict:
    """`scheme://user:pass@host:port/db` -> the connection keys of a DATABASES entry."""
    parts = urlsplit(url)
    return {
        "NAME": parts.path.lstrip("/"),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


POOL_SIZE = int(os.environ.get("POOL_SIZE", "10"))
CACHE_TTL_SECONDS = int(os.environ.get("CACHE_TTL_SECONDS", "20"))
EXTERNAL_URL = os.environ["EXTERNAL_URL"]
EXTERNAL_TIMEOUT_SECONDS = float(os.environ.get("EXTERNAL_TIMEOUT_SECONDS", "2"))

# Every step of a request's database work is bounded, so that a dead or hung database gives a
# 503 within the contract's 5 s even to requests queued behind the 8 threads (README, "Bounded
# waits"): a request waits for a thread, then for a connection, then for its statements.
DB_ACQUIRE_TIMEOUT_SECONDS = 1  # a pooled PostgreSQL connection
# A live server ends a slow statement first and says so: the write surely did not happen (503).
# Only a server that does not answer at all reaches the wait's bound: outcome unknown (504).
DB_STATEMENT_TIMEOUT_SECONDS = 1.5  # statement_timeout, enforced by PostgreSQL
DB_WAIT_TIMEOUT_SECONDS = 2  # each wait on PostgreSQL (bench.postgres.BoundedConnection)
DB_CONNECT_TIMEOUT_SECONDS = 2  # PostgreSQL, in the pool's own threads (libpq's minimum)
MYSQL_CONNECT_TIMEOUT_SECONDS = 1  # TCP connect and handshake
# libmariadb tries a timed-out read three times: 1 s per try is at most 3 s per read.
MYSQL_READ_TIMEOUT_SECONDS = 1

DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"

# No admin, auth, sessions or contenttypes: one app with three unmanaged models.
INSTALLED_APPS = ["bench"]
MIDDLEWARE = ["bench.errors.JsonErrorsMiddleware"]
ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

# Over this, reading request.body raises RequestDataTooBig: the middleware answers 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = 65536

DATABASES = {
    # Django's native pool (psycopg_pool), shared by the 8 threads of the one worker.
    # CONN_MAX_AGE must stay 0 with a pool: "closing" a connection returns it to the pool.
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        **database_from_url(os.environ["DATABASE_URL"]),
        "CONN_MAX_AGE": 0,
        "OPTIONS": {
            "connect_timeout": DB_CONNECT_TIMEOUT_SECONDS,
            "options": f"-c statement_timeout={DB_STATEMENT_TIMEOUT_SECONDS * 1000:.0f}",
            "pool": {
                "connection_class": BoundedConnection,
                "min_size": 1,
                "max_size": POOL_SIZE,
                "timeout": DB_ACQUIRE_TIMEOUT_SECONDS,  # wait for a free connection, then 503
                # Give up a failing reconnect loop early, so that once PostgreSQL is back the
                # next request reconnects at once instead of after a long exponential backoff.
                "reconnect_timeout": 5,
            },
        },
    },
    # Django has no MySQL pool: each of the 8 threads keeps one persistent connection
    # (at most 8 <= POOL_SIZE), closed by Django when it errors or grows older than CONN_MAX_AGE.
    "mysql": {
        "ENGINE": "django.db.backends.mysql",
        **database_from_url(os.environ["MYSQL_URL"]),
        "CONN_MAX_AGE": 300,
        "OPTIONS": {
            "charset": "utf8mb4",
            "connect_timeout": MYSQL_CONNECT_TIMEOUT_SECONDS,
            "read_timeout": MYSQL_READ_TIMEOUT_SECONDS,
            "write_timeout": MYSQL_READ_TIMEOUT_SECONDS,
        },
    },
}


def raw_cache_key(key: str, key_prefix: str, version: int) -> str:
    """Store the key as given ("device:<uuid>"), not Django's default ":1:device:<uuid>"."""
    return key


CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
        "LOCATION": os.environ["MEMCACHED_ADDR"],
        "KEY_FUNCTION": raw_cache_key,
        "OPTIONS": {
            "connect_timeout": 0.5,
            "timeout": 0.5,
            # Raise instead of silently returning a default, so failures can be counted.
            "ignore_exc": False,
            # pymemcache's HashClient otherwise answers "not stored" without raising while it
            # waits to retry a failed server; with no retries a failure always raises, and the
            # server is tried again after dead_timeout seconds.
            "retry_attempts": 0,
            "dead_timeout": 1,
        },
    },
}
