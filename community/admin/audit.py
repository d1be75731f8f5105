"""The audit log: every change an organizer or admin makes, with before and after."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from community.extensions import db
from community.models import AuditEntry, User


def json_safe(value: Any) -> Any:
    """Values as the JSON column can store them, so the log reads back as it was written."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple | set):
        items = [json_safe(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set) else items
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, db.Model):
        return getattr(value, "id", None)
    return value


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The named attributes of a row, ready to be stored as 'before' or 'after'."""
    return {field: json_safe(getattr(obj, field)) for field in fields}


def record(
    actor: User | None,
    action: str,
    target: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry in the caller's transaction, so the log and the change commit together."""
    if getattr(target, "id", 1) is None:
        db.session.flush()
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=getattr(target, "__tablename__", type(target).__name__.lower()),
        target_id=getattr(target, "id", None),
        before=json_safe(before or {}),
        after=json_safe(after or {}),
    )
    db.session.add(entry)
    return entry


def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Only the fields whose value differs, for a compact log view."""
    return {
        key: (before.get(key), after.get(key))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def recent_entries(page: int = 1, per_page: int = 50) -> tuple[list[AuditEntry], int]:
    """A page of the log, newest first, and the total number of entries."""
    total = db.session.execute(select(func.count(AuditEntry.id))).scalar_one()
    entries = list(
        db.session.execute(
            select(AuditEntry)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .limit(per_page)
            .offset((max(page, 1) - 1) * per_page)
        ).scalars()
    )
    return entries, total
