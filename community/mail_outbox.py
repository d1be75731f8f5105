"""The mail outbox: queue an email with the change that causes it, deliver it later.

Delivery claims each due row before sending, retries with exponential backoff,
and never sends an idempotency key twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, g, has_request_context, render_template
from flask_mail import Message
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from community.extensions import db, mail
from community.models import OutboxMessage, User, utcnow

log = logging.getLogger(__name__)


def queue_mail(
    user: User,
    template: str,
    subject: str,
    idempotency_key: str,
    *,
    headers: dict[str, str] | None = None,
    attachments: list[dict[str, str]] | None = None,
    **context: Any,
) -> OutboxMessage | None:
    """Add an email to the outbox in the caller's transaction (the caller commits).

    ``context`` must be JSON-friendly: it is stored and the templates are rendered
    from it at send time. ``attachments`` are dicts with ``filename``,
    ``content_type`` and text ``data`` (an .ics, say); ``headers`` are extra
    headers such as List-Unsubscribe. Returns None when a message with the same
    key is already queued or sent.
    """
    exists = db.session.execute(
        select(OutboxMessage.id).where(OutboxMessage.idempotency_key == idempotency_key)
    ).first()
    if exists:
        return None
    message = OutboxMessage(
        recipient=user.email,
        user_id=user.id,
        subject=subject,
        template=template,
        context={
            "display_name": user.display_name,
            **context,
            "_headers": headers or {},
            "_attachments": attachments or [],
        },
        idempotency_key=idempotency_key,
    )
    db.session.add(message)
    if has_request_context():
        g.kindred_mail_queued = True
    return message


def render_message(row: OutboxMessage) -> Message:
    """Build the email from its paired ``.txt`` and ``.html`` templates."""
    context = dict(row.context)
    headers = context.pop("_headers", {}) or {}
    attachments = context.pop("_attachments", []) or []
    message = Message(subject=row.subject, recipients=[row.recipient])
    message.body = render_template(f"email/{row.template}.txt", **context)
    message.html = render_template(f"email/{row.template}.html", **context)
    # A stable Message-ID per row: a resend after a crash is recognisably the same mail.
    domain = current_app.config["MAIL_MESSAGE_ID_DOMAIN"]
    message.msgId = f"<kindred.{row.id}.{row.created_at:%Y%m%d}@{domain}>"
    message.extra_headers = {"X-Kindred-Message": row.idempotency_key, **headers}
    for attachment in attachments:
        message.attach(
            attachment["filename"], attachment["content_type"], attachment["data"].encode()
        )
    return message


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2**attempts, 24 * 60))


def send_pending_mail(
    limit: int | None = None, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Deliver due outbox rows; returns how many were sent and how many failed."""
    now = utcnow()
    query = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
    )
    if limit:
        query = query.limit(limit)
    ids = list(db.session.execute(query).scalars())
    sent = failed = 0
    for message_id in ids:
        if not claim(message_id):
            continue
        row = db.session.get(OutboxMessage, message_id)
        try:
            mail.send(render_message(row))
        except Exception as error:  # noqa: BLE001 - any SMTP failure is retried
            record_failure(row, error)
            failed += 1
        else:
            row.status = "sent"
            row.sent_at = utcnow()
            sent += 1
        db.session.commit()
        if progress:
            progress(1)
    return {"sent": sent, "failed": failed, "due": len(ids)}


def pending_count() -> int:
    return db.session.execute(
        select(db.func.count()).where(OutboxMessage.status == "pending")
    ).scalar_one()


def claim(message_id: int) -> bool:
    """Move a row from pending to sending; only one sender can win it."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
        .values(status="sending", attempts=OutboxMessage.attempts + 1)
    )
    db.session.commit()
    return result.rowcount == 1


def record_failure(row: OutboxMessage, error: Exception) -> None:
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    if row.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        row.status = "failed"
    else:
        row.status = "pending"
        row.next_attempt_at = utcnow() + backoff(row.attempts)
    log.warning("mail %s to %s failed: %s", row.id, row.recipient, row.last_error)


def register_inline_delivery(app: Flask) -> None:
    """On one machine, send what a request queued as soon as it has committed."""

    @app.after_request
    def deliver_queued_mail(response):
        if g.pop("kindred_mail_queued", False) and app.config["MAIL_DELIVERY"] == "inline":
            try:
                send_pending_mail(limit=50)
            except IntegrityError:
                db.session.rollback()
        return response
