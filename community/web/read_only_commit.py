"""A request that only read ends its transaction with COMMIT, so PostgreSQL keeps its plans.

psycopg 3 prepares a statement on the server once a connection has run it five
times; PostgreSQL then parses and plans it once instead of on every request (for
the login-session lookup that is ~0.45 ms of the database's CPU each time). But a
ROLLBACK makes psycopg forget every statement prepared on that connection, and
closing the session at the end of a request rolls back whatever is still open:
every page that only reads. So nothing was ever prepared for long.

For a transaction that wrote nothing, COMMIT and ROLLBACK do the same thing. When
the request ends without an error, nothing is pending in the session and no
statement other than a SELECT ran in the transaction, it is committed here before
Flask-SQLAlchemy closes the session; anything else is rolled back as before.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from community.extensions import db

log = logging.getLogger(__name__)

WROTE = "kindred_transaction_wrote"


@event.listens_for(Engine, "begin")
def forget_writes(connection: Connection) -> None:
    connection.info.pop(WROTE, None)


@event.listens_for(Engine, "before_cursor_execute")
def note_writes(connection: Connection, _cursor, statement: str, *_args) -> None:
    # Anything but a plain SELECT (INSERT, UPDATE, DELETE, a data-changing WITH, DDL)
    # counts as a write, so a doubtful transaction is rolled back as before.
    if statement.lstrip()[:6].upper() != "SELECT":
        connection.info[WROTE] = True


def commit_if_read_only(error: BaseException | None) -> None:
    if error is not None or not db.session.registry.has():
        return
    session = db.session()
    if not session.in_transaction():
        return
    if session.new or session.dirty or session.deleted:
        return
    if session.connection().info.get(WROTE):
        return
    # The session is closed next; objects read in it stay usable afterwards, as they
    # would after the rollback (a commit would otherwise expire them all).
    session.expire_on_commit = False
    try:
        session.commit()
    except SQLAlchemyError:
        # Nothing was written, so nothing is lost; closing the session rolls back.
        log.warning("committing a read-only transaction failed", exc_info=True)


def register(app: Flask) -> None:
    """Call after ``db.init_app``: teardowns run last-registered first, so this one
    runs before Flask-SQLAlchemy closes the session."""
    app.teardown_appcontext(commit_if_read_only)
