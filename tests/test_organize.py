"""Organizers' pages: stories of keeping a community tidy, and bad input that changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from community.admin import member_directory, moderation
from community.admin.member_directory import MemberFilters
from community.catalogue import areas, vocabulary
from community.extensions import db
from community.members import profiles
from community.models import (
    Area,
    AuditEntry,
    Block,
    Feedback,
    Interest,
    Match,
    MatchMember,
    MatchRound,
    Opportunity,
    OutboxMessage,
    Profile,
    Report,
    User,
    member_interests,
)
from community.organize.dashboard_figures import drained_twice, long_unplaced
from community.organize.errors import ChangeRefused
from tests.conftest import login, submit
from tests.factories import PASSWORD


@pytest.fixture
def organizer(app, members):
    user = members.create(role="organizer")
    client = app.test_client()
    login(client, user.email, PASSWORD)
    client.user_id = user.id
    return client


def count(app, model, *where) -> int:
    with app.app_context():
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)
        return db.session.execute(query).scalar_one()


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def first_id(app, model, *where) -> int:
    with app.app_context():
        query = select(model.id).order_by(model.id)
        for condition in where:
            query = query.where(condition)
        return db.session.execute(query.limit(1)).scalar_one()


def move_to(app, user_id: int, area_id: int) -> None:
    with app.app_context():
        db.session.get(Profile, user_id).area_id = area_id
        db.session.commit()


# Areas ---------------------------------------------------------------------------------


def test_organizer_adds_an_area_and_the_change_is_audited(app, organizer):
    response = submit(
        organizer,
        "/organize/areas/",
        {"name": "Westbury", "latitude": "51.47", "longitude": "-2.63", "radius_km": "4"},
    )
    assert response.status_code == 302
    with app.app_context():
        area = db.session.execute(select(Area).where(Area.name == "Westbury")).scalar_one()
        assert (area.latitude, area.longitude, area.default_radius_km) == (51.47, -2.63, 4)
        entry = db.session.execute(select(AuditEntry)).scalar_one()
        assert entry.actor_id == organizer.user_id and entry.action == "area.create"
        assert entry.before == {} and entry.after["name"] == "Westbury"
        assert entry.created_at is not None
        assert "Westbury" in [a.name for a in profiles.active_areas()]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "old town"}, "There is already an area called"),
        ({"latitude": "200"}, "Latitude must be between -90 and 90."),
        ({"longitude": "-181"}, "Longitude must be between -180 and 180."),
        ({"radius_km": "-2"}, "The travel radius must be between 0.5 and 50 km."),
        ({"name": ""}, "Please give the area a name."),
        ({"latitude": "north"}, "Not a valid decimal value."),
    ],
)
def test_bad_area_input_gets_a_clear_message_and_changes_nothing(app, organizer, fields, message):
    before = count(app, Area)
    data = {"name": "Westbury", "latitude": "51.47", "longitude": "-2.63", "radius_km": "3"}
    response = submit(organizer, "/organize/areas/", {**data, **fields})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(app, Area) == before
    assert audit_actions(app) == []


def test_picking_a_point_on_the_map_fills_the_centre_without_saving(app, organizer):
    before = count(app, Area)
    response = submit(organizer, "/organize/areas/", {"name": "", "pick": "51.5,-2.6"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Centre set to 51.5, -2.6" in page
    assert 'value="51.50000"' in page and 'value="-2.60000"' in page
    assert count(app, Area) == before


def test_renaming_to_an_existing_name_is_refused(app, organizer):
    area_id = first_id(app, Area, Area.name == "Riverside")
    response = submit(
        organizer,
        f"/organize/areas/{area_id}",
        {"name": "Old Town", "latitude": "51.45", "longitude": "-2.6", "radius_km": "3"},
    )
    assert response.status_code == 422
    assert "There is already an area called \u201cOld Town\u201d" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Area, area_id).name == "Riverside"


def test_merging_areas_moves_members_and_opportunities(app, organizer, members):
    source = first_id(app, Area, Area.name == "Riverside")
    target = first_id(app, Area, Area.name == "Old Town")
    person = members.create(complete=True)
    move_to(app, person.id, source)
    with app.app_context():
        db.session.add(Opportunity(title="Choir", host="Choir", area_id=source, capacity=3))
        db.session.commit()
    response = submit(
        organizer,
        f"/organize/areas/{source}",
        {"target": str(target)},
        action=f"/organize/areas/{source}/merge",
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Profile, person.id).area_id == target
        choir = select(Opportunity.area_id).where(Opportunity.title == "Choir")
        assert db.session.execute(choir).scalar_one() == target
        assert db.session.get(Area, source).retired_at is not None
    assert audit_actions(app) == ["area.merge"]


def test_merging_an_area_into_itself_changes_nothing(app, members):
    with app.app_context():
        actor = db.session.get(User, members.create(role="organizer").id)
        area = db.session.execute(select(Area).limit(1)).scalar_one()
        with pytest.raises(ChangeRefused, match="merged into itself"):
            areas.merge_areas(actor, area, area)
        assert area.retired_at is None


def test_members_of_a_retired_area_are_asked_to_choose_another(app, organizer, members):
    area_id = first_id(app, Area, Area.name == "Greenway")
    person = members.create(complete=True)
    move_to(app, person.id, area_id)
    response = submit(
        organizer,
        f"/organize/areas/{area_id}",
        {},
        action=f"/organize/areas/{area_id}/retire",
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, person.id)
        assert user.profile.area_id is None
        assert profiles.next_step(user.profile) == "place"
        assert "Fill in \u201cWhere you are\u201d." in profiles.readiness(user).missing
        assert "Greenway" not in [a.name for a in profiles.active_areas()]


# Interests -----------------------------------------------------------------------------


def test_merging_interests_keeps_every_members_choice(app, organizer, members):
    with app.app_context():
        source = db.session.execute(select(Interest).where(Interest.name == "Hiking")).scalar_one()
        target = db.session.execute(select(Interest).where(Interest.name == "Walking")).scalar_one()
        source_id, target_id = source.id, target.id
    only_source = members.create(complete=True)
    both = members.create(complete=True)
    with app.app_context():
        src, tgt = db.session.get(Interest, source_id), db.session.get(Interest, target_id)
        db.session.get(Profile, only_source.id).interests = [src]
        db.session.get(Profile, both.id).interests = [src, tgt]
        db.session.commit()
    response = submit(
        organizer,
        f"/organize/interests/{source_id}",
        {"target": str(target_id)},
        action=f"/organize/interests/{source_id}/merge",
    )
    assert response.status_code == 302
    with app.app_context():
        for person in (only_source, both):
            names = [i.name for i in db.session.get(Profile, person.id).interests]
            assert names == ["Walking"]
        assert db.session.get(Interest, source_id).retired
        assert vocabulary.member_counts()[target_id] == 2
        assert source_id not in vocabulary.member_counts()
    assert audit_actions(app) == ["interest.merge"]


def test_merging_an_interest_into_itself_gets_a_message(app, organizer):
    interest_id = first_id(app, Interest)
    response = submit(
        organizer,
        f"/organize/interests/{interest_id}",
        {"target": str(interest_id)},
        action=f"/organize/interests/{interest_id}/merge",
        follow_redirects=True,
    )
    assert "can&#39;t be merged into itself" in response.get_data(as_text=True)
    with app.app_context():
        assert not db.session.get(Interest, interest_id).retired
    assert audit_actions(app) == []


def test_interests_are_added_renamed_grouped_and_retired(app, organizer):
    submit(organizer, "/organize/interests/", {"name": "Bell ringing", "category": "Music"})
    interest_id = first_id(app, Interest, Interest.name == "Bell ringing")
    duplicate = submit(organizer, "/organize/interests/", {"name": "bell ringing", "category": "X"})
    assert duplicate.status_code == 422
    assert "There is already an interest called" in duplicate.get_data(as_text=True)
    submit(
        organizer,
        f"/organize/interests/{interest_id}",
        {"name": "Change ringing", "category": "Traditions"},
    )
    submit(
        organizer,
        f"/organize/interests/{interest_id}",
        {},
        action=f"/organize/interests/{interest_id}/retire",
    )
    with app.app_context():
        interest = db.session.get(Interest, interest_id)
        assert (interest.name, interest.category, interest.retired) == (
            "Change ringing",
            "Traditions",
            True,
        )
        assert interest not in profiles.active_interests()
    assert audit_actions(app) == ["interest.create", "interest.update", "interest.retire"]


def test_interest_page_shows_how_many_members_hold_each(app, organizer, members):
    members.create(complete=True)
    members.create(complete=True)
    page = organizer.get("/organize/interests/").get_data(as_text=True)
    with app.app_context():
        counts = vocabulary.member_counts()
        held = db.session.execute(select(Interest).where(Interest.id.in_(counts))).scalars()
        for interest in held:
            assert interest.name in page
        assert set(counts.values()) == {2}


# Opportunities -------------------------------------------------------------------------


def opportunity_data(app, **fields) -> dict:
    area_id = first_id(app, Area)
    interest_id = first_id(app, Interest)
    data = {
        "title": "Reading buddies",
        "host": "Old Town Library",
        "description": "Read with a child once a week.",
        "area": str(area_id),
        "slots": ["2", "5"],
        "interests": [str(interest_id)],
        "capacity": "6",
        "min_comfort": "2",
        "contact": "library@example.org",
    }
    return {**data, **fields}


def test_organizer_creates_edits_and_closes_an_opportunity(app, organizer):
    response = submit(organizer, "/organize/opportunities/new", opportunity_data(app))
    assert response.status_code == 302
    opportunity_id = first_id(app, Opportunity)
    submit(
        organizer,
        f"/organize/opportunities/{opportunity_id}",
        opportunity_data(app, area="0", capacity="8"),
    )
    submit(
        organizer,
        "/organize/opportunities/",
        {},
        action=f"/organize/opportunities/{opportunity_id}/close",
    )
    with app.app_context():
        item = db.session.get(Opportunity, opportunity_id)
        assert item.area_id is None and item.capacity == 8 and item.slot_mask == 0b100100
        assert item.min_comfort == 2 and len(item.interests) == 1
        assert item.closed_at is not None
    assert audit_actions(app) == ["opportunity.create", "opportunity.update", "opportunity.close"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"capacity": "-3"}, "Capacity must be a whole number from 1 to 500."),
        ({"capacity": "0"}, "Capacity must be a whole number from 1 to 500."),
        ({"title": ""}, "Please give the opportunity a title."),
        ({"slots": []}, "Please tick at least one time it runs."),
        ({"area": "99999"}, "Please choose a place from the list."),
        ({"min_comfort": "9"}, "Not a valid choice"),
    ],
)
def test_bad_opportunity_input_changes_nothing(app, organizer, fields, message):
    response = submit(organizer, "/organize/opportunities/new", opportunity_data(app, **fields))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(app, Opportunity) == 0


def approved_match(app, kind: str, user_ids: list[int], status: str = "accepted", **fields) -> int:
    with app.app_context():
        round_ = MatchRound(
            kind=kind,
            status="approved",
            week_start=fields.pop("week_start", date.today() - timedelta(days=7)),
            min_size=2,
            max_size=12,
        )
        match = Match(round=round_, kind=kind, slot=1, format="in_person", **fields)
        db.session.add_all([round_, match])
        db.session.flush()
        for user_id in user_ids:
            db.session.add(MatchMember(match_id=match.id, user_id=user_id, status=status))
        db.session.commit()
        return match.id


def test_opportunity_list_shows_its_fill_rate(app, organizer, members):
    submit(organizer, "/organize/opportunities/new", opportunity_data(app, capacity="4"))
    opportunity_id = first_id(app, Opportunity)
    people = [members.create(complete=True).id for _ in range(3)]
    approved_match(app, "volunteering", people, opportunity_id=opportunity_id)
    page = organizer.get("/organize/opportunities/").get_data(as_text=True)
    assert "3 of 4" in page


# Members -------------------------------------------------------------------------------


def test_member_search_filters_and_pages_on_the_server(app, organizer, members):
    riverside = first_id(app, Area, Area.name == "Riverside")
    for _ in range(30):
        move_to(app, members.create(complete=True, wants_walks=True).id, riverside)
    unverified = members.create(verified=False, complete=True)
    with app.app_context():
        page = member_directory.search(MemberFilters(area_id=riverside), page=2, per_page=25)
        assert page.total == 30 and len(page.rows) == 5 and page.pages == 2
        assert member_directory.search(MemberFilters(verified="no")).total == 1
        found = member_directory.search(MemberFilters(q=unverified.email.upper()))
        assert [row.id for row in found.rows] == [unverified.id]
        assert member_directory.search(MemberFilters(last_matched="recent")).total == 0
    response = organizer.get(f"/organize/members/?area={riverside}&looking_for=walks&page=2")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Showing 26–30 of 30 members" in text and "Page 2 of 2" in text


def test_member_filters_ignore_nonsense(app, organizer):
    response = organizer.get("/organize/members/?area=abc&page=-4&verified=maybe&q=%00")
    assert response.status_code == 200


def test_member_filters_show_a_new_or_retired_interest_at_once(app, organizer):
    """The filter form's rendering is reused, but never past a change to the vocabulary."""
    assert "Sea swimming" not in organizer.get("/organize/members/").get_data(as_text=True)
    with app.app_context():
        actor = db.session.get(User, organizer.user_id)
        interest = vocabulary.add_interest(actor, name="Sea swimming", category="Outdoors")
        db.session.commit()
        interest_id = interest.id
    assert "Sea swimming" in organizer.get("/organize/members/").get_data(as_text=True)
    with app.app_context():
        actor = db.session.get(User, organizer.user_id)
        vocabulary.retire_interest(actor, db.session.get(Interest, interest_id))
        db.session.commit()
    assert "Sea swimming" not in organizer.get("/organize/members/").get_data(as_text=True)


