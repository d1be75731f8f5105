"""The organizer's round and the member's answer, end to end in headless Chromium.

On the demo community: an organizer runs a groups round (large enough to run in
the background, so the page polls its progress) and a walking round, previews
both, moves one member, approves; the mail sink receives the invitations; a
member opens one, accepts through the link and finds the meeting on "My
connections". Screenshots at phone and desktop widths land in tests/artifacts/.
"""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from community.demo.community import seed_demo
from community.extensions import db
from community.mail.delivery import send_pending_mail
from tests.conftest import links_in, path_of
from tests.test_browser import DESKTOP, PHONE, browser, shoot  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_app(make_app):
    # A groups round over the demo (about 170 eligible) runs in the background.
    app = make_app(ROUND_BACKGROUND_THRESHOLD=150)
    with app.app_context():
        logins = seed_demo(300)
        db.session.commit()
    app.config["DEMO_ORGANIZER"] = next(x for x in logins if x.role == "admin")
    # Every demo member shares the one password seed_demo reports.
    app.config["DEMO_MEMBER_PASSWORD"] = next(x for x in logins if x.role == "member").password
    return app


@pytest.fixture
def demo_server(demo_app):
    server = make_server("127.0.0.1", 0, demo_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def log_in(page, base: str, email: str, password: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def nav(page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def start_round(page, kind_label: str) -> None:
    nav(page, "Rounds")
    page.get_by_role("link", name="Start a round").click()
    page.get_by_text(kind_label, exact=True).click()
    page.get_by_role("button", name="Find matches").click()


@pytest.mark.parametrize(("viewport_name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_organizer_runs_and_approves_rounds_and_a_member_accepts(
    browser,  # noqa: F811
    demo_app,
    demo_server,
    mail_sink,
    viewport_name,
    viewport,
):
    organizer = demo_app.config["DEMO_ORGANIZER"]
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    log_in(page, demo_server, organizer.email, organizer.password)

    # A groups round: it runs in the background and the page follows its progress.
    nav(page, "Rounds")
    page.get_by_role("link", name="Start a round").click()
    page.get_by_text("Small groups", exact=True).click()
    shoot(page, f"{viewport_name}-rounds-01-new")
    page.get_by_role("button", name="Find matches").click()
    expect(page.get_by_role("heading", name="Proposed groups")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("members placed")).to_be_visible()
    shoot(page, f"{viewport_name}-rounds-02-preview")

    # Move the first member of group 1 into group 2.
    first = page.locator("#match-1 .seat").first
    name = first.locator(".seat-name").inner_text()
    first.locator("summary").click()
    first.get_by_label(f"Move {name} to group").fill("2")
    shoot(page, f"{viewport_name}-rounds-03-adjust")
    first.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_text("Moved to group 2. The figures are updated.")).to_be_visible()
    expect(page.locator("#match-2 .seat-name", has_text=name).first).to_be_visible()

    page.get_by_role("button", name="Approve and send invitations").click()
    expect(page.get_by_text("invitations are on their way")).to_be_visible()
    expect(page.get_by_role("heading", name="Responses")).to_be_visible()
    shoot(page, f"{viewport_name}-rounds-04-approved")

    # A walking round: small enough to compute at once.
    start_round(page, "Walking partners")
    expect(page.get_by_role("heading", name="Proposed pairs")).to_be_visible(timeout=60_000)
    shoot(page, f"{viewport_name}-rounds-05-walks-preview")
    page.get_by_role("button", name="Approve and send invitations").click()
    expect(page.get_by_text("invitations are on their way")).to_be_visible()
    nav(page, "Rounds")
    shoot(page, f"{viewport_name}-rounds-06-list")
    context.close()

    # Whatever inline delivery left is delivered by the sender, as `flask send-mail` would.
    with demo_app.app_context():
        send_pending_mail()
    invitations = [m for m in mail_sink.messages if m.subject.startswith("You're invited")]
    assert len(invitations) > 150
    mail = next(m for m in invitations if "small group" in m.subject)
    member_email = mail.to
    accept = next(x for x in links_in(mail.text) if x.endswith("/accept"))

    member = browser.new_context(viewport=viewport)
    page = member.new_page()
    page.goto(demo_server + path_of(accept))
    expect(page.get_by_role("heading", name="Join them?")).to_be_visible()
    shoot(page, f"{viewport_name}-rounds-07-accept")
    page.get_by_role("button", name="Yes, I'll be there").click()
    expect(page.get_by_role("heading", name="See you there.")).to_be_visible()
    shoot(page, f"{viewport_name}-rounds-08-accepted")
    page.get_by_role("link", name="See my connections").click()
    page.get_by_label("Email").fill(member_email)
    page.get_by_label("Password").fill(demo_app.config["DEMO_MEMBER_PASSWORD"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My connections")).to_be_visible()
    shoot(page, f"{viewport_name}-rounds-09-connections")
    expect(page.locator("#coming-up .pill-accepted")).to_have_count(1)
    member.close()


def test_a_round_whose_worker_stopped_says_so_and_runs_again(browser, app, members):  # noqa: F811
    from tests.factories import PASSWORD
    from tests.round_helpers import community, make_round, organizer
    from tests.test_rounds import stall

    community(members, 8)
    boss = organizer(members)
    round_id = make_round(app)
    stall(app, round_id, minutes=40)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        page = browser.new_context(viewport=DESKTOP).new_page()
        log_in(page, base, boss.email, PASSWORD)
        page.goto(f"{base}/organize/rounds/{round_id}")
        expect(page.get_by_role("heading", name="The matching stopped")).to_be_visible()
        expect(page.get_by_text("no progress for 15 minutes")).to_be_visible()
        rerun = page.get_by_role("button", name="Rerun the matching")
        expect(rerun).to_be_visible()
        shoot(page, "round-stalled-desktop")
        rerun.click()
        expect(page.get_by_role("button", name="Approve and send invitations")).to_be_visible()
    finally:
        server.shutdown()
        thread.join()
