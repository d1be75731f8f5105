"""Joining, confirming an email, logging in and out, and resetting a password."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community import ConfigurationError, create_app
from community.extensions import db
from community.models import User
from tests.conftest import csrf_token, links_in, login, path_of, submit, wait_for_mail
from tests.factories import PASSWORD

NEW_PASSWORD = "tea and biscuits at four"


def sign_up(client, name="Rosa", email="rosa@example.org", password="sunflowers in july"):
    return submit(client, "/join", {"display_name": name, "email": email, "password": password})


def user_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(User.id))).scalar_one()


def test_home_page_explains_kindred_and_invites_to_join(client):
    page = client.get("/").get_data(as_text=True)
    assert "Small groups" in page and "Walking partners" in page and "Volunteering" in page
    assert 'href="/join"' in page


def test_new_member_confirms_email_with_the_link_from_the_mail(app, client, mail_sink):
    response = sign_up(client)
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)

    [mail] = wait_for_mail(mail_sink, "rosa@example.org")
    assert "confirm" in mail.subject.lower()
    assert "Hello Rosa" in mail.text and mail.html
    link = next(link for link in links_in(mail.text) if "/verify/" in link)

    home = client.get("/home").get_data(as_text=True)
    assert "Please confirm your email" in home

    response = client.get(path_of(link), follow_redirects=True)
    assert "your email is confirmed" in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        assert user.is_verified
        assert user.password_hash.startswith("$argon2id$")


def test_verification_link_can_be_sent_again(client, mail_sink):
    sign_up(client)
    wait_for_mail(mail_sink, "rosa@example.org")
    submit(client, "/home", {}, action="/verify/resend")
    assert len(wait_for_mail(mail_sink, "rosa@example.org", count=2)) == 2


def test_tampered_verification_link_gets_a_clear_page(client):
    response = client.get("/verify/not-a-real-token")
    assert response.status_code == 400
    assert "That link didn't work" in response.get_data(as_text=True)


def test_joining_with_a_known_email_looks_the_same_and_warns_the_owner(
    app, client, members, mail_sink
):
    owner = members.create()
    response = sign_up(client, email=owner.email.upper())
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    assert user_count(app) == 1
    [mail] = wait_for_mail(mail_sink, owner.email)
    assert "already has an account" in mail.text


@pytest.mark.parametrize(
    ("name", "email", "password", "message"),
    [
        ("", "a@example.org", "sunflowers in july", "Please tell us what to call you."),
        ("x" * 10_000, "a@example.org", "sunflowers in july", "under 60 characters"),
        ("Rosa\r\nBcc: all@example.org", "a@example.org", "sunflowers in july", "single line"),
        ("Rosa", "not-an-email", "sunflowers in july", "doesn&#39;t look like an email"),
        ("Rosa", "", "sunflowers in july", "Please enter your email address."),
        ("Rosa", "a@example.org", "short", "at least 10 characters"),
        ("Rosa", "a@example.org", "password123", "too common"),
        ("Rosa", "a@example.org", "", "Please choose a password."),
    ],
)
def test_bad_sign_up_gets_a_message_and_keeps_what_was_typed(
    app, client, name, email, password, message
):
    response = sign_up(client, name=name, email=email, password=password)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert user_count(app) == 0
    if email:
        assert f'value="{email}"' in page


def test_member_logs_in_and_out(client, members):
    member = members.create()
    response = login(client, member.email, PASSWORD)
    assert response.status_code == 302 and response.location.endswith("/home")
    assert "Hello, " + member.display_name in client.get("/home").get_data(as_text=True)
    submit(client, "/home", {}, action="/logout")
    assert client.get("/home").status_code == 302


def test_wrong_password_is_refused_the_same_way_as_an_unknown_email(client, members):
    member = members.create()
    wrong = login(client, member.email, "not the password at all").get_data(as_text=True)
    unknown = login(client, "nobody@example.org", "not the password at all").get_data(as_text=True)
    assert "don&#39;t match an account" in wrong
    assert "don&#39;t match an account" in unknown
    assert client.get("/home").status_code == 302


def test_remember_me_sets_a_long_lived_cookie_only_when_asked(app, members):
    member = members.create()
    forgetful, remembered = app.test_client(), app.test_client()
    login(forgetful, member.email, PASSWORD)
    login(remembered, member.email, PASSWORD, remember=True)
    assert forgetful.get_cookie("remember_token") is None
    assert remembered.get_cookie("remember_token") is not None


def test_login_redirect_stays_on_this_site(client, members):
    member = members.create()
    page = client.get("/login")
    from tests.conftest import csrf_token

    token = csrf_token(page.get_data(as_text=True))
    data = {"email": member.email, "password": PASSWORD, "csrf_token": token}
    response = client.post("/login?next=https://evil.example/steal", data=data)
    assert response.location.endswith("/home")


def test_password_reset_link_works_once_and_ends_old_sessions(app, members, mail_sink):
    member = members.create()
    old_session = app.test_client()
    login(old_session, member.email, PASSWORD)
    assert old_session.get("/home").status_code == 200

    client = app.test_client()
    response = submit(client, "/forgot-password", {"email": member.email})
    assert "a reset link is on its way" in response.get_data(as_text=True)
    [mail] = wait_for_mail(mail_sink, member.email)
    link = path_of(next(link for link in links_in(mail.text) if "/reset-password/" in link))

    response = submit(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302

    again = client.get(link)
    assert again.status_code == 400 and "isn't valid any more" in again.get_data(as_text=True)
    assert old_session.get("/home").status_code == 302, "the old session must end"
    assert login(client, member.email, PASSWORD).status_code == 200
    assert login(client, member.email, NEW_PASSWORD).status_code == 302


def test_reset_answer_is_the_same_whether_or_not_the_email_is_known(client, members, mail_sink):
    member = members.create()
    known = submit(client, "/forgot-password", {"email": member.email})
    unknown = submit(client, "/forgot-password", {"email": "stranger@example.org"})
    strip = lambda html, email: html.get_data(as_text=True).replace(email, "EMAIL")  # noqa: E731
    assert known.status_code == unknown.status_code == 200
    assert strip(known, member.email) == strip(unknown, "stranger@example.org")
    wait_for_mail(mail_sink, member.email)
    assert mail_sink.to("stranger@example.org") == []


def test_expired_reset_link_says_so(make_app, members, mail_sink):
    app = make_app(RESET_TOKEN_MAX_AGE=-1)
    member = MembersIn(app).create()
    client = app.test_client()
    submit(client, "/forgot-password", {"email": member.email})
    [mail] = wait_for_mail(mail_sink, member.email)
    link = path_of(next(link for link in links_in(mail.text) if "/reset-password/" in link))
    response = client.get(link)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def MembersIn(app):  # noqa: N802 - reads like the factory class it returns
    from tests.factories import MemberFactory

    return MemberFactory(app)


def test_reset_with_mismatched_passwords_keeps_the_old_password(client, members, mail_sink):
    member = members.create()
    submit(client, "/forgot-password", {"email": member.email})
    [mail] = wait_for_mail(mail_sink, member.email)
    link = path_of(next(link for link in links_in(mail.text) if "/reset-password/" in link))
    response = submit(client, link, {"password": NEW_PASSWORD, "confirm": "something else"})
    assert "don&#39;t match" in response.get_data(as_text=True)
    assert login(client, member.email, PASSWORD).status_code == 302


def test_login_is_rate_limited_with_a_friendly_page(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    responses = [login(client, "who@example.org", "wrong password here") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert "take a short breather" in responses[3].get_data(as_text=True)


def test_reset_requests_are_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RESET_RATE_LIMIT="2 per minute")
    client = app.test_client()
    statuses = [
        submit(client, "/forgot-password", {"email": "a@example.org"}).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_a_post_without_its_csrf_token_is_refused(app, client):
    response = client.post(
        "/join", data={"display_name": "Rosa", "email": "r@example.org", "password": "x" * 12}
    )
    assert response.status_code == 400
    assert "form had expired" in response.get_data(as_text=True)
    assert user_count(app) == 0


def test_production_without_a_secret_key_refuses_to_start(monkeypatch):
    monkeypatch.delenv("KINDRED_SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigurationError, match="KINDRED_SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_a_session_cookie_replayed_after_logout_is_refused(app, members):
    member = members.create()
    client = app.test_client()
    login(client, member.email, PASSWORD)
    stolen = client.get_cookie("session").value
    submit(client, "/home", {}, action="/logout")

    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/home").status_code == 302


def test_logging_in_starts_a_new_session(app, members):
    member = members.create()
    client = app.test_client()
    client.get("/login")
    before = client.get_cookie("session").value
    login(client, member.email, PASSWORD)
    assert client.get_cookie("session").value != before


def test_an_idle_session_times_out(make_app, members):
    app = make_app(SESSION_IDLE_TIMEOUT=-1)
    member = MembersIn(app).create()
    client = app.test_client()
    login(client, member.email, PASSWORD)
    response = client.get("/home")
    assert response.status_code == 302 and "/login" in response.location


def alternating_medians(first, second, runs: int = 9) -> tuple[float, float]:
    """Median times of two actions taken in turn, so a busy machine slows both alike."""
    import statistics
    import time

    timings: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for action, times in ((first, timings[0]), (second, timings[1])):
            started = time.perf_counter()
            action()
            times.append(time.perf_counter() - started)
            # Let out-of-band work finish: the clock an outsider sees is the response's.
            time.sleep(0.05)
    return statistics.median(timings[0]), statistics.median(timings[1])


@pytest.mark.parametrize("form", ["login", "join", "forgot-password"])
def test_known_and_unknown_emails_take_about_as_long(app, members, form):
    """No account enumeration by the clock: the same work happens either way."""
    member = members.create()
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    counter = iter(range(1000))

    def attempt(email):
        data = {"email": email, "password": "not the password at all", "csrf_token": token}
        if form == "join":
            data["display_name"] = "Someone"
            if email != member.email:
                data["email"] = f"new{next(counter)}@example.org"
        path = "/" + form
        return lambda: client.post(path, data=data)

    known, unknown = alternating_medians(attempt(member.email), attempt("nobody@example.org"))
    assert abs(known - unknown) < max(0.015, 0.5 * min(known, unknown)), (known, unknown)
