"""Members answer invitations: the mail, single-use links, silence on declining,
releasing a seat, the volunteer waitlist, reminders, unsubscribing and capacity."""

from __future__ import annotations

import threading
from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import func, select

from community.extensions import db
from community.invitations.links import response_token
from community.invitations.reminders import send_reminders
from community.mail.delivery import send_pending_mail
from community.models import Match, MatchMember, MatchRound, OutboxMessage, User, utcnow
from community.rounds.schedule import new_nonce, next_monday
from tests.conftest import csrf_token, links_in, login, path_of, submit
from tests.factories import PASSWORD
from tests.round_helpers import (
    approve,
    community,
    future_monday,
    make_round,
    opportunity,
    organizer,
)

HTTPS = {"PUBLIC_URL": "https://kindred.example"}


def approved_groups(app, members, count: int = 8, **fields):
    people = community(members, count, **fields)
    boss = organizer(members)
    round_id = make_round(app)
    with app.test_request_context():
        approve(app, round_id, boss.id)
    with app.app_context():
        send_pending_mail()
    return people, round_id


def link(mail, word: str) -> str:
    return path_of(next(x for x in links_in(mail.text) if x.endswith(f"/{word}")))


def seat_of(app, user_id: int) -> MatchMember:
    with app.app_context():
        seat = db.session.execute(
            select(MatchMember).where(MatchMember.user_id == user_id)
        ).scalar_one()
        db.session.expunge(seat)
        return seat


def test_invitation_says_who_what_when_where_with_ics_and_unsubscribe_headers(
    make_app, members, mail_sink
):
    app = make_app(**HTTPS)
    members.app = app
    people, _ = approved_groups(app, members, about_me="I grow tomatoes.")
    [mail] = mail_sink.to(people[0].email)
    assert mail.html and mail.text
    assert "You're invited" in mail.subject
    others = [p.display_name for p in people[1:] if p.display_name in mail.text]
    assert len(others) == 3
    assert "You all enjoy" in mail.text and "are free on Monday" in mail.text
    assert " at 10am" in mail.text or " at 2pm" in mail.text or " at 7pm" in mail.text
    assert "Old Town" in mail.text or "In " in mail.text
    for private in ("comfort", "quiet start", "shy"):
        assert private not in mail.text.lower() and private not in mail.html.lower()
    assert "/accept" in mail.html and "/decline" in mail.html and "Unsubscribe" in mail.html
    headers = mail.message
    # A long header may be folded onto a second line; unfolded it keeps the leading space.
    assert headers["List-Unsubscribe"].strip().startswith("<https://kindred.example/unsubscribe/")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [ics] = [part for part in headers.walk() if part.get_content_type() == "text/calendar"]
    event = Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")[0]
    assert event.get("summary") == "Kindred small group"
    assert event.decoded("dtstart").weekday() == 0


def test_accepting_asks_for_confirmation_and_the_link_works_once(app, client, members, mail_sink):
    people, _ = approved_groups(app, members)
    [mail] = mail_sink.to(people[0].email)
    accept = link(mail, "accept")
    page = client.get(accept)  # a mail scanner's prefetch changes nothing
    assert page.status_code == 200 and "Join them?" in page.get_data(as_text=True)
    assert seat_of(app, people[0].id).status == "invited"
    done = submit(client, accept, {})
    assert "See you there." in done.get_data(as_text=True)
    assert seat_of(app, people[0].id).status == "accepted"
    again = client.get(accept)
    assert again.status_code == 400
    assert "used already" in again.get_data(as_text=True)
    replay = client.post(accept, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert replay.status_code == 400
    declined_later = client.get(link(mail, "decline"))
    assert declined_later.status_code == 400


def test_a_tampered_or_expired_link_gets_a_clear_page(make_app, members, mail_sink):
    app = make_app(INVITATION_TOKEN_MAX_AGE=-1)
    members.app = app
    people, _ = approved_groups(app, members)
    client = app.test_client()
    [mail] = mail_sink.to(people[0].email)
    expired = client.get(link(mail, "accept"))
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)
    tampered = client.get("/invitations/not-a-token/accept")
    assert tampered.status_code == 400 and "isn't valid" in tampered.get_data(as_text=True)
    assert client.post("/invitations/not-a-token/decline").status_code == 400


