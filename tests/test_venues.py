"""Venues: an organizer adds, edits, retires and imports the places meetings happen.

Also the members' side: step-free and quiet-place needs, kept only with consent.
"""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from community.account.data_control import export_member_data, withdraw_consent
from community.catalogue import venues
from community.catalogue.venues import VenueDetails
from community.extensions import db
from community.members import profiles
from community.models import Area, AuditEntry, Profile, User
from community.models.venues import Venue
from community.organize.errors import ChangeRefused
from tests.conftest import csrf_token, login, submit
from tests.factories import PASSWORD

GOOD_CSV = (
    "name,address,latitude,longitude,area,kind,slots,capacity,step_free,quietness,"
    "walk_start,directions\n"
    "The Quiet Cup,12 Corn Street,51.4551,-2.5891,Old Town,cafe,Mon morning;Tue evening,2,"
    'no,quiet,no,"The round tables by the window, ask for the Kindred table"\n'
    "Riverside Library Room,3 Wharf Lane,,,Riverside,library_room,0;1;4,1,yes,Quiet,no,"
    "Ground floor\n"
    "Bandstand,Greenway Park,51.4352,-2.5701,greenway,Park meeting point,"
    "sat morning;Sunday afternoon,6,yes,lively,yes,\n"
)


def venue_form(area_id: int, **changes) -> dict:
    data = {
        "name": "The Quiet Cup",
        "address": "12 Corn Street, Old Town",
        "area": str(area_id),
        "latitude": "51.4551",
        "longitude": "-2.5891",
        "kind": "cafe",
        "slots": ["0", "5"],
        "capacity": "2",
        "step_free": "y",
        "quietness": "quiet",
        "directions": "The round tables by the window, ask for the Kindred table.",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def area_id(app, name: str = "Old Town") -> int:
    with app.app_context():
        return db.session.execute(select(Area.id).where(Area.name == name)).scalar_one()


def venue_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(Venue.id))).scalar_one()


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.execute(
                select(AuditEntry.action)
                .where(AuditEntry.target_type == "venues")
                .order_by(AuditEntry.id)
            ).scalars()
        )


@pytest.fixture
def organizer(app, members, client):
    person = members.create(role="organizer")
    login(client, person.email, PASSWORD)
    return person


def test_organizer_adds_edits_retires_and_brings_back_a_venue(app, client, organizer):
    old_town = area_id(app)
    response = submit(client, "/organize/venues/new", venue_form(old_town))
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get("/organize/venues/").get_data(as_text=True)
    assert "The Quiet Cup" in page and "Old Town" in page
    assert "Step-free" in page and "Quiet" in page and "Cafe" in page
    assert "Mornings Mon" in page and "Evenings Tue" in page

    with app.app_context():
        venue = db.session.execute(select(Venue)).scalar_one()
        assert venue.slots == {0, 5} and venue.capacity == 2 and venue.step_free
        assert venue.directions.startswith("The round tables")
        venue_id = venue.id

    response = submit(
        client,
        f"/organize/venues/{venue_id}",
        venue_form(old_town, name="The Quiet Cup (upstairs)", capacity="3", step_free=None),
    )
    assert response.status_code == 302
    with app.app_context():
        venue = db.session.get(Venue, venue_id)
        assert venue.name == "The Quiet Cup (upstairs)" and venue.capacity == 3
        assert not venue.step_free

    token = csrf_token(client.get("/organize/venues/").get_data(as_text=True))
    client.post(f"/organize/venues/{venue_id}/retire", data={"csrf_token": token})
    page = client.get("/organize/venues/").get_data(as_text=True)
    assert "Retired" in page and "Bring back" in page
    client.post(f"/organize/venues/{venue_id}/restore", data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(Venue, venue_id).retired_at is None

    assert audit_actions(app) == [
        "venue.create",
        "venue.update",
        "venue.retire",
        "venue.restore",
    ]
    with app.app_context():
        update = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "venue.update")
        ).scalar_one()
        assert update.before["capacity"] == 2 and update.after["capacity"] == 3
        assert update.actor_id == organizer.id


