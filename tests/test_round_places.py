"""Every meeting of a round has somewhere to happen: a venue in person, a room online.

A round places each in-person group and walk at an active venue that is open at
its slot, has a free seat then, is step-free when someone needs it and quiet for a
shy group; a meeting no venue can take says why and holds approval back until the
organizer picks a venue by hand; online meetings get their own unguessable room.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from community.extensions import db
from community.models import (
    Area,
    Match,
    MatchMember,
    MatchRound,
    OutboxMessage,
    User,
    Venue,
    utcnow,
)
from community.rounds.adjustment import move_member
from community.rounds.approval import approve_round
from community.rounds.errors import RoundNotReady
from community.rounds.places import access_needs
from tests.conftest import csrf_token, login, submit
from tests.factories import PASSWORD, MemberFactory
from tests.round_helpers import approve, make_round, organizer
from tests.test_browser import DESKTOP, PHONE, browser, shoot  # noqa: F401  (fixture)

MONDAY = 0b111  # the slots every factory member is free at
KM = 1 / 111.2  # degrees of latitude in a kilometre


def add_venue(app, name: str, *, km_north: float = 0.0, **fields) -> int:
    """A venue ``km_north`` of the first area's centre, where factory members live."""
    with app.app_context():
        area = db.session.execute(select(Area).order_by(Area.id).limit(1)).scalar_one()
        venue = Venue(
            name=name,
            address=f"{len(name)} Market Street",
            latitude=area.latitude + km_north * KM,
            longitude=area.longitude,
            area=area,
            kind=fields.pop("kind", "cafe"),
            slot_mask=fields.pop("slots", MONDAY),
            capacity=fields.pop("capacity", 1),
            step_free=fields.pop("step_free", False),
            quietness=fields.pop("quietness", "some_noise"),
            walk_start=fields.pop("walk_start", False),
            retired_at=utcnow() if fields.pop("retired", False) else None,
        )
        assert not fields, fields
        db.session.add(venue)
        db.session.commit()
        return venue.id


def people(members, count: int, **fields) -> list[User]:
    """Complete members in the first area (3 km travel), free Monday, no venues added."""
    return [members.create(complete=True, **fields) for _ in range(count)]


def matches_of(app, round_id: int) -> list[Match]:
    with app.app_context():
        found = list(
            db.session.execute(
                select(Match).where(Match.round_id == round_id).order_by(Match.id)
            ).scalars()
        )
        for match in found:
            db.session.expunge(match)
        return found


def venue_of(app, venue_id: int) -> Venue:
    with app.app_context():
        venue = db.session.get(Venue, venue_id)
        db.session.expunge(venue)
        return venue


def outbox_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(OutboxMessage.id))).scalar_one()


def organizer_client(app, members):
    boss = organizer(members)
    client = app.test_client()
    login(client, boss.email, PASSWORD)
    return boss, client


def page_text(response) -> str:
    return response.get_data(as_text=True)


def pick(client, round_id: int, match_id: int, venue) -> str:
    """Choose a venue by hand from the preview; returns the page it lands on."""
    show = f"/organize/rounds/{round_id}"
    response = submit(
        client,
        show,
        {"match": match_id, "venue": venue},
        action=f"{show}/venue",
        follow_redirects=True,
    )
    assert response.status_code == 200
    return page_text(response)


# --- placing a round -----------------------------------------------------------------------


def test_every_group_gets_an_open_venue_with_a_free_seat_at_its_slot(app, members):
    people(members, 12)
    cafe = add_venue(app, "Corner Cafe", capacity=2)
    library = add_venue(app, "Library Room 2", km_north=1, kind="library_room")
    add_venue(app, "Saturday Hall", slots=1 << 15, capacity=9)  # closed on Mondays
    add_venue(app, "Far Barn", km_north=20, capacity=9)  # beyond everyone's 3 km
    round_id = make_round(app)

    matches = matches_of(app, round_id)
    assert len(matches) == 3
    assert all(m.venue_id and not m.venue_problem for m in matches)
    seated = Counter((m.venue_id, m.slot) for m in matches)
    for (venue_id, slot), n in seated.items():
        venue = venue_of(app, venue_id)
        assert slot in venue.slots, f"{venue.name} is closed at slot {slot}"
        assert n <= venue.capacity, f"{venue.name} seats {n} at once"
    assert {v for v, _ in seated} == {cafe, library}


