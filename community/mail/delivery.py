"""Delivering the outbox: claim due rows, send them over one SMTP connection, retry.

Nothing is lost and nothing is sent twice:

- ``queue_mail`` adds a row in the caller's transaction; a unique idempotency key
  means the same email can't be queued twice.
- ``send_pending_mail`` claims a batch of due rows (pending -> sending, with a lease),
  sends them over one SMTP connection, and commits each row's outcome right after
  its SMTP reply. A sender killed mid-batch leaves at most one row delivered but not
  marked: the one in flight. The sweep returns rows whose lease ran out to pending,
  and the resend carries the same Message-ID, so the duplicate is recognisable.
- Temporary failures (connection refused, 4xx) are retried with exponential
  backoff; a permanent 5xx for the address gives up and marks the address bounced.

The sender works on its own database connection, never on the request's session:
it only sees committed rows, and its commits never commit anyone else's work.
"""

from __future__ import annotations

import logging
import os
import secrets
import smtplib
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from flask_mail import BadHeaderError, Connection
from sqlalchemy import Row, bindparam, or_, select, update
from sqlalchemy.engine import Connection as DatabaseConnection

from community.extensions import db, mail
from community.mail.outbox import outbox, render_message, users
from community.models import utcnow

log = logging.getLogger(__name__)


# Reply codes that say the mailbox itself is refused (RFC 5321): no point retrying.
BOUNCE_CODES = {550, 551, 553}


# Built once: the statement runs after every message sent.
MARK_SENT = (
    update(outbox)
    .where(outbox.c.id == bindparam("row_id"))
    .values(status="sent", sent_at=bindparam("now"), last_error="", claimed_at=None)
)


OUTCOMES = ("sent", "retrying", "failed", "bounced", "released", "due")


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: the base, doubled for each attempt already made."""
    config = current_app.config
    seconds = config["MAIL_RETRY_SECONDS"] * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, config["MAIL_RETRY_MAX_SECONDS"]))


def send_pending_mail(
    limit: int | None = None, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Deliver due outbox rows in batches, one SMTP connection per batch.

    Returns counts: ``sent``; ``retrying`` (a temporary failure, pending again with
    backoff); ``failed`` (given up); ``bounced`` (the address was refused for good);
    ``released`` (stale claims returned to pending first); ``due`` (rows claimed).
    """
    batch_size = current_app.config["MAIL_BATCH_SIZE"]
    counts: Counter[str] = Counter()
    sender = f"{socket.gethostname()}:{os.getpid()}"[:60]
    with db.engine.connect() as connection:
        counts["released"] = release_stale_claims(connection)
        while limit is None or counts["due"] < limit:
            size = batch_size if limit is None else min(batch_size, limit - counts["due"])
            rows = claim_batch(connection, size, f"{sender}:{secrets.token_hex(4)}")
            if not rows:
                break
            counts["due"] += len(rows)
            if not deliver_batch(connection, rows, counts, progress):
                break  # the server is down or went away: the rest waits for the next drain
    return {key: counts[key] for key in OUTCOMES}


def release_stale_claims(connection: DatabaseConnection) -> int:
    """Return rows whose sender died mid-send (lease run out) to pending."""
    now = utcnow()
    stale_before = now - timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])
    result = connection.execute(
        update(outbox)
        .where(
            outbox.c.status == "sending",
            or_(outbox.c.claimed_at.is_(None), outbox.c.claimed_at < stale_before),
        )
        .values(status="pending", next_attempt_at=now, claimed_at=None, claimed_by="")
    )
    connection.commit()
    if result.rowcount:
        log.warning("returned %d mail(s) left sending by a stopped sender", result.rowcount)
    return result.rowcount