def test_member_page_shows_comfort_only_with_consent(app, organizer, members):
    consented = members.create(complete=True)
    private = members.create(complete=True, consent_at=None, comfort=None, availability_mask=None)
    shown = organizer.get(f"/organize/members/{consented.id}").get_data(as_text=True)
    hidden = organizer.get(f"/organize/members/{private.id}").get_data(as_text=True)
    assert "3: I&#39;m happy in a group once I know one or two people" in shown
    assert "Monday morning" in shown
    assert "I&#39;m happy in a group" not in hidden and "Private" in hidden


def test_member_page_lists_matches_and_responses(app, organizer, members):
    person, friend = members.create(complete=True), members.create(complete=True)
    approved_match(app, "walks", [person.id, friend.id], status="declined")
    page = organizer.get(f"/organize/members/{person.id}").get_data(as_text=True)
    assert friend.display_name in page and "declined" in page and "Walks" in page


# Moderation ----------------------------------------------------------------------------


def open_report(app, reporter_id: int, reported_id: int) -> int:
    with app.app_context():
        report = Report(reporter_id=reporter_id, reported_user_id=reported_id, reason="Rude.")
        db.session.add(report)
        db.session.commit()
        return report.id


@pytest.mark.parametrize("outcome", ["dismissed", "warned", "suspended"])
def test_handled_report_keeps_the_pair_apart_whatever_the_outcome(app, organizer, members, outcome):
    reporter, reported = members.create(), members.create()
    report_id = open_report(app, reporter.id, reported.id)
    assert "Rude." in organizer.get("/organize/reports/").get_data(as_text=True)
    response = submit(organizer, f"/organize/reports/{report_id}", {"outcome": outcome})
    assert response.status_code == 302
    with app.app_context():
        report = db.session.get(Report, report_id)
        assert report.status == outcome and report.handled_by_id == organizer.user_id
        assert db.session.get(Block, (reporter.id, reported.id)) is not None
        assert frozenset((reporter.id, reported.id)) in moderation.pairs_kept_apart()
        assert db.session.get(User, reported.id).active is (outcome != "suspended")
        warnings = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.template == "moderation_warning")
        ).scalars()
        assert [m.recipient for m in warnings] == ([reported.email] if outcome == "warned" else [])
    actions = audit_actions(app)
    assert f"report.{outcome}" in actions
    assert ("member.suspend" in actions) is (outcome == "suspended")
    assert moderation.OUTCOMES  # the queue is empty again
    assert "Nothing waiting" in organizer.get("/organize/reports/").get_data(as_text=True)


