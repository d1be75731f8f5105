"""Locust scenarios for the load benchmark (run by ``python -m bench.load``).

Each class is one scenario; the runner picks classes by name so that every
endpoint's throughput is measured alone and then in a realistic mix.

Pages are measured for members who are already logged in: the runner logs each
client in before the clock starts (``LOAD_SESSIONS``, a JSON file of cookies,
one list per client) and logins are measured apart, in the Login scenario.
Without that file, each client logs in when it starts, inside the measurement.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from http.cookiejar import Cookie
from urllib.parse import urlsplit

from locust import FastHttpUser, between, constant, events, task

from bench.load_accounts import ORGANIZER, PASSWORD, member_email

MEMBERS = int(os.environ.get("LOAD_MEMBERS", "100000"))
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
numbers = itertools.count(1)
member_clients = itertools.count(1)
organizer_clients = itertools.count(1)
SESSIONS: dict[str, list[list[list[str]]]] = (
    json.loads(open(os.environ["LOAD_SESSIONS"]).read()) if os.environ.get("LOAD_SESSIONS") else {}
)


# With LOAD_TIMELINE set, every response time is also kept by the minute it ended in
# and written there at the end, so a slowdown over the run shows minute by minute.
TIMELINE_PATH = os.environ.get("LOAD_TIMELINE")
TIMELINE: dict[int, list[float]] = {}
STARTED = time.monotonic()


@events.request.add_listener
def keep_by_minute(response_time: float, **_kwargs) -> None:
    if TIMELINE_PATH:
        TIMELINE.setdefault(int((time.monotonic() - STARTED) // 60), []).append(response_time)


@events.quitting.add_listener
def write_timeline(**_kwargs) -> None:
    if TIMELINE_PATH:
        with open(TIMELINE_PATH, "w") as handle:
            json.dump({str(minute): times for minute, times in sorted(TIMELINE.items())}, handle)


def start_logged_in(user: FastHttpUser, kind: str, number: int, email: str) -> None:
    """Take the session the runner opened for this client, or log in without one."""
    opened = SESSIONS.get(kind, [])
    if not opened:
        login(user, email)
        return
    host = urlsplit(user.host).hostname or ""
    for name, value in opened[(number - 1) % len(opened)]:
        user.client.cookiejar.set_cookie(session_cookie(host, name, value))


def session_cookie(host: str, name: str, value: str) -> Cookie:
    return Cookie(
        version=0,
        name=name,
        value=value,
        port=None,
        port_specified=False,
        domain=host,
        domain_specified=False,
        domain_initial_dot=False,
        path="/",
        path_specified=True,
        secure=False,
        expires=None,
        discard=True,
        comment=None,
        comment_url=None,
        rest={"HttpOnly": ""},
    )


def login(user: FastHttpUser, email: str) -> None:
    page = user.client.get("/login", name="login page (setup)")
    token = CSRF.search(page.text).group(1)
    user.client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        name="login (setup)",
    )


class Hello(FastHttpUser):
    """The ceiling: a route with no database and no session."""

    wait_time = constant(0)

    @task
    def hello(self) -> None:
        self.client.get("/healthz", name="hello")


class MemberHome(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        number = next(member_clients)
        start_logged_in(self, "member", number, member_email(number, MEMBERS))

    @task
    def home(self) -> None:
        self.client.get("/home", name="member home")


class OrganizerMemberList(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        start_logged_in(self, "organizer", next(organizer_clients), ORGANIZER)

    @task
    def member_list(self) -> None:
        page = next(numbers) % 200 + 1
        self.client.get(f"/organize/members/?page={page}", name="organizer member list")


class Login(FastHttpUser):
    """Measured apart: Argon2 is slow on purpose."""

    wait_time = constant(0)

    @task
    def login(self) -> None:
        self.client.cookiejar.clear()
        login(self, f"member{next(numbers) % MEMBERS + 1}@load.kindred.example")


class Member(FastHttpUser):
    """The realistic mix: browsing home and connections, editing the profile."""

    wait_time = between(0.05, 0.2)
    weight = 4

    def on_start(self) -> None:
        number = next(member_clients)
        start_logged_in(self, "member", number, member_email(number, MEMBERS))

    @task(5)
    def home(self) -> None:
        self.client.get("/home", name="member home")

    @task(3)
    def connections(self) -> None:
        self.client.get("/connections/", name="connections")

    @task(1)
    def edit_profile(self) -> None:
        page = self.client.get("/profile/about", name="profile page")
        token = CSRF.search(page.text).group(1)
        self.client.post(
            "/profile/about",
            data={"about_me": "Happy to walk and talk.", "csrf_token": token},
            name="profile edit",
        )


class Organizer(FastHttpUser):
    wait_time = between(0.05, 0.2)
    weight = 1

    def on_start(self) -> None:
        start_logged_in(self, "organizer", next(organizer_clients), ORGANIZER)

    @task
    def member_list(self) -> None:
        page = next(numbers) % 200 + 1
        self.client.get(f"/organize/members/?page={page}", name="organizer member list")
