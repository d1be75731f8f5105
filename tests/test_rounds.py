"""Organizers run a round: eligibility, preview, adjustments, approval and following it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.models import (
    Area,
    Block,
    MatchMember,
    MatchRound,
    OutboxMessage,
    Report,
    User,
    utcnow,
)
from community.rounds import listing
from community.rounds.adjustment import match_number, move_member, remove_member
from community.rounds.eligibility import eligible_members
from community.rounds.errors import AlreadyApproved, BadAdjustment
from community.rounds.listing import response_totals
from community.rounds.pair_rules import avoid_pairs, ordered, prefer_pairs
from community.rounds.proposal import start_round
from tests.conftest import login, submit
from tests.factories import PASSWORD
from tests.round_helpers import approve, community, future_monday, make_round, organizer


def outbox_count(app, template: str = "invitation") -> int:
    with app.app_context():
        return db.session.execute(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.template == template)
        ).scalar_one()


def test_only_verified_consenting_active_subscribed_members_who_asked_are_eligible(app, members):
    keen = community(members, 2)
    members.create(complete=True, verified=False)
    members.create(complete=True, wants_groups=False, wants_walks=True)
    gone = members.create(complete=True)
    members.create(complete=True, paused_until=future_monday().replace(year=2099))
    members.create(complete=True, consent_at=None, availability_mask=None)
    with app.app_context():
        db.session.get(User, gone.id).unsubscribed_at = utcnow()
        round_ = start_round(
            kind="groups", area_ids=[], min_size=2, max_size=4, week_start=future_monday()
        )
        people = eligible_members(round_)
        assert sorted(m.id for m in people.members) == sorted(u.id for u in keen)
        member = people.members[0]
        assert member.slots == frozenset({0, 1, 2})
        assert member.location is not None and member.format == "in_person"
        assert len(member.interests) == 3


def test_a_round_covers_only_the_chosen_areas(app, members):
    with app.app_context():
        first, second = db.session.execute(select(Area.id).order_by(Area.id).limit(2)).scalars()
    here = community(members, 4)
    there = community(members, 4)
    with app.app_context():
        for user in there:
            db.session.get(User, user.id).profile.area_id = second
        db.session.commit()
        round_ = start_round(
            kind="groups", area_ids=[first], min_size=4, max_size=4, week_start=future_monday()
        )
        ids = {m.id for m in eligible_members(round_).members}
    assert ids == {u.id for u in here}


def test_blocked_reported_and_draining_pairs_are_avoided(app, members):
    a, b, c, d = community(members, 4)
    with app.app_context():
        db.session.add(Block(blocker_id=a.id, blocked_id=b.id))
        db.session.add(Report(reporter_id=d.id, reported_user_id=c.id, reason="rude"))
        db.session.commit()
        pairs = avoid_pairs()
    assert ordered(a.id, b.id) in pairs
    assert ordered(c.id, d.id) in pairs
    assert ordered(a.id, c.id) not in pairs


def test_groups_round_proposes_groups_with_reasons_and_quality(app, members):
    community(members, 8)
    round_id = make_round(app)
    with app.app_context():
        round_ = db.session.get(MatchRound, round_id)
        assert round_.status == "ready"
        assert round_.quality["placed"] == 8 and round_.quality["eligible"] == 8
        assert len(round_.matches) == 2
        match = round_.matches[0]
        assert match.status == "proposed" and len(match.members) == 4
        assert "enjoy" in match.reason
        # Slot 0..2 is Monday; the meeting is on the round's Monday, stored in UTC.
        assert match.meeting_at.date() == round_.week_start
    assert outbox_count(app) == 0  # nothing is sent before approval


def test_approving_queues_one_invitation_per_member_and_twice_adds_nothing(app, members, mail_sink):
    people = community(members, 8)
    boss = organizer(members)
    round_id = make_round(app)
    with app.test_request_context():
        assert approve(app, round_id, boss.id) == 8
        with pytest.raises(AlreadyApproved):
            approve(app, round_id, boss.id)
    assert outbox_count(app) == 8
    with app.app_context():
        statuses = set(db.session.execute(select(MatchMember.status)).scalars())
        assert statuses == {"invited"}
        keys = set(db.session.execute(select(OutboxMessage.idempotency_key)).scalars())
        assert len(keys) == 8 and all(k.startswith("invitation:") for k in keys)
        assert response_totals(db.session.get(MatchRound, round_id)) == {"invited": 8}
    assert people


def test_walks_round_pairs_neighbours(app, members):
    community(members, 6, wants_walks=True, wants_groups=False)
    round_id = make_round(app, kind="walks")
    with app.app_context():
        round_ = db.session.get(MatchRound, round_id)
        assert round_.status == "ready"
        assert all(m.kind in ("pair", "trio") for m in round_.matches)
        assert sum(len(m.members) for m in round_.matches) == 6


def test_volunteering_round_places_people_in_one_match_per_opportunity_and_slot(app, members):
    from tests.round_helpers import opportunity

    community(members, 6, wants_volunteering=True, wants_groups=False)
    opportunity_id = opportunity(app, capacity=4)
    round_id = make_round(app, kind="volunteering")
    with app.app_context():
        round_ = db.session.get(MatchRound, round_id)
        placed = sum(len(m.members) for m in round_.matches)
        assert placed == 4 and len(round_.unplaced) == 2
        assert {m.opportunity_id for m in round_.matches} == {opportunity_id}


def test_moving_and_removing_members_updates_the_figures(app, members):
    community(members, 8)
    round_id = make_round(app)
    with app.app_context():
        round_ = db.session.get(MatchRound, round_id)
        seat = round_.matches[0].members[0]
        target = match_number(round_, 2)
        warnings = move_member(round_, seat.id, target)
        db.session.commit()
        assert warnings == []
        assert [len(m.members) for m in round_.matches] == [3, 5]
        assert round_.quality["placed"] == 8
        remove_member(round_, round_.matches[1].members[0].id)
        db.session.commit()
        assert round_.quality["placed"] == 7
        assert round_.unplaced[-1]["reason"] == "removed from the proposal by an organizer"
        with pytest.raises(BadAdjustment):
            match_number(round_, 9)


def test_members_and_visitors_cannot_open_organizer_pages(app, client, members):
    member = members.create()
    assert client.get("/organize/rounds/").status_code == 302
    login(client, member.email, PASSWORD)
    for path in ("/organize/rounds/", "/organize/rounds/new", "/organize/rounds/1/status"):
        assert client.get(path).status_code == 403
    assert client.post("/organize/rounds/1/approve").status_code in (400, 403)


def test_organizer_runs_previews_moves_and_approves_in_the_pages(app, client, members, mail_sink):
    people = community(members, 8)
    boss = organizer(members)
    login(client, boss.email, PASSWORD)
    response = submit(
        client,
        "/organize/rounds/new",
        {
            "kind": "groups",
            "min_size": "4",
            "max_size": "4",
            "week_start": future_monday().isoformat(),
            "random_state": "0",
        },
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Approve and send invitations" in page
    assert people[0].display_name in page and "Group 2" in page
    assert "8 / 8" in page
    with app.app_context():
        round_ = db.session.execute(select(MatchRound)).scalar_one()
        seat_id = round_.matches[0].members[0].id
        round_id = round_.id
    show = f"/organize/rounds/{round_id}"
    moved = submit(
        client, show, {"seat": seat_id, "target": "2"}, action=f"{show}/move", follow_redirects=True
    )
    assert "Moved to group 2" in moved.get_data(as_text=True)
    bad = submit(
        client, show, {"seat": seat_id, "target": "7"}, action=f"{show}/move", follow_redirects=True
    )
    assert "There is no group 7" in bad.get_data(as_text=True)
    approved = submit(client, show, {}, action=f"{show}/approve", follow_redirects=True)
    text = approved.get_data(as_text=True)
    assert "8 invitations are on their way" in text
    assert "8 not answered" in text
    again = submit(client, show, {}, action=f"{show}/approve", follow_redirects=True)
    assert "already approved" in again.get_data(as_text=True)
    assert outbox_count(app) == 8
    reminded = submit(client, show, {}, action=f"{show}/remind", follow_redirects=True)
    assert "Reminded 8 people" in reminded.get_data(as_text=True)


def test_bad_round_settings_get_messages_not_errors(app, client, members):
    boss = organizer(members)
    login(client, boss.email, PASSWORD)
    response = submit(
        client,
        "/organize/rounds/new",
        {"kind": "parties", "min_size": "6", "max_size": "3", "week_start": "soon"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "can&#39;t be smaller" in page or "can't be smaller" in page
    assert "Not a valid choice" in page or "isn" in page


def test_a_large_round_runs_in_the_background_and_reports_progress(make_app, members):
    app = make_app(ROUND_BACKGROUND_THRESHOLD=3)
    members.app = app
    community(members, 8)
    boss = organizer(members)
    client = app.test_client()
    login(client, boss.email, PASSWORD)
    response = submit(
        client,
        "/organize/rounds/new",
        {"kind": "groups", "min_size": "4", "max_size": "4", "week_start": "2030-03-06"},
    )
    location = response.headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "data-round-status" in page or "Approve and send invitations" in page
    status_url = location.rstrip("/") + "/status"
    for _ in range(100):
        data = client.get(status_url).get_json()
        if data["status"] == "ready":
            break
        time.sleep(0.1)
    assert data["status"] == "ready" and data["progress"] == 100
    assert "Approve and send invitations" in client.get(location).get_data(as_text=True)


def test_two_organizers_approving_at_once_queue_one_set(app, members):
    import threading

    community(members, 8)
    bosses = [organizer(members), organizer(members)]
    round_id = make_round(app)
    show = f"/organize/rounds/{round_id}"
    clients = []
    for boss in bosses:
        client = app.test_client()
        login(client, boss.email, PASSWORD)
        clients.append((client, client.get(show).get_data(as_text=True)))
    start = threading.Barrier(2)
    flashes: list[str] = []

    def approve_now(client, page):
        from tests.conftest import csrf_token

        start.wait()
        response = client.post(
            f"{show}/approve", data={"csrf_token": csrf_token(page)}, follow_redirects=True
        )
        flashes.append(response.get_data(as_text=True))

    threads = [threading.Thread(target=approve_now, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum("8 invitations are on their way" in page for page in flashes) == 1
    assert sum("already approved" in page for page in flashes) == 1
    assert outbox_count(app) == 8


def test_not_again_and_draining_feedback_keep_people_apart_and_mutual_again_is_preferred(
    app, members
):
    from community.models import Feedback, FeedbackPerson

    a, b, c, d, e = community(members, 5)
    round_id = make_round(app, min_size=2, max_size=2)
    with app.app_context():
        round_ = db.session.get(MatchRound, round_id)
        match = round_.matches[0]
        mates = [s.user_id for s in match.members]
        drained = Feedback(match_id=match.id, user_id=mates[0], feeling="draining")
        kind = Feedback(match_id=match.id, user_id=e.id, feeling="nurturing")
        kind.people = [
            FeedbackPerson(about_user_id=a.id, again=False),
            FeedbackPerson(about_user_id=b.id, again=True),
        ]
        back = Feedback(match_id=match.id, user_id=b.id, feeling="nurturing")
        back.people = [FeedbackPerson(about_user_id=e.id, again=True)]
        db.session.add_all([drained, kind, back])
        db.session.commit()
        avoid = avoid_pairs()
        prefer = prefer_pairs()
    assert ordered(mates[0], mates[1]) in avoid
    assert ordered(e.id, a.id) in avoid
    assert ordered(e.id, b.id) in prefer
    assert ordered(e.id, a.id) not in prefer
    assert c and d


def test_a_second_round_for_the_same_week_leaves_out_those_already_invited(app, members):
    community(members, 8)
    boss = organizer(members)
    week = future_monday()
    first = make_round(app, week_start=week)
    with app.test_request_context():
        approve(app, first, boss.id)
    second = make_round(app, week_start=week)
    later = make_round(app, week_start=week + timedelta(days=7))
    with app.app_context():
        assert db.session.get(MatchRound, second).quality["eligible"] == 0
        assert db.session.get(MatchRound, later).quality["eligible"] == 8


def test_a_big_proposal_is_shown_a_page_at_a_time_with_stable_numbers(
    app, client, members, monkeypatch
):
    monkeypatch.setattr(listing, "PAGE_SIZE", 1)
    community(members, 8)
    boss = organizer(members)
    round_id = make_round(app)
    login(client, boss.email, PASSWORD)
    first = client.get(f"/organize/rounds/{round_id}").get_data(as_text=True)
    assert "Group 1" in first and "Group 2" not in first and "Page 1 of 2" in first
    second = client.get(f"/organize/rounds/{round_id}?page=2").get_data(as_text=True)
    assert "Group 2" in second and "Group 1" not in second
    assert client.get(f"/organize/rounds/{round_id}?page=999").status_code == 200


def stall(app, round_id: int, minutes: int) -> None:
    """Leave the round "running" as a stopped worker would, last heard of ``minutes`` ago."""
    with app.app_context():
        round_ = db.session.get(MatchRound, round_id)
        round_.status = "running"
        round_.progress = 20
        round_.progress_at = utcnow() - timedelta(minutes=minutes)
        db.session.commit()


def rerun(client, show: str, form_page: str):
    """Post the rerun form with the round's own settings (groups of four, next weeks)."""
    settings = {
        "min_size": "4",
        "max_size": "4",
        "week_start": future_monday().isoformat(),
        "random_state": "0",
    }
    return submit(client, form_page, settings, action=f"{show}/rerun", follow_redirects=True)


