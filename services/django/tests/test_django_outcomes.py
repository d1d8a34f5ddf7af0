"""503 or 504 for a failed write (bench/outcome.py), and the Idempotency-Key's header rules. No
database: the pool, the statement and MySQL's transaction are stand-ins raising the errors
Django raises for each failure (the conftest points every dependency at a dead port)."""

import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from bench import idempotency, iomix, outcome, views
from bench.models import Device
from django.db import OperationalError
from django.test import Client
from project.gunicorn_conf import pre_request
from psycopg_pool import PoolTimeout

UNKNOWN = {"detail": "postgres timed out: outcome unknown"}
UNAVAILABLE = {"detail": "postgres unavailable"}
BODY = {"mac": "EF-2B-C4-F5-D6-34", "firmware": "1.0"}


def django_error(cause: Exception) -> OperationalError:
    """What Django raises for a driver's error: its own class, the driver's error as the cause."""
    error = OperationalError(*cause.args)
    error.__cause__ = cause
    return error


# psycopg's and the pool's own errors have no SQLSTATE: nothing came back from the server.
NO_POOLED_CONNECTION = django_error(PoolTimeout("couldn't get a connection"))
NO_ANSWER = django_error(psycopg.OperationalError("PostgreSQL did not answer in time"))
CONNECTION_BROKE = django_error(psycopg.OperationalError("server closed the connection"))
# The server's answers: it rolled the statement back.
STATEMENT_TIMEOUT = django_error(psycopg.errors.QueryCanceled("canceling statement"))
ADMIN_SHUTDOWN = django_error(psycopg.errors.AdminShutdown("terminating connection"))


def post(key: str | None = None, body: dict = BODY):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return Client().post("/api/devices", body, content_type="application/json", **headers)


class Pool:
    """Stands in for django.db.connection: hands out a connection, or fails to, and counts the
    statements sent on it."""

    def __init__(self, error=None, statement_error=None):
        self.error, self.statement_error, self.sent = error, statement_error, 0

    def ensure_connection(self):
        if self.error:
            raise self.error

    def cursor(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql, params):
        self.sent += 1
        if self.statement_error:
            raise self.statement_error


@pytest.fixture
def pool(monkeypatch):
    """Install a Pool; Device.save (the INSERT without a key) sends on it."""

    def install(**kwargs) -> Pool:
        p = Pool(**kwargs)
        monkeypatch.setattr(views, "connection", p)
        monkeypatch.setattr(idempotency, "connection", p)
        monkeypatch.setattr(Device, "save", lambda device, **kw: p.execute("INSERT", []))
        return p

    return install


# --- PostgreSQL: which failures are 503, which 504 -------------------------------------------


@pytest.mark.parametrize("key", [None, "k-1"], ids=["without a key", "with a key"])
def test_no_pooled_connection_is_503_and_nothing_was_sent(pool, key):
    p = pool(error=NO_POOLED_CONNECTION)
    response = post(key)
    assert (response.status_code, response.json()) == (503, UNAVAILABLE)
    assert p.sent == 0


@pytest.mark.parametrize("error", [NO_ANSWER, CONNECTION_BROKE], ids=["no answer", "broken"])
@pytest.mark.parametrize("key", [None, "k-1"], ids=["without a key", "with a key"])
def test_a_sent_insert_without_an_answer_is_504(pool, error, key):
    p = pool(statement_error=error)
    response = post(key)
    assert (response.status_code, response.json()) == (504, UNKNOWN)
    assert p.sent == 1


@pytest.mark.parametrize("error", [STATEMENT_TIMEOUT, ADMIN_SHUTDOWN], ids=["timeout", "shutdown"])
@pytest.mark.parametrize("key", [None, "k-1"], ids=["without a key", "with a key"])
def test_an_error_the_server_answered_is_503(pool, error, key):
    pool(statement_error=error)
    response = post(key)
    assert (response.status_code, response.json()) == (503, UNAVAILABLE)


def test_the_server_ends_a_slow_statement_before_the_client_stops_waiting():
    """A live server's slow write gets statement_timeout's error (a definite 503) before
    psycopg's wait gives up (an unknown 504)."""
    from django.conf import settings

    assert settings.DB_STATEMENT_TIMEOUT_SECONDS < settings.DB_WAIT_TIMEOUT_SECONDS


# --- Idempotency-Key -------------------------------------------------------------------------

FIRST = Device(
    id=42,
    uuid=uuid.UUID("9add349c-c35c-4d32-ab0f-53da1ba40a2a"),
    mac=BODY["mac"],
    firmware=BODY["firmware"],
    created_at=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
    updated_at=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
)


