"""The gentle start plan and the loneliness check."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from community.account import gentle_start, loneliness
from community.extensions import db
from community.models import GentleStart, User, utcnow
from tests.conftest import links_in, login, path_of, submit
from tests.factories import PASSWORD


def logged_in(app, member):
    client = app.test_client()
    login(client, member.email, PASSWORD)
    return client


def send_steps(app, days_later=0):
    with app.app_context():
        queued = gentle_start.send_due_steps(now=utcnow() + timedelta(days=days_later, minutes=1))
        db.session.commit()
    with app.test_request_context():
        from community.mail.delivery import send_pending_mail

        send_pending_mail()
    return queued


def test_new_member_gets_one_small_step_a_day_for_a_week(app, members, mail_sink):
    member = members.create()
    client = logged_in(app, member)
    submit(client, "/account", {}, action="/account/gentle-start")

    assert send_steps(app) == 1
    assert send_steps(app) == 0, "one step a day, not more"
    for day in range(1, 7):
        assert send_steps(app, days_later=day) == 1
    assert send_steps(app, days_later=30) == 0, "the plan ends after seven days"

    subjects = [mail.subject for mail in mail_sink.to(member.email)]
    assert subjects[0] == "Day 1 of 7: Message someone who supports you"
    assert len(subjects) == 7


def test_one_click_from_the_email_marks_the_day_done(app, members, mail_sink):
    member = members.create()
    client = logged_in(app, member)
    submit(client, "/account", {}, action="/account/gentle-start")
    send_steps(app)
    [mail] = mail_sink.to(member.email)
    done, stop = [path_of(link) for link in links_in(mail.text) if "/gentle-start/" in link]

    visitor = app.test_client()  # works from the mail, without logging in
    assert "I did it" in visitor.get(done).get_data(as_text=True)
    response = submit(visitor, done, {})
    assert "Day 1 is marked done" in response.get_data(as_text=True)

    submit(visitor, stop, {})
    with app.app_context():
        plan = db.session.get(GentleStart, member.id)
        assert plan.done == {1} and plan.stopped_at is not None
    assert send_steps(app, days_later=1) == 0


def test_a_forged_gentle_start_link_changes_nothing(client):
    response = client.get("/gentle-start/forged-token")
    assert response.status_code == 400


def test_member_sees_their_own_loneliness_trend_with_a_kind_word(app, members):
    member = members.create()
    client = logged_in(app, member)
    answers = {"companionship": "3", "left_out": "3", "isolated": "2"}
    assert submit(client, "/account/loneliness-check", answers).status_code == 302
    page = client.get("/account/loneliness-check").get_data(as_text=True)
    assert "you&#39;re not alone" in page or "you're not alone" in page
    assert "<td>8</td>" in page

    with app.app_context():
        check = loneliness.history(db.session.get(User, member.id))[0]
        check.taken_at = utcnow() - timedelta(weeks=9)
        db.session.commit()
    better = {"companionship": "2", "left_out": "1", "isolated": "2"}
    assert submit(client, "/account/loneliness-check", better).status_code == 302
    page = client.get("/account/loneliness-check").get_data(as_text=True)
    assert "less alone than when you started" in page


def test_loneliness_answers_outside_the_scale_are_refused(app, members):
    member = members.create()
    client = logged_in(app, member)
    response = submit(client, "/account/loneliness-check", {"companionship": "7", "left_out": "1"})
    assert response.status_code == 422
    assert "Please choose one answer." in response.get_data(
        as_text=True
    ) or "Not a valid choice" in (response.get_data(as_text=True))
    with app.app_context():
        assert loneliness.history(db.session.get(User, member.id)) == []


def test_organizers_see_loneliness_only_for_ten_or_more_members(app, members):
    people = [members.create() for _ in range(10)]
    with app.app_context():
        for person in people[:9]:
            loneliness.record(
                db.session.get(User, person.id), companionship=2, left_out=2, isolated=2
            )
        db.session.commit()
        assert loneliness.community_average() is None
        loneliness.record(
            db.session.execute(select(User).where(User.id == people[9].id)).scalar_one(),
            companionship=3,
            left_out=3,
            isolated=3,
        )
        db.session.commit()
        assert loneliness.community_average() == {"members": 10, "average_score": 6.3}


def test_the_dashboard_shows_loneliness_only_as_an_anonymous_average(app, members):
    from tests.conftest import login as log_in

    organizer = members.create(role="organizer")
    people = [members.create() for _ in range(10)]
    client = app.test_client()
    log_in(client, organizer.email, PASSWORD)
    assert "at least 10 members" in client.get("/organize/dashboard").get_data(as_text=True)
    with app.app_context():
        for person in people:
            loneliness.record(
                db.session.get(User, person.id), companionship=1, left_out=2, isolated=3
            )
        db.session.commit()
    page = client.get("/organize/dashboard").get_data(as_text=True)
    assert "<strong>10</strong> members" in page and "<strong>6.0</strong>" in page
    assert people[0].display_name not in page


def test_home_offers_small_steps_until_taken_and_the_check_in_again_after_eight_weeks(app, members):
    member = members.create()
    client = logged_in(app, member)
    home = client.get("/home").get_data(as_text=True)
    assert "Small steps, if you like" in home
    assert "gentle start" in home and "Take the check-in" in home

    submit(client, "/account", {}, action="/account/gentle-start")
    answers = {"companionship": "2", "left_out": "2", "isolated": "2"}
    assert submit(client, "/account/loneliness-check", answers).status_code == 302
    assert "Small steps, if you like" not in client.get("/home").get_data(as_text=True)

    with app.app_context():
        check = loneliness.history(db.session.get(User, member.id))[0]
        check.taken_at = utcnow() - timedelta(weeks=8, minutes=1)
        db.session.commit()
    home = client.get("/home").get_data(as_text=True)
    assert "Take the check-in" in home and "gentle start" not in home
