"""What members are told about where they meet: the venue, its address and how to find
it (or the online room), in the invitation, the reminder and the calendar file; what a
change or cancellation sends; and the meeting page of those going, with its notes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import vobject
from icalendar import Calendar
from sqlalchemy import select

from community.admin import moderation
from community.extensions import db
from community.invitations.changes import MeetingChangeRefused, cancel_meeting, change_meeting
from community.invitations.meeting_notes import NoteRefused, clean_note
from community.invitations.reminders import send_reminders
from community.invitations.sending import queue_round_invitations
from community.mail.delivery import send_pending_mail
from community.models import (
    Area,
    AuditEntry,
    Match,
    MatchMember,
    MatchRound,
    MeetingNote,
    Report,
    User,
    Venue,
    utcnow,
)
from community.rounds.schedule import meeting_time, new_nonce
from tests.conftest import login, submit
from tests.factories import PASSWORD
from tests.round_helpers import future_monday, organizer

NAMES = ("Ada Lovelace", "Ben Okafor", "Cara Diaz", "Dev Patel")
VENUE = {
    "name": "Riverside Library, Room 2",
    "address": "12 Mill Lane, Riverside RS1 4AB",
    "directions": "Through the main doors, up the ramp, second door on the left.",
}
ROOM = "https://meet.example.org/kindred-walnut-42"


def make_meeting(app, members, *, online: bool = False) -> dict:
    """An approved group of four with a venue (or an online room), invitations sent."""
    people = [members.create(complete=True) for _ in NAMES]
    boss = organizer(members)
    with app.test_request_context():
        for person, name in zip(people, NAMES, strict=True):
            db.session.get(User, person.id).display_name = name
        area = db.session.execute(select(Area).limit(1)).scalar_one()
        venue = None
        if not online:
            venue = Venue(
                **VENUE,
                latitude=51.5072,
                longitude=-0.1276,
                area=area,
                kind="library_room",
                slot_mask=0b111,
                capacity=2,
                step_free=True,
                quietness="quiet",
            )
        other = Venue(
            name="Mill Lane Cafe",
            address="3 Mill Lane, Riverside RS1 4AA",
            latitude=51.51,
            longitude=-0.13,
            area=area,
            kind="cafe",
            step_free=False,
            quietness="lively",
            directions="The blue door next to the bakery.",
        )
        round_ = MatchRound(
            kind="groups",
            status="approved",
            week_start=future_monday(),
            min_size=4,
            max_size=4,
            approved_at=utcnow(),
        )
        match = Match(
            round=round_,
            kind="group",
            status="active",
            slot=0,
            format="online" if online else "in_person",
            area=area,
            venue=venue,
            room_url=ROOM if online else "",
            meeting_at=meeting_time(future_monday(), 0),
            reason="You all enjoy the same things.",
        )
        for person in people:
            match.members.append(
                MatchMember(
                    user_id=person.id,
                    status="invited",
                    token_nonce=new_nonce(),
                    invited_at=utcnow(),
                )
            )
        db.session.add_all([round_, match, other])
        db.session.flush()
        queue_round_invitations(round_.id)
        db.session.commit()
        send_pending_mail()
        return {
            "people": people,
            "organizer": boss,
            "match_id": match.id,
            "round_id": round_.id,
            "other_venue_id": other.id,
            "meeting_at": match.meeting_at,
        }


def calendars(mail) -> list[bytes]:
    return [
        part.get_payload(decode=True)
        for part in mail.message.walk()
        if part.get_content_type() == "text/calendar"
    ]


def both_parsers(data: bytes):
    """The event as icalendar and as vobject (an independent parser) read it."""
    calendar = Calendar.from_ical(data)
    [event] = calendar.walk("VEVENT")
    other = vobject.readOne(data.decode())
    return calendar, event, other


def answer(app, user_id: int, status: str) -> None:
    with app.app_context():
        seat = db.session.execute(
            select(MatchMember).where(MatchMember.user_id == user_id)
        ).scalar_one()
        seat.status = status
        seat.responded_at = utcnow()
        db.session.commit()


def test_invitation_names_the_venue_its_address_and_how_to_find_it(app, members, mail_sink):
    made = make_meeting(app, members)
    [mail] = mail_sink.to(made["people"][0].email)
    for body in (mail.text, mail.html):
        assert VENUE["name"] in body
        assert VENUE["address"] in body
        assert "How to find us" in body and "up the ramp, second door on the left" in body
        assert "Step-free access" in body and "Quiet: easy to hear each other" in body
    assert "\nWhere: In " not in mail.text  # never the neighbourhood alone
    [data] = calendars(mail)
    calendar, event, other = both_parsers(data)
    uid = f"match-{made['match_id']}@"
    assert calendar["method"] == "REQUEST" and other.method.value == "REQUEST"
    assert str(event["uid"]).startswith(uid) and other.vevent.uid.value.startswith(uid)
    assert event["sequence"] == 0 and int(other.vevent.sequence.value) == 0
    location = f"{VENUE['name']}, {VENUE['address']}"
    assert str(event["location"]) == location and other.vevent.location.value == location
    assert (event["geo"].latitude, event["geo"].longitude) == (51.5072, -0.1276)
    assert other.vevent.geo.value.split(";") == ["51.5072", "-0.1276"]
    attendee = f"mailto:{made['people'][0].email}"
    assert str(event["attendee"]) == attendee and other.vevent.attendee.value == attendee
    assert "url" not in event


def test_online_invitation_gives_the_room_link_and_how_to_join(app, members, mail_sink):
    made = make_meeting(app, members, online=True)
    [mail] = mail_sink.to(made["people"][1].email)
    for body in (mail.text, mail.html):
        assert ROOM in body
        assert "a few minutes early" in body and "No account" in body
    [data] = calendars(mail)
    calendar, event, other = both_parsers(data)
    assert str(event["url"]) == ROOM and other.vevent.url.value == ROOM
    assert ROOM in str(event["location"]) and ROOM in other.vevent.location.value
    assert "geo" not in event and not hasattr(other.vevent, "geo")


def test_day_before_reminder_repeats_the_place_and_how_to_find_it(app, members, mail_sink):
    made = make_meeting(app, members)
    answer(app, made["people"][0].id, "accepted")
    with app.test_request_context():
        send_reminders(now=made["meeting_at"] - timedelta(hours=20))
        db.session.commit()
        send_pending_mail()
    [reminder] = [m for m in mail_sink.to(made["people"][0].email) if "tomorrow" in m.subject]
    for body in (reminder.text, reminder.html):
        assert VENUE["name"] in body and VENUE["address"] in body
        assert "second door on the left" in body
    [data] = calendars(reminder)
    _, event, other = both_parsers(data)
    assert event["sequence"] == 0 and other.vevent.geo.value == "51.5072;-0.1276"


def test_a_reminder_after_a_change_says_where_the_meeting_is_now(app, members, mail_sink):
    made = make_meeting(app, members)
    answer(app, made["people"][0].id, "accepted")
    day_before = made["meeting_at"] - timedelta(hours=20)
    with app.test_request_context():
        assert send_reminders(now=day_before)["day_before"] == 1
        match = db.session.get(Match, made["match_id"])
        venue = db.session.get(Venue, made["other_venue_id"])
        change_meeting(match, venue=venue, actor=db.session.get(User, made["organizer"].id))
        db.session.commit()
        assert send_reminders(now=day_before + timedelta(hours=1))["day_before"] == 1
        assert send_reminders(now=day_before + timedelta(hours=2))["day_before"] == 0
        db.session.commit()
        send_pending_mail()
    reminders = [m for m in mail_sink.to(made["people"][0].email) if "tomorrow" in m.subject]
    assert [("Mill Lane Cafe" in m.text) for m in reminders] == [False, True]


def test_a_change_updates_the_same_event_with_a_higher_sequence(app, members, mail_sink):
    made = make_meeting(app, members)
    ada, ben, cara, dev = made["people"]
    answer(app, ada.id, "accepted")
    answer(app, dev.id, "declined")
    first_uid = str(both_parsers(calendars(mail_sink.to(ada.email)[0])[0])[1]["uid"])
    later = made["meeting_at"] + timedelta(days=1, hours=2)
    with app.test_request_context():
        match = db.session.get(Match, made["match_id"])
        venue = db.session.get(Venue, made["other_venue_id"])
        boss = db.session.get(User, made["organizer"].id)
        assert change_meeting(match, venue=venue, meeting_at=later, actor=boss) == 3
        db.session.commit()
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "match.change")
        ).scalar_one()
        assert entry.before["calendar_sequence"] == 0 and entry.after["calendar_sequence"] == 1
        send_pending_mail()
    assert not [m for m in mail_sink.to(dev.email) if "changed" in m.subject]
    for person in (ada, ben, cara):
        [mail] = [m for m in mail_sink.to(person.email) if "changed" in m.subject]
        assert "Mill Lane Cafe" in mail.text and "3 Mill Lane" in mail.text
        assert "the place and the time" in mail.text
        assert "The blue door next to the bakery." in mail.text
        assert "Not step-free" in mail.text
        calendar, event, other = both_parsers(calendars(mail)[0])
        assert calendar["method"] == "REQUEST" and other.method.value == "REQUEST"
        assert str(event["uid"]) == first_uid == other.vevent.uid.value
        assert event["sequence"] == 1 and int(other.vevent.sequence.value) == 1
        assert event.decoded("dtstart") == later
        assert other.vevent.dtstart.value == later
    [ada_mail] = [m for m in mail_sink.to(ada.email) if "changed" in m.subject]
    assert f"/connections/{made['match_id']}/meeting" in ada_mail.text
    assert "/accept" in [m for m in mail_sink.to(ben.email) if "changed" in m.subject][0].text
    # A second change mails again, one sequence higher.
    with app.test_request_context():
        match = db.session.get(Match, made["match_id"])
        change_meeting(
            match, meeting_at=later + timedelta(hours=1), actor=db.session.get(User, ada.id)
        )
        db.session.commit()
        send_pending_mail()
    changes = [m for m in mail_sink.to(ben.email) if "changed" in m.subject]
    assert [both_parsers(calendars(m)[0])[1]["sequence"] for m in changes] == [1, 2]


def test_a_cancellation_sends_method_cancel_to_those_invited_or_going(app, members, mail_sink):
    made = make_meeting(app, members)
    ada, _, _, dev = made["people"]
    answer(app, ada.id, "accepted")
    answer(app, dev.id, "declined")
    with app.test_request_context():
        match = db.session.get(Match, made["match_id"])
        assert cancel_meeting(match, actor=db.session.get(User, made["organizer"].id)) == 3
        db.session.commit()
        assert match.status == "cancelled" and match.calendar_sequence == 1
        with pytest.raises(MeetingChangeRefused, match="already cancelled"):
            cancel_meeting(match, actor=db.session.get(User, made["organizer"].id))
        send_pending_mail()
    assert not [m for m in mail_sink.to(dev.email) if "cancelled" in m.subject]
    [mail] = [m for m in mail_sink.to(ada.email) if "cancelled" in m.subject]
    assert VENUE["name"] in mail.text
    calendar, event, other = both_parsers(calendars(mail)[0])
    assert calendar["method"] == "CANCEL" and other.method.value == "CANCEL"
    assert event["status"] == "CANCELLED" and other.vevent.status.value == "CANCELLED"
    assert event["sequence"] == 1 and str(event["uid"]).startswith(f"match-{made['match_id']}@")


def test_a_change_that_changes_nothing_or_goes_back_in_time_is_refused(app, members):
    made = make_meeting(app, members)
    with app.test_request_context():
        match = db.session.get(Match, made["match_id"])
        boss = db.session.get(User, made["organizer"].id)
        with pytest.raises(MeetingChangeRefused, match="Nothing changed"):
            change_meeting(match, venue=match.venue, actor=boss)
        with pytest.raises(MeetingChangeRefused, match="future"):
            change_meeting(match, meeting_at=utcnow() - timedelta(hours=1), actor=boss)
        with pytest.raises(MeetingChangeRefused, match="room link"):
            change_meeting(match, room_url=ROOM, actor=boss)


def test_organizer_changes_and_cancels_from_the_round_page(app, members, mail_sink):
    made = make_meeting(app, members)
    member = app.test_client()
    login(member, made["people"][0].email, PASSWORD)
    client = app.test_client()
    login(client, made["organizer"].email, PASSWORD)
    page = f"/organize/rounds/{made['round_id']}"
    html = client.get(page).get_data(as_text=True)
    assert "Change place or time" in html and "Mill Lane Cafe" in html
    action = f"/organize/meetings/{made['match_id']}/change"
    assert client.post(action, data={"venue": made["other_venue_id"]}).status_code == 400
    assert submit(member, "/connections/", {}, action=action).status_code == 403
    done = submit(client, page, {"venue": made["other_venue_id"], "meeting_at": ""}, action=action)
    assert done.status_code == 302 and f"#meeting-{made['match_id']}" in done.headers["Location"]
    with app.app_context():
        assert db.session.get(Match, made["match_id"]).venue_id == made["other_venue_id"]
        send_pending_mail()
    assert [m for m in mail_sink.to(made["people"][1].email) if "changed" in m.subject]
    cancel = f"/organize/meetings/{made['match_id']}/cancel"
    submit(client, page, {}, action=cancel)  # no confirmation ticked: nothing happens
    with app.app_context():
        assert db.session.get(Match, made["match_id"]).status == "active"
    submit(client, page, {"confirm": "y"}, action=cancel)
    with app.app_context():
        assert db.session.get(Match, made["match_id"]).status == "cancelled"
        assert db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "match.cancel")
        ).scalar_one()


def going_page(app, made, accepted=(0, 1, 2), declined=(3,)):
    for i in accepted:
        answer(app, made["people"][i].id, "accepted")
    for i in declined:
        answer(app, made["people"][i].id, "declined")
    return f"/connections/{made['match_id']}/meeting"


def test_meeting_page_shows_place_first_names_of_those_going_and_a_starter(app, members):
    made = make_meeting(app, members)
    url = going_page(app, made)
    client = app.test_client()
    login(client, made["people"][0].email, PASSWORD)
    html = client.get(url).get_data(as_text=True)
    assert VENUE["name"] in html and VENUE["address"] in html
    assert "How to find us" in html and "second door on the left" in html
    assert "Ben" in html and "Cara" in html
    assert "Dev" not in html  # declined: never named
    for surname in ("Lovelace", "Okafor", "Diaz", "Patel"):
        assert surname not in html
    assert "You all listed" in html and "A first question" in html
    # Members' places are neighbourhoods, never exact points; the page shows the venue only.
    assert "51.5072" not in html and "latitude" not in html.lower()
    assert f"/connections/{made['match_id']}/meeting" in client.get("/connections/").get_data(
        as_text=True
    )


def test_online_meeting_page_gives_the_room_link(app, members):
    made = make_meeting(app, members, online=True)
    url = going_page(app, made)
    client = app.test_client()
    login(client, made["people"][1].email, PASSWORD)
    html = client.get(url).get_data(as_text=True)
    assert ROOM in html and "a few minutes early" in html


def test_only_members_going_can_open_the_meeting_page(app, members):
    made = make_meeting(app, members)
    url = going_page(app, made, accepted=(0, 1), declined=(3,))
    assert app.test_client().get(url).status_code == 302  # log in first
    stranger = members.create(complete=True)
    for person, status in ((made["people"][3], 403), (made["people"][2], 403), (stranger, 404)):
        client = app.test_client()
        login(client, person.email, PASSWORD)
        assert client.get(url).status_code == status
        assert client.get("/connections/999999/meeting").status_code == 404


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x" * 141, "140 characters"),
        ("see you\r\nthere", "one line"),
        ("see you\nthere", "one line"),
        ("green\x00scarf", "can't store"),
        ("   ", "a few words"),
    ],
)
def test_a_note_is_one_short_line(text, message):
    with pytest.raises(NoteRefused, match=message):
        clean_note(text)


def test_notes_are_shown_to_the_others_and_editable_by_their_author(app, members):
    made = make_meeting(app, members)
    url = going_page(app, made)
    ada, ben = app.test_client(), app.test_client()
    login(ada, made["people"][0].email, PASSWORD)
    login(ben, made["people"][1].email, PASSWORD)
    too_long = submit(ada, url, {"text": "y" * 141}, action=url + "/note")
    assert too_long.status_code == 422
    assert "Please keep your note to 140 characters" in too_long.get_data(as_text=True)
    broken = submit(ada, url, {"text": "one\r\ntwo"}, action=url + "/note")
    assert broken.status_code == 422 and "one line" in broken.get_data(as_text=True)
    submit(ada, url, {"text": "I'll wear a green scarf"}, action=url + "/note")
    assert "I&#39;ll wear a green scarf" in ben.get(url).get_data(as_text=True)
    submit(ada, url, {"text": "Green scarf, by the window"}, action=url + "/note")
    html = ben.get(url).get_data(as_text=True)
    assert "Green scarf, by the window" in html and "green scarf</span>" not in html
    with app.app_context():
        assert (
            db.session.execute(select(MeetingNote)).scalars().all()[0].user_id
            == made["people"][0].id
        )
    submit(ada, url, {}, action=url + "/note/remove")
    assert "Green scarf" not in ben.get(url).get_data(as_text=True)
    # Someone who declined can't write one.
    dev = app.test_client()
    login(dev, made["people"][3].email, PASSWORD)
    assert dev.post(url + "/note", data={"text": "hello"}).status_code in (400, 403)


def test_a_reported_note_is_hidden_once_an_organizer_warns(app, members):
    made = make_meeting(app, members)
    url = going_page(app, made)
    ada, ben, cara = (app.test_client() for _ in range(3))
    for client, person in zip((ada, ben, cara), made["people"], strict=False):
        login(client, person.email, PASSWORD)
    submit(ada, url, {"text": "Bring cash, I'll sell you my pills"}, action=url + "/note")
    with app.app_context():
        note_id = db.session.execute(select(MeetingNote.id)).scalar_one()
    report_url = f"{url}/notes/{note_id}/report"
    short = submit(ben, url, {"reason": "bad"}, action=report_url)
    assert short.status_code == 422 and "10 to 2000 characters" in short.get_data(as_text=True)
    assert (
        submit(ada, url, {"reason": "reporting my own note"}, action=report_url).status_code == 422
    )
    submit(ben, url, {"reason": "This note offers to sell drugs."}, action=report_url)
    assert "my pills" not in ben.get(url).get_data(as_text=True)  # gone for the reporter
    assert "my pills" in cara.get(url).get_data(as_text=True)
    with app.app_context():
        report = db.session.execute(select(Report)).scalar_one()
        assert report.note_id == note_id and report.reported_user_id == made["people"][0].id
        assert report.reporter_id == made["people"][1].id
    boss = app.test_client()
    login(boss, made["organizer"].email, PASSWORD)
    queue = boss.get("/organize/reports/").get_data(as_text=True)
    assert "a meeting note" in queue
    page = f"/organize/reports/{report.id}"
    assert "my pills" in boss.get(page).get_data(as_text=True)
    submit(boss, page, {"outcome": "warned", "note": ""})
    with app.app_context():
        assert db.session.get(MeetingNote, note_id).hidden_at is not None
    assert "my pills" not in cara.get(url).get_data(as_text=True)
    assert "The organizers hid your note" in ada.get(url).get_data(as_text=True)


def test_dismissing_a_note_report_leaves_the_note(app, members):
    made = make_meeting(app, members)
    going_page(app, made)
    with app.test_request_context():
        note = MeetingNote(match_id=made["match_id"], user_id=made["people"][0].id, text="Hi all")
        db.session.add(note)
        db.session.flush()
        report = Report(
            reporter_id=made["people"][1].id,
            reported_user_id=made["people"][0].id,
            match_id=made["match_id"],
            note_id=note.id,
            reason="I am not sure about this one.",
        )
        db.session.add(report)
        db.session.flush()
        moderation.handle_report(db.session.get(User, made["organizer"].id), report, "dismissed")
        db.session.commit()
        assert note.hidden_at is None