def test_use_the_area_centre_prefills_the_position_and_saves_nothing(app, client, organizer):
    riverside = area_id(app, "Riverside")
    data = venue_form(riverside, latitude="", longitude="", use_area_centre="1")
    response = submit(client, "/organize/venues/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="51.44900"' in page and 'value="-2.59800"' in page
    assert "Riverside&#39;s centre" in page or "Riverside's centre" in page
    assert venue_count(app) == 0


def test_retiring_twice_is_refused_with_a_message(app, organizer):
    with app.app_context():
        actor = db.session.get(User, organizer.id)
        venue = venues.create_venue(
            actor,
            VenueDetails(
                name="Hall",
                address="1 Road",
                latitude=51.45,
                longitude=-2.59,
                area_id=area_id(app),
                slots=[2],
            ),
        )
        venues.retire_venue(actor, venue)
        with pytest.raises(ChangeRefused, match="already retired"):
            venues.retire_venue(actor, venue)


def test_a_second_venue_with_the_same_name_in_an_area_is_refused(app, client, organizer):
    old_town = area_id(app)
    submit(client, "/organize/venues/new", venue_form(old_town))
    response = submit(client, "/organize/venues/new", venue_form(old_town, name="the quiet cup"))
    assert response.status_code == 422
    assert "already a venue called" in response.get_data(as_text=True)
    assert venue_count(app) == 1
    # The same name in another area is a different place.
    response = submit(
        client, "/organize/venues/new", venue_form(area_id(app, "Riverside"), name="The Quiet Cup")
    )
    assert response.status_code == 302


BAD_FORM_INPUT = [
    ({"name": "Rosa\x00Cafe"}, "single line"),
    ({"name": "x" * 5000}, "under 120"),
    ({"address": "1 Road\r\nBcc: all@example.org"}, "single line"),
    ({"name": "Cafe\nSecond line"}, "single line"),
    ({"latitude": "91"}, "Latitude must be between -90 and 90"),
    ({"longitude": "-180.5"}, "Longitude must be between -180 and 180"),
    ({"latitude": "NaN"}, "Latitude must be between -90 and 90"),
    ({"longitude": "inf"}, "Longitude must be between -180 and 180"),
    ({"latitude": "1e309"}, "Latitude must be between -90 and 90"),
    ({"latitude": "north"}, "latitude"),
    ({"capacity": "0"}, "Capacity must be a whole number from 1 to 50"),
    ({"capacity": "-1"}, "Capacity must be a whole number from 1 to 50"),
    ({"capacity": "9" * 400}, "Capacity must be a whole number from 1 to 50"),
    ({"kind": "castle"}, "Not a valid choice"),
    ({"quietness": "silent"}, "Not a valid choice"),
    ({"area": "99999"}, "Please choose an area from the list"),
    ({"area": "nowhere"}, "area"),
    ({"slots": ["21"]}, "isn&#39;t on the list"),
    ({"slots": []}, "at least one time"),
    ({"directions": "d" * 301}, "under 300 characters"),
    ({"directions": "Ring the bell\x07"}, "special characters"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_FORM_INPUT)
def test_bad_venue_input_is_explained_and_saves_nothing(app, client, organizer, changes, message):
    response = submit(client, "/organize/venues/new", venue_form(area_id(app), **changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page[:500]
    assert message.lower() in page.lower()
    assert 'name="name"' in page  # the form is shown again
    assert venue_count(app) == 0
    assert audit_actions(app) == []


def test_a_megabyte_of_text_is_refused_with_a_reason_not_a_crash(app, client, organizer):
    response = submit(client, "/organize/venues/new", venue_form(area_id(app), name="x" * 2**20))
    assert response.status_code == 413
    assert "too much" in response.get_data(as_text=True).lower()
    assert venue_count(app) == 0


def test_editing_with_bad_input_keeps_the_venue_as_it_was(app, client, organizer):
    old_town = area_id(app)
    submit(client, "/organize/venues/new", venue_form(old_town))
    with app.app_context():
        venue_id = db.session.execute(select(Venue.id)).scalar_one()
    response = submit(
        client, f"/organize/venues/{venue_id}", venue_form(old_town, name="New", capacity="0")
    )
    assert response.status_code == 422
    with app.app_context():
        venue = db.session.get(Venue, venue_id)
        assert venue.name == "The Quiet Cup" and venue.capacity == 2
    assert audit_actions(app) == ["venue.create"]


def test_the_service_refuses_what_the_form_would(app, organizer):
    good = dict(
        name="Hall", address="1 Road", latitude=51.45, longitude=-2.59, slots=[2], capacity=1
    )
    with app.app_context():
        actor = db.session.get(User, organizer.id)
        good["area_id"] = db.session.execute(select(Area.id).limit(1)).scalar_one()
        for bad in (
            {"latitude": float("nan")},
            {"longitude": float("inf")},
            {"capacity": 0},
            {"capacity": True},
            {"kind": "castle"},
            {"area_id": 99999},
            {"name": "a\x00b"},
            {"address": "a\r\nb"},
            {"slots": [30]},
        ):
            with pytest.raises(ChangeRefused):
                venues.create_venue(actor, VenueDetails(**{**good, **bad}))
        db.session.rollback()
        assert db.session.execute(select(func.count(Venue.id))).scalar_one() == 0


def upload(client, content: bytes, filename: str = "venues.csv"):
    page = client.get("/organize/venues/import").get_data(as_text=True)
    return client.post(
        "/organize/venues/import",
        data={"csrf_token": csrf_token(page), "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def test_csv_import_adds_every_venue_of_a_good_file(app, client, organizer):
    response = upload(client, GOOD_CSV.encode())
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        rows = {v.name: v for v in db.session.execute(select(Venue)).scalars()}
        assert set(rows) == {"The Quiet Cup", "Riverside Library Room", "Bandstand"}
        library = rows["Riverside Library Room"]
        riverside = db.session.get(Area, library.area_id)
        # Blank coordinates: the area's centre.
        assert (library.latitude, library.longitude) == (riverside.latitude, riverside.longitude)
        assert library.step_free and library.quietness == "quiet" and library.slots == {0, 1, 4}
        bandstand = rows["Bandstand"]
        assert bandstand.walk_start and bandstand.kind == "park_meeting_point"
        assert bandstand.slots == {15, 19} and bandstand.capacity == 6
        assert rows["The Quiet Cup"].directions.startswith("The round tables by the window")
    assert audit_actions(app) == ["venue.import"] * 3
    assert "3 venues imported" in client.get("/organize/venues/").get_data(as_text=True)


def test_csv_import_with_bad_lines_lists_each_and_imports_nothing(app, client, organizer):
    header, *rows = GOOD_CSV.splitlines()
    bad = "\n".join(
        [
            header,
            rows[0],  # line 2: fine
            "Nowhere Cafe,1 Road,51.4,-2.5,Atlantis,cafe,Mon morning,1,no,quiet,no,",  # 3
            "Zero Hall,1 Road,51.4,-2.5,Old Town,cafe,Mon morning,0,no,quiet,no,",  # 4
            "Far Hall,1 Road,95,-2.5,Old Town,cafe,Mon morning,1,no,quiet,no,",  # 5
            "Nan Hall,1 Road,nan,-2.5,Old Town,cafe,Mon morning,1,no,quiet,no,",  # 6
            "Castle,1 Road,51.4,-2.5,Old Town,castle,Mon morning,1,no,quiet,no,",  # 7
            "Late Hall,1 Road,51.4,-2.5,Old Town,cafe,Mon midnight,1,no,quiet,no,",  # 8
            "Short,line",  # 9
            rows[0],  # 10: the same venue again
            "Neg Hall,1 Road,51.4,-2.5,Old Town,cafe,Mon morning,-1,maybe,quiet,no,",  # 11
        ]
    )
    response = upload(client, bad.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was imported: 9 lines need another look." in page
    for line, reason in [
        (3, "Atlantis"),
        (4, "Capacity is how many groups"),
        (5, "Latitude must be a number between -90 and 90"),
        (6, "latitude: please give a real number"),
        (7, "castle"),
        (8, "Mon midnight"),
        (9, "This line has 2 columns"),
        (10, "is already on line 2"),
        (11, "Capacity is how many groups"),
    ]:
        assert f'<th scope="row">{line}</th><td>' in page, line
        assert reason in page.replace("&#34;", '"').replace("&#39;", "'"), reason
    assert venue_count(app) == 0
    assert audit_actions(app) == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "The file is empty"),
        (b"name,address\nCafe,1 Road\n", "The first line must be exactly"),
        (GOOD_CSV.encode().replace(b"Corn", b"Co\x00rn"), "NUL bytes"),
        (b"\xff\xfe\x00n\x00a", "isn&#39;t UTF-8"),
        (GOOD_CSV.splitlines()[0].encode() + b"\n", "no venues"),
        (
            GOOD_CSV.encode().replace(b"12 Corn Street", b'"12 Corn\r\nStreet"'),
            "single line",
        ),
        (GOOD_CSV.encode().replace(b"The Quiet Cup", b"Q" * 200), "under 120 characters"),
    ],
)
def test_csv_import_refuses_broken_files_with_a_reason(app, client, organizer, content, reason):
    response = upload(client, content)
    assert response.status_code == 422
    assert reason in response.get_data(as_text=True)
    assert venue_count(app) == 0


def test_csv_import_wants_a_csv_file(app, client, organizer):
    response = upload(client, GOOD_CSV.encode(), filename="venues.xlsx")
    assert response.status_code == 422
    assert "ending in .csv" in response.get_data(as_text=True)
    page = client.get("/organize/venues/import").get_data(as_text=True)
    response = client.post("/organize/venues/import", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 422
    assert "Please choose a .csv file" in response.get_data(as_text=True)
    assert venue_count(app) == 0


def test_a_file_over_the_upload_limit_is_refused_with_a_reason(app, client, organizer):
    # The multipart body is built by hand: the test client would spool a body this big to
    # a temporary file it never closes.
    token = csrf_token(client.get("/organize/venues/import").get_data(as_text=True))
    body = (
        b'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        + token.encode()
        + b'\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="v.csv"\r\n'
        + b"Content-Type: text/csv\r\n\r\n"
        + GOOD_CSV.encode()
        + b"x" * 2**20
        + b"\r\n--b--\r\n"
    )
    response = client.post(
        "/organize/venues/import",
        input_stream=io.BytesIO(body),
        content_length=len(body),
        content_type="multipart/form-data; boundary=b",
    )
    assert response.status_code == 413
    assert "too much" in response.get_data(as_text=True).lower()
    assert venue_count(app) == 0


def test_members_cannot_open_the_venue_pages_and_visitors_must_log_in(app, members):
    anonymous = app.test_client()
    response = anonymous.get("/organize/venues/")
    assert response.status_code == 302 and "/login" in response.location
    member = members.create()
    client = app.test_client()
    login(client, member.email, PASSWORD)
    for path in ("/organize/venues/", "/organize/venues/new", "/organize/venues/import"):
        assert client.get(path).status_code == 403
    assert client.post("/organize/venues/new", data={}).status_code in (400, 403)


def test_venue_posts_need_the_csrf_token(app, client, organizer):
    response = client.post("/organize/venues/new", data=venue_form(area_id(app)))
    assert response.status_code in (400, 422)
    assert venue_count(app) == 0


def test_the_organizer_nav_links_to_venues(app, client, organizer):
    page = client.get("/organize/dashboard").get_data(as_text=True)
    assert 'href="/organize/venues/"' in page


# --- members' access needs ---------------------------------------------------------------


def meeting_step(**changes) -> dict:
    data = {
        "consent": "y",
        "comfort": "2",
        "setting": "small",
        "format": "in_person",
        "looking_for": ["groups"],
        "needs_step_free": "y",
        "prefers_quiet": "y",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def profile_of(app, user) -> Profile:
    with app.app_context():
        profile = db.session.get(Profile, user.id)
        db.session.expunge(profile)
        return profile


def test_step_free_and_quiet_needs_are_stored_with_consent_and_exported(app, members):
    member = members.create()
    client = app.test_client()
    login(client, member.email, PASSWORD)
    page = client.get("/profile/meeting").get_data(as_text=True)
    assert "I need step-free access" in page and "I prefer quiet places" in page
    response = submit(client, "/profile/meeting", meeting_step())
    assert response.status_code == 302
    profile = profile_of(app, member)
    assert profile.needs_step_free and profile.prefers_quiet
    # The form remembers them.
    page = client.get("/profile/meeting").get_data(as_text=True)
    assert page.count("checked") >= 4
    with app.app_context():
        exported = export_member_data(db.session.get(User, member.id))["profile"]
    assert exported["needs_step_free"] is True and exported["prefers_quiet"] is True
    download = client.get("/account/export")
    if download.status_code == 200 and download.is_json:
        assert json.loads(download.get_data())["profile"]["needs_step_free"] is True


def test_without_consent_access_needs_are_not_kept(app, members):
    member = members.create()
    client = app.test_client()
    login(client, member.email, PASSWORD)
    submit(client, "/profile/meeting", meeting_step(consent=None, comfort=None))
    profile = profile_of(app, member)
    assert profile.consent_at is None
    assert not profile.needs_step_free and not profile.prefers_quiet


def test_withdrawing_consent_clears_access_needs(app, members):
    member = members.create()
    with app.app_context():
        user = db.session.get(User, member.id)
        profiles.save_meeting(
            user.profile,
            consent=True,
            comfort=2,
            setting="small",
            format="in_person",
            looking_for=["groups"],
            needs_step_free=True,
            prefers_quiet=True,
        )
        db.session.commit()
        withdraw_consent(user)
        db.session.commit()
        assert not user.profile.needs_step_free and not user.profile.prefers_quiet
        assert user.profile.comfort is None
        exported = export_member_data(user)["profile"]
        assert exported["needs_step_free"] is False and exported["prefers_quiet"] is False


# --- the demo ------------------------------------------------------------------------------


def test_the_demo_seeds_four_kinds_of_venue_in_every_neighbourhood(app):
    from community.demo.community import seed_demo

    with app.app_context():
        seed_demo(30)
        db.session.commit()
        areas = list(db.session.execute(select(Area)).scalars())
        assert len(areas) == 6
        for area in areas:
            here = list(db.session.execute(select(Venue).where(Venue.area_id == area.id)).scalars())
            kinds = {v.kind for v in here}
            assert kinds == {"cafe", "library_room", "community_centre", "park_meeting_point"}
            assert any(v.kind == "cafe" and v.quietness == "quiet" for v in here)
            assert any(v.kind == "library_room" and v.step_free for v in here)
            assert any(v.walk_start for v in here)
            assert all(v.address and v.directions and v.slot_mask and v.capacity for v in here)
            # Some venue is open at every weekly slot, so no meeting lacks a place.
            assert sum(1 << s for v in here for s in v.slots) and all(
                any(s in v.slots for v in here) for s in range(21)
            )
