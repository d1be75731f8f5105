"""The interest vocabulary: adding, renaming, grouping, merging and retiring interests.

Members and opportunities hold interests by id, so a merge moves those links to
the surviving interest: nobody loses an interest because an organizer tidied up.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, exists, func, insert, literal, select

from community.admin.audit import record, snapshot
from community.catalogue.names import other_named
from community.extensions import db, rowcount
from community.models import Interest, User, member_interests, opportunity_interests
from community.organize.errors import ChangeRefused

FIELDS = ("name", "category", "retired")


@dataclass(frozen=True)
class InterestRow:
    interest: Interest
    members: int


def member_counts() -> dict[int, int]:
    return dict(
        db.session.execute(
            select(member_interests.c.interest_id, func.count(member_interests.c.user_id)).group_by(
                member_interests.c.interest_id
            )
        ).all()
    )


def interest_rows() -> list[InterestRow]:
    """Every interest by category, with how many members hold it."""
    counts = member_counts()
    interests = db.session.execute(
        select(Interest).order_by(Interest.retired, Interest.category, Interest.name)
    ).scalars()
    return [InterestRow(i, counts.get(i.id, 0)) for i in interests]


def categories() -> list[str]:
    return list(
        db.session.execute(
            select(Interest.category).distinct().order_by(Interest.category)
        ).scalars()
    )


def clean(text: str, what: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise ChangeRefused(f"Please give the {what}.")
    if len(text) > 60:
        raise ChangeRefused(f"Please keep the {what} under 60 characters.")
    return text


def check_name_free(name: str, interest: Interest | None = None) -> None:
    other = other_named(Interest, name, interest)
    if other is not None:
        state = " (retired)" if other.retired else ""
        raise ChangeRefused(f"There is already an interest called \u201c{other.name}\u201d{state}.")


def add_interest(actor: User, *, name: str, category: str) -> Interest:
    name = clean(name, "interest's name")
    category = clean(category, "category")
    check_name_free(name)
    interest = Interest(name=name, category=category, retired=False)
    db.session.add(interest)
    db.session.flush()
    record(actor, "interest.create", interest, {}, snapshot(interest, FIELDS))
    return interest


def update_interest(actor: User, interest: Interest, *, name: str, category: str) -> Interest:
    """Rename an interest or move it to another category (a new category is fine)."""
    name = clean(name, "interest's name")
    category = clean(category, "category")
    check_name_free(name, interest)
    before = snapshot(interest, FIELDS)
    interest.name = name
    interest.category = category
    record(actor, "interest.update", interest, before, snapshot(interest, FIELDS))
    return interest


def move_links(table, owner_column: str, source: Interest, target: Interest) -> int:
    """Give every holder of the source the target (once), then drop the source links."""
    owner = table.c[owner_column]
    holding_target = table.alias("holding_target")
    holders = select(owner, literal(target.id)).where(
        table.c.interest_id == source.id,
        ~exists().where(
            holding_target.c[owner_column] == owner,
            holding_target.c.interest_id == target.id,
        ),
    )
    moved = rowcount(
        db.session.execute(insert(table).from_select([owner_column, "interest_id"], holders))
    )
    db.session.execute(delete(table).where(table.c.interest_id == source.id))
    return moved


def merge_interests(actor: User, source: Interest, target: Interest) -> int:
    """Fold the source into the target; members and opportunities keep it as the target."""
    if source.id == target.id:
        raise ChangeRefused(
            "An interest can't be merged into itself. Please choose a different one."
        )
    if target.retired:
        raise ChangeRefused(f"\u201c{target.name}\u201d is retired; merge into an interest in use.")
    holders = member_counts().get(source.id, 0)
    before = {**snapshot(source, FIELDS), "members": holders}
    moved = move_links(member_interests, "user_id", source, target)
    move_links(opportunity_interests, "opportunity_id", source, target)
    source.retired = True
    record(
        actor,
        "interest.merge",
        source,
        before,
        {**snapshot(source, FIELDS), "merged_into": target.id, "members_given_target": moved},
    )
    # The links changed in SQL, behind the ORM's back: reload collections on next use.
    db.session.flush()
    db.session.expire_all()
    return holders


def retire_interest(actor: User, interest: Interest) -> None:
    """Retired interests stay on members' profiles but can't be chosen any more."""
    if interest.retired:
        raise ChangeRefused(f"\u201c{interest.name}\u201d is already retired.")
    before = snapshot(interest, FIELDS)
    interest.retired = True
    record(actor, "interest.retire", interest, before, snapshot(interest, FIELDS))


def restore_interest(actor: User, interest: Interest) -> None:
    if not interest.retired:
        raise ChangeRefused(f"\u201c{interest.name}\u201d is in use already.")
    before = snapshot(interest, FIELDS)
    interest.retired = False
    record(actor, "interest.restore", interest, before, snapshot(interest, FIELDS))