def test_declining_is_silent_and_others_see_a_free_place(app, client, members, mail_sink):
    people, _ = approved_groups(app, members)
    with app.app_context():
        mine = db.session.execute(
            select(MatchMember).where(MatchMember.user_id == people[0].id)
        ).scalar_one()
        mates = [s.user_id for s in mine.match.members if s.user_id != people[0].id]
    decliner = next(p for p in people if p.id == mates[0])
    accepter = next(p for p in people if p.id == mates[1])
    for person, word in ((decliner, "decline"), (accepter, "accept")):
        [mail] = mail_sink.to(person.email)
        submit(app.test_client(), link(mail, word), {})
    login(client, people[0].email, PASSWORD)
    page = client.get("/connections/").get_data(as_text=True)
    assert accepter.display_name in page
    assert decliner.display_name not in page
    assert "1 place is free" in page
    assert "1 still deciding" in page


def test_my_connections_shows_the_meeting_and_the_others_about_me(app, client, members, mail_sink):
    people, _ = approved_groups(app, members, about_me="Happiest with muddy boots.")
    for person in people[:4]:
        [mail] = mail_sink.to(person.email)
        submit(app.test_client(), link(mail, "accept"), {})
    login(client, people[0].email, PASSWORD)
    page = client.get("/connections/").get_data(as_text=True)
    assert "You&#39;re going" in page or "You're going" in page
    assert "Happiest with muddy boots." in page
    assert "Release my seat" in page
    assert " at " in page and "Monday" in page


def test_releasing_a_volunteer_place_invites_the_next_suitable_person(app, members, mail_sink):
    people = community(members, 6, wants_volunteering=True, wants_groups=False)
    boss = organizer(members)
    opportunity(app, capacity=4)
    round_id = make_round(app, kind="volunteering")
    with app.test_request_context():
        assert approve(app, round_id, boss.id) == 4
    with app.app_context():
        send_pending_mail()
        waiting = {item["user_id"] for item in db.session.get(MatchRound, round_id).unplaced}
    assert len(waiting) == 2
    placed = next(p for p in people if p.id not in waiting)
    [mail] = mail_sink.to(placed.email)
    client = app.test_client()
    accepted = submit(client, link(mail, "accept"), {})
    text = accepted.get_data(as_text=True)
    release = path_of(
        "http://x" + text.split('href="/invitations/')[1].split('"')[0].join(["/invitations/", ""])
    )
    released = submit(client, release, {})
    assert "Thank you for freeing your place" in released.get_data(as_text=True)
    assert seat_of(app, placed.id).status == "released"
    with app.app_context():
        send_pending_mail()
        new = (
            db.session.execute(select(MatchMember).where(MatchMember.user_id.in_(waiting)))
            .scalars()
            .all()
        )
        assert len(new) == 1 and new[0].status == "invited"
        invited = db.session.get(User, new[0].user_id).email
    [offer] = mail_sink.to(invited)
    assert "volunteering place" in offer.text


