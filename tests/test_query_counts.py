"""No page's query count grows with the data on it (no N+1), and none is extravagant."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, select

from community.extensions import db
from community.models import Interest, Match, MatchMember, MatchRound, Report, utcnow
from tests.conftest import login
from tests.factories import PASSWORD

MAX_QUERIES = 30
# The pages members and organizers open most, held to what they need today (the
# login-session lookup included), so a gain measured under load is not lost quietly.
PAGE_LIMITS = {
    "/home": 3,  # session with member and profile, small steps, interests
    "/connections/": 9,
    "/organize/members/": 8,  # session, count, page ids, page rows, last matched,
    # areas, interests, open reports
}


@contextmanager
def counting(app):
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def build_world(app, members, size: int):
    """A member with `size` connections, and `size` other members with a report each."""
    me = members.create(complete=True)
    organizer = members.create(role="organizer", complete=True)
    others = [members.create(complete=True, about_me=f"Hello {n}") for n in range(size)]
    with app.app_context():
        interests = db.session.execute(select(Interest).limit(4)).scalars().all()
        round_ = MatchRound(kind="groups", week_start=utcnow().date(), status="approved")
        for number, other in enumerate(others):
            match = Match(
                kind="group",
                status="active",
                slot=number % 21,
                format="in_person",
                reason="You both enjoy reading",
                meeting_at=utcnow() + timedelta(days=number - size // 2),
            )
            match.members = [
                MatchMember(user_id=me.id, status="accepted"),
                MatchMember(user_id=other.id, status="accepted" if number % 2 else "invited"),
            ]
            round_.matches.append(match)
        db.session.add(round_)
        db.session.flush()
        for other in others:
            db.session.add(
                Report(
                    reporter_id=me.id,
                    reported_user_id=other.id,
                    reason="Said something unkind to me.",
                )
            )
        db.session.commit()
        assert interests
        return me, organizer, round_.id


MEMBER_PAGES = ["/home", "/connections/", "/account", "/account/export", "/profile/interests"]
ORGANIZER_PAGES = [
    "/organize/dashboard",
    "/organize/care",
    "/organize/members/",
    "/organize/reports/",
    "/organize/rounds/",
    "/organize/rounds/{round_id}",
]


def query_counts(app, members, size):
    me, organizer, round_id = build_world(app, members, size)
    counts = {}
    for person, pages in ((me, MEMBER_PAGES), (organizer, ORGANIZER_PAGES)):
        client = app.test_client()
        login(client, person.email, PASSWORD)
        for page in pages:
            path = page.format(round_id=round_id)
            client.get(path)  # warm: a first visit may touch the session row
            with counting(app) as statements:
                response = client.get(path)
            assert response.status_code == 200, path
            counts[page] = len(statements)
    return counts


def test_no_page_runs_more_queries_when_it_shows_more(make_app):
    from tests.factories import MemberFactory

    small_app = make_app()
    small = query_counts(small_app, MemberFactory(small_app), 2)
    with small_app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
    large_app = make_app()
    large = query_counts(large_app, MemberFactory(large_app), 12)
    growing = {page: (small[page], large[page]) for page in small if large[page] > small[page]}
    assert not growing, f"queries for 2 items vs 12: {growing}"
    heavy = {page: count for page, count in large.items() if count > MAX_QUERIES}
    assert not heavy, f"more than {MAX_QUERIES} queries: {heavy}"
    over = {page: large[page] for page, limit in PAGE_LIMITS.items() if large[page] > limit}
    assert not over, f"more queries than {PAGE_LIMITS}: {over}"
