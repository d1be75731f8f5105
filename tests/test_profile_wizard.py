"""The profile wizard: each step saved as it is completed, bad input kept and explained."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import Area, Interest, User
from tests.conftest import login, submit
from tests.factories import PASSWORD


@pytest.fixture
def member_client(app, members):
    member = members.create()
    client = app.test_client()
    login(client, member.email, PASSWORD)
    client.member_id = member.id
    return client


def ids(app, model, count=3):
    with app.app_context():
        return [row.id for row in db.session.execute(select(model).limit(count)).scalars()]


def profile_of(app, client):
    with app.app_context():
        user = db.session.get(User, client.member_id)
        profile = user.profile
        # Load what the assertions read while the session is open.
        _ = (profile.interests, profile.area)
        db.session.expunge_all()
        return profile


GOOD_MEETING = {
    "consent": "y",
    "comfort": "2",
    "setting": "small",
    "format": "in_person",
    "looking_for": ["groups", "walks"],
}


def fill_whole_wizard(app, client):
    area_id = ids(app, Area, 1)[0]
    steps = [
        ("interests", {"interests": ids(app, Interest, 4)}),
        ("meeting", GOOD_MEETING),
        ("availability", {"consent": "y", "slots": ["2", "5", "17"]}),
        (
            "place",
            {
                "area": str(area_id),
                "max_km": "3",
                "pace": "gentle",
                "languages": ["English", "Polish"],
                "other_languages": "Gaelic",
            },
        ),
        ("about", {"about_me": "New to the area, fond of long walks."}),
    ]
    responses = [submit(client, f"/profile/{step}", data) for step, data in steps]
    return responses


def test_member_fills_the_wizard_and_home_shows_a_complete_profile(app, member_client):
    responses = fill_whole_wizard(app, member_client)
    assert [r.status_code for r in responses] == [302] * 5
    assert responses[-1].location.endswith("/home")

    profile = profile_of(app, member_client)
    assert len(profile.interests) == 4
    assert profile.comfort == 2 and profile.setting == "small" and profile.format == "in_person"
    assert profile.wants_groups and profile.wants_walks and not profile.wants_volunteering
    assert profile.availability_slots == {2, 5, 17}
    assert profile.max_km == 3 and profile.pace == "gentle"
    assert profile.language_list == ["English", "Polish", "Gaelic"]
    assert profile.about_me == "New to the area, fond of long walks."

    home = member_client.get("/home").get_data(as_text=True)
    assert "100% complete" in home
    assert "You&#39;re all set" in home or "You're all set" in home


def test_leaving_half_way_keeps_the_steps_already_saved(app, member_client):
    interest_ids = ids(app, Interest, 2)
    submit(member_client, "/profile/interests", {"interests": interest_ids})
    submit(member_client, "/profile/meeting", GOOD_MEETING)

    profile = profile_of(app, member_client)
    assert sorted(i.id for i in profile.interests) == sorted(interest_ids)
    assert profile.completed_steps == {"interests", "meeting"}

    home = member_client.get("/home").get_data(as_text=True)
    assert "Continue my profile" in home and 'href="/profile/availability"' in home
    page = member_client.get("/profile/interests").get_data(as_text=True)
    for interest_id in interest_ids:
        assert f'value="{interest_id}" checked' in page


def test_editing_a_step_later_shows_what_was_saved(app, member_client):
    fill_whole_wizard(app, member_client)
    page = member_client.get("/profile/meeting").get_data(as_text=True)
    assert (
        'value="small" checked' in page
        or 'checked id="setting-1"' in page
        or ('id="setting-1" name="setting" type="radio" value="small"' in page)
    )
    response = submit(member_client, "/profile/meeting", {**GOOD_MEETING, "comfort": "4"})
    assert response.status_code == 302
    assert profile_of(app, member_client).comfort == 4


@pytest.mark.parametrize(
    ("step", "data", "message"),
    [
        ("interests", {"interests": []}, "at least one interest"),
        ("interests", {"interests": ["999999"]}, "isn&#39;t on the list"),
        ("interests", {"interests": ["gardening"]}, "isn&#39;t on the list"),
        ("meeting", {**GOOD_MEETING, "comfort": "9"}, "one of the five levels"),
        ("meeting", {**GOOD_MEETING, "comfort": "calm"}, "Invalid Choice"),
        ("meeting", {**GOOD_MEETING, "comfort": ""}, "comfort level that sounds most like you"),
        ("meeting", {**GOOD_MEETING, "setting": "crowd"}, "Not a valid choice"),
        ("meeting", {**GOOD_MEETING, "looking_for": []}, "at least one thing"),
        ("meeting", {**GOOD_MEETING, "looking_for": ["parties"]}, "isn&#39;t on the list"),
        ("availability", {"consent": "y", "slots": ["21"]}, "isn&#39;t on the list"),
        ("availability", {"consent": "y", "slots": []}, "at least one time"),
        ("place", {"area": "424242", "max_km": "3"}, "neighbourhood from the list"),
        ("place", {"area": "AREA", "max_km": "200"}, "between 0.5 and 50 km"),
        ("place", {"area": "AREA", "max_km": "far"}, "Not a valid decimal"),
        ("place", {"area": "AREA", "max_km": "3", "pace": "sprint"}, "Not a valid choice"),
        ("place", {"area": "AREA", "max_km": "3", "other_languages": "a\r\nb"}, "single line"),
        ("about", {"about_me": "x" * 10_000}, "under 500 characters"),
        ("about", {"about_me": "hello\x00there"}, "special characters"),
    ],
)
def test_bad_answers_get_a_message_and_change_nothing(app, member_client, step, data, message):
    fill_whole_wizard(app, member_client)
    before = profile_of(app, member_client)
    area_id = ids(app, Area, 1)[0]
    data = {k: (str(area_id) if v == "AREA" else v) for k, v in data.items()}

    response = submit(member_client, f"/profile/{step}", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert "Nothing on this step was saved yet" in page

    after = profile_of(app, member_client)
    assert [i.id for i in after.interests] == [i.id for i in before.interests]
    for field in (
        "comfort",
        "setting",
        "format",
        "availability_mask",
        "area_id",
        "max_km",
        "pace",
        "languages",
        "about_me",
    ):
        assert getattr(after, field) == getattr(before, field), field


def test_a_typed_answer_is_kept_when_another_field_is_wrong(app, member_client):
    response = submit(
        member_client,
        "/profile/place",
        {"area": "0", "max_km": "7", "other_languages": "Tagalog"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Tagalog"' in page and 'value="7"' in page


def test_without_consent_comfort_and_availability_are_not_stored(app, member_client):
    meeting = {**GOOD_MEETING}
    del meeting["consent"]
    assert submit(member_client, "/profile/meeting", meeting).status_code == 302
    assert submit(member_client, "/profile/availability", {"slots": ["3"]}).status_code == 302
    profile = profile_of(app, member_client)
    assert profile.consent_at is None
    assert profile.comfort is None and profile.availability_mask is None
    assert profile.setting == "small"
    home = member_client.get("/home").get_data(as_text=True)
    assert "Allow us to store your comfort level" in home


def test_withdrawing_consent_deletes_comfort_and_availability(app, member_client):
    fill_whole_wizard(app, member_client)
    assert submit(member_client, "/profile/availability", {"slots": ["3"]}).status_code == 302
    profile = profile_of(app, member_client)
    assert profile.consent_at is None and profile.comfort is None
    assert profile.availability_mask is None


def test_consent_is_unticked_until_the_member_ticks_it(member_client):
    page = member_client.get("/profile/meeting").get_data(as_text=True)
    assert 'id="consent" name="consent" type="checkbox" value="y">' in page


def test_member_pauses_matching_and_resumes(app, member_client):
    fill_whole_wizard(app, member_client)
    until = date.today() + timedelta(days=10)
    response = submit(member_client, "/home", {"paused_until": until.isoformat()}, action="/pause")
    assert response.status_code == 302
    home = member_client.get("/home").get_data(as_text=True)
    assert "Matching is paused until" in home
    assert profile_of(app, member_client).paused_until == until

    submit(member_client, "/home", {}, action="/resume")
    assert profile_of(app, member_client).paused_until is None
    assert "You're all set" in member_client.get("/home").get_data(as_text=True)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2000-01-01", "a date after today"),
        ("2999-01-01", "within the next year"),
        ("next tuesday", "Not a valid date value"),
    ],
)
def test_pausing_with_a_bad_date_explains_why(app, member_client, value, message):
    response = submit(member_client, "/home", {"paused_until": value}, action="/pause")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert profile_of(app, member_client).paused_until is None


def test_unknown_step_is_not_found(member_client):
    assert member_client.get("/profile/secrets").status_code == 404


def test_profile_pages_need_a_login(client):
    for path in ("/home", "/profile/interests", "/profile/about"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location


def test_staff_made_without_a_profile_get_one_on_their_home_page(app, members):
    from community.models import Profile

    organizer = members.create(role="organizer")
    with app.app_context():
        db.session.delete(db.session.get(Profile, organizer.id))
        db.session.commit()
    client = app.test_client()
    login(client, organizer.email, PASSWORD)
    assert client.get("/home").status_code == 200
    assert client.get("/profile/interests").status_code == 200


def test_home_lists_the_members_interests_by_name(app, members):
    member = members.create(complete=True)
    with app.app_context():
        names = [i.name for i in db.session.get(User, member.id).profile.interests]
    client = app.test_client()
    login(client, member.email, PASSWORD)
    home = client.get("/home").get_data(as_text=True)
    assert f"You enjoy: {', '.join(names)}." in home.replace("&#39;", "'")
