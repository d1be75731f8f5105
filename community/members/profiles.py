"""Profile rules: saving each wizard step, consent, pausing, and what is missing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Row, bindparam, select

from community.extensions import db
from community.members.choices import WIZARD_STEPS
from community.models import Area, Interest, Profile, User, member_interests, utcnow


class UnknownChoice(ValueError):
    """An id that is not (or no longer) in the community's lists."""


def active_interests() -> list[Interest]:
    return list(
        db.session.execute(
            select(Interest)
            .where(Interest.retired.is_(False))
            .order_by(Interest.category, Interest.name)
        ).scalars()
    )


ACTIVE_INTEREST_NAMES = (
    select(Interest.id, Interest.name)
    .where(Interest.retired.is_(False))
    .order_by(Interest.category, Interest.name)
)


def active_interest_names() -> list[Row]:
    """The interests in use, as plain (id, name) rows in the order of the wizard's list."""
    return list(db.session.execute(ACTIVE_INTEREST_NAMES))


# Built once: the home page asks this on every visit.
MEMBER_INTEREST_NAMES = (
    select(Interest.name)
    .join(member_interests, member_interests.c.interest_id == Interest.id)
    .where(member_interests.c.user_id == bindparam("user_id"))
    .order_by(Interest.name)
)


def looking_for(groups: bool | None, walks: bool | None, volunteering: bool | None) -> list[str]:
    """The kinds of meeting a member asked for, in the wizard's order."""
    wanted = (("groups", groups), ("walks", walks), ("volunteering", volunteering))
    return [kind for kind, wants in wanted if wants]


def interest_names(profile: Profile) -> list[str]:
    """The member's interests by name, as plain strings (the home page only shows them)."""
    return list(db.session.execute(MEMBER_INTEREST_NAMES, {"user_id": profile.user_id}).scalars())


def active_areas() -> list[Area]:
    return list(
        db.session.execute(
            select(Area).where(Area.retired_at.is_(None)).order_by(Area.name)
        ).scalars()
    )


def ensure_profile(user: User) -> Profile:
    """Accounts made outside sign-up (staff, imports) start with an empty profile."""
    if user.profile is None:
        user.profile = Profile(steps_done="")
    return user.profile


def mark_step(profile: Profile, step: str) -> None:
    if step not in profile.completed_steps:
        profile.steps_done = ",".join([*profile.completed_steps, step])


def save_interests(profile: Profile, interest_ids: Iterable[int]) -> None:
    wanted = set(interest_ids)
    interests = list(
        db.session.execute(
            select(Interest).where(Interest.id.in_(wanted), Interest.retired.is_(False))
        ).scalars()
    )
    if len(interests) != len(wanted):
        raise UnknownChoice("interest")
    profile.interests = interests
    mark_step(profile, "interests")


def set_consent(profile: Profile, consent: bool) -> None:
    """Without consent, comfort, access needs and availability are not kept at all."""
    if consent and profile.consent_at is None:
        profile.consent_at = utcnow()
    elif not consent:
        profile.consent_at = None
        profile.comfort = None
        profile.availability_mask = None
        profile.needs_step_free = False
        profile.prefers_quiet = False


def save_meeting(
    profile: Profile,
    *,
    consent: bool,
    comfort: int | None,
    setting: str,
    format: str,
    looking_for: Iterable[str],
    needs_step_free: bool = False,
    prefers_quiet: bool = False,
) -> None:
    set_consent(profile, consent)
    if consent:
        profile.comfort = comfort
        profile.needs_step_free = bool(needs_step_free)
        profile.prefers_quiet = bool(prefers_quiet)
    wanted = set(looking_for)
    profile.setting = setting
    profile.format = format
    profile.wants_groups = "groups" in wanted
    profile.wants_walks = "walks" in wanted
    profile.wants_volunteering = "volunteering" in wanted
    mark_step(profile, "meeting")


def slots_to_mask(slots: Iterable[int]) -> int:
    mask = 0
    for slot in slots:
        if not 0 <= slot < 21:
            raise UnknownChoice("slot")
        mask |= 1 << slot
    return mask


def save_availability(profile: Profile, *, consent: bool, slots: Iterable[int]) -> None:
    set_consent(profile, consent)
    if consent:
        profile.availability_mask = slots_to_mask(slots)
    mark_step(profile, "availability")


def save_place(
    profile: Profile,
    *,
    area_id: int,
    max_km: float,
    pace: str | None,
    languages: Iterable[str],
) -> None:
    area = db.session.get(Area, area_id)
    if area is None or area.retired_at is not None:
        raise UnknownChoice("area")
    profile.area = area
    profile.max_km = float(max_km)
    profile.pace = pace or None
    profile.languages = ",".join(dict.fromkeys(lang for lang in languages if lang))[:200]
    mark_step(profile, "place")


def split_languages(chosen: Iterable[str], other: str | None) -> list[str]:
    extra = [part.strip()[:40] for part in (other or "").split(",") if part.strip()]
    return list(dict.fromkeys([*chosen, *extra]))


def save_about(profile: Profile, about_me: str) -> None:
    profile.about_me = about_me or ""
    mark_step(profile, "about")


def pause(profile: Profile, until: date) -> None:
    profile.paused_until = until


def resume(profile: Profile) -> None:
    profile.paused_until = None


def is_paused(profile: Profile, today: date | None = None) -> bool:
    today = today or date.today()
    return profile.paused_until is not None and profile.paused_until > today


def next_step(profile: Profile) -> str | None:
    """The first wizard step the member has not saved yet."""
    done = profile.completed_steps
    return next((step for step, _title in WIZARD_STEPS if step not in done), None)


@dataclass(frozen=True)
class Readiness:
    percent: int
    missing: list[str]
    matchable: bool


def readiness(user: User, today: date | None = None) -> Readiness:
    """How complete the profile is, and what still stands between the member and a match."""
    profile = user.profile or Profile()
    done = profile.completed_steps
    steps_total = len(WIZARD_STEPS) + 1
    steps_done = sum(1 for step, _title in WIZARD_STEPS if step in done) + int(user.is_verified)
    missing: list[str] = []
    if not user.is_verified:
        missing.append("Confirm your email address with the link we sent you.")
    if user.email_bounced_at is not None:
        missing.append(
            f"Our emails to {user.email} are being returned. "
            "Please change your email address on your Account page."
        )
    titles = dict(WIZARD_STEPS)
    for step, _title in WIZARD_STEPS:
        if step not in done and step != "about":
            missing.append(f"Fill in \u201c{titles[step]}\u201d.")
    if "meeting" in done and profile.consent_at is None:
        missing.append(
            "Allow us to store your comfort level and availability, so we can find a good fit."
        )
    if "meeting" in done and not (
        profile.wants_groups or profile.wants_walks or profile.wants_volunteering
    ):
        missing.append("Choose at least one thing you'd like to try.")
    if is_paused(profile, today):
        missing.append(f"Matching is paused until {profile.paused_until:%A %d %B}.")
    return Readiness(
        percent=round(100 * steps_done / steps_total), missing=missing, matchable=not missing
    )
