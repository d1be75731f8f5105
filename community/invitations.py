"""Invitations: the mail, its signed single-use links, responses, reminders and the waitlist.

Views call these and commit once. Capacity holds under concurrency because an
accept is one conditional UPDATE, taken after locking the match (or, for a
placement, the opportunity) row: on PostgreSQL ``SELECT ... FOR UPDATE``
queues concurrent accepts; SQLite serialises writers on its own.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, g, has_request_context
from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

import matching
from community import rounds
from community.accounts import external_url
from community.extensions import db
from community.mail_outbox import queue_mail
from community.models import (
    Area,
    Interest,
    Match,
    MatchMember,
    MatchRound,
    Opportunity,
    OutboxMessage,
    Profile,
    User,
    opportunity_interests,
    utcnow,
)
from community.rounds import KIND_LABELS, join_words, new_nonce, when_words
from community.tokens import InvalidToken, make_token, read_token, serializer
from community.unsubscribe import PURPOSE as UNSUBSCRIBE_PURPOSE
from community.unsubscribe import one_click_headers

# The signing salt of accept, decline and release links (changing it voids sent links).
RESPONSE_LINK_PURPOSE = "invitation"
KIND_SINGULAR = {
    "groups": "Small group",
    "walks": "Walking partners",
    "volunteering": "Volunteering",
}
TOKEN_MAX_AGE = 60 * 60 * 24 * 30


class InvitationError(Exception):
    """A response that cannot be made; the message is for the member."""


class LinkUsed(InvitationError):
    """The link was already used (its nonce has rotated)."""


class AlreadyResponded(InvitationError):
    """The member already accepted or declined this invitation."""


class MatchFull(InvitationError):
    """Every place was taken before this accept arrived."""


class NotAccepted(InvitationError):
    """Only an accepted place can be released."""


# --- links ---------------------------------------------------------------------------


def response_token(seat_id: int, nonce: str) -> str:
    return make_token(RESPONSE_LINK_PURPOSE, {"mm": seat_id, "n": nonce})


def resolve(token: str) -> MatchMember:
    """The seat a response link belongs to; raises InvalidToken or LinkUsed."""
    max_age = current_app.config.get("INVITATION_TOKEN_MAX_AGE", TOKEN_MAX_AGE)
    payload = read_token(RESPONSE_LINK_PURPOSE, token, max_age)
    seat = db.session.get(MatchMember, payload.get("mm"))
    if seat is None or seat.match.status != "active":
        raise InvalidToken()
    if seat.token_nonce != payload.get("n"):
        raise LinkUsed("This link has been used already.")
    return seat


class LinkMaker:
    """Absolute links for mail, with ``url_for`` run once per endpoint, not once per link.

    Approving a round of 10,000 members writes 40,000 links; building each with
    ``url_for`` took seconds, so each endpoint's URL is built once around a
    placeholder and the signed token is dropped in.
    """

    PLACEHOLDER = "TOKEN-PLACEHOLDER"
    ENDPOINTS = (
        "invitations.accept",
        "invitations.decline",
        "invitations.release",
        "unsubscribe.confirm",
        "unsubscribe.one_click",
    )

    def __init__(self) -> None:
        with _LinkContext():
            self.templates = {
                endpoint: external_url(endpoint, token=self.PLACEHOLDER)
                for endpoint in self.ENDPOINTS
            }
            self.connections = external_url("connections.index")
        # One signer per purpose for the whole batch (building one per token costs).
        self.response_signer = serializer(RESPONSE_LINK_PURPOSE)
        self.unsubscribe_signer = serializer(UNSUBSCRIBE_PURPOSE)

    def url(self, endpoint: str, token: str) -> str:
        return self.templates[endpoint].replace(self.PLACEHOLDER, token)

    def responses(self, seat_id: int, nonce: str) -> dict[str, str]:
        token = self.response_signer.dumps({"mm": seat_id, "n": nonce})
        return {
            "accept_link": self.url("invitations.accept", token),
            "decline_link": self.url("invitations.decline", token),
            "release_link": self.url("invitations.release", token),
        }

    def unsubscribe(self, user_id: int) -> tuple[str, dict[str, str]]:
        """The body link and the RFC 8058 headers, sharing one signed token."""
        token = self.unsubscribe_signer.dumps({"uid": user_id})
        return (
            self.url("unsubscribe.confirm", token),
            one_click_headers(self.url("unsubscribe.one_click", token)),
        )


def links_for(seat_id: int, nonce: str) -> dict[str, str]:
    return LinkMaker().responses(seat_id, nonce)


class _LinkContext:
    """``url_for`` needs a request; the CLI and background jobs borrow one."""

    def __enter__(self):
        self.ctx = None
        if not has_request_context():
            self.ctx = current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"])
            self.ctx.__enter__()
        return self

    def __exit__(self, *exc):
        if self.ctx is not None:
            self.ctx.__exit__(*exc)


# --- what the mail says ----------------------------------------------------------------


@dataclass
class MatchFacts:
    """Everything an invitation says about a match, shared by all its members."""

    match_id: int
    kind: str
    round_kind: str
    slot: int
    format: str
    meeting_at: datetime
    area: str | None
    opportunity: dict[str, str] | None
    ics: str
    wanted: frozenset[int] = frozenset()


def shared_phrase(me: set[int], others: list[set[int]], slot: int, names: dict[int, str]) -> str:
    """ "You both enjoy gardening and baking, and are free on Saturday mornings".

    Built only from interests the member chose to list and the common slot;
    never from comfort levels or anything else private.
    """
    everyone = "You both" if len(others) == 1 else "You all"
    when = f"are free on {matching.slot_label(slot)}s"
    if not others:
        return f"You {when}"
    common = set(me).intersection(*others) if others else set()
    words = sorted(names[i] for i in common if i in names)[:3]
    if words:
        return f"{everyone} enjoy {join_words([w.lower() for w in words])}, and {when}"
    with_some = Counter(i for o in others for i in o if i in me)
    words = [names[i] for i, _ in with_some.most_common(3) if i in names]
    if words:
        return f"You share {join_words([w.lower() for w in words])} with the others, and all {when}"
    return f"{everyone} {when}"


def place_words(facts: MatchFacts) -> str:
    if facts.opportunity:
        where = facts.opportunity["title"] + " with " + facts.opportunity["host"]
        return where + (f", in {facts.area}" if facts.area else " (online or by phone)")
    if facts.format == "online":
        return "Online: the organizers will send you the link"
    return f"In {facts.area}" if facts.area else "In person, nearby"


UID_PLACEHOLDER = "match-UIDPLACEHOLDER@"


def calendar_file(
    match_id: int, kind: str, meeting_at: datetime, summary: str, location: str, minutes: int
) -> str:
    """An .ics event so the meeting lands in the member's calendar (same for everyone)."""
    template = calendar_template(kind, meeting_at, summary, location, minutes)
    return template.replace(UID_PLACEHOLDER, f"match-{match_id}@")


