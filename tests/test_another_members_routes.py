"""Another member: every route about one member's meeting refuses someone who wasn't in it.

The table is generated from the URL map: any rule outside /organize and /admin that
takes a match id is tried, with every method it accepts, by a signed-in member who
was not in that match. Links carrying signed tokens are bearer links from email and
are tested in their own modules.
"""

from __future__ import annotations

from tests.conftest import csrf_token, login
from tests.factories import PASSWORD
from tests.test_after_meeting import meeting
from tests.test_form_fuzz import database_fingerprint

STAFF_PREFIXES = ("/organize", "/admin")


def member_match_rules(app):
    for rule in app.url_map.iter_rules():
        if "match_id" in rule.arguments and not rule.rule.startswith(STAFF_PREFIXES):
            yield rule


def test_every_match_route_refuses_a_member_who_was_not_there(app, members):
    ana, ben, outsider = members.create(), members.create(), members.create()
    match_id = meeting(app, ana, ben)
    client = app.test_client()
    login(client, outsider.email, PASSWORD)
    token = csrf_token(client.get("/account").get_data(as_text=True))
    rules = list(member_match_rules(app))
    assert len(rules) >= 5, [r.rule for r in rules]

    outcomes = {}
    for rule in rules:
        path = rule.rule.replace("<int:match_id>", str(match_id)).replace(
            "<int:user_id>", str(ben.id)
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            before = database_fingerprint(app)
            data = {
                "csrf_token": token,
                "report-reason": "Someone I never met.",
                "met": "yes",
                "feeling": "draining",
            }
            response = client.open(
                path, method=method, data=data if method == "POST" else None, follow_redirects=True
            )
            text = response.get_data(as_text=True)
            refused = (
                response.status_code in (400, 403, 404)
                or "weren&#39;t in" in text
                or ("wasn&#39;t in" in text)
                or "Only people going" in text
            )
            outcomes[(method, rule.rule)] = response.status_code
            assert refused, (method, path, response.status_code)
            assert database_fingerprint(app) == before, (method, path)
    assert outcomes
