"""Locust scenarios for the load benchmark (run by ``python -m bench.load``).

Each class is one scenario; the runner picks classes by name so that every
endpoint's throughput is measured alone and then in a realistic mix.
"""

from __future__ import annotations

import itertools
import os
import re

from locust import FastHttpUser, between, constant, task

MEMBERS = int(os.environ.get("LOAD_MEMBERS", "100000"))
PASSWORD = "load-test-member-password"
ORGANIZER = "organizer@load.kindred.example"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
numbers = itertools.count(1)


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
        login(self, f"member{next(numbers) * 37 % MEMBERS + 1}@load.kindred.example")

    @task
    def home(self) -> None:
        self.client.get("/home", name="member home")


class OrganizerMemberList(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        login(self, ORGANIZER)

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
        login(self, f"member{next(numbers) * 53 % MEMBERS + 1}@load.kindred.example")

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
        login(self, ORGANIZER)

    @task
    def member_list(self) -> None:
        page = next(numbers) % 200 + 1
        self.client.get(f"/organize/members/?page={page}", name="organizer member list")
