"""Learn from how this community's own meetings felt which shared features matter.

The training set is built here from the community's own past groups and walks and
the feedback given on them; nothing leaves the community and nothing comes in from
elsewhere. Members who withdrew consent or deleted their account are left out: their
profile, their answers and what others said about them are absent from the next
training. The model is trained when feedback arrives and stored (``trained_model``);
its block weights score a groups or walks round (and weigh interests in a
volunteering round); what it learned is kept on the round (``quality["model"]``) as
aggregates and block weights only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

import matching
from community.extensions import db
from community.models import (
    Area,
    Feedback,
    FeedbackPerson,
    Interest,
    Match,
    MatchMember,
    MatchRound,
    Profile,
    utcnow,
)
from community.rounds.eligibility import interests_by_user, to_member
from matching.feedback_model import (
    MIN_SUPPORT,
    FeedbackVectorizer,
    Meeting,
    MeetingFeedback,
)

LEARNING_KINDS = ("groups", "walks")
RANDOM_STATE = 0  # the fit is deterministic; the seed only matters past max_answers


@dataclass
class TrainingSet:
    members: list[matching.Member]
    meetings: list[Meeting]
    feedback: list[MeetingFeedback]
    topics: dict[int, str]


@dataclass
class LearnedModel:
    """A fitted vectorizer (None when there is nothing to learn from) and its record."""

    vectorizer: FeedbackVectorizer | None
    record: dict[str, Any]


def interest_topics() -> dict[int, str]:
    """Interest id -> topic: the organizers' own categories ("Gardening", "Crafts")."""
    rows = db.session.execute(select(Interest.id, Interest.category))
    return {
        interest_id: (category or "").strip().lower() or "other" for interest_id, category in rows
    }


def consenting_members(user_ids: Iterable[int]) -> dict[int, matching.Member]:
    """Library members for the users who still consent; the others are left out."""
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(Profile, Area.latitude, Area.longitude)
        .outerjoin(Area, Area.id == Profile.area_id)
        .where(Profile.user_id.in_(user_ids), Profile.consent_at.is_not(None))
    )
    interests = interests_by_user(user_ids)
    return {
        profile.user_id: to_member(profile, lat, lon, interests.get(profile.user_id, ()))
        for profile, lat, lon in rows
    }


def training_set(matched: Iterable[matching.Member] = ()) -> TrainingSet:
    """Past groups and walks with their feedback, plus the members about to be matched.

    A meeting's members are those who accepted or gave feedback and still consent; a
    deleted account has no user id on its seat or its feedback any more, so it drops
    out by itself. Meetings left with fewer than two such members are skipped.
    """
    seats = db.session.execute(
        select(Match.id, Match.format, MatchMember.user_id, MatchMember.status)
        .join(MatchMember, MatchMember.match_id == Match.id)
        .join(MatchRound, MatchRound.id == Match.round_id)
        .where(
            MatchRound.status == "approved",
            MatchRound.kind.in_(LEARNING_KINDS),
            Match.status == "active",
            MatchMember.user_id.is_not(None),
        )
        .order_by(Match.id, MatchMember.id)
    ).all()
    answers = list(
        db.session.execute(
            select(Feedback)
            .join(Match, Match.id == Feedback.match_id)
            .join(MatchRound, MatchRound.id == Match.round_id)
            .where(
                MatchRound.status == "approved",
                MatchRound.kind.in_(LEARNING_KINDS),
                Match.status == "active",
                Feedback.user_id.is_not(None),
            )
            .order_by(Feedback.id)
        ).scalars()
    )
    again: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    if answers:
        for feedback_id, about, value in db.session.execute(
            select(FeedbackPerson.feedback_id, FeedbackPerson.about_user_id, FeedbackPerson.again)
            .join(Feedback, Feedback.id == FeedbackPerson.feedback_id)
            .where(Feedback.user_id.is_not(None))
        ):
            again[feedback_id].append((about, bool(value)))

    answered = {(f.match_id, f.user_id) for f in answers}
    formats: dict[int, str] = {}
    people: dict[int, list[int]] = defaultdict(list)
    for match_id, format_, user_id, status in seats:
        formats[match_id] = format_
        if user_id is not None and (status == "accepted" or (match_id, user_id) in answered):
            people[match_id].append(user_id)

    matched = list(matched)
    known = consenting_members({u for ids in people.values() for u in ids})
    members = {m.id: m for m in matched}
    meetings: dict[int, Meeting] = {}
    for match_id, user_ids in people.items():
        present = tuple(u for u in user_ids if u in known)
        if len(present) >= 2:
            meetings[match_id] = Meeting(match_id, present, formats[match_id])
            for u in present:
                members.setdefault(u, known[u])

    feedback = []
    for item in answers:
        meeting = meetings.get(item.match_id)
        if meeting is None or item.user_id not in meeting.member_ids:
            continue
        mates: dict[Hashable, bool] = {
            about: value
            for about, value in again.get(item.id, ())
            if about != item.user_id and about in meeting.member_ids
        }
        feedback.append(MeetingFeedback(item.match_id, item.user_id, item.met, item.feeling, mates))
    return TrainingSet(list(members.values()), list(meetings.values()), feedback, interest_topics())


