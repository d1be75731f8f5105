"""Fill a database with a city's worth of members, fast, for the load benchmark.

Bulk inserts in chunks (no ORM objects per row); one password hash shared by all,
since Argon2 is deliberately slow. Usage: ``python -m bench.load_seed --members 100000``
with ``DATABASE_URL`` pointing at an empty, migrated database.
"""

from __future__ import annotations

import argparse
import random

from sqlalchemy import func, insert, select
from tqdm import tqdm

from community import create_app
from community.auth.passwords import hash_password
from community.catalogue.setup import seed_areas, seed_vocabulary
from community.extensions import db
from community.models import Area, Interest, Profile, User, member_interests, utcnow

MEMBER_PASSWORD = "load-test-member-password"
ORGANIZER_EMAIL = "organizer@load.kindred.example"
CHUNK = 5000


def seed(members: int, random_state: int = 11) -> None:
    rng = random.Random(random_state)
    seed_vocabulary()
    seed_areas()
    db.session.commit()
    if db.session.execute(select(func.count(User.id))).scalar_one():
        print("Database already has members; leaving it as it is.")
        return
    interest_ids = list(db.session.execute(select(Interest.id)).scalars())
    area_ids = list(db.session.execute(select(Area.id)).scalars())
    password_hash = hash_password(MEMBER_PASSWORD)
    now = utcnow()
    db.session.execute(
        insert(User).values(
            email=ORGANIZER_EMAIL,
            display_name="Load organizer",
            password_hash=password_hash,
            role="organizer",
            email_verified_at=now,
            created_at=now,
            active=True,
        )
    )
    with tqdm(total=members, desc="Members", unit="member") as bar:
        for start in range(0, members, CHUNK):
            count = min(CHUNK, members - start)
            users = [
                {
                    "email": f"member{start + i + 1}@load.kindred.example",
                    "display_name": f"Member {start + i + 1}",
                    "password_hash": password_hash,
                    "role": "member",
                    "email_verified_at": now,
                    "created_at": now,
                    "active": True,
                }
                for i in range(count)
            ]
            ids = db.session.execute(insert(User).returning(User.id), users).scalars().all()
            db.session.execute(
                insert(Profile),
                [
                    {
                        "user_id": uid,
                        "consent_at": now,
                        "comfort": rng.randint(1, 5),
                        "availability_mask": rng.getrandbits(21) | 1 << 20,
                        "setting": rng.choice(["one_on_one", "small", "group", "any"]),
                        "format": rng.choice(["in_person", "online", "either"]),
                        "wants_groups": rng.random() < 0.7,
                        "wants_walks": rng.random() < 0.4,
                        "wants_volunteering": rng.random() < 0.3,
                        "area_id": rng.choice(area_ids),
                        "max_km": 3.0,
                        "pace": "steady",
                        "languages": "English",
                        "about_me": "",
                        "steps_done": "interests,meeting,availability,place,about",
                        "updated_at": now,
                    }
                    for uid in ids
                ],
            )
            db.session.execute(
                insert(member_interests),
                [
                    {"user_id": uid, "interest_id": iid}
                    for uid in ids
                    for iid in rng.sample(interest_ids, rng.randint(2, 6))
                ],
            )
            db.session.commit()
            bar.update(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    args = parser.parse_args()
    app = create_app({"SECRET_KEY": "load-seed", "TESTING": True})
    with app.app_context():
        seed(args.members)


if __name__ == "__main__":
    main()
