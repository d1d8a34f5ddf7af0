"""What a failed write's answer may claim (CONTRACT.md, general rules).

503 says the write did not happen: nothing was sent (no pooled connection in time), or the
database answered with an error, which means it rolled the statement or transaction back
(statement_timeout's cancel is such an answer). 504 says the outcome is unknown: the write was
sent and no answer came back (psycopg's wait timed out, the connection broke, MariaDB's read
timed out after COMMIT), and the database may still commit it.
"""

from contextlib import contextmanager

from django.db import OperationalError, transaction


class OutcomeUnknown(Exception):
    """A write was sent and not answered: 504 '<database> timed out: outcome unknown'."""

    def __init__(self, database: str):
        super().__init__(database)
        self.database = database


def postgres_answered(exc: OperationalError) -> bool:
    """An error PostgreSQL sent has a SQLSTATE; psycopg's own (timeout, lost connection) none."""
    return getattr(exc.__cause__, "sqlstate", None) is not None


def mysql_answered(exc: OperationalError) -> bool:
    """Error numbers 2000-2999 are the client library's own (CR_SERVER_LOST on a read timeout,
    CR_SERVER_GONE_ERROR): no answer. The server's are below 2000 or from 3000."""
    errno = exc.args[0] if exc.args else None
    return not (isinstance(errno, int) and 2000 <= errno < 3000)


@contextmanager
def sent_to_postgres():
    """Around one writing statement in autocommit, on a connection already taken from the pool:
    the statement is its own transaction, so once it is sent only PostgreSQL's answer tells."""
    try:
        yield
    except OperationalError as exc:
        if postgres_answered(exc):
            raise  # rolled back: 503
        raise OutcomeUnknown("postgres") from exc


@contextmanager
def mysql_transaction():
    """transaction.atomic on MySQL. A failure inside the block rolls the transaction back (503);
    a COMMIT that was sent and not answered may still have been applied."""
    committing = False
    try:
        with transaction.atomic(using="mysql"):
            yield
            committing = True  # the block is done: leaving it sends COMMIT
    except OperationalError as exc:
        if committing and not mysql_answered(exc):
            raise OutcomeUnknown("mysql") from exc
        raise
