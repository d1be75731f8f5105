"""Every form, fed hostile text: never a 500, and nothing stored when validation fails."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from community.extensions import db
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD
from tests.form_pages import forms_on

NASTY = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "\x00",
            "Rosa\x00Smith",
            "\u202eevil\u202c",
            "مرحبا بالجميع",
            "👩‍👩‍👧‍👦🎉",
            "line one\r\nBcc: all@example.org",
            "<script>alert(1)</script>",
            '=HYPERLINK("http://evil")',
            "' OR 1=1 --",
            "9" * 400,
            "x" * 20_000,
            "-1",
            "1e309",
            "2999-99-99",
        ]
    ),
)
SKIP_ACTIONS = ("/logout",)


def database_fingerprint(app) -> str:
    """A hash of every row, except bookkeeping that any request may touch."""
    digest = hashlib.sha256()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if table.name in ("login_sessions", "outbox"):
                continue
            for row in db.session.execute(text(f"SELECT * FROM {table.name} ORDER BY 1")):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def signed_in(app, member):
    client = app.test_client()
    login(client, member.email, PASSWORD)
    return client


def pages_to_visit(app) -> list[str]:
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint == "static":
            continue
        pages.append(rule.rule)
    pages += [f"/profile/{step}" for step in ("interests", "meeting", "availability", "place")]
    return sorted(set(pages))


def discover_forms(app, client):
    found = []
    for page in pages_to_visit(app):
        response = client.get(page)
        if response.status_code == 200 and "text/html" in response.content_type:
            found += forms_on(page, response.get_data(as_text=True))
    return [f for f in found if not f.action.startswith(SKIP_ACTIONS)]


@pytest.mark.parametrize("role", ["member", "organizer"])
def test_hostile_input_never_breaks_a_form_or_half_saves(app, members, role):
    person = members.create(complete=True, role=role)
    client = signed_in(app, person)
    forms = discover_forms(app, client)
    assert len(forms) >= (6 if role == "member" else 8), [f.action for f in forms]

    tokens = {form.page: csrf_token(client.get(form.page).get_data(as_text=True)) for form in forms}

    # No shrinking: a failure names the form and the values, which is all we need,
    # and shrinking across every form at once takes minutes.
    @settings(
        max_examples=6,
        phases=[Phase.explicit, Phase.generate],
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        derandomize=True,
    )
    @given(data=st.data())
    def post_hostile(data):
        for form in forms:
            values = {
                name: data.draw(
                    st.one_of(NASTY, st.sampled_from(options)) if options else NASTY,
                    label=f"{form.action}:{name}",
                )
                for name, options in form.fields.items()
            }
            values["csrf_token"] = tokens[form.page]
            before = database_fingerprint(app)
            response = client.post(form.action, data=values)
            assert response.status_code < 500, (form.action, values)
            if response.status_code in (400, 403, 404, 413, 422):
                assert database_fingerprint(app) == before, (form.action, values)

    post_hostile()