def test_fifty_concurrent_accepts_fill_five_places_exactly(app, members):
    people = [members.create(complete=True) for _ in range(50)]
    place = opportunity(app, capacity=5)
    with app.app_context():
        round_ = MatchRound(
            kind="volunteering",
            status="approved",
            week_start=next_monday(),
            min_size=2,
            max_size=6,
        )
        match = Match(
            round=round_,
            kind="placement",
            status="active",
            slot=0,
            format="in_person",
            opportunity_id=place,
            meeting_at=utcnow() + timedelta(days=5),
        )
        match.members = [
            MatchMember(user_id=p.id, status="invited", token_nonce=new_nonce()) for p in people
        ]
        db.session.add(round_)
        db.session.commit()
        tokens = [response_token(s.id, s.token_nonce) for s in match.members]

    clients = [app.test_client() for _ in tokens]
    forms = [c.get(f"/invitations/{t}/accept") for c, t in zip(clients, tokens, strict=True)]
    start = threading.Barrier(len(tokens))
    codes: list[int] = []

    def answer(client, token, page):
        start.wait()
        response = client.post(
            f"/invitations/{token}/accept",
            data={"csrf_token": csrf_token(page.get_data(as_text=True))},
        )
        codes.append(response.status_code)

    threads = [
        threading.Thread(target=answer, args=args)
        for args in zip(clients, tokens, forms, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200] * 5 + [409] * 45
    with app.app_context():
        accepted = db.session.execute(
            select(func.count()).where(MatchMember.status == "accepted")
        ).scalar_one()
    assert accepted == 5


def test_unsubscribing_from_the_page_and_by_one_click(make_app, members, mail_sink):
    app = make_app(**HTTPS)
    members.app = app
    people, _ = approved_groups(app, members)
    client = app.test_client()
    [mail] = mail_sink.to(people[0].email)
    page_link = next(x for x in links_in(mail.text) if "/unsubscribe/" in x)
    page = client.get(path_of(page_link))
    assert "Stop invitations?" in page.get_data(as_text=True)
    done = submit(client, path_of(page_link), {})
    assert "You're unsubscribed" in done.get_data(as_text=True)

    [other] = mail_sink.to(people[1].email)
    one_click = other.message["List-Unsubscribe"].strip().strip("<>")
    response = client.post(path_of(one_click), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200  # no CSRF token, no session: RFC 8058
    with app.app_context():
        gone = {u.id for u in db.session.execute(select(User)).scalars() if u.unsubscribed_at}
    assert gone == {people[0].id, people[1].id}
    round_id = make_round(app, week_start=future_monday() + timedelta(days=7))
    with app.app_context():
        round_ = db.session.get(MatchRound, round_id)
        assert round_.quality["eligible"] == 6
    assert client.post("/unsubscribe/bad-token/one-click").status_code == 400


def test_reminders_go_to_accepted_the_day_before_and_to_the_silent_after_two_days(
    app, members, mail_sink
):
    people, round_id = approved_groups(app, members)
    [mail] = mail_sink.to(people[0].email)
    submit(app.test_client(), link(mail, "accept"), {})
    with app.app_context():
        meeting = db.session.execute(select(func.min(Match.meeting_at))).scalar_one()
        if meeting.tzinfo is None:
            from datetime import UTC

            meeting = meeting.replace(tzinfo=UTC)
        db.session.execute(
            MatchMember.__table__.update().values(invited_at=meeting - timedelta(days=5))
        )
        db.session.commit()
        counts = send_reminders(now=meeting - timedelta(hours=20))
        db.session.commit()
        assert counts == {"day_before": 1, "no_answer": 7}
        assert send_reminders(now=meeting - timedelta(hours=19)) == {
            "day_before": 0,
            "no_answer": 0,
        }
        db.session.commit()
        send_pending_mail()
    reminder = [m for m in mail_sink.to(people[0].email) if "See you tomorrow" in m.subject]
    assert reminder and "Release my seat" in reminder[0].text
    assert reminder[0].message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    nudges = [m for m in mail_sink.to(people[1].email) if "waiting" in m.subject]
    assert nudges and "/accept" in nudges[0].text


def test_send_reminders_command_reports_what_it_queued(app, runner, members):
    approved_groups(app, members)
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "day-before reminders" in result.output
    with app.app_context():
        assert (
            db.session.execute(
                select(func.count()).where(OutboxMessage.template == "reminder")
            ).scalar_one()
            == 0
        )


def test_a_partner_whose_name_ends_in_a_full_stop_is_introduced_with_one(app, members, mail_sink):
    ana, leila = community(members, 2, wants_walks=True, wants_groups=False)
    with app.app_context():
        db.session.get(User, leila.id).display_name = "Leila E."
        db.session.commit()
    boss = organizer(members)
    round_id = make_round(app, kind="walks")
    with app.test_request_context():
        approve(app, round_id, boss.id)
    with app.app_context():
        send_pending_mail()
    [mail] = mail_sink.to(ana.email)
    assert "We'd like to introduce you to Leila E. " in mail.text
    assert "Leila E.." not in mail.text and "Leila E.</strong>.<" not in mail.html


def test_a_one_to_one_introduction_ends_with_one_full_stop(app):
    from flask import render_template

    with app.test_request_context():
        context = {"display_name": "Ana", "others": ["Leila E."], "recurring": False}
        text = render_template("email/invitation.txt", **context, shared="You both enjoy chess")
    assert "We'd like to introduce you to Leila E.\n" in text.replace("\r\n", "\n")