def test_a_report_cannot_be_decided_twice(app, organizer, members):
    report_id = open_report(app, members.create().id, members.create().id)
    submit(organizer, f"/organize/reports/{report_id}", {"outcome": "dismissed"})
    response = submit(organizer, f"/organize/reports/{report_id}", {"outcome": "suspended"})
    page = response.get_data(as_text=True)
    assert "Your decision" not in page
    with app.app_context():
        assert db.session.get(Report, report_id).status == "dismissed"


def test_a_report_needs_a_decision(app, organizer, members):
    report_id = open_report(app, members.create().id, members.create().id)
    response = submit(organizer, f"/organize/reports/{report_id}", {"outcome": "banish"})
    assert response.status_code == 422
    assert count(app, Report, Report.status == "open") == 1


# Care view -----------------------------------------------------------------------------


def test_care_view_finds_the_long_unplaced_and_the_drained(app, organizer, members):
    waiting = members.create(complete=True)
    drained = members.create(complete=True)
    placed = members.create(complete=True)
    with app.app_context():
        for weeks in (4, 3, 2):
            db.session.add(
                MatchRound(
                    kind="groups",
                    status="approved",
                    week_start=date.today() - timedelta(weeks=weeks),
                    unplaced=[{"user_id": waiting.id, "reason": "No one nearby"}],
                )
            )
        db.session.commit()
    for days in (20, 10):
        match_id = approved_match(app, "groups", [drained.id, placed.id])
        with app.app_context():
            db.session.add(
                Feedback(
                    match_id=match_id,
                    user_id=drained.id,
                    met=True,
                    feeling="draining",
                    created_at=date.today() - timedelta(days=days),
                )
            )
            db.session.commit()
    with app.app_context():
        assert [(r.user.id, r.rounds) for r in long_unplaced()] == [(waiting.id, 3)]
        assert [r.user.id for r in drained_twice()] == [drained.id]
    page = organizer.get("/organize/care").get_data(as_text=True)
    assert waiting.display_name in page and drained.display_name in page


