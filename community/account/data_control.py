"""A member's control over their data: export it, withdraw consent, change email, delete.

Deletion removes personal data at once; matches survive only as anonymous counts.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from community.auth.accounts import external_url, find_by_email, normalise_email
from community.auth.passwords import verify_password
from community.auth.tokens import InvalidToken, make_token, read_token
from community.extensions import db
from community.mail.outbox import queue_mail
from community.members import profiles
from community.models import (
    AuditEntry,
    Block,
    Feedback,
    FeedbackPerson,
    GentleStart,
    LoginSession,
    LonelinessCheck,
    Match,
    MatchMember,
    OutboxMessage,
    Report,
    User,
    utcnow,
)
from community.rounds.trained_model import mark_stale


class WrongPassword(Exception):
    """The member's current password did not match."""


class EmailInUse(Exception):
    """Another account already uses that address."""


# Said in every export: what the feedback answers are for, and how to take them back.
FEEDBACK_USE = (
    "Your feedback after meetings (whether you met, how it felt, who you would meet again) "
    "is used, within this community only, to learn what makes meetings feel good, so that "
    "later matches get better. Organizers see only totals over many answers, never yours. "
    "If you withdraw consent or delete your account, your feedback is removed from the "
    "next training."
)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def export_member_data(user: User) -> dict[str, Any]:
    """Everything Kindred stores about this member, and nothing about anyone else."""
    profile = user.profile
    memberships = db.session.execute(
        select(MatchMember, Match).join(Match).where(MatchMember.user_id == user.id)
    ).all()
    match_ids = [match.id for _member, match in memberships]
    # One query for every match's size, not one per match.
    sizes = dict(
        db.session.execute(
            select(MatchMember.match_id, func.count())
            .where(MatchMember.match_id.in_(match_ids))
            .group_by(MatchMember.match_id)
        ).all()
    )
    feedback = db.session.execute(
        select(Feedback).where(Feedback.user_id == user.id).options(selectinload(Feedback.people))
    ).scalars()
    return {
        "account": {
            "display_name": user.display_name,
            "email": user.email,
            "role": user.role,
            "joined": iso(user.created_at),
            "email_verified": iso(user.email_verified_at),
            "last_login": iso(user.last_login_at),
            "unsubscribed": iso(user.unsubscribed_at),
        },
        "profile": {
            "interests": [i.name for i in profile.interests] if profile else [],
            "consent_given": iso(profile.consent_at) if profile else None,
            "comfort": profile.comfort if profile else None,
            "needs_step_free": profile.needs_step_free if profile else False,
            "prefers_quiet": profile.prefers_quiet if profile else False,
            "available_slots": sorted(profile.availability_slots) if profile else [],
            "setting": profile.setting if profile else None,
            "format": profile.format if profile else None,
            "looking_for": profiles.looking_for(
                profile.wants_groups, profile.wants_walks, profile.wants_volunteering
            )
            if profile
            else [],
            "area": profile.area.name if profile and profile.area else None,
            "max_km": profile.max_km if profile else None,
            "pace": profile.pace if profile else None,
            "languages": profile.language_list if profile else [],
            "about_me": profile.about_me if profile else "",
            "paused_until": profile.paused_until.isoformat()
            if profile and profile.paused_until
            else None,
        },
        # Other members appear only as the size of the match, never by name.
        "matches": [
            {
                "kind": match.kind,
                "meeting_at": iso(match.meeting_at),
                "format": match.format,
                "your_response": member.status,
                "responded": iso(member.responded_at),
                "people_in_match": sizes.get(match.id, 0),
                "reason": match.reason,
            }
            for member, match in memberships
        ],
        "feedback_given": [
            {
                "met": item.met,
                "feeling": item.feeling,
                "note": item.note,
                "wants_new_people": item.wants_new_people,
                "would_meet_again_count": sum(1 for p in item.people if p.again),
                "given": iso(item.created_at),
            }
            for item in feedback
        ],
        "how_your_feedback_is_used": FEEDBACK_USE,
        "blocked_members": db.session.execute(
            select(db.func.count()).where(Block.blocker_id == user.id)
        ).scalar_one(),
        "reports_made": [
            {"reason": report.reason, "status": report.status, "made": iso(report.created_at)}
            for report in db.session.execute(
                select(Report).where(Report.reporter_id == user.id)
            ).scalars()
        ],
        "loneliness_checks": [
            {"taken": iso(c.taken_at), "score": c.score}
            for c in db.session.execute(
                select(LonelinessCheck)
                .where(LonelinessCheck.user_id == user.id)
                .order_by(LonelinessCheck.taken_at)
            ).scalars()
        ],
        "gentle_start": gentle_start_export(user),
        "emails_sent": [
            {"subject": row.subject, "status": row.status, "queued": iso(row.created_at)}
            for row in db.session.execute(
                select(OutboxMessage)
                .where(OutboxMessage.user_id == user.id)
                .order_by(OutboxMessage.id)
            ).scalars()
        ],
        "sessions": [
            {"started": iso(s.created_at), "last_seen": iso(s.last_seen_at)}
            for s in db.session.execute(
                select(LoginSession).where(LoginSession.user_id == user.id)
            ).scalars()
        ],
    }


