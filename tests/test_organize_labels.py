"""Every control on the organizers' and admins' pages has a label a screen reader can read."""

from __future__ import annotations

from html.parser import HTMLParser

from sqlalchemy import select

from community.auth.passwords import hash_password
from community.demo.community import seed_demo
from community.extensions import db
from community.models import Area, Interest, Opportunity, Report, User
from tests.conftest import login
from tests.factories import PASSWORD

OWN_BLUEPRINTS = (
    "organize",
    "organize_areas",
    "organize_interests",
    "organize_opportunities",
    "organize_members",
    "organize_reports",
    "admin",
)


class Controls(HTMLParser):
    """Collects form controls and what labels them."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str]] = []
        self.label_for: set[str] = set()
        self.open_labels = 0
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        values = {key: value or "" for key, value in attrs}
        if "id" in values:
            self.ids.append(values["id"])
        if tag == "label":
            self.open_labels += 1
            if values.get("for"):
                self.label_for.add(values["for"])
        elif tag in ("input", "select", "textarea"):
            if values.get("type") in ("hidden", "submit"):
                return
            self.controls.append({**values, "_tag": tag, "_wrapped": str(self.open_labels > 0)})
        elif tag == "button" and not values.get("aria-label"):
            self.controls.append({**values, "_tag": "button", "_wrapped": "True"})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.open_labels -= 1

    def unlabelled(self) -> list[dict[str, str]]:
        return [
            control
            for control in self.controls
            if control["_wrapped"] != "True"
            and control.get("id") not in self.label_for
            and not control.get("aria-label")
            and not control.get("aria-labelledby")
        ]


def pages(app) -> list[str]:
    with app.app_context():
        ids = {
            "area_id": db.session.execute(select(Area.id).limit(1)).scalar_one(),
            "interest_id": db.session.execute(select(Interest.id).limit(1)).scalar_one(),
            "opportunity_id": db.session.execute(select(Opportunity.id).limit(1)).scalar_one(),
            "report_id": db.session.execute(select(Report.id).limit(1)).scalar_one(),
            "user_id": db.session.execute(
                select(User.id).where(User.email_verified_at.is_(None)).limit(1)
            ).scalar_one(),
        }
    adapter = app.url_map.bind("localhost")
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in OWN_BLUEPRINTS or "GET" not in rule.methods:
            continue
        if rule.endpoint == "organize.figure_csv":
            continue
        values = {name: ids[name] for name in rule.arguments}
        paths.append(adapter.build(rule.endpoint, values))
    return paths


def test_every_control_on_the_organize_pages_is_labelled(make_app):
    app = make_app()
    with app.app_context():
        seed_demo(40)
        admin = db.session.execute(select(User).where(User.role == "admin")).scalar_one()
        admin.password_hash = hash_password(PASSWORD)
        email = admin.email
        db.session.commit()
    client = app.test_client()
    login(client, email, PASSWORD)
    problems = []
    visited = pages(app)
    assert len(visited) >= 12
    for path in visited:
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        parser = Controls()
        parser.feed(response.get_data(as_text=True))
        problems += [f"{path}: <{c['_tag']} name={c.get('name')!r}>" for c in parser.unlabelled()]
        duplicates = {i for i in parser.ids if parser.ids.count(i) > 1}
        if duplicates:
            problems.append(f"{path}: repeated ids {sorted(duplicates)}")
    assert not problems, "\n".join(problems)