def round_left_running(app, client, members, minutes: int) -> tuple[int, str]:
    """A proposal for 8 members whose worker was last heard of ``minutes`` ago, and an
    organizer logged in; returns the round's id and page."""
    community(members, 8)
    boss = organizer(members)
    round_id = make_round(app)
    stall(app, round_id, minutes=minutes)
    login(client, boss.email, PASSWORD)
    return round_id, f"/organize/rounds/{round_id}"


def test_a_round_whose_worker_stopped_is_marked_failed_and_can_be_run_again(app, client, members):
    round_id, show = round_left_running(app, client, members, minutes=20)
    listing = client.get("/organize/rounds/").get_data(as_text=True)
    assert "Failed" in listing
    page = client.get(show).get_data(as_text=True)
    assert "The matching stopped" in page
    assert "no progress for 15 minutes" in page
    assert client.get(f"{show}/status").get_json()["status"] == "failed"
    again = rerun(client, show, form_page=show)
    assert "Approve and send invitations" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(MatchRound, round_id).status == "ready"


def test_a_running_round_that_still_reports_progress_is_left_running(app, client, members):
    _round_id, show = round_left_running(app, client, members, minutes=3)
    assert "Finding matches" in client.get(show).get_data(as_text=True)
    assert client.get(f"{show}/status").get_json()["status"] == "running"
    refused = rerun(client, show, form_page="/organize/rounds/")
    assert "can&#39;t be changed now" in refused.get_data(as_text=True)
