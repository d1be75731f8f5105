"""After the meeting: feedback that shapes the next round, weekly rituals, blocks, reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from community.after_meeting import feedback, rituals
from community.extensions import db
from community.mail.delivery import send_pending_mail
from community.models import Block, Feedback, Match, MatchMember, MatchRound, Report, User, utcnow
from community.rounds.pair_rules import avoid_pairs, prefer_pairs
from tests.conftest import csrf_token, links_in, login, path_of, submit
from tests.factories import PASSWORD


def meeting(app, *people, days_ago=1, kind="groups", match_kind="group"):
    """A meeting that already happened, with everyone accepted."""
    with app.app_context():
        round_ = MatchRound(kind=kind, week_start=utcnow().date(), status="approved")
        match = Match(
            kind=match_kind,
            status="active",
            slot=2,
            format="in_person",
            reason="You all enjoy reading",
            meeting_at=utcnow() - timedelta(days=days_ago),
        )
        match.members = [MatchMember(user_id=p.id, status="accepted") for p in people]
        round_.matches = [match]
        db.session.add(round_)
        db.session.commit()
        return match.id


def logged_in(app, member):
    client = app.test_client()
    login(client, member.email, PASSWORD)
    return client


def deliver(app):
    with app.test_request_context():
        send_pending_mail()


def ask_for_feedback(app, now=None):
    with app.app_context():
        queued = feedback.queue_feedback_requests(now=now)
        db.session.commit()
    deliver(app)
    return queued


def pair(a, b):
    return (min(a.id, b.id), max(a.id, b.id))


def test_the_day_after_one_click_from_the_email_records_how_it_felt(app, members, mail_sink):
    rosa, sam, tess = members.create(), members.create(), members.create()
    match_id = meeting(app, rosa, sam, tess)
    assert ask_for_feedback(app) == 3
    assert ask_for_feedback(app) == 0, "one request per seat, ever"

    [mail] = mail_sink.to(rosa.email)
    assert mail.subject == "How did it feel?"
    nurturing = next(link for link in links_in(mail.text) if "feeling=nurturing" in link)

    visitor = app.test_client()
    page = visitor.get(path_of(nurturing)).get_data(as_text=True)
    token = csrf_token(page)
    assert (
        'value="nurturing" checked' in page
        or 'checked id="feeling-0"' in page
        or ("checked" in page.split('value="nurturing"')[0][-120:])
    )
    response = submit(visitor, path_of(nurturing), {"met": "yes", "feeling": "nurturing"})
    assert "Thank you" in response.get_data(as_text=True)
    with app.app_context():
        saved = db.session.execute(select(Feedback).where(Feedback.user_id == rosa.id)).scalar_one()
        assert saved.match_id == match_id and saved.feeling == "nurturing" and saved.met

    again = visitor.post(
        path_of(nurturing), data={"met": "yes", "feeling": "draining", "csrf_token": token}
    )
    assert "already told us" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(Feedback)).scalars().all()[0].feeling == "nurturing"


def test_feedback_for_a_meeting_you_were_not_in_is_refused(app, members):
    rosa, sam, outsider = members.create(), members.create(), members.create()
    match_id = meeting(app, rosa, sam)
    client = logged_in(app, outsider)
    assert client.get(f"/connections/{match_id}/feedback").status_code == 403
    assert app.test_client().get("/feedback/forged-token").status_code == 400


def test_feedback_before_the_meeting_is_not_yet_possible(app, members):
    rosa, sam = members.create(), members.create()
    match_id = meeting(app, rosa, sam, days_ago=-2)
    client = logged_in(app, rosa)
    assert "hasn't happened yet" in client.get(f"/connections/{match_id}/feedback").get_data(
        as_text=True
    )


def give(app, giver, match_id, **data):
    client = logged_in(app, giver)
    return submit(client, f"/connections/{match_id}/feedback", data)


def test_draining_and_not_again_keep_a_pair_apart_and_mutual_again_brings_them_together(
    app, members
):
    ana, ben, cat, dan = (members.create() for _ in range(4))
    first = meeting(app, ana, ben, cat, dan)
    assert (
        give(
            app,
            ana,
            first,
            met="yes",
            feeling="nurturing",
            **{f"again_{ben.id}": "yes", f"again_{cat.id}": "no"},
        ).status_code
        == 200
    )
    give(app, ben, first, met="yes", feeling="nurturing", **{f"again_{ana.id}": "yes"})
    give(app, dan, first, met="yes", feeling="draining")
    give(app, cat, first, met="yes", feeling="neutral", **{f"again_{dan.id}": "yes"})

    with app.app_context():
        avoid, prefer = avoid_pairs(), prefer_pairs()
    assert pair(ana, cat) in avoid, "not again"
    assert {pair(dan, ana), pair(dan, ben), pair(dan, cat)} <= avoid, "draining"
    assert pair(ana, ben) in prefer, "both said again"
    assert pair(cat, dan) not in prefer, "only one said again, and the other found it draining"


def test_asking_for_new_people_stops_continuity(app, members):
    ana, ben = members.create(), members.create()
    match_id = meeting(app, ana, ben, kind="walks", match_kind="pair")
    give(app, ana, match_id, met="yes", feeling="nurturing", **{f"again_{ben.id}": "yes"})
    give(
        app,
        ben,
        match_id,
        met="yes",
        feeling="nurturing",
        wants_new_people="y",
        **{f"again_{ana.id}": "yes"},
    )
    with app.app_context():
        assert pair(ana, ben) not in prefer_pairs()


def test_feedback_needs_an_answer_and_keeps_it_private_length(app, members):
    ana, ben = members.create(), members.create()
    match_id = meeting(app, ana, ben)
    response = give(app, ana, match_id, met="yes")
    assert response.status_code == 422 and "Please choose how it felt." in response.get_data(
        as_text=True
    )
    response = give(app, ana, match_id, met="yes", feeling="neutral", note="x" * 5000)
    assert response.status_code == 422
    with app.app_context():
        assert db.session.execute(select(Feedback)).first() is None


def test_a_walk_becomes_a_weekly_ritual_with_a_repeating_calendar_entry(app, members, mail_sink):
    ana, ben = members.create(), members.create()
    match_id = meeting(app, ana, ben, kind="walks", match_kind="pair")
    client = logged_in(app, ana)
    submit(client, "/connections/", {}, action=f"/connections/{match_id}/ritual")

    for person in (ana, ben):
        [mail] = mail_sink.to(person.email)
        assert "now weekly" in mail.subject
        [ics] = [p for p in mail.message.walk() if p.get_content_type() == "text/calendar"]
        event = Calendar.from_ical(ics.get_content()).walk("VEVENT")[0]
        assert event["RRULE"]["FREQ"] == ["WEEKLY"]

    with app.app_context():
        queued = rituals.queue_weekly_reminders(now=utcnow() + timedelta(days=5))
        db.session.commit()
    assert queued == 2


def test_leaving_a_ritual_tells_the_others_kindly_without_naming_anyone(app, members, mail_sink):
    ana, ben, cat = members.create(), members.create(), members.create()
    match_id = meeting(app, ana, ben, cat)
    submit(logged_in(app, ana), "/connections/", {}, action=f"/connections/{match_id}/ritual")
    mail_sink.clear()
    submit(logged_in(app, cat), "/connections/", {}, action=f"/connections/{match_id}/ritual/leave")

    for person in (ana, ben):
        [mail] = mail_sink.to(person.email)
        assert "step back" in mail.text and cat.display_name not in mail.text
        assert "carries on" in mail.text
    assert mail_sink.to(cat.email) == []
    with app.app_context():
        seat = db.session.execute(
            select(MatchMember).where(MatchMember.user_id == cat.id)
        ).scalar_one()
        assert seat.status == "released"
        assert db.session.get(Match, match_id).recurring


def test_blocking_is_silent_and_keeps_the_pair_apart(app, members, mail_sink):
    ana, ben = members.create(), members.create()
    match_id = meeting(app, ana, ben)
    client = logged_in(app, ana)
    page = f"/connections/{match_id}/safety"
    assert f"Block {ben.display_name}" in client.get(page).get_data(as_text=True)
    submit(client, page, {}, action=f"/connections/{match_id}/block/{ben.id}")
    assert "Blocked" in client.get(page).get_data(as_text=True)
    assert mail_sink.to(ben.email) == []
    with app.app_context():
        assert pair(ana, ben) in avoid_pairs()


@pytest.mark.parametrize("target", ["self", "stranger"])
def test_blocking_yourself_or_a_stranger_changes_nothing(app, members, target):
    ana, ben, stranger = members.create(), members.create(), members.create()
    match_id = meeting(app, ana, ben)
    other = ana if target == "self" else stranger
    client = logged_in(app, ana)
    response = submit(
        client,
        f"/connections/{match_id}/safety",
        {},
        action=f"/connections/{match_id}/block/{other.id}",
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "can&#39;t block yourself" in text or "wasn&#39;t in this meeting" in text
    with app.app_context():
        assert db.session.execute(select(Block)).first() is None


def test_member_reports_someone_to_the_organizers(app, members):
    ana, ben = members.create(), members.create()
    match_id = meeting(app, ana, ben)
    client = logged_in(app, ana)
    page = f"/connections/{match_id}/safety"
    short = submit(client, page, {"report-about": str(ben.id), "report-reason": "rude"})
    assert short.status_code == 422
    submit(client, page, {"report-about": str(ben.id), "report-reason": "Made unkind remarks."})
    with app.app_context():
        report = db.session.execute(select(Report)).scalar_one()
        assert report.reporter_id == ana.id and report.reported_user_id == ben.id
        assert report.status == "open"
        assert pair(ana, ben) in avoid_pairs()


def test_reporting_a_meeting_you_were_not_in_is_refused(app, members):
    ana, ben, outsider = members.create(), members.create(), members.create()
    match_id = meeting(app, ana, ben)
    client = logged_in(app, outsider)
    assert client.get(f"/connections/{match_id}/safety").status_code == 403
    with app.app_context():
        assert db.session.get(User, outsider.id) is not None


def test_my_connections_offers_the_ritual_feedback_and_safety(app, members):
    ana, ben = members.create(), members.create()
    match_id = meeting(app, ana, ben, kind="walks", match_kind="pair")
    client = logged_in(app, ana)
    page = client.get("/connections/").get_data(as_text=True)
    assert f"/connections/{match_id}/ritual" in page and "Make it a weekly ritual" in page
    assert f"/connections/{match_id}/safety" in page
    assert f"/connections/{match_id}/feedback" in page
    submit(client, "/connections/", {}, action=f"/connections/{match_id}/ritual")
    page = client.get("/connections/").get_data(as_text=True)
    assert "Leave the weekly ritual" in page


def test_a_later_again_outweighs_an_older_wish_for_new_people(app, members):
    ana, ben, cat = members.create(), members.create(), members.create()
    earlier = meeting(app, ben, cat, kind="walks", match_kind="pair", days_ago=15)
    give(app, ben, earlier, met="yes", feeling="neutral", wants_new_people="y")
    later = meeting(app, ana, ben, kind="walks", match_kind="pair")
    give(app, ana, later, met="yes", feeling="nurturing", **{f"again_{ben.id}": "yes"})
    give(app, ben, later, met="yes", feeling="nurturing", **{f"again_{ana.id}": "yes"})
    with app.app_context():
        assert pair(ana, ben) in prefer_pairs(), "ben's latest answer asks for ana again"
