"""An organizer adds a venue in real headless Chromium, on a phone and on a desktop.

Screenshots land in tests/artifacts.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.test_browser import DESKTOP, PHONE, browser, live_server, shoot  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("device", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_organizer_adds_a_venue_and_sees_it_in_the_list(
    browser,  # noqa: F811
    live_server,  # noqa: F811
    members,
    device,
    viewport,
):
    organizer = members.create(role="organizer")
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    name = f"venues-{device}"

    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(organizer.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server + "/organize/dashboard")
    page.get_by_role("navigation", name="Organize").get_by_role("link", name="Venues").click()
    expect(page.get_by_role("heading", name="Venues", exact=True)).to_be_visible()
    expect(page.get_by_text("No venues yet")).to_be_visible()
    page.get_by_role("link", name="Add a venue").click()

    page.get_by_label("Name", exact=True).fill("The Quiet Cup")
    page.get_by_label("Area", exact=True).select_option(label="Old Town")
    page.get_by_label("Address").fill("12 Corn Street, Old Town, Bristol BS1 1JG")
    page.get_by_role("button", name="Use the area's centre").click()
    expect(page.get_by_text("Position set to Old Town's centre")).to_be_visible()
    expect(page.get_by_label("Latitude")).to_have_value("51.45450")
    page.get_by_label("Latitude").fill("51.4551")  # adjusted to the door

    page.get_by_label("Cafe").check()
    page.get_by_label("Monday morning").check()
    page.get_by_label("Saturday afternoon").check()
    page.get_by_label("Capacity (groups at once)").fill("0")
    page.get_by_label("Quiet", exact=True).check()
    page.get_by_label("Step-free access").check()
    page.get_by_label("How to find us").fill(
        "The round tables by the window, ask for the Kindred table."
    )
    page.get_by_role("button", name="Add venue").click()
    expect(page.get_by_text("Capacity must be a whole number from 1 to 50.")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_have_value("The Quiet Cup")
    shoot(page, f"{name}-01-form-error")

    page.get_by_label("Capacity (groups at once)").fill("2")
    page.get_by_role("button", name="Add venue").click()
    expect(page.get_by_text("\u201cThe Quiet Cup\u201d is added.")).to_be_visible()
    expect(page.get_by_role("heading", name="Old Town")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("The Quiet Cup"))
    expect(row).to_contain_text("Cafe")
    expect(row).to_contain_text("Step-free")
    expect(row).to_contain_text("Mornings Mon")
    shoot(page, f"{name}-02-list")
    context.close()
