"""Benchmark: approve a round of 10,000 members (time and SQL statements).

Seeds N members straight into a scratch database (bulk inserts), runs a groups
round through the ordinary service, then times ``approve_round``: the
status flips, the seat updates and one outbox row per member with its .ics.

    python -m bench.approve_round                       # SQLite scratch file
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_test python -m bench.approve_round

The PostgreSQL database is wiped first, so its name must contain "test".
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import create_engine, event, func, insert, select, text

from community import create_app
from community.auth.passwords import hash_password
from community.catalogue.setup import seed_areas, seed_vocabulary
from community.extensions import db
from community.models import Area, Interest, MatchRound, OutboxMessage, Profile, User, utcnow
from community.models.profiles import member_interests
from community.rounds.approval import approve_round
from community.rounds.proposal import compute_round, start_round


def database_uri(workdir: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{workdir / 'approve-bench.db'}"
    url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if "test" not in url.rsplit("/", 1)[-1]:
        raise SystemExit(f"Refusing to wipe a database whose name lacks 'test': {url}")
    name = url.rsplit("/", 1)[-1]
    server = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def seed_members(n: int, seed: int = 3) -> None:
    """N verified, consenting members who want groups, in bulk (three INSERTs)."""
    rng = random.Random(seed)
    interests = list(db.session.execute(select(Interest.id)).scalars())
    areas = list(db.session.execute(select(Area.id)).scalars())
    password = hash_password("bench-member-password")
    now = utcnow()
    users = [
        {
            "email": f"bench{i}@example.org",
            "display_name": f"Member {i}",
            "password_hash": password,
            "role": "member",
            "email_verified_at": now,
            "login_id": f"bench-{i}",
        }
        for i in range(n)
    ]
    ids = list(
        db.session.execute(
            insert(User).returning(User.id, sort_by_parameter_order=True), users
        ).scalars()
    )
    profiles = []
    chosen = []
    for user_id in ids:
        mask = 0
        for slot in range(21):
            if rng.random() < (0.45 if slot % 3 == 2 else 0.2):
                mask |= 1 << slot
        profiles.append(
            {
                "user_id": user_id,
                "consent_at": now,
                "comfort": rng.choice([1, 2, 3, 3, 4, 5]),
                "availability_mask": mask or 1 << 17,
                "setting": rng.choice(["small", "group", "any"]),
                "format": rng.choice(["in_person", "in_person", "online", "either"]),
                "wants_groups": True,
                "area_id": rng.choice(areas),
                "max_km": rng.choice([3.0, 5.0, 8.0]),
                "pace": rng.choice(["gentle", "steady", "brisk"]),
                "languages": "English",
                "steps_done": "interests,meeting,availability,place,about",
                "about_me": "",
                "updated_at": now,
            }
        )
        for interest in rng.sample(interests, rng.randint(3, 7)):
            chosen.append({"user_id": user_id, "interest_id": interest})
    db.session.execute(insert(Profile), profiles)
    db.session.execute(insert(member_interests), chosen)
    db.session.commit()


class QueryCounter:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self.hit)

    def hit(self, *args) -> None:
        self.count += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kindred-bench-"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_uri(workdir),
            "SECRET_KEY": "bench-only-secret",
            "TESTING": True,
            "MAIL_DELIVERY": "worker",
            "PUBLIC_URL": "https://kindred.example",
        }
    )
    with app.app_context():
        upgrade()
        seed_vocabulary()
        seed_areas()
        db.session.commit()
        started = time.perf_counter()
        seed_members(args.members)
        print(f"seeded {args.members} members in {time.perf_counter() - started:.1f} s")
        round_ = start_round(
            kind="groups",
            area_ids=[],
            min_size=4,
            max_size=6,
            week_start=date.today() + timedelta(days=7),
        )
        db.session.commit()
        started = time.perf_counter()
        compute_round(round_)
        db.session.commit()
        computed = time.perf_counter() - started
        print(
            f"matching round: {round_.quality['placed']} of {round_.quality['eligible']} placed "
            f"in {round_.quality['matches']} groups, {computed:.1f} s"
        )
        approver = db.session.execute(select(User).limit(1)).scalar_one()
        round_id = round_.id
        db.session.expire_all()
        counter = QueryCounter(db.engine)
        with app.test_request_context(base_url=app.config["PUBLIC_URL"]):
            started = time.perf_counter()
            round_ = db.session.get(MatchRound, round_id)
            queued = approve_round(round_, approver)
            db.session.commit()
            elapsed = time.perf_counter() - started
        outbox = db.session.execute(select(func.count(OutboxMessage.id))).scalar_one()
        dialect = db.engine.dialect.name
        print(
            f"approve ({dialect}): {queued} invitations queued, {outbox} outbox rows, "
            f"{elapsed:.2f} s, {counter.count} SQL statements"
        )
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