def test_a_member_who_needs_step_free_access_meets_somewhere_step_free(app, members):
    people(members, 3)
    people(members, 1, needs_step_free=True)
    add_venue(app, "Basement Cafe", quietness="quiet")
    step_free = add_venue(app, "Ground Floor Hub", km_north=1.5, step_free=True)
    [match] = matches_of(app, make_round(app))
    assert match.venue_id == step_free


def test_a_shy_group_meets_somewhere_quiet(app, members):
    people(members, 4, comfort=2)
    add_venue(app, "Busy Brasserie", quietness="lively")
    quiet = add_venue(app, "Reading Room", km_north=1, quietness="quiet", kind="library_room")
    [match] = matches_of(app, make_round(app))
    assert match.venue_id == quiet


def test_one_member_asking_for_quiet_places_makes_the_group_meet_somewhere_quiet(app, members):
    people(members, 3)
    [asker] = people(members, 1, prefers_quiet=True)
    add_venue(app, "Busy Brasserie", quietness="lively")
    quiet = add_venue(app, "Reading Room", km_north=1, quietness="quiet")
    [match] = matches_of(app, make_round(app))
    assert match.venue_id == quiet
    with app.app_context():
        assert access_needs() == (set(), {asker.id})
        # Access needs are used only while the member consents to their profile's use.
        db.session.get(User, asker.id).profile.consent_at = None
        db.session.flush()
        assert access_needs() == (set(), set())


def test_walks_start_where_walks_start(app, members):
    people(members, 4, wants_walks=True, wants_groups=False)
    add_venue(app, "Tea Room", capacity=5)
    gate = add_venue(app, "Park Gate", km_north=1, kind="park_meeting_point", capacity=5)
    matches = matches_of(app, make_round(app, kind="walks"))
    assert matches and all(m.venue_id == gate for m in matches)


def test_volunteering_placements_keep_their_opportunity(app, members):
    from tests.round_helpers import opportunity

    people(members, 4, wants_volunteering=True, wants_groups=False)
    add_venue(app, "Corner Cafe", capacity=5)
    place = opportunity(app, capacity=4)
    matches = matches_of(app, make_round(app, kind="volunteering"))
    assert matches and all(m.opportunity_id == place and m.venue_id is None for m in matches)
    assert all(not m.venue_problem and not m.room_url for m in matches)


# --- a meeting nowhere can take ------------------------------------------------------------


def test_a_meeting_no_venue_can_take_says_why_and_waits_for_a_venue_by_hand(
    app, members, mail_sink
):
    people(members, 4)
    far = add_venue(app, "Hilltop Hall", km_north=8, capacity=2)
    round_id = make_round(app)
    [match] = matches_of(app, round_id)
    assert match.venue_id is None
    assert "within 3 km" in match.venue_problem

    boss, client = organizer_client(app, members)
    show = f"/organize/rounds/{round_id}"
    html = page_text(client.get(show))
    assert "No place yet" in html and "within 3 km" in html
    assert "1 in-person meeting has no venue yet" in html
    assert 'data-figure="without-place">1<' in html
    assert "Hilltop Hall, 8.0 km at most (bends a preference)" in html

    refused = submit(client, show, {}, action=f"{show}/approve", follow_redirects=True)
    assert "1 in-person meeting has no venue yet" in page_text(refused)
    with app.app_context():
        assert db.session.get(MatchRound, round_id).status == "ready"
    assert outbox_count(app) == 0

    html = pick(client, round_id, match.id, far)
    assert "Group 1 now meets at Hilltop Hall." in html
    assert "Heads up: Hilltop Hall is 8.0 km from Person 1, farther than the 3 km" in html
    assert "No place yet" not in html
    assert 'data-figure="without-place">0<' in html
    [match] = matches_of(app, round_id)
    assert match.venue_id == far and match.venue_problem == ""

    approved = submit(client, show, {}, action=f"{show}/approve", follow_redirects=True)
    assert "4 invitations are on their way" in page_text(approved)
    assert outbox_count(app) == 4