def claim_batch(connection: DatabaseConnection, size: int, claimed_by: str) -> Sequence[Row]:
    """Move up to ``size`` due rows from pending to sending; only one sender wins each.

    On PostgreSQL the candidates are locked with SKIP LOCKED, so several senders
    claim different rows at once. (Two statements on purpose: inside ``IN (...)``
    a LIMIT ... FOR UPDATE subquery may be rescanned and claim more than ``size``.)
    SQLite serialises writers; ``status = 'pending'`` in the UPDATE keeps a row
    from being claimed twice either way.
    """
    now = utcnow()
    candidates = list(
        connection.execute(
            select(outbox.c.id)
            .where(outbox.c.status == "pending", outbox.c.next_attempt_at <= now)
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(size)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    if not candidates:
        connection.commit()
        return []
    won = connection.execute(
        update(outbox)
        .where(outbox.c.id.in_(candidates), outbox.c.status == "pending")
        .values(
            status="sending",
            attempts=outbox.c.attempts + 1,
            claimed_at=now,
            claimed_by=claimed_by,
        )
        .returning(outbox.c.id)
    )
    ids = list(won.scalars())
    connection.commit()
    if not ids:
        return []
    # Read back separately: SQLite's RETURNING hands dates back unconverted.
    return connection.execute(
        select(outbox).where(outbox.c.id.in_(ids)).order_by(outbox.c.id)
    ).all()


class ConnectionLost(Exception):
    """The SMTP connection is gone; the rest of the batch waits for the next try."""


def deliver_batch(
    connection: DatabaseConnection,
    rows: Sequence[Row],
    counts: Counter[str],
    progress: Callable[[int], None] | None = None,
) -> bool:
    """Send claimed rows over one SMTP connection, committing each outcome at once.

    Returns False when the connection failed (the rest of the batch is deferred).
    """
    # Rows not started within half the lease are handed back, so a slow batch never
    # overlaps with the sweep giving its rows to another sender.
    deadline = time.monotonic() + current_app.config["MAIL_LEASE_SECONDS"] / 2
    remaining = list(rows)
    # Rows queued in bulk (not through queue_mail) may be for an address that bounced.
    bounced = bounced_addresses(connection, rows)
    try:
        with smtp_connection() as smtp:
            while remaining:
                if time.monotonic() > deadline:
                    counts["released"] += release_claims(connection, remaining)
                    remaining = []
                    break
                row = remaining.pop(0)
                if row.recipient in bounced:
                    outcome, lost = mark_bounced(connection, row, "the address bounced before")
                else:
                    outcome, lost = deliver_one(connection, smtp, row)
                connection.commit()
                counts[outcome] += 1
                if outcome == "bounced":
                    bounced.add(row.recipient)
                if progress:
                    progress(1)
                if lost:
                    raise ConnectionLost(f"after mail {row.id}: {describe(lost)}") from lost
    except (ConnectionLost, OSError, smtplib.SMTPException) as error:
        # Could not connect, or the server went away (421, reset): everything not
        # yet sent in this batch is retried later with backoff.
        log.warning("SMTP connection failed: %s", describe(error))
        for row in remaining:
            counts[retry_later(connection, row, error)] += 1
            if progress:
                progress(1)
        connection.commit()
        return False
    return True


def bounced_addresses(connection: DatabaseConnection, rows: Sequence[Row]) -> set[str]:
    user_ids = {row.user_id for row in rows if row.user_id is not None}
    if not user_ids:
        return set()
    return set(
        connection.execute(
            select(users.c.email).where(
                users.c.id.in_(user_ids), users.c.email_bounced_at.is_not(None)
            )
        ).scalars()
    )


def deliver_one(
    connection: DatabaseConnection, smtp: Connection, row: Row
) -> tuple[str, BaseException | None]:
    """Send one claimed row and record what happened (the caller commits).

    Returns the outcome's name and, when the SMTP connection is lost, the error.
    """
    lost: BaseException | None
    try:
        message = render_message(row)
    except Exception as error:  # noqa: BLE001 - a template fix may come before the retry
        log.exception("mail %s could not be rendered", row.id)
        return retry_later(connection, row, error), None
    try:
        smtp.send(message)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _reply in error.recipients.values()]
        if codes and min(codes) >= 500:
            outcome = bounce(connection, row, error)
        else:
            outcome = retry_later(connection, row, error)
        lost = error if closed(smtp) else None
    except smtplib.SMTPResponseException as error:
        code = error.smtp_code
        # A refused sender (MAIL FROM) says nothing about the member's address.
        recipient_refused = not isinstance(error, smtplib.SMTPSenderRefused)
        if code >= 500 and code in BOUNCE_CODES and recipient_refused:
            outcome = bounce(connection, row, error)
        elif code >= 500:
            outcome = give_up(connection, row, error)
        else:
            outcome = retry_later(connection, row, error)
        lost = error if closed(smtp) else None
    except BadHeaderError as error:
        outcome, lost = give_up(connection, row, error), None
    except (OSError, smtplib.SMTPException) as error:
        # The reply never came: the message may or may not have arrived. Retrying
        # may duplicate it, with the same Message-ID; losing it would be worse.
        outcome, lost = retry_later(connection, row, error), error
    else:
        connection.execute(MARK_SENT, {"row_id": row.id, "now": utcnow()})
        outcome, lost = "sent", None
    return outcome, lost


def retry_later(connection: DatabaseConnection, row: Row, error: BaseException) -> str:
    """A temporary failure: pending again after a backoff, or failed after too many."""
    if row.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        return give_up(connection, row, error)
    connection.execute(
        update(outbox)
        .where(outbox.c.id == row.id)
        .values(
            status="pending",
            next_attempt_at=utcnow() + backoff(row.attempts),
            last_error=describe(error),
            claimed_at=None,
            claimed_by="",
        )
    )
    log.info("mail %s to %s will be retried: %s", row.id, row.recipient, describe(error))
    return "retrying"


def give_up(connection: DatabaseConnection, row: Row, error: BaseException) -> str:
    connection.execute(
        update(outbox)
        .where(outbox.c.id == row.id)
        .values(status="failed", last_error=describe(error), claimed_at=None)
    )
    log.warning("mail %s to %s failed for good: %s", row.id, row.recipient, describe(error))
    return "failed"


def bounce(connection: DatabaseConnection, row: Row, error: BaseException) -> str:
    """The server refused the address for good: mark it, and stop mail still queued."""
    now = utcnow()
    connection.execute(
        update(outbox)
        .where(outbox.c.id == row.id)
        .values(status="bounced", last_error=describe(error), claimed_at=None)
    )
    connection.execute(
        update(outbox)
        .where(outbox.c.recipient == row.recipient, outbox.c.status == "pending")
        .values(status="bounced", last_error=f"the address bounced on mail {row.id}")
    )
    if row.user_id is not None:
        connection.execute(
            update(users)
            .where(users.c.id == row.user_id, users.c.email_bounced_at.is_(None))
            .values(email_bounced_at=now)
        )
    log.warning("mail %s: %s bounced: %s", row.id, row.recipient, describe(error))
    return "bounced"


def mark_bounced(connection: DatabaseConnection, row: Row, reason: str) -> tuple[str, None]:
    connection.execute(
        update(outbox)
        .where(outbox.c.id == row.id)
        .values(status="bounced", last_error=reason, claimed_at=None)
    )
    return "bounced", None


def release_claims(connection: DatabaseConnection, rows: Sequence[Row]) -> int:
    """Hand back claimed rows this sender never started, without counting an attempt."""
    result = connection.execute(
        update(outbox)
        .where(
            outbox.c.id.in_([row.id for row in rows]),
            outbox.c.status == "sending",
            outbox.c.claimed_by == rows[0].claimed_by,
        )
        .values(status="pending", attempts=outbox.c.attempts - 1, claimed_at=None, claimed_by="")
    )
    connection.commit()
    return result.rowcount


def closed(smtp: Connection) -> bool:
    """smtplib closes the socket after a 421 ("closing transmission channel")."""
    return smtp.host is not None and smtp.host.sock is None


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


@contextmanager
def smtp_connection() -> Iterator[Connection]:
    """Flask-Mail's connection, with a socket timeout and a quiet close.

    ``mail.connect()``'s own exit calls QUIT, which raises when the server has
    already hung up (after a 421); here a dead connection is simply closed.
    """
    smtp = mail.connect()
    smtp.__enter__()
    host = smtp.host
    if host is not None and host.sock is not None:
        host.sock.settimeout(current_app.config["MAIL_TIMEOUT_SECONDS"])
    try:
        yield smtp
    finally:
        host = smtp.host
        if host is not None:
            try:
                host.quit()
            except (OSError, smtplib.SMTPException):
                host.close()