def test_one_placement_resets_the_unplaced_count(app, members):
    person = members.create(complete=True)
    with app.app_context():
        for weeks in (6, 5, 4):
            db.session.add(
                MatchRound(
                    kind="groups",
                    status="approved",
                    week_start=date.today() - timedelta(weeks=weeks),
                    unplaced=[{"user_id": person.id, "reason": "x"}],
                )
            )
        db.session.commit()
    approved_match(app, "groups", [person.id], week_start=date.today() - timedelta(weeks=1))
    with app.app_context():
        assert long_unplaced() == []


# Dashboard -----------------------------------------------------------------------------


def test_dashboard_draws_every_chart_from_demo_data(make_app):
    from community.demo.community import seed_demo

    app = make_app()
    with app.app_context():
        seed_demo(60)
        db.session.commit()
        admin_email = db.session.execute(
            select(User.email).where(User.role == "organizer")
        ).scalar_one()
        db.session.execute(
            db.update(User).where(User.email == admin_email).values(password_hash=admin_hash())
        )
        db.session.commit()
    client = app.test_client()
    login(client, admin_email, PASSWORD)
    page = client.get("/organize/dashboard").get_data(as_text=True)
    assert page.count('<svg class="chart-svg') == 6
    for slug in ("signups", "placed", "responses", "feelings", "unmatched", "comfort"):
        response = client.get(f"/organize/dashboard/{slug}.csv")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        lines = response.get_data(as_text=True).splitlines()
        assert len(lines) > 1
    assert "No data yet" not in page
    assert client.get("/organize/dashboard/nonsense.csv").status_code == 404


