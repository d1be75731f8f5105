"""Reports from members, and what organizers decide about them.

Whatever the outcome, the two members are never matched together again: a
report means the reporter felt unsafe or uneasy, and dismissing it as unfounded
does not make a second meeting a good idea. Handling a report therefore adds a
Block from the reporter to the reported member, which every round reads.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from community.admin.audit import record, snapshot
from community.extensions import db
from community.mail.outbox import queue_mail
from community.models import Block, MeetingNote, Report, User, utcnow
from community.organize.errors import ChangeRefused

OUTCOMES = {
    "dismissed": "Dismiss",
    "warned": "Warn the member",
    "suspended": "Suspend the member",
}
FIELDS = ("status", "handled_by_id", "handled_at", "handling_note")


WITH_PEOPLE = (selectinload(Report.reporter), selectinload(Report.reported_user))


def open_reports() -> list[Report]:
    """Oldest first: whoever has waited longest is seen first."""
    return list(
        db.session.execute(
            select(Report)
            .options(*WITH_PEOPLE)
            .where(Report.status == "open")
            .order_by(Report.created_at, Report.id)
        ).scalars()
    )


def open_count() -> int:
    return db.session.execute(
        select(func.count(Report.id)).where(Report.status == "open")
    ).scalar_one()


def handled_reports(limit: int = 20) -> list[Report]:
    return list(
        db.session.execute(
            select(Report)
            .options(*WITH_PEOPLE)
            .where(Report.status != "open")
            .order_by(Report.handled_at.desc(), Report.id.desc())
            .limit(limit)
        ).scalars()
    )


def reported_note(report: Report) -> MeetingNote | None:
    """The meeting note a report is about, if it is about one that still exists."""
    return db.session.get(MeetingNote, report.note_id) if report.note_id else None


def earlier_reports(report: Report) -> list[Report]:
    """Other reports about the same member, so a pattern is visible."""
    if report.reported_user_id is None:
        return []
    return list(
        db.session.execute(
            select(Report)
            .where(Report.reported_user_id == report.reported_user_id, Report.id != report.id)
            .order_by(Report.created_at.desc())
        ).scalars()
    )


def keep_apart(first_id: int | None, second_id: int | None) -> bool:
    """Add a block so the pair is never matched again; False if one was already there."""
    if first_id is None or second_id is None or first_id == second_id:
        return False
    if db.session.get(Block, (first_id, second_id)) is not None:
        return False
    db.session.add(Block(blocker_id=first_id, blocked_id=second_id))
    return True


def handle_report(actor: User, report: Report, outcome: str, note: str = "") -> None:
    """Record the decision, act on it, and keep the two members apart from now on."""
    if outcome not in OUTCOMES:
        raise ChangeRefused("Please choose dismiss, warn or suspend.")
    if report.status != "open":
        raise ChangeRefused(f"This report was already handled ({report.status}).")
    reported = report.reported_user
    if outcome == "suspended" and reported is not None and reported.id == actor.id:
        raise ChangeRefused("You can't suspend yourself. Ask another organizer.")
    before = snapshot(report, FIELDS)
    report.status = outcome
    report.handled_by_id = actor.id
    report.handled_at = utcnow()
    report.handling_note = (note or "").strip()
    blocked = keep_apart(report.reporter_id, report.reported_user_id)
    meeting_note = reported_note(report)
    if meeting_note is not None and outcome in ("warned", "suspended"):
        # The organizer agreed the note was wrong: the others no longer see it.
        meeting_note.hidden_at = meeting_note.hidden_at or utcnow()
    if reported is not None and outcome == "warned":
        queue_mail(
            reported,
            "moderation_warning",
            "A message from the Kindred organizers",
            idempotency_key=f"moderation-warning:{report.id}",
        )
    if reported is not None and outcome == "suspended" and reported.active:
        user_before = snapshot(reported, ("active",))
        reported.active = False
        record(actor, "member.suspend", reported, user_before, snapshot(reported, ("active",)))
    record(
        actor,
        f"report.{outcome}",
        report,
        before,
        {
            **snapshot(report, FIELDS),
            "pair_blocked": blocked,
            "note_hidden": bool(meeting_note is not None and meeting_note.hidden_at),
        },
    )


def pairs_kept_apart() -> set[frozenset[int]]:
    """Every pair that must never share a match: blocks, and reports whatever their state."""
    pairs = {
        frozenset(pair)
        for pair in db.session.execute(select(Block.blocker_id, Block.blocked_id)).all()
    }
    pairs |= {
        frozenset((reporter, reported))
        for reporter, reported in db.session.execute(
            select(Report.reporter_id, Report.reported_user_id).where(
                Report.reporter_id.is_not(None),
                Report.reported_user_id.is_not(None),
            )
        ).all()
        if reporter is not None and reported is not None and reporter != reported
    }
    return pairs
