"""Admins: roles, deactivation, resending verification, and the audit log they read."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import AuditEntry, OutboxMessage, User
from tests.conftest import login, submit
from tests.factories import PASSWORD


@pytest.fixture
def admin(app, members):
    user = members.create(role="admin")
    client = app.test_client()
    login(client, user.email, PASSWORD)
    client.user_id = user.id
    return client


def user(app, user_id: int) -> User:
    with app.app_context():
        found = db.session.get(User, user_id)
        db.session.expunge(found)
        return found


def test_admin_makes_a_member_an_organizer_who_then_sees_the_organize_pages(app, admin, members):
    person = members.create()
    response = submit(
        admin,
        f"/organize/members/{person.id}",
        {"role": "organizer"},
        action=f"/admin/members/{person.id}/role",
    )
    assert response.status_code == 302
    assert user(app, person.id).role == "organizer"
    client = app.test_client()
    login(client, person.email, PASSWORD)
    assert client.get("/organize/dashboard").status_code == 200
    assert client.get("/admin/").status_code == 403
    with app.app_context():
        entry = db.session.execute(select(AuditEntry)).scalar_one()
        assert (entry.action, entry.before["role"], entry.after["role"]) == (
            "member.role",
            "member",
            "organizer",
        )
        assert entry.actor_id == admin.user_id and entry.target_id == person.id


def test_unknown_role_and_own_role_change_are_refused(app, admin):
    page = f"/organize/members/{admin.user_id}"
    submit(admin, page, {"role": "overlord"}, action=f"/admin/members/{admin.user_id}/role")
    response = submit(
        admin,
        page,
        {"role": "member"},
        action=f"/admin/members/{admin.user_id}/role",
        follow_redirects=True,
    )
    assert "You can&#39;t change your own role" in response.get_data(as_text=True)
    assert user(app, admin.user_id).role == "admin"


def test_deactivated_member_cannot_log_in_until_reactivated(app, admin, members):
    person = members.create()
    page = f"/organize/members/{person.id}"
    submit(admin, page, {}, action=f"/admin/members/{person.id}/deactivate")
    assert user(app, person.id).active is False
    blocked = app.test_client()
    assert login(blocked, person.email, PASSWORD).status_code == 200  # the form again
    submit(admin, page, {}, action=f"/admin/members/{person.id}/reactivate")
    assert user(app, person.id).active is True
    assert login(app.test_client(), person.email, PASSWORD).status_code == 302
    with app.app_context():
        actions = db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars()
        assert list(actions) == ["member.deactivate", "member.reactivate"]


def test_admin_resends_the_verification_email(app, admin, members):
    person = members.create(verified=False)
    response = submit(
        admin,
        f"/organize/members/{person.id}",
        {},
        action=f"/admin/members/{person.id}/resend-verification",
        follow_redirects=True,
    )
    assert f"A new confirmation link is on its way to {person.email}" in response.get_data(
        as_text=True
    )
    with app.app_context():
        mail = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.recipient == person.email)
        ).scalar_one()
        assert mail.template == "verify_email"


def test_audit_log_shows_who_changed_what(app, admin, members):
    person = members.create()
    submit(
        admin,
        f"/organize/members/{person.id}",
        {"role": "organizer"},
        action=f"/admin/members/{person.id}/role",
    )
    page = admin.get("/admin/").get_data(as_text=True)
    assert "member.role" in page and "<del>member</del>" in page and "<ins>organizer</ins>" in page


def test_organizer_does_not_see_admin_controls(app, members):
    organizer = members.create(role="organizer")
    person = members.create()
    client = app.test_client()
    login(client, organizer.email, PASSWORD)
    page = client.get(f"/organize/members/{person.id}").get_data(as_text=True)
    assert "Change role" not in page and "/admin/" not in page