def test_a_repeat_answers_the_first_body(pool, monkeypatch):
    pool()
    monkeypatch.setattr(idempotency, "create_once", lambda device, key: FIRST)
    response = post("k-1")
    assert response.status_code == 201
    assert response.json() == {
        "id": 42,
        "uuid": "9add349c-c35c-4d32-ab0f-53da1ba40a2a",
        "mac": BODY["mac"],
        "firmware": BODY["firmware"],
        "created_at": "2026-01-02T03:04:05.678Z",
        "updated_at": "2026-01-02T03:04:05.678Z",
    }


@pytest.mark.parametrize("other", [{"firmware": "2.0"}, {"mac": "ef-2b-c4-f5-d6-34"}])
def test_a_key_reused_with_a_different_request_is_422(pool, monkeypatch, other):
    pool()
    monkeypatch.setattr(idempotency, "create_once", lambda device, key: FIRST)
    response = post("k-1", {**BODY, **other})
    assert response.status_code == 422
    assert response.json() == {"detail": "idempotency key reused with a different request"}


@pytest.mark.parametrize("key", ["", " ", "a b", "a\tb", "k" * 256, "clé", "k-1 k-1"])
def test_an_invalid_key_is_422_before_any_statement(pool, key):
    p = pool()
    assert post(key).status_code == 422
    assert p.sent == 0


@pytest.mark.parametrize("key", ["~", "k" * 255, "".join(map(chr, range(0x21, 0x7F)))])
def test_every_visible_ascii_key_is_taken(pool, monkeypatch, key):
    pool()
    seen = []
    monkeypatch.setattr(idempotency, "create_once", lambda device, k: seen.append(k) or FIRST)
    assert post(key).status_code == 201
    assert seen == [key]


class Request:
    def __init__(self, *headers):
        self.headers = list(headers)


def test_a_key_sent_twice_reaches_the_view_invalid():
    """gunicorn would join the two with a comma, which a key may hold; the hook joins them
    with a space, which no key holds."""
    req = Request(("HOST", "h"), ("IDEMPOTENCY-KEY", "a,b"), ("IDEMPOTENCY-KEY", "a,b"))
    pre_request(None, req)
    assert req.headers == [("HOST", "h"), ("IDEMPOTENCY-KEY", "a,b a,b")]


def test_a_key_sent_once_is_left_alone():
    req = Request(("IDEMPOTENCY-KEY", "a,b"), ("ACCEPT", "*/*"))
    pre_request(None, req)
    assert req.headers == [("IDEMPOTENCY-KEY", "a,b"), ("ACCEPT", "*/*")]


# --- MySQL: io-mix's COMMIT ------------------------------------------------------------------

CONNECTION_LOST = OperationalError(2013, "Lost connection to server during query")  # read timeout
COMMIT_REFUSED = OperationalError(1180, "Got error 6 during COMMIT")  # the server's answer


class Atomic:
    """Stands in for transaction.atomic: the COMMIT on leaving the block raises `commit_error`."""

    def __init__(self, commit_error=None):
        self.commit_error = commit_error

    def __call__(self, using):
        return self

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None and self.commit_error:
            raise self.commit_error
        return False


def test_an_unanswered_commit_is_an_unknown_outcome(monkeypatch):
    monkeypatch.setattr(outcome.transaction, "atomic", Atomic(CONNECTION_LOST))
    with pytest.raises(outcome.OutcomeUnknown) as raised, outcome.mysql_transaction():
        pass
    assert raised.value.database == "mysql"


def test_a_commit_the_server_refused_rolled_back(monkeypatch):
    monkeypatch.setattr(outcome.transaction, "atomic", Atomic(COMMIT_REFUSED))
    with pytest.raises(OperationalError), outcome.mysql_transaction():
        pass


def test_a_connection_lost_before_commit_rolled_back(monkeypatch):
    monkeypatch.setattr(outcome.transaction, "atomic", Atomic())
    with pytest.raises(OperationalError), outcome.mysql_transaction():
        raise CONNECTION_LOST


def test_io_mix_with_an_unknown_commit_is_504(monkeypatch):
    def unanswered_commit():
        raise outcome.OutcomeUnknown("mysql")

    monkeypatch.setattr(iomix, "one_transaction", unanswered_commit)
    response = Client().post("/api/io-mix")
    assert response.status_code == 504
    assert response.json() == {"detail": "mysql timed out: outcome unknown"}
