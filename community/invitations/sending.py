"""Queueing invitations: every seat of an approved round gets one mail in the outbox."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import g, has_request_context
from sqlalchemy import Insert, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from community.extensions import db
from community.invitations.calendar import for_attendee
from community.invitations.links import LinkMaker
from community.invitations.wording import (
    MatchFacts,
    invitation_subject,
    match_facts,
    place_context,
    place_words,
    shared_phrase,
    volunteer_phrase,
)
from community.mail.outbox import queue_mail
from community.models import (
    Interest,
    Match,
    MatchMember,
    MatchRound,
    OutboxMessage,
    User,
    utcnow,
)
from community.rounds.eligibility import interests_by_user
from community.rounds.schedule import KIND_LABELS, when_words


def invitation_mail(
    *,
    user_id: int,
    display_name: str,
    email: str,
    seat_id: int,
    nonce: str,
    facts: MatchFacts,
    others: list[str],
    shared: str,
    links: LinkMaker,
) -> dict[str, Any]:
    """The outbox context, headers and attachment of one invitation."""
    responses = links.responses(seat_id, nonce)
    unsubscribe, headers = links.unsubscribe(user_id)
    context = {
        "display_name": display_name,
        "kind": facts.round_kind,
        "kind_label": KIND_LABELS[facts.round_kind],
        "others": others,
        "shared": shared,
        "when": when_words(facts.meeting_at),
        "where": place_words(facts),
        **place_context(facts),
        "opportunity": facts.opportunity,
        "recurring": facts.round_kind == "walks",
        "accept_link": responses["accept_link"],
        "decline_link": responses["decline_link"],
        "connections_link": links.connections,
        "unsubscribe_link": unsubscribe,
    }
    return {
        "context": context,
        "headers": headers,
        "attachments": [
            {
                "filename": "kindred-meeting.ics",
                "content_type": "text/calendar",
                "data": for_attendee(facts.ics, email),
            }
        ],
    }


def invitation_key(match_id: int, user_id: int) -> str:
    return f"invitation:{match_id}:{user_id}"


def queue_round_invitations(round_id: int) -> int:
    """Queue every invited seat's mail of a round with one bulk insert.

    ``queue_mail`` checks and inserts one row at a time; a round of 10,000
    members needs one statement instead. The rows are the same shape as
    ``queue_mail`` writes (display_name plus _headers/_attachments in the
    context), and a duplicate idempotency key is skipped by the database
    (ON CONFLICT DO NOTHING), so a retried approval never queues a second set.
    """
    round_ = db.session.get_one(MatchRound, round_id)
    matches = list(
        db.session.execute(
            select(Match).where(Match.round_id == round_id, Match.status == "active")
        ).scalars()
    )
    seats = db.session.execute(
        select(
            MatchMember.id,
            MatchMember.match_id,
            MatchMember.user_id,
            MatchMember.status,
            MatchMember.token_nonce,
            User.display_name,
            User.email,
        )
        .join(User, User.id == MatchMember.user_id)
        .join(Match, Match.id == MatchMember.match_id)
        .where(Match.round_id == round_id)
        .order_by(MatchMember.id)
    ).all()
    interests = interests_by_user(
        select(MatchMember.user_id).join(Match).where(Match.round_id == round_id)
    )
    names = {i.id: i.name for i in db.session.execute(select(Interest)).scalars()}
    facts = match_facts(matches, round_.kind)
    by_match: dict[int, list] = defaultdict(list)
    for seat in seats:
        by_match[seat.match_id].append(seat)
    rows = []
    now = utcnow()
    links = LinkMaker()
    for seat in seats:
        if seat.status != "invited":
            continue
        others = [s for s in by_match[seat.match_id] if s.id != seat.id]
        if round_.kind == "volunteering":
            shared = volunteer_phrase(interests[seat.user_id], facts[seat.match_id], names)
        else:
            shared = shared_phrase(
                interests[seat.user_id],
                [interests[o.user_id] for o in others],
                facts[seat.match_id].slot,
                names,
            )
        mail = invitation_mail(
            user_id=seat.user_id,
            display_name=seat.display_name,
            email=seat.email,
            seat_id=seat.id,
            nonce=seat.token_nonce,
            facts=facts[seat.match_id],
            others=[o.display_name for o in others],
            shared=shared,
            links=links,
        )
        rows.append(
            {
                "recipient": seat.email,
                "user_id": seat.user_id,
                "subject": invitation_subject(round_.kind),
                "template": "invitation",
                "context": {
                    **mail["context"],
                    "_headers": mail["headers"],
                    "_attachments": mail["attachments"],
                },
                "idempotency_key": invitation_key(seat.match_id, seat.user_id),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": "",
                "created_at": now,
            }
        )
    insert_outbox_rows(rows)
    return len(rows)


def insert_outbox_rows(rows: list[dict[str, Any]]) -> None:
    """One multi-row INSERT that skips keys already queued (both databases support it)."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    statement: Insert
    if dialect == "postgresql":
        statement = pg_insert(OutboxMessage).on_conflict_do_nothing(
            index_elements=["idempotency_key"]
        )
    elif dialect == "sqlite":
        statement = sqlite_insert(OutboxMessage).on_conflict_do_nothing(
            index_elements=["idempotency_key"]
        )
    else:  # pragma: no cover - other databases are not supported
        statement = insert(OutboxMessage)
    db.session.execute(statement, rows)
    if has_request_context():
        g.kindred_mail_queued = True


def queue_one_invitation(seat: MatchMember) -> None:
    """A single invitation (a waitlist member) through the ordinary outbox call."""
    user = seat.user
    if user is None:  # the member deleted their account while waiting: no one to invite
        return
    match = seat.match
    round_kind = match.round.kind
    facts = match_facts([match], round_kind)[match.id]
    others = [s for s in match.members if s.id != seat.id and s.status in ("invited", "accepted")]
    names = {i.id: i.name for i in db.session.execute(select(Interest)).scalars()}
    mine = {i.id for i in user.profile.interests} if user.profile else set()
    if round_kind == "volunteering":
        shared = volunteer_phrase(mine, facts, names)
    else:
        shared = shared_phrase(
            mine,
            [
                {i.id for i in o.user.profile.interests} if o.user.profile else set()
                for o in others
                if o.user
            ],
            match.slot,
            names,
        )
    mail = invitation_mail(
        user_id=user.id,
        display_name=user.display_name,
        email=user.email,
        seat_id=seat.id,
        nonce=seat.token_nonce,
        facts=facts,
        others=[o.user.display_name for o in others if o.user],
        shared=shared,
        links=LinkMaker(),
    )
    context = dict(mail["context"])
    context.pop("display_name")
    queue_mail(
        user,
        "invitation",
        invitation_subject(round_kind),
        invitation_key(match.id, user.id),
        headers=mail["headers"],
        attachments=mail["attachments"],
        **context,
    )