def test_with_no_venues_at_all_the_preview_says_to_add_some(app, members):
    people(members, 4)
    round_id = make_round(app)
    [match] = matches_of(app, round_id)
    assert match.venue_id is None and "no venues are set up yet" in match.venue_problem
    boss = organizer(members)
    with app.app_context(), pytest.raises(RoundNotReady, match="no venue yet"):
        approve_round(db.session.get(MatchRound, round_id), db.session.get(User, boss.id))
    assert outbox_count(app) == 0


# --- picking a venue by hand ---------------------------------------------------------------


@pytest.fixture
def unplaced_round(app, members):
    """One group of four whose only near venue is closed; other venues to pick from."""
    people(members, 3)
    people(members, 1, needs_step_free=True)
    add_venue(app, "Sunday Cafe", slots=1 << 20, step_free=True)
    venues = {
        "far": add_venue(app, "Hilltop Hall", km_north=8, step_free=True),
        "steps": add_venue(app, "Cellar Bar", step_free=False, capacity=3),
        "retired": add_venue(app, "Old Mill", step_free=True, retired=True),
        "closed": add_venue(app, "Evening Club", slots=1 << 5, step_free=True),
    }
    round_id = make_round(app)
    [match] = matches_of(app, round_id)
    assert match.venue_id is None
    return round_id, match.id, venues


@pytest.mark.parametrize(
    ("venue", "message"),
    [
        ("999999", "That venue isn&#39;t on the list"),
        ("abc", "Please choose a venue from the list for that meeting."),
        ("", "Please choose a venue from the list for that meeting."),
        ("-3", "Please choose a venue from the list for that meeting."),
        ("retired", "Old Mill has been retired."),
        ("closed", "Evening Club isn&#39;t open on Monday mornings"),
        ("steps", "Cellar Bar isn&#39;t step-free, and someone in this meeting needs step-free"),
    ],
)
def test_a_bad_pick_gives_a_message_and_changes_nothing(
    app, members, unplaced_round, venue, message
):
    round_id, match_id, venues = unplaced_round
    _, client = organizer_client(app, members)
    html = pick(client, round_id, match_id, venues.get(venue, venue))
    assert message in html
    [match] = matches_of(app, round_id)
    assert match.venue_id is None and match.venue_problem


def test_a_pick_for_another_rounds_meeting_or_an_unknown_one_is_refused(
    app, members, unplaced_round
):
    round_id, match_id, venues = unplaced_round
    _, client = organizer_client(app, members)
    for other in (match_id + 1000, 2**61, "x"):
        html = pick(client, round_id, other, venues["far"])
        assert "isn&#39;t in this round&#39;s proposal" in html or "Please choose" in html
    [match] = matches_of(app, round_id)
    assert match.venue_id is None


def test_a_full_venue_is_refused_and_not_offered(app, members):
    people(members, 8)
    add_venue(app, "Tiny Cafe", capacity=1)
    round_id = make_round(app)
    placed, unplaced = sorted(matches_of(app, round_id), key=lambda m: m.venue_id is None)
    assert placed.venue_id and unplaced.venue_id is None
    assert "every venue within 3 km of everyone is full on Monday" in unplaced.venue_problem
    _, client = organizer_client(app, members)
    html = pick(client, round_id, unplaced.id, placed.venue_id)
    assert "Tiny Cafe has no free seat on Monday" in html
    assert "No active venue is open on Monday" in html  # nothing left to offer


