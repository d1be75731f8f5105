"""A member's control over their data: export, consent, email change, deletion."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from community.extensions import db
from community.models import (
    Match,
    MatchMember,
    MatchRound,
    OutboxMessage,
    User,
    utcnow,
)
from tests.conftest import links_in, login, path_of, submit
from tests.factories import PASSWORD


def logged_in(app, member):
    client = app.test_client()
    login(client, member.email, PASSWORD)
    return client


def put_in_a_group_together(app, *people):
    with app.app_context():
        round_ = MatchRound(kind="groups", week_start=utcnow().date(), status="approved")
        match = Match(kind="groups", slot=2, format="in_person", reason="You both enjoy reading")
        match.members = [MatchMember(user_id=p.id, status="accepted") for p in people]
        round_.matches = [match]
        db.session.add(round_)
        db.session.commit()
        return match.id


def test_export_holds_the_members_data_and_nobody_elses(app, members):
    member = members.create(complete=True, about_me="I grow tomatoes.")
    other = members.create(complete=True, about_me="Secret about the other person.")
    put_in_a_group_together(app, member, other)
    client = logged_in(app, member)

    response = client.get("/account/export.json")
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == member.email
    assert data["profile"]["about_me"] == "I grow tomatoes."
    assert data["profile"]["comfort"] == 3
    assert data["matches"][0]["people_in_match"] == 2
    dumped = json.dumps(data)
    for secret in (other.email, other.display_name, "Secret about the other person."):
        assert secret not in dumped

    page = client.get("/account/export").get_data(as_text=True)
    assert "I grow tomatoes." in page and other.display_name not in page


def test_withdrawing_consent_deletes_comfort_and_availability(app, members):
    member = members.create(complete=True)
    client = logged_in(app, member)
    submit(client, "/account", {}, action="/account/consent/withdraw")
    with app.app_context():
        profile = db.session.get(User, member.id).profile
        assert profile.consent_at is None
        assert profile.comfort is None and profile.availability_mask is None


def every_text_in_the_database(app) -> str:
    """All values of all rows of all tables, as one string to search."""
    chunks = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(text(f"SELECT * FROM {table.name}")):
                chunks.append(" ".join(str(value) for value in row))
    return "\n".join(chunks)


def test_deleting_the_account_leaves_no_personal_data_anywhere(app, members, mail_sink):
    member = members.create(complete=True, about_me="Ask me about my allotment.")
    other = members.create(complete=True)
    match_id = put_in_a_group_together(app, member, other)
    with app.app_context():
        db.session.add(
            OutboxMessage(
                recipient=member.email,
                user_id=member.id,
                subject="Pending invitation",
                template="verify_email",
                context={"display_name": member.display_name},
                idempotency_key="pending-for-deleted-member",
                next_attempt_at=utcnow() + timedelta(hours=1),
            )
        )
        db.session.commit()
    client = logged_in(app, member)

    response = submit(client, "/account", {"password": PASSWORD}, action="/account/delete")
    assert response.status_code == 302
    assert client.get("/home").status_code == 302

    everything = every_text_in_the_database(app)
    for personal in (member.email, member.display_name, "Ask me about my allotment."):
        assert personal not in everything
    with app.app_context():
        seats = (
            db.session.execute(select(MatchMember).where(MatchMember.match_id == match_id))
            .scalars()
            .all()
        )
        assert len(seats) == 2, "the match keeps an anonymous count"
        row = db.session.execute(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key == "pending-for-deleted-member"
            )
        ).scalar_one()
        assert row.status == "cancelled"


def test_a_deleted_members_email_can_join_again(app, members):
    member = members.create()
    client = logged_in(app, member)
    submit(client, "/account", {"password": PASSWORD}, action="/account/delete")
    response = submit(
        client,
        "/join",
        {"display_name": "Again", "email": member.email, "password": "a brand new start"},
    )
    assert "Check your email" in response.get_data(as_text=True)
    with app.app_context():
        again = db.session.execute(select(User).where(User.email == member.email)).scalar_one()
        assert again.display_name == "Again"


def test_deleting_with_the_wrong_password_changes_nothing(app, members):
    member = members.create()
    client = logged_in(app, member)
    response = submit(client, "/account", {"password": "not my password"}, action="/account/delete")
    assert response.status_code == 422
    assert "That password isn" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 200


def test_member_changes_email_after_confirming_the_new_address(app, members, mail_sink):
    member = members.create()
    client = logged_in(app, member)
    response = submit(
        client,
        "/account",
        {"new_email": "new.me@example.org", "password": PASSWORD},
        action="/account/email",
    )
    assert response.status_code == 302
    [mail] = mail_sink.to("new.me@example.org")
    assert mail_sink.to(member.email) == []
    link = path_of(next(link for link in links_in(mail.text) if "/email/confirm/" in link))

    assert client.get(link).status_code == 302
    with app.app_context():
        assert db.session.get(User, member.id).email == "new.me@example.org"
    assert client.get(link).status_code == 400, "a confirmation link works once"


@pytest.mark.parametrize(
    ("new_email", "password", "message"),
    [
        ("new@example.org", "wrong password!", "That password isn"),
        ("not-an-email", PASSWORD, "look like an email"),
        ("TAKEN", PASSWORD, "can&#39;t be used"),
    ],
)
def test_email_change_refuses_bad_requests(app, members, mail_sink, new_email, password, message):
    member = members.create()
    taken = members.create()
    client = logged_in(app, member)
    new_email = taken.email if new_email == "TAKEN" else new_email
    response = submit(
        client, "/account", {"new_email": new_email, "password": password}, action="/account/email"
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert mail_sink.to(new_email) == []
    with app.app_context():
        assert db.session.get(User, member.id).email == member.email


def test_account_pages_need_a_login(client):
    for path in (
        "/account",
        "/account/export",
        "/account/export.json",
        "/account/loneliness-check",
    ):
        assert client.get(path).status_code == 302


def test_a_bounced_address_is_explained_and_a_confirmed_new_one_clears_it(app, members, mail_sink):
    member = members.create(
        complete=True,
    )
    with app.app_context():
        db.session.get(User, member.id).email_bounced_at = utcnow()
        db.session.commit()
    client = logged_in(app, member)
    assert "are being returned" in client.get("/home").get_data(as_text=True)
    submit(
        client,
        "/account",
        {"new_email": "works@example.org", "password": PASSWORD},
        action="/account/email",
    )
    [mail] = mail_sink.to("works@example.org")
    client.get(path_of(next(link for link in links_in(mail.text) if "/email/confirm/" in link)))
    assert "are being returned" not in client.get("/home").get_data(as_text=True)