def fit_history() -> LearnedModel:
    """Fit the feedback model on the history; record what it learned.

    The fit is over the history alone, so it does not depend on who is matched next:
    a round, fresh or reusing the stored model, builds its vectors from the block
    weights over its own members (:func:`vectors_for`).
    """
    data = training_set()
    if not data.members:
        return LearnedModel(None, plain_record())
    model = FeedbackVectorizer(topics=data.topics, random_state=RANDOM_STATE).fit(
        data.members, meetings=data.meetings, feedback=data.feedback
    )
    if model.n_meetings_ == 0:
        # Nothing to learn from: keep plain similarity exactly as it was.
        return LearnedModel(None, plain_record())
    record = {
        "version": model.model_version_,
        "trained_at": utcnow().isoformat(timespec="seconds"),
        "n_meetings": int(model.n_meetings_),
        "n_answers": int(model.n_answers_),
        "n_again_answers": int(model.n_again_answers_),
        "min_support": MIN_SUPPORT,
        "converged": bool(model.converged_),
        # Block weights, so that rescoring after an organizer's change uses the same vectors.
        "weights": dict(model.metadata_["weights"]),
        "effects": [
            {
                "feature": e.feature,
                "kind": e.kind,
                "weight": None if e.weight is None else round(float(e.weight), 3),
                "rate_with": round(float(e.rate_with), 4),
                "rate_without": round(float(e.rate_without), 4),
                "n_with": int(e.n_with),
                "n_without": int(e.n_without),
                "summary": e.summary,
            }
            for e in model.learned_effects_
            if min(e.n_with, e.n_without) >= MIN_SUPPORT
        ],
    }
    return LearnedModel(model, record)


def vectors_for(
    weights: dict[str, float] | None, members: list[matching.Member]
) -> FeedbackVectorizer | None:
    """The learned vectors of ``members`` from stored block weights: no fit on answers.

    None (plain similarity) without weights or without members.
    """
    if not weights or not members:
        return None
    model = FeedbackVectorizer(topics=interest_topics(), random_state=RANDOM_STATE)
    return model.fit(members).set_weights(weights)


def round_vectorizer(
    quality: dict[str, Any] | None, members: list[matching.Member]
) -> matching.ProfileVectorizer | FeedbackVectorizer:
    """The vectors a round was scored with, refitted on ``members``.

    A round scored by the model keeps its block weights in ``quality["model"]``;
    they rescale the plain vectors of ``members`` as they did the round's. A round
    without them was scored by plain similarity.
    """
    record = (quality or {}).get("model") or {}
    learned = vectors_for(record.get("weights"), members)
    return learned if learned is not None else matching.ProfileVectorizer().fit(members)


def plain_record() -> dict[str, Any]:
    return {
        "version": None,
        "trained_at": utcnow().isoformat(timespec="seconds"),
        "n_meetings": 0,
        "n_answers": 0,
        "n_again_answers": 0,
        "min_support": MIN_SUPPORT,
        "effects": [],
    }


def latest_model_round() -> MatchRound | None:
    """The most recent groups or walks round scored with a model record, for the dashboard."""
    rounds = db.session.execute(
        select(MatchRound)
        .where(MatchRound.kind.in_(LEARNING_KINDS), MatchRound.status.in_(("ready", "approved")))
        .order_by(MatchRound.created_at.desc(), MatchRound.id.desc())
        .limit(20)
    ).scalars()
    for round_ in rounds:
        if isinstance(round_.quality, dict) and round_.quality.get("model"):
            return round_
    return None
