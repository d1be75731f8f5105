"""A new member's whole first visit, in real headless Chromium."""

from __future__ import annotations

import shutil
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.conftest import ARTIFACTS, links_in, path_of, wait_for_mail

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(("viewport_name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_new_member_signs_up_verifies_fills_the_wizard_and_sees_home(
    browser, live_server, mail_sink, viewport_name, viewport
):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    email = f"maya-{viewport_name}@example.org"

    page.goto(live_server + "/")
    shoot(page, f"{viewport_name}-01-welcome")
    page.get_by_role("link", name="Join Kindred").first.click()

    page.get_by_label("What should we call you?").fill("Maya")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_text("Use at least 10 characters.")).to_be_visible()
    expect(page.get_by_label("What should we call you?")).to_have_value("Maya")
    shoot(page, f"{viewport_name}-02-signup-error")

    page.get_by_label("Password").fill("lanterns by the harbour")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    [mail] = wait_for_mail(mail_sink, email)
    link = next(link for link in links_in(mail.text) if "/verify/" in link)
    page.goto(live_server + path_of(link))
    expect(page.get_by_text("your email is confirmed")).to_be_visible()
    page.get_by_role("link", name="Continue my profile").click()

    # Step 1: interests
    for name in ("Gardening", "Board games", "Baking"):
        page.get_by_text(name, exact=True).click()
    shoot(page, f"{viewport_name}-03-interests")
    page.get_by_role("button", name="Save and continue").click()

    # Step 2: how they like to meet
    page.get_by_label("Store my comfort and availability").check()
    page.get_by_text("A small, calm group of three or four feels right").click()
    page.get_by_text("A small group (3-4 people)").click()
    page.get_by_text("Either is fine").click()
    page.get_by_text("A walking partner").click()
    shoot(page, f"{viewport_name}-04-meeting")
    page.get_by_role("button", name="Save and continue").click()

    # Step 3: availability
    for slot in ("Tuesday evening", "Saturday morning", "Sunday afternoon"):
        page.get_by_label(slot).check()
    shoot(page, f"{viewport_name}-05-availability")
    page.get_by_role("button", name="Save and continue").click()

    # Step 4: place
    page.get_by_label("Your neighbourhood").select_option(label="Riverside")
    page.get_by_label("How far are you happy to travel? (km)").fill("4")
    page.get_by_text("Gentle: a slow stroll with stops").click()
    page.get_by_label("English").check()
    shoot(page, f"{viewport_name}-06-place")
    page.get_by_role("button", name="Save and continue").click()

    # Step 5: about
    page.get_by_label("A few words about you (optional)").fill("I bake too much bread.")
    page.get_by_role("button", name="Save my profile").click()

    expect(page.get_by_role("heading", name="Hello, Maya")).to_be_visible()
    expect(page.get_by_text("100% complete")).to_be_visible()
    expect(page.get_by_text("You're all set")).to_be_visible()
    shoot(page, f"{viewport_name}-07-home")
    context.close()
