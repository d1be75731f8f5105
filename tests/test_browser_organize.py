"""An organizer's afternoon in the demo community, in real headless Chromium.

They add an area and an opportunity, merge two interests, find a member, handle a
report and look at the dashboard's charts; screenshots land in tests/artifacts.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from community.demo.community import seed_demo
from community.extensions import db
from tests.test_browser import browser, live_server, shoot  # noqa: F401  (fixtures)

TABLET = {"width": 820, "height": 1180}
LAPTOP = {"width": 1280, "height": 900}

pytestmark = pytest.mark.browser


@pytest.fixture
def organizer_login(app) -> tuple[str, str]:
    with app.app_context():
        logins = seed_demo(300)
        db.session.commit()
    login = next(login for login in logins if login.role == "organizer")
    return login.email, login.password


@pytest.mark.parametrize(("device", "viewport"), [("laptop", LAPTOP), ("tablet", TABLET)])
def test_organizer_tends_the_demo_community(
    browser,  # noqa: F811
    live_server,  # noqa: F811
    organizer_login,
    device,
    viewport,
):
    email, password = organizer_login
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    # The demo has 300 members and other suites may share the machine: allow for slow pages.
    page.set_default_timeout(20_000)
    expect.set_options(timeout=15_000)
    name = f"organize-{device}"

    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Organize").click()

    # The dashboard: six charts drawn from the demo's ten weeks of history.
    expect(page.get_by_role("heading", name="How the community is doing")).to_be_visible()
    charts = page.locator("svg.chart-svg")
    expect(charts).to_have_count(6)
    expect(page.locator("svg.chart-svg rect.chart-bar").first).to_be_visible()
    assert page.locator("svg.chart-svg rect.chart-bar").count() > 40
    expect(page.get_by_text("No data yet")).to_have_count(0)
    shoot(page, f"{name}-01-dashboard")
    with page.expect_download() as download:
        page.locator("#figure-feelings").get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.startswith("kindred-feelings-")

    # Add an area, picking its centre on the map.
    nav = page.get_by_role("navigation", name="Organize")
    nav.get_by_role("link", name="Areas").click()
    page.get_by_label("Name").fill("Westbury")
    page.get_by_label("Centre at", exact=False).nth(18).click()
    expect(page.get_by_text("Centre set to")).to_be_visible()
    page.get_by_label("Name").fill("Westbury")
    page.get_by_label("Default travel radius (km)").fill("4")
    shoot(page, f"{name}-02-area-picked")
    page.get_by_label("Default travel radius (km)").press("Enter")  # the keyboard way
    expect(page.get_by_text("\u201cWestbury\u201d is added.")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Westbury")).to_be_visible()

    # Bad input is explained and changes nothing.
    page.get_by_label("Name").fill("Old Town")
    page.get_by_label("Centre latitude").fill("200")
    page.get_by_label("Centre longitude").fill("-2.6")
    page.get_by_role("button", name="Add area").click()
    expect(page.get_by_text("Latitude must be between -90 and 90.")).to_be_visible()
    shoot(page, f"{name}-03-area-error")

    # A new volunteer opportunity.
    nav.get_by_role("link", name="Opportunities").click()
    page.get_by_role("link", name="New opportunity").click()
    page.get_by_label("Title").fill("Tea and chat at the library")
    page.get_by_label("Host organisation").fill("Westbury Library")
    page.get_by_label("Where", exact=True).select_option(label="Westbury")
    page.get_by_label("Capacity (volunteers)").fill("5")
    page.get_by_label("Description").fill("Pour tea, listen, and keep the biscuits coming.")
    page.get_by_label("Contact").fill("tea@westbury-library.example.org")
    page.get_by_label("Tuesday afternoon").check()
    page.get_by_label("Thursday afternoon").check()
    page.get_by_text("Choose interests").click()
    page.locator("label.chip", has_text="Reading").first.click()
    page.locator("label.chip", has_text="Coffee").click()
    page.get_by_text("2: A small, calm group").click()
    shoot(page, f"{name}-04-opportunity-form")
    page.get_by_role("button", name="Create opportunity").click()
    expect(page.get_by_text("is open for volunteers")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Tea and chat at the library"))
    expect(row).to_contain_text("0 of 5")
    shoot(page, f"{name}-05-opportunities")

    # Merge "Hiking" into "Walking": members who chose Hiking keep it as Walking.
    nav.get_by_role("link", name="Interests").click()
    page.get_by_role("link", name="Hiking", exact=True).click()
    page.get_by_label("Merge \u201cHiking\u201d into").select_option(label="Walking (Outdoors)")
    page.get_by_role("button", name="Merge").click()
    expect(
        page.get_by_text("\u201cHiking\u201d is merged into \u201cWalking\u201d")
    ).to_be_visible()
    shoot(page, f"{name}-06-interests-merged")

    # Find a member by name and area, using the keyboard to search.
    nav.get_by_role("link", name="Members").click()
    expect(page.get_by_text(re.compile(r"Showing 1–25 of 30\d members"))).to_be_visible()
    page.get_by_label("Area").select_option(label="Riverside")
    page.get_by_label("Looking for").select_option(label="Walks")
    search = page.get_by_label("Name or email")
    search.fill("member1")
    search.press("Enter")
    expect(page.get_by_text(re.compile(r"Showing 1–\d+ of \d+ members"))).to_be_visible()
    shoot(page, f"{name}-07-members-found")
    matched = page.locator("table.table tbody tr").filter(has_not_text="Never").first
    matched.locator("th a").click()
    expect(page.get_by_role("heading", name="Matches and responses")).to_be_visible()
    shoot(page, f"{name}-08-member")

    # Handle the oldest report.
    nav.get_by_role("link", name=re.compile("Reports")).click()
    expect(page.get_by_role("heading", name="Waiting for a decision (4)")).to_be_visible()
    shoot(page, f"{name}-09-reports")
    page.get_by_role("link", name=re.compile("^Review")).first.click()
    page.get_by_text("Warn the member").click()
    page.get_by_label("Note for the record (optional)").fill("Spoke to them on the phone too.")
    shoot(page, f"{name}-10-report")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("won't be matched together again")).to_be_visible()
    expect(page.get_by_role("heading", name="Waiting for a decision (3)")).to_be_visible()

    # The care view, and back to the charts.
    nav.get_by_role("link", name="Care").click()
    expect(page.get_by_role("heading", name="Waiting a long time")).to_be_visible()
    assert page.locator("section[aria-labelledby=unplaced-heading] tbody tr").count() >= 3
    shoot(page, f"{name}-11-care")
    nav.get_by_role("link", name="Dashboard").click()
    page.locator("#figure-responses summary").click()
    expect(page.locator("#figure-responses table")).to_be_visible()
    shoot(page, f"{name}-12-dashboard-after")
    context.close()