def gentle_start_export(user: User) -> dict[str, Any] | None:
    plan = db.session.get(GentleStart, user.id)
    if plan is None:
        return None
    return {
        "started": iso(plan.started_at),
        "days_sent": plan.days_sent,
        "days_done": sorted(plan.done),
        "stopped": iso(plan.stopped_at),
    }


def withdraw_consent(user: User) -> None:
    """Delete comfort, access needs and availability now; matching that needs them stops."""
    if user.profile is not None:  # no profile: nothing was ever given to delete
        profiles.set_consent(user.profile, False)
        mark_stale("consent withdrawn")  # the next training leaves them out


def delete_account(user: User, password: str) -> None:
    """Remove the member's personal data; keep only anonymous counts of their matches."""
    if not verify_password(user.password_hash, password):
        raise WrongPassword()
    user_id = user.id
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.user_id == user_id, OutboxMessage.status.in_(("pending", "sending")))
        .values(status="cancelled")
    )
    # Mail already sent or cancelled keeps its row for counts, without who or what.
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.user_id == user_id)
        .values(recipient="", user_id=None, context={}, subject="(deleted)", last_error="")
    )
    db.session.execute(
        update(Feedback).where(Feedback.user_id == user_id).values(user_id=None, note="")
    )
    db.session.execute(delete(FeedbackPerson).where(FeedbackPerson.about_user_id == user_id))
    db.session.execute(
        update(MatchMember).where(MatchMember.user_id == user_id).values(user_id=None)
    )
    db.session.execute(
        delete(Block).where(or_(Block.blocker_id == user_id, Block.blocked_id == user_id))
    )
    db.session.execute(update(Report).where(Report.reporter_id == user_id).values(reporter_id=None))
    db.session.execute(
        update(Report).where(Report.reported_user_id == user_id).values(reported_user_id=None)
    )
    db.session.execute(
        update(AuditEntry)
        .where(AuditEntry.target_type == "user", AuditEntry.target_id == user_id)
        .values(before={}, after={"deleted": True})
    )
    db.session.execute(
        update(AuditEntry).where(AuditEntry.actor_id == user_id).values(actor_id=None)
    )
    for model in (LoginSession, GentleStart, LonelinessCheck):
        db.session.execute(delete(model).where(model.user_id == user_id))
    db.session.delete(user)
    mark_stale("account deleted")  # the next training leaves them out


def request_email_change(user: User, password: str, new_email: str) -> None:
    """Check the password, then send a confirmation link to the new address."""
    if not verify_password(user.password_hash, password):
        raise WrongPassword()
    new_email = normalise_email(new_email)
    if find_by_email(new_email):
        raise EmailInUse(new_email)
    token = make_token(
        "change-email", {"uid": user.id, "email": new_email, "pw": user.password_hash[-16:]}
    )
    queue_mail(
        user,
        "confirm_new_email",
        "Please confirm your new email for Kindred",
        idempotency_key=f"change-email:{user.id}:{secrets.token_hex(8)}",
        link=external_url("account.confirm_email_change", token=token),
        new_email=new_email,
        recipient=new_email,
    )


def confirm_email_change(token: str) -> User:
    payload = read_token("change-email", token, current_app.config["VERIFY_TOKEN_MAX_AGE"])
    user = db.session.get(User, payload.get("uid"))
    if user is None or user.password_hash[-16:] != payload.get("pw"):
        raise InvalidToken()
    new_email = payload.get("email", "")
    if user.email == new_email:
        raise InvalidToken()
    if find_by_email(new_email):
        raise EmailInUse(new_email)
    user.email = new_email
    user.email_verified_at = utcnow()
    # A new, confirmed address is deliverable, whatever the old one did.
    user.email_bounced_at = None
    return user
