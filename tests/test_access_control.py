"""Every route under /organize and /admin, walked for every role.

The table of expectations is built from the app's URL map, so a route added by
anyone later (matching rounds, say) is checked without editing this file. URL
parameters are filled with ids of real rows, found by the parameter's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from flask import Flask
from flask_login import login_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from community.extensions import db
from community.models import (
    AuditEntry,
    Feedback,
    Match,
    MatchMember,
    MatchRound,
    Opportunity,
    Report,
    User,
    Venue,
)
from tests.factories import PASSWORD

PREFIXES = ("/organize", "/admin")
ROLES = ("anonymous", "member", "organizer", "admin")


@dataclass(frozen=True)
class Case:
    rule: str
    endpoint: str
    method: str
    path: str
    admin_only: bool

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.endpoint})"


@pytest.fixture
def community(make_app, members):
    """An app without CSRF checks (so the role check is what answers) and one of everything."""
    app = make_app(WTF_CSRF_ENABLED=False)
    people = {
        "member": members.create(),
        "organizer": members.create(role="organizer"),
        "admin": members.create(role="admin"),
    }
    target = members.create(complete=True)
    other = members.create(complete=True)
    with app.app_context():
        opportunity = Opportunity(title="Garden", host="Growers", capacity=4, min_comfort=1)
        venue = Venue(name="Corner Cafe", address="1 High Street", latitude=51.45, longitude=-2.59)
        round_ = MatchRound(kind="groups", status="approved", week_start=date(2030, 3, 4))
        match = Match(round=round_, kind="groups", slot=1, format="in_person")
        db.session.add_all([opportunity, venue, round_, match])
        db.session.flush()
        db.session.add_all(
            [
                MatchMember(match_id=match.id, user_id=target.id, status="accepted"),
                MatchMember(match_id=match.id, user_id=other.id, status="accepted"),
                Feedback(match_id=match.id, user_id=target.id, met=True, feeling="neutral"),
                Report(reporter_id=other.id, reported_user_id=target.id, reason="Rude to me."),
                AuditEntry(action="test", target_type="users", target_id=target.id),
            ]
        )
        db.session.commit()
    return app, people, target


def plural_forms(word: str) -> set[str]:
    forms = {word + "s", word + "es"}
    if word.endswith("y"):
        forms.add(word[:-1] + "ies")
    return forms


def id_for(name: str, target: User) -> int:
    """A real id for a URL parameter such as ``area_id`` or ``round_id``."""
    if name in ("user_id", "member_id", "id"):
        return target.id
    stem = name.removesuffix("_id")
    forms = plural_forms(stem)
    for mapper in db.Model.registry.mappers:
        table = mapper.local_table.name
        if table in forms or any(table.endswith("_" + form) for form in forms):
            model = mapper.class_
            found = db.session.execute(select(model.id).order_by(model.id).limit(1)).scalar()
            if found is not None:
                return found
    pytest.fail(f"No row to fill <{name}>: add one to the community fixture")


def guarded_cases(app: Flask, target: User) -> list[Case]:
    """One case per rule and method under the protected prefixes."""
    cases = []
    adapter = app.url_map.bind("localhost")
    with app.app_context():
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith(PREFIXES):
                continue
            values = {}
            for name, converter in (rule._converters or {}).items():
                kind = type(converter).__name__
                if kind in ("IntegerConverter", "NumberConverter"):
                    values[name] = id_for(name, target)
                elif kind == "AnyConverter":
                    values[name] = sorted(converter.items)[0]
                else:
                    values[name] = "x"
            path = adapter.build(rule.endpoint, values, force_external=False)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                cases.append(
                    Case(rule.rule, rule.endpoint, method, path, rule.rule.startswith("/admin"))
                )
    return cases


def log_in(app: Flask, user: User):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, f"could not log in {user.email}"
    return client


def guard_answer(app: Flask, user: User, case: Case) -> int | None:
    """What the before-request checks say, without running the view (for POST routes)."""
    with app.test_request_context(case.path, method=case.method):
        login_user(db.session.get(User, user.id))
        try:
            response = app.preprocess_request()
        except HTTPException as error:
            return error.code
        return None if response is None else response.status_code


def test_every_protected_route_checks_the_role(community):
    app, people, target = community
    cases = guarded_cases(app, target)
    endpoints = {case.endpoint for case in cases}
    # The walk must see the organizers' and admins' pages at least; others join as they come.
    assert {"organize.dashboard", "organize_members.index", "admin.index"} <= endpoints
    assert any(case.method == "POST" for case in cases)

    clients = {"anonymous": app.test_client()}
    clients.update({role: log_in(app, user) for role, user in people.items()})
    failures = []
    for case in cases:
        for role in ROLES:
            client = clients[role]
            allowed = role == "admin" or (role == "organizer" and not case.admin_only)
            if not allowed or case.method == "GET":
                response = client.open(case.path, method=case.method)
                status = response.status_code
                location = response.headers.get("Location", "")
                if role == "anonymous":
                    ok = status == 401 or (status == 302 and "/login" in location)
                elif not allowed:
                    ok = status == 403
                else:
                    ok = status < 500 and status not in (401, 403) and "/login" not in location
            else:
                # Allowed POSTs: prove the checks let the request through, but don't run
                # the view, so the walk changes nothing.
                with app.app_context():
                    status = guard_answer(app, people[role], case)
                ok = status is None
            if not ok:
                failures.append(f"{role:>9}: {case} -> {status}")
    assert not failures, "Access control broken:\n" + "\n".join(failures)


def test_the_walk_covers_every_rule_under_the_prefixes(community):
    """Guards against a rule being skipped because its parameters could not be filled."""
    app, _people, target = community
    cases = guarded_cases(app, target)
    rules = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith(PREFIXES)}
    assert {case.rule for case in cases} == rules
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIXES):
            methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
            covered = {c.method for c in cases if c.rule == rule.rule}
            assert covered == methods, rule.rule


def test_logged_out_visitor_is_sent_to_log_in_and_comes_back(community):
    app, _people, _target = community
    response = app.test_client().get("/organize/members/")
    assert response.status_code == 302
    assert "/login" in response.location and "next=" in response.location


def test_organize_and_admin_links_show_only_for_those_roles(community):
    app, people, _target = community
    pages = {
        role: log_in(app, user).get("/home").get_data(as_text=True) for role, user in people.items()
    }
    assert "/organize/dashboard" not in pages["member"]
    assert "/organize/dashboard" in pages["organizer"] and "/admin/" not in pages["organizer"]
    assert "/organize/dashboard" in pages["admin"] and "/admin/" in pages["admin"]
