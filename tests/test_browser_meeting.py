"""A member opens their meeting page in real headless Chromium, on a phone and a desktop."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import test_browser
from tests.factories import PASSWORD
from tests.test_browser import DESKTOP, PHONE, shoot
from tests.test_meeting_places import VENUE, going_page, make_meeting

pytestmark = pytest.mark.browser
# The live server and Chromium fixtures of the first-visit walk.
browser = test_browser.browser
live_server = test_browser.live_server


@pytest.mark.parametrize(("viewport_name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_member_reads_where_who_and_leaves_a_note(
    app, members, browser, live_server, viewport_name, viewport
):
    made = make_meeting(app, members)
    url = going_page(app, made)
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    log_in(page, live_server, made["people"][0].email)
    page.goto(live_server + "/connections/")
    page.get_by_role("link", name="Meeting page").first.click()
    expect(page.get_by_role("heading", name="When and where")).to_be_visible()
    expect(page.get_by_text(VENUE["address"])).to_be_visible()
    expect(page.locator("#coming")).to_contain_text("Ben")
    expect(page.locator("#coming")).not_to_contain_text("Dev")
    expect(page.locator("#starter")).to_contain_text("A first question")
    page.get_by_label("A note for the others (optional)").fill("I'll wear a green scarf")
    page.get_by_role("button", name="Leave a note").click()
    expect(page.get_by_text("Your note is saved.")).to_be_visible()
    assert page.url.startswith(live_server + url)
    shoot(page, f"{viewport_name}-meeting-page")
    context.close()

    # Ben, also going, reads Ada's note and can report it.
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    log_in(page, live_server, made["people"][1].email)
    page.goto(live_server + url)
    expect(page.locator(".note-list")).to_contain_text("Ada: I'll wear a green scarf")
    page.locator(".note summary").first.click()
    expect(page.get_by_label("What's wrong with this note?")).to_be_visible()
    shoot(page, f"{viewport_name}-meeting-page-others-note")
    context.close()

    # The organizer sees the change and cancel forms on the round's page.
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    log_in(page, live_server, made["organizer"].email)
    page.goto(live_server + f"/organize/rounds/{made['round_id']}")
    page.get_by_text("Change place or time, or cancel").click()
    expect(page.get_by_role("button", name="Save and tell members")).to_be_visible()
    shoot(page, f"{viewport_name}-round-change-meeting")
    context.close()


def log_in(page, live_server: str, email: str) -> None:
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
