"""The PostgreSQL connection class of the pool (project/settings.py): every wait is bounded.

`statement_timeout` ends a slow statement, but only a server that still runs can enforce it,
and psycopg waits for an answer without limit: a frozen or black-holed PostgreSQL held a
gunicorn thread, and every request queued behind it, until it came back. psycopg's own wait
loop takes a timeout (`Connection.wait`); this class gives every wait one.
"""

import psycopg
from django.conf import settings
from psycopg.errors import _WaitTimeout  # psycopg's own: internal, converted here as it asks


class BoundedConnection(psycopg.Connection):
    def wait(self, gen, interval=0.1, timeout=None):
        try:
            return super().wait(
                gen, interval, settings.DB_WAIT_TIMEOUT_SECONDS if timeout is None else timeout
            )
        except _WaitTimeout:
            # The statement's fate is unknown: close the connection so that the pool discards it
            # and connects afresh, rather than reuse one with an answer still in flight.
            self.pgconn.finish()
            raise psycopg.OperationalError("PostgreSQL did not answer in time") from None