def calendar_template(
    kind: str,
    meeting_at: datetime,
    summary: str,
    location: str,
    minutes: int,
    *,
    weekly: bool = False,
) -> str:
    """The .ics text with a placeholder uid; `weekly` makes the event repeat (a ritual)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Kindred//Invitations//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    domain = current_app.config.get("MAIL_MESSAGE_ID_DOMAIN", "kindred.local")
    # A short placeholder line: swapping in the match id never needs re-folding.
    event.add("uid", f"{UID_PLACEHOLDER}{domain}")
    start = meeting_at if meeting_at.tzinfo else meeting_at.replace(tzinfo=UTC)
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", start.astimezone(UTC) + timedelta(minutes=minutes))
    event.add("dtstamp", utcnow())
    event.add("summary", summary)
    event["location"] = vText(location)
    event.add("description", f"Your Kindred {kind}. See you there.")
    if weekly:
        event.add("rrule", {"freq": "weekly"})
    event["organizer"] = vCalAddress(f"mailto:{current_app.config['MAIL_DEFAULT_SENDER'][1]}")
    calendar.add_component(event)
    return calendar.to_ical().decode()


def match_facts(
    matches: list[Match], round_kind: str, *, with_calendar: bool = True
) -> dict[int, MatchFacts]:
    areas = {a.id: a.name for a in db.session.execute(select(Area)).scalars()}
    opportunity_ids = {m.opportunity_id for m in matches if m.opportunity_id}
    opportunities = {
        o.id: o
        for o in db.session.execute(
            select(Opportunity).where(Opportunity.id.in_(opportunity_ids))
        ).scalars()
    }
    wanted: dict[int, set[int]] = defaultdict(set)
    for opportunity_id, interest_id in db.session.execute(
        select(opportunity_interests.c.opportunity_id, opportunity_interests.c.interest_id).where(
            opportunity_interests.c.opportunity_id.in_(opportunity_ids)
        )
    ):
        wanted[opportunity_id].add(interest_id)
    templates: dict[tuple, str] = {}
    facts = {}
    for m in matches:
        opportunity = opportunities.get(m.opportunity_id) if m.opportunity_id else None
        opp = (
            {"title": opportunity.title, "host": opportunity.host, "contact": opportunity.contact}
            if opportunity
            else None
        )
        kind_word = {"groups": "small group", "walks": "walk", "volunteering": "volunteering"}[
            round_kind
        ]
        fact = MatchFacts(
            match_id=m.id,
            kind=m.kind,
            round_kind=round_kind,
            slot=m.slot,
            format=m.format,
            meeting_at=m.meeting_at,
            area=areas.get(m.area_id) if m.area_id else None,
            opportunity=opp,
            ics="",
            wanted=frozenset(wanted.get(m.opportunity_id, ())),
        )
        summary = f"Kindred {kind_word}" + (f": {opportunity.title}" if opportunity else "")
        # Matches at the same time and place share one calendar body (a round of
        # thousands has only a few hundred); only the UID differs.
        shape = (kind_word, m.meeting_at, summary, place_words(fact))
        if not with_calendar:
            facts[m.id] = fact
            continue
        if shape not in templates:
            templates[shape] = calendar_template(
                *shape, 120 if round_kind == "volunteering" else 90
            )
        fact.ics = templates[shape].replace(UID_PLACEHOLDER, f"match-{m.id}@")
        facts[m.id] = fact
    return facts


def invitation_mail(
    *,
    user_id: int,
    display_name: str,
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
        "online": facts.format == "online",
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
                "data": facts.ics,
            }
        ],
    }


def invitation_subject(round_kind: str) -> str:
    return {
        "groups": "You're invited: a small group that fits you",
        "walks": "You're invited: a walking partner nearby",
        "volunteering": "You're invited: a volunteering place for you",
    }[round_kind]


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
    round_ = db.session.get(MatchRound, round_id)
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
    interests = rounds.interests_by_user(
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


def volunteer_phrase(mine: set[int], facts: MatchFacts, names: dict[int, str]) -> str:
    """What the volunteer brings to the placement, from the interests they listed."""
    words = sorted(names[i].lower() for i in mine & facts.wanted if i in names)[:3]
    when = f"you're free on {matching.slot_label(facts.slot)}s"
    if words:
        return f"It needs people who enjoy {join_words(words)}, and {when}"
    return f"It suits what you told us, and {when}"


def insert_outbox_rows(rows: list[dict[str, Any]]) -> None:
    """One multi-row INSERT that skips keys already queued (both databases support it)."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
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
    match = seat.match
    round_kind = match.round.kind
    facts = match_facts([match], round_kind)[match.id]
    others = [s for s in match.members if s.id != seat.id and s.status in ("invited", "accepted")]
    names = {i.id: i.name for i in db.session.execute(select(Interest)).scalars()}
    mine = {i.id for i in seat.user.profile.interests} if seat.user.profile else set()
    if round_kind == "volunteering":
        shared = volunteer_phrase(mine, facts, names)
    else:
        shared = shared_phrase(
            mine,
            [{i.id for i in o.user.profile.interests} for o in others if o.user],
            match.slot,
            names,
        )
    mail = invitation_mail(
        user_id=seat.user_id,
        display_name=seat.user.display_name,
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
        seat.user,
        "invitation",
        invitation_subject(round_kind),
        invitation_key(match.id, seat.user_id),
        headers=mail["headers"],
        attachments=mail["attachments"],
        **context,
    )