def admin_hash() -> str:
    from community.auth.passwords import hash_password

    return hash_password(PASSWORD)


def test_comfort_levels_appear_only_as_counts(app, organizer, members):
    for _ in range(3):
        members.create(complete=True)
    page = organizer.get("/organize/dashboard").get_data(as_text=True)
    assert "3 · once settled \u2014 3" in page  # the tooltip of the comfort chart


def test_member_interest_links_survive_merges_into_a_retired_interest_refusal(app, members):
    with app.app_context():
        actor = db.session.get(User, members.create(role="organizer").id)
        source, target = db.session.execute(select(Interest).limit(2)).scalars().all()
        target.retired = True
        with pytest.raises(ChangeRefused, match="is retired"):
            vocabulary.merge_interests(actor, source, target)
        assert db.session.execute(select(func.count()).select_from(member_interests)).scalar() == 0


def test_member_search_treats_wildcards_as_letters(app, organizer, members):
    members.create()
    with app.app_context():
        assert member_directory.search(MemberFilters(q="%")).total == 0
        assert member_directory.search(MemberFilters(q="_")).total == 0
        assert member_directory.search(MemberFilters(q="person")).total == 2


@pytest.mark.parametrize("outcome", ["dismissed", "warned", "suspended"])
def test_matching_rounds_keep_a_reported_pair_apart_and_leave_out_the_suspended(
    app, members, outcome
):
    from community.rounds.eligibility import eligible_query
    from community.rounds.pair_rules import avoid_pairs, ordered

    reporter, reported = members.create(complete=True), members.create(complete=True)
    report_id = open_report(app, reporter.id, reported.id)
    with app.app_context():
        actor = db.session.get(User, members.create(role="organizer").id)
        moderation.handle_report(actor, db.session.get(Report, report_id), outcome)
        db.session.commit()
        # Remove the report itself: the block added on handling must be enough.
        db.session.delete(db.session.get(Report, report_id))
        db.session.commit()
        assert ordered(reporter.id, reported.id) in avoid_pairs()
        week = date.today() + timedelta(days=14)
        eligible = {row[0] for row in db.session.execute(eligible_query("groups", [], week))}
        assert reporter.id in eligible
        assert (reported.id in eligible) is (outcome != "suspended")
