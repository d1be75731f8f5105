"""Test data: members with profiles, made straight in the database."""

from __future__ import annotations

from itertools import count

from sqlalchemy import select

from community.auth.passwords import hash_password
from community.extensions import db
from community.models import Area, Interest, Profile, User, utcnow

PASSWORD = "a calm walk by the river"


class MemberFactory:
    def __init__(self, app):
        self.app = app
        self.numbers = count(1)

    def create(
        self,
        *,
        verified: bool = True,
        role: str = "member",
        complete: bool = False,
        password: str = PASSWORD,
        **profile_fields,
    ) -> User:
        number = next(self.numbers)
        with self.app.app_context():
            user = User(
                email=f"person{number}@example.org",
                display_name=f"Person {number}",
                password_hash=hash_password(password),
                role=role,
                email_verified_at=utcnow() if verified else None,
                profile=Profile(),
            )
            if complete:
                interests = db.session.execute(select(Interest).limit(3)).scalars().all()
                area = db.session.execute(select(Area).limit(1)).scalar_one()
                user.profile = Profile(
                    consent_at=utcnow(),
                    comfort=3,
                    availability_mask=0b111,
                    setting="small",
                    format="in_person",
                    wants_groups=True,
                    area=area,
                    max_km=3,
                    pace="steady",
                    languages="English",
                    steps_done="interests,meeting,availability,place,about",
                    interests=list(interests),
                )
            for key, value in profile_fields.items():
                setattr(user.profile, key, value)
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user