# --- responding ------------------------------------------------------------------------


def lock_for_capacity(match: Match) -> int | None:
    """Lock what an accept competes for; returns the capacity, or None when unlimited.

    Placements share their opportunity's places across the round's matches, so
    the opportunity row is the lock; SQLAlchemy omits FOR UPDATE on SQLite,
    where the write lock of the conditional UPDATE does the same job.
    """
    if match.opportunity_id is None:
        return None
    capacity = db.session.execute(
        select(Opportunity.capacity).where(Opportunity.id == match.opportunity_id).with_for_update()
    ).scalar_one()
    return capacity


def accepted_places(match: Match):
    """How many accepted seats hold the match's places (a scalar subquery)."""
    return (
        select(func.count(MatchMember.id))
        .join(Match, Match.id == MatchMember.match_id)
        .where(
            Match.round_id == match.round_id,
            Match.opportunity_id == match.opportunity_id,
            Match.status == "active",
            MatchMember.status == "accepted",
        )
        .scalar_subquery()
    )


def accept(seat: MatchMember) -> str:
    """Accept the invitation; returns the new nonce (for the release link).

    Raises MatchFull when every place is already taken, AlreadyResponded when
    this seat was answered before (a second tab, a double click).
    """
    match = seat.match
    capacity = lock_for_capacity(match)
    nonce = new_nonce()
    statement = update(MatchMember).where(
        MatchMember.id == seat.id, MatchMember.status == "invited"
    )
    if capacity is not None:
        statement = statement.where(accepted_places(match) < capacity)
    result = db.session.execute(
        statement.values(
            status="accepted", responded_at=utcnow(), token_nonce=nonce
        ).execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        db.session.expire(seat)
        return nonce
    db.session.refresh(seat)
    if seat.status != "invited":
        raise AlreadyResponded("You have already answered this invitation.")
    raise MatchFull("Every place has been taken.")


def decline(seat: MatchMember) -> MatchMember | None:
    """Decline quietly; for a placement the next suitable volunteer is invited."""
    return give_up_seat(
        seat, "invited", "declined", AlreadyResponded("You have already answered this invitation.")
    )


def release(seat: MatchMember) -> MatchMember | None:
    """Give an accepted place back; for a placement the waitlist gets it."""
    return give_up_seat(
        seat, "accepted", "released", NotAccepted("Only a place you have accepted can be released.")
    )


def give_up_seat(
    seat: MatchMember, current: str, new: str, refusal: InvitationError
) -> MatchMember | None:
    """Move a seat from `current` to `new` in one conditional update, then offer the place."""
    result = db.session.execute(
        update(MatchMember)
        .where(MatchMember.id == seat.id, MatchMember.status == current)
        .values(status=new, responded_at=utcnow(), token_nonce=new_nonce())
        .execution_options(synchronize_session=False)
    )
    db.session.expire(seat)
    if result.rowcount != 1:
        raise refusal
    return invite_from_waitlist(seat.match)


# --- the volunteer waitlist --------------------------------------------------------------


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def waitlist(match: Match) -> list[User]:
    """Suitable volunteers the round left out, best fit first.

    Suitable: still eligible (verified, subscribed, consenting, not paused),
    comfortable enough, free at the match's slot, near enough for an in-person
    place, and not already in this round.
    """
    round_ = match.round
    opportunity = match.opportunity
    if opportunity is None:
        return []
    order = [item["user_id"] for item in round_.unplaced or []]
    if not order:
        return []
    in_round = select(MatchMember.user_id).join(Match).where(Match.round_id == round_.id)
    rows = db.session.execute(
        select(User, Profile, Area.latitude, Area.longitude)
        .join(Profile, Profile.user_id == User.id)
        .outerjoin(Area, Area.id == Profile.area_id)
        .where(
            User.id.in_(order),
            User.id.not_in(in_round),
            *rounds.reachable_and_consenting(),
            Profile.wants_volunteering.is_(True),
        )
    ).all()
    wanted = set(
        db.session.execute(
            select(opportunity_interests.c.interest_id).where(
                opportunity_interests.c.opportunity_id == opportunity.id
            )
        ).scalars()
    )
    area = opportunity.area
    candidates = []
    for user, profile, lat, lon in rows:
        if (profile.comfort or 3) < opportunity.min_comfort:
            continue
        if not (profile.availability_mask or 0) >> match.slot & 1:
            continue
        if profile.paused_until and profile.paused_until > match.meeting_at.date():
            continue
        if area is not None:
            if profile.format == "online" or lat is None:
                continue
            if km_between((lat, lon), (area.latitude, area.longitude)) > (profile.max_km or 5):
                continue
        shared = len(wanted & {i.id for i in profile.interests})
        candidates.append((-shared, order.index(user.id), user))
    return [user for *_rank, user in sorted(candidates, key=lambda c: c[:2])]


def invite_from_waitlist(match: Match) -> MatchMember | None:
    """Offer a freed placement to the next suitable volunteer, if a place is really free."""
    if match.opportunity_id is None or match.status != "active":
        return None
    capacity = lock_for_capacity(match)
    holding = db.session.execute(
        select(func.count(MatchMember.id))
        .join(Match, Match.id == MatchMember.match_id)
        .where(
            Match.round_id == match.round_id,
            Match.opportunity_id == match.opportunity_id,
            Match.status == "active",
            MatchMember.status.in_(("invited", "accepted")),
        )
    ).scalar_one()
    if capacity is None or holding >= capacity:
        return None
    for user in waitlist(match):
        seat = MatchMember(
            match=match,
            user_id=user.id,
            status="invited",
            invited_at=utcnow(),
            token_nonce=new_nonce(),
        )
        db.session.add(seat)
        db.session.flush()
        round_ = match.round
        round_.unplaced = [item for item in round_.unplaced if item["user_id"] != user.id]
        queue_one_invitation(seat)
        return seat
    return None


# --- reminders ---------------------------------------------------------------------------


def send_reminders(
    now: datetime | None = None, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Queue the day-before reminders and the two-days-no-answer nudges.

    Idempotent: each (kind, match, recipient) has one key, so running this every
    hour queues each reminder once.
    """
    now = now or utcnow()
    day_before = db.session.execute(
        select(MatchMember)
        .join(Match, Match.id == MatchMember.match_id)
        .where(
            Match.status == "active",
            MatchMember.status == "accepted",
            Match.meeting_at > now,
            Match.meeting_at <= now + timedelta(hours=36),
        )
    ).scalars()
    nudges = db.session.execute(
        select(MatchMember)
        .join(Match, Match.id == MatchMember.match_id)
        .where(
            Match.status == "active",
            MatchMember.status == "invited",
            MatchMember.invited_at <= now - timedelta(days=2),
            Match.meeting_at > now,
        )
    ).scalars()
    counts = {"day_before": 0, "no_answer": 0}
    links = LinkMaker()
    for seat in list(day_before):
        if queue_reminder(seat, "day_before", f"reminder:{seat.match_id}:{seat.user_id}", links):
            counts["day_before"] += 1
        if progress:
            progress(1)
    for seat in list(nudges):
        if queue_reminder(seat, "no_answer", f"nudge:{seat.match_id}:{seat.user_id}", links):
            counts["no_answer"] += 1
            seat.reminded_at = now
        if progress:
            progress(1)
    return counts


def resend_reminders(round_: MatchRound) -> int:
    """An organizer's "remind those who haven't answered": at most once a day each."""
    seats = db.session.execute(
        select(MatchMember)
        .join(Match, Match.id == MatchMember.match_id)
        .where(
            Match.round_id == round_.id,
            Match.status == "active",
            MatchMember.status == "invited",
        )
    ).scalars()
    sent = 0
    today = utcnow().date().isoformat()
    links = LinkMaker()
    for seat in list(seats):
        key = f"nudge-manual:{seat.match_id}:{seat.user_id}:{today}"
        if queue_reminder(seat, "no_answer", key, links):
            seat.reminded_at = utcnow()
            sent += 1
    return sent


def queue_reminder(seat: MatchMember, variant: str, key: str, links: LinkMaker) -> bool:
    """One reminder through the ordinary outbox call; False if unsubscribed or already queued."""
    user = seat.user
    if user is None or user.unsubscribed_at is not None:
        return False
    match = seat.match
    facts = match_facts([match], match.round.kind)[match.id]
    unsubscribe, headers = links.unsubscribe(user.id)
    subject = (
        "See you tomorrow: your Kindred meeting"
        if variant == "day_before"
        else "Your Kindred invitation is waiting for an answer"
    )
    going = [
        s.user.display_name
        for s in match.members
        if s.id != seat.id and s.status == "accepted" and s.user
    ]
    message = queue_mail(
        user,
        "reminder",
        subject,
        key,
        headers=headers,
        attachments=[
            {"filename": "kindred-meeting.ics", "content_type": "text/calendar", "data": facts.ics}
        ],
        variant=variant,
        kind_label=KIND_LABELS[match.round.kind],
        when=when_words(match.meeting_at),
        where=place_words(facts),
        going=going,
        unsubscribe_link=unsubscribe,
        connections_link=links.connections,
        **links.responses(seat.id, seat.token_nonce),
    )
    return message is not None


@dataclass
class SeatDetails:
    """What a member may see about a match: never who declined, or anyone's private fields."""

    kind_label: str
    when: str
    where: str
    slot_label: str
    going: list[dict[str, str]]
    waiting: int
    free: int
    shared: str
    opportunity: dict[str, str] | None
    past: bool


def seat_details(seat: MatchMember, now: datetime | None = None) -> SeatDetails:
    return details_for([seat], now)[seat.id]


def details_for(seats: list[MatchMember], now: datetime | None = None) -> dict[int, SeatDetails]:
    """What each seat's member may see, in a fixed number of queries however many seats.

    Never who declined: others appear by name once they accept; the rest are counts.
    """
    if not seats:
        return {}
    now = now or utcnow()
    matches = {
        m.id: m
        for m in db.session.execute(
            select(Match)
            .options(joinedload(Match.round))
            .where(Match.id.in_({s.match_id for s in seats}))
        ).scalars()
    }
    facts: dict[int, MatchFacts] = {}
    by_kind: dict[str, list[Match]] = defaultdict(list)
    for match in matches.values():
        by_kind[match.round.kind].append(match)
    for kind, items in by_kind.items():
        facts.update(match_facts(items, kind, with_calendar=False))
    everyone = db.session.execute(
        select(
            MatchMember.id,
            MatchMember.match_id,
            MatchMember.user_id,
            MatchMember.status,
            User.display_name,
            Profile.about_me,
        )
        .outerjoin(User, User.id == MatchMember.user_id)
        .outerjoin(Profile, Profile.user_id == MatchMember.user_id)
        .where(MatchMember.match_id.in_(list(matches)))
        .order_by(MatchMember.id)
    ).all()
    by_match: dict[int, list] = defaultdict(list)
    for row in everyone:
        by_match[row.match_id].append(row)
    interests = rounds.interests_by_user(
        {row.user_id for row in everyone if row.user_id is not None}
    )
    names = {i.id: i.name for i in db.session.execute(select(Interest)).scalars()}
    details = {}
    for seat in seats:
        match = matches[seat.match_id]
        fact = facts[match.id]
        round_kind = match.round.kind
        others = [r for r in by_match[match.id] if r.id != seat.id and r.user_id is not None]
        mine = interests.get(seat.user_id, set())
        if round_kind == "volunteering":
            shared = volunteer_phrase(mine, fact, names)
        else:
            shared = shared_phrase(
                mine,
                [interests[r.user_id] for r in others if r.status in ("invited", "accepted")],
                match.slot,
                names,
            )
        details[seat.id] = SeatDetails(
            kind_label=KIND_SINGULAR[round_kind],
            when=when_words(match.meeting_at),
            where=place_words(fact),
            slot_label=matching.slot_label(match.slot),
            going=[
                {"name": r.display_name, "about": r.about_me or ""}
                for r in others
                if r.status == "accepted"
            ],
            waiting=sum(1 for r in others if r.status == "invited"),
            free=sum(1 for r in by_match[match.id] if r.status in ("declined", "released")),
            shared=shared,
            opportunity=fact.opportunity,
            past=match.meeting_at < now,
        )
    return details