def test_only_organizers_may_choose_a_venue(app, members, unplaced_round):
    round_id, match_id, venues = unplaced_round
    action = f"/organize/rounds/{round_id}/venue"
    data = {"match": match_id, "venue": venues["far"]}
    anonymous = app.test_client()
    token = csrf_token(page_text(anonymous.get("/login")))
    response = anonymous.post(action, data={**data, "csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    member = app.test_client()
    login(member, members.create(complete=True).email, PASSWORD)
    token = csrf_token(page_text(member.get("/", follow_redirects=True)))
    assert member.post(action, data={**data, "csrf_token": token}).status_code == 403
    _, boss = organizer_client(app, members)
    assert boss.post(action, data=data).status_code == 400  # no CSRF token
    [match] = matches_of(app, round_id)
    assert match.venue_id is None


def test_an_approved_round_keeps_its_venues(app, members):
    people(members, 4)
    near = add_venue(app, "Corner Cafe")
    other = add_venue(app, "Side Cafe", km_north=0.5)
    round_id = make_round(app)
    boss, client = organizer_client(app, members)
    approve(app, round_id, boss.id)
    [match] = matches_of(app, round_id)
    html = pick(client, round_id, match.id, other)
    assert "Only a round waiting for approval can be adjusted." in html
    assert matches_of(app, round_id)[0].venue_id == near


# --- moving people -------------------------------------------------------------------------


def test_moving_someone_who_needs_step_free_access_moves_their_group_too(app, members):
    group = people(members, 8)
    cellar = add_venue(app, "Cellar Cafe", capacity=2)
    hub = add_venue(app, "Ground Floor Hub", km_north=1, step_free=True)
    round_id = make_round(app)
    first, second = matches_of(app, round_id)
    assert first.venue_id == second.venue_id == cellar
    with app.app_context():
        seat = db.session.execute(
            select(MatchMember).where(MatchMember.match_id == first.id).limit(1)
        ).scalar_one()
        db.session.get(User, seat.user_id).profile.needs_step_free = True
        db.session.flush()
        round_ = db.session.get(MatchRound, round_id)
        warnings = move_member(round_, seat.id, db.session.get(Match, second.id))
        db.session.commit()
    assert (
        "A changed group now meets at Ground Floor Hub, as Cellar Cafe no longer suits everyone."
        in warnings
    )
    first, second = matches_of(app, round_id)
    assert first.venue_id == cellar, "the group they left still fits its venue"
    assert second.venue_id == hub
    assert group


def test_a_move_no_venue_can_follow_keeps_the_venue_and_says_what_it_bends(app, members):
    people(members, 8)
    cafe = add_venue(app, "Corner Cafe", km_north=0.5, capacity=2)
    round_id = make_round(app)
    first, second = matches_of(app, round_id)
    with app.app_context():
        seat = db.session.execute(
            select(MatchMember).where(MatchMember.match_id == first.id).limit(1)
        ).scalar_one()
        db.session.get(User, seat.user_id).profile.max_km = 0.2
        db.session.flush()
        name = db.session.get(User, seat.user_id).display_name
        round_ = db.session.get(MatchRound, round_id)
        warnings = move_member(round_, seat.id, db.session.get(Match, second.id))
        db.session.commit()
    assert (
        "No venue suits everyone in a changed group, so it keeps Corner Cafe. "
        f"Corner Cafe is 0.5 km from {name}, farther than the 0.2 km they said they would travel."
    ) in warnings
    assert [m.venue_id for m in matches_of(app, round_id)] == [cafe, cafe]


# --- online rooms --------------------------------------------------------------------------


def test_online_groups_get_distinct_unguessable_rooms_under_the_configured_address(make_app):
    app = make_app(VIDEO_ROOM_URL="http://127.0.0.1:8443/rooms/")
    members = MemberFactory(app)
    people(members, 12, format="online")
    round_id = make_round(app)
    rooms = [m.room_url for m in matches_of(app, round_id)]
    assert len(rooms) == 3 and len(set(rooms)) == 3
    prefix = "http://127.0.0.1:8443/rooms/kindred-"
    assert all(r.startswith(prefix) and len(r) - len(prefix) >= 22 for r in rooms)
    _, client = organizer_client(app, members)
    html = page_text(client.get(f"/organize/rounds/{round_id}"))
    assert all(room in html for room in rooms)
    assert 'data-figure="without-place">0<' in html


def test_without_a_room_address_the_preview_says_so_and_approval_waits(make_app, mail_sink):
    app = make_app(VIDEO_ROOM_URL="")
    members = MemberFactory(app)
    people(members, 4, format="online")
    round_id = make_round(app)
    [match] = matches_of(app, round_id)
    assert match.room_url == ""
    _, client = organizer_client(app, members)
    show = f"/organize/rounds/{round_id}"
    setting = "No video room address is set up (KINDRED_VIDEO_ROOM_URL)"
    assert setting in page_text(client.get(show))
    refused = submit(client, show, {}, action=f"{show}/approve", follow_redirects=True)
    assert setting in page_text(refused) and "Set it up, then approve." in page_text(refused)
    assert outbox_count(app) == 0

    app.config["VIDEO_ROOM_URL"] = "http://127.0.0.1:8443"
    approved = submit(client, show, {}, action=f"{show}/approve", follow_redirects=True)
    assert "4 invitations are on their way" in page_text(approved)
    [match] = matches_of(app, round_id)
    assert match.room_url.startswith("http://127.0.0.1:8443/kindred-")


def test_a_room_address_that_is_not_a_web_address_counts_as_none(make_app):
    app = make_app(VIDEO_ROOM_URL="javascript:alert(1)")
    members = MemberFactory(app)
    people(members, 4, format="online")
    [match] = matches_of(app, make_round(app))
    assert match.room_url == "" and "must start with http:// or https://" in match.venue_problem


# --- in Chromium ---------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize(("viewport_name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_the_preview_shows_each_meetings_place_in_chromium(
    browser,  # noqa: F811
    app,
    members,
    viewport_name,
    viewport,
):
    from playwright.sync_api import expect

    people(members, 8, comfort=2)
    people(members, 4, format="online")
    add_venue(
        app,
        "Old Town Library, Reading Room",
        quietness="quiet",
        step_free=True,
        kind="library_room",
    )
    add_venue(app, "Hilltop Hall", km_north=8, quietness="quiet", capacity=3)
    add_venue(app, "The Busy Bean", km_north=0.3, quietness="lively", capacity=3)
    round_id = make_round(app)
    boss = organizer(members)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(base + "/login")
        page.get_by_label("Email").fill(boss.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{base}/organize/rounds/{round_id}")
        expect(page.get_by_text("Old Town Library, Reading Room").first).to_be_visible()
        expect(page.get_by_text("No place yet")).to_be_visible()
        expect(page.get_by_text("http://127.0.0.1:8443/kindred-")).to_be_visible()
        expect(page.locator("#place-blockers")).to_contain_text("1 in-person meeting has no venue")
        shoot(page, f"round-places-{viewport_name}")

        missing = page.locator(".match-place-missing")
        venue = missing.locator("select")
        venue.select_option(label="Hilltop Hall, 8.0 km at most (bends a preference)")
        missing.get_by_role("button", name="Use this venue").click()
        expect(page.get_by_text("now meets at Hilltop Hall.")).to_be_visible()
        expect(page.get_by_text("farther than the 3 km").first).to_be_visible()
        expect(page.locator("#place-blockers")).to_have_count(0)
        shoot(page, f"round-places-picked-{viewport_name}")
        context.close()
    finally:
        server.shutdown()
        thread.join()
