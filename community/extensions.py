"""Flask extensions, created without an app so any module can import them."""

from typing import TYPE_CHECKING, Any, cast

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """The typed declarative base, given to Flask-SQLAlchemy as its ``model_class``."""


db = SQLAlchemy(model_class=Base)

# Models subclass ``Model``: at run time that is ``db.Model``, as Flask-SQLAlchemy's
# "Models and Tables" docs declare them, sharing Base's registry and metadata and adding
# its table naming, bind keys, query property and repr. Type checkers cannot take an
# attribute set at run time as a base class (python/mypy#8603), so they see Base, the
# DeclarativeBase that db.Model is built from (``SQLAlchemy(model_class=Base)``).
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


def rowcount(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE run through ``db.session.execute`` matched.

    The session returns a CursorResult for these statements but is typed as returning
    any Result (SQLAlchemy 2.0.44's changelog says to cast where rowcount is needed).
    """
    return cast("CursorResult[Any]", result).rowcount


migrate = Migrate()
login_manager = LoginManager()
mail = Mail()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def enforce_sqlite_foreign_keys(dbapi_connection, _record) -> None:
    """SQLite ignores foreign keys (and their ON DELETE rules) unless asked per connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # Write-ahead log: readers never block the writer, and with synchronous=NORMAL a
        # commit need not wait for the disk (the mail sender commits after every
        # message). A crashed process loses nothing; a power cut may lose the last
        # commits (an email resent with the same Message-ID), never corrupt the file.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
