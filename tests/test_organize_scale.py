"""The member directory stays quick with thousands of members: it pages in the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from community.admin import member_directory
from community.admin.member_directory import MemberFilters
from community.extensions import db
from community.models import Area, Profile, User, utcnow
from tests.conftest import login
from tests.factories import PASSWORD, MemberFactory
from tests.test_query_counts import PAGE_LIMITS, counting

MEMBERS = 5000


def add_members_in_bulk(count: int) -> None:
    now = utcnow()
    area_ids = list(db.session.execute(select(Area.id)).scalars())
    db.session.execute(
        insert(User),
        [
            {
                "email": f"bulk{n}@example.org",
                "display_name": f"Bulk {n:05d}",
                "password_hash": "x",
                "role": "member",
                "login_id": f"bulk-{n}",
                "created_at": now - timedelta(days=n % 120),
                "email_verified_at": now if n % 10 else None,
                "active": True,
            }
            for n in range(count)
        ],
    )
    ids = list(db.session.execute(select(User.id).where(User.email.like("bulk%"))).scalars())
    db.session.execute(
        insert(Profile),
        [
            {
                "user_id": user_id,
                "area_id": area_ids[n % len(area_ids)],
                "wants_walks": n % 3 == 0,
                "setting": "any",
                "format": "either",
                "steps_done": "",
                "languages": "",
                "about_me": "",
                "updated_at": now,
            }
            for n, user_id in enumerate(ids)
        ],
    )
    db.session.commit()


@pytest.fixture
def organizer_client(app, members):
    user = members.create(role="organizer")
    client = app.test_client()
    login(client, user.email, PASSWORD)
    return client


def test_paging_through_thousands_of_members_reads_one_page_at_a_time(app, organizer_client):
    """Deep pages cost what the first does: the database pages, Python never loads everyone.

    How fast that is at 100,000 members is measured by ``bench.load`` and
    ``bench.query_plans``, not timed here, where a busy machine would fail it.
    """
    with app.app_context():
        add_members_in_bulk(MEMBERS)
        area_id = db.session.execute(select(Area.id).limit(1)).scalar_one()
        for filters in (MemberFilters(), MemberFilters(area_id=area_id, looking_for="walks")):
            first = member_directory.search(filters, page=1)
            assert first.pages > 2
            costs = []
            for page in (1, first.pages // 2, first.pages):
                with counting(app) as statements:
                    result = member_directory.search(filters, page=page)
                costs.append(len(statements))
                assert any("LIMIT" in s.upper() for s in statements)
                assert len(result.rows) <= member_directory.PER_PAGE
            assert costs[0] == costs[1] == costs[2] <= 6
        assert member_directory.search(MemberFilters()).total >= MEMBERS
    organizer_client.get("/organize/members/")  # the filter form is rendered once per process
    with counting(app) as statements:
        response = organizer_client.get("/organize/members/?page=150")
    assert response.status_code == 200
    assert len(statements) <= PAGE_LIMITS["/organize/members/"]
    assert "Page 150 of" in response.get_data(as_text=True)


def test_a_large_member_count_is_reused_briefly_and_a_small_one_never(make_app):
    app = make_app(MEMBER_COUNT_CACHE_FROM=3, MEMBER_COUNT_CACHE_SECONDS=60)
    factory = MemberFactory(app)
    for _ in range(3):
        factory.create()
    with app.app_context():
        assert member_directory.search(MemberFilters()).total == 3
        factory.create()
        # Three is "large" here: kept for a minute, while the page itself reads fresh rows.
        page = member_directory.search(MemberFilters())
        assert page.total == 3 and len(page.rows) == 4
        # Below the threshold a count is never kept.
        unconfirmed = MemberFilters(verified="no")
        assert member_directory.search(unconfirmed).total == 0
        factory.create(verified=False)
        assert member_directory.search(unconfirmed).total == 1
        app.config["MEMBER_COUNT_CACHE_SECONDS"] = 0
        assert member_directory.search(MemberFilters()).total == 5


def test_paging_by_ids_keeps_the_name_order(app, members):
    with app.app_context():
        add_members_in_bulk(60)
        names = [
            row.display_name
            for page in (1, 2, 3)
            for row in member_directory.search(MemberFilters(q="bulk"), page=page).rows
        ]
    assert names == sorted(names, key=str.lower) and len(set(names)) == 60
