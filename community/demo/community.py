"""A demo community: members across six neighbourhoods, organizers, venues and placements.

Seeded from a fixed random state, so every developer sees the same community.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from numpy.random import Generator, default_rng
from sqlalchemy import select

from community.auth.passwords import hash_password
from community.catalogue.defaults import LANGUAGES
from community.demo.history import between, pick, pick_some, pick_weighted, seed_history
from community.demo.venues import demo_venues
from community.extensions import db
from community.members.choices import slot_number
from community.models import Area, Interest, Opportunity, Profile, User, utcnow

FIRST_NAMES = (
    "Ada Amira Ben Bilal Carmen Chloe Dafydd Dara Eilidh Emeka Fatima Femi Grace Hamza "
    "Hannah Ibrahim Isla Jack Jana Joy Kai Kasia Leila Liam Lucia Maya Mei Mo Nadia Nia "
    "Noah Olu Oscar Priya Rafael Rosa Ruth Sam Sana Sean Sofia Tariq Tess Tomasz Una "
    "Vera Wen Yusuf Zainab Zoe Agnes Arthur Bernard Doris Edith Frank Gwen Harold Irene "
    "Joan Ken Lorna Mavis Norman Olive Percy Queenie Ron Stan Thelma Walter"
).split()
LAST_INITIALS = "ABCDEFGHJKLMNOPRSTVWY"

ABOUT = [
    "Recently retired and keen to get out more.",
    "New to the city and would love a friendly face or two.",
    "Parent of two; evenings are my time.",
    "I work from home and miss having people around.",
    "Quiet at first, chatty once I know you.",
    "Happiest with muddy boots and a flask of tea.",
    "",
    "",
]

OPPORTUNITIES = [
    ("Community garden helpers", "Greenway Growers", "Greenway", ["Gardening", "Allotments"], 8, 1),
    ("Library reading buddies", "Old Town Library", "Old Town", ["Reading", "Book club"], 6, 2),
    ("Repair cafe fixers", "Riverside Repair Cafe", "Riverside", ["Repair cafe", "Woodwork"], 5, 3),
    ("Food bank sorting", "Northfield Food Bank", "Northfield", ["Food bank", "Cooking"], 10, 1),
    ("Befriending phone calls", "Hillcrest Age Friends", None, ["Retired life"], 12, 1),
    (
        "Park clean-up crew",
        "Harbourside Friends of the Park",
        "Harbourside",
        ["Environment and recycling", "Walking"],
        15,
        2,
    ),
    (
        "Lunch club hosts",
        "Old Town Community Centre",
        "Old Town",
        ["Cooking", "Sunday lunch"],
        4,
        4,
    ),
    (
        "Choir front-of-house",
        "Riverside Community Choir",
        "Riverside",
        ["Singing and choirs", "Music"],
        3,
        4,
    ),
    ("Homework club helpers", "Hillcrest School", "Hillcrest", ["Parenting", "Science"], 6, 3),
    (
        "Conversation partners for new arrivals",
        "Welcome Here",
        None,
        ["Learning languages", "New to the area"],
        10,
        2,
    ),
]


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


def weighted_slots(rng: Generator) -> int:
    """Evenings and weekends are when most people are free."""
    mask = 0
    for weekday in range(7):
        for part in range(3):
            chance = 0.15
            if part == 2:
                chance = 0.45
            if weekday >= 5:
                chance += 0.25
            if rng.random() < chance:
                mask |= 1 << slot_number(weekday, part)
    return mask or 1 << slot_number(5, 1)


def make_profile(rng: Generator, interests: list[Interest], areas: list[Area]) -> Profile:
    # Sign-ups skew shy: the people who most need Kindred find meeting new people hardest.
    comfort = pick_weighted(rng, [1, 2, 3, 4, 5], [18, 30, 27, 17, 8])
    setting = (
        "one_on_one"
        if comfort == 1 and rng.random() < 0.6
        else pick(rng, ["small", "small", "group", "any"])
    )
    # Interests cluster: most picks come from two favourite categories.
    categories = sorted({i.category for i in interests})
    favourites = pick_some(rng, categories, 2)
    pool = [i for i in interests if i.category in favourites]
    chosen = set(pick_some(rng, pool, min(len(pool), between(rng, 2, 6))))
    chosen |= set(pick_some(rng, interests, between(rng, 0, 3)))
    area = pick(rng, areas)
    consent = rng.random() < 0.9
    steps = "interests,meeting,availability,place" + (",about" if rng.random() < 0.8 else "")
    return Profile(
        consent_at=utcnow() if consent else None,
        comfort=comfort if consent else None,
        availability_mask=weighted_slots(rng) if consent else None,
        setting=setting,
        format=pick_weighted(rng, ["in_person", "online", "either"], [55, 15, 30]),
        wants_groups=rng.random() < 0.7,
        wants_walks=rng.random() < 0.45,
        wants_volunteering=rng.random() < 0.35,
        area=area,
        max_km=pick(rng, [1.5, 2, 3, 3, 5, 8]),
        pace=pick(rng, ["gentle", "steady", "brisk", None]),
        languages=",".join(["English"] + pick_some(rng, LANGUAGES[1:], pick(rng, [0, 0, 0, 1, 2]))),
        about_me=pick(rng, ABOUT),
        paused_until=(utcnow() + timedelta(days=14)).date() if rng.random() < 0.04 else None,
        steps_done=steps,
        interests=sorted(chosen, key=lambda i: i.name),
    )


def seed_demo(
    members: int = 300,
    *,
    random_state: int = 7,
    progress: Callable[[int], None] | None = None,
) -> list[DemoLogin]:
    """Create the demo community; returns the logins to print for the developer."""
    rng = default_rng(random_state)
    interests = list(db.session.execute(select(Interest).order_by(Interest.id)).scalars())
    areas = list(db.session.execute(select(Area).order_by(Area.id)).scalars())
    # One password and one hash for every demo member: Argon2 is deliberately slow.
    member_password = f"demo-member-{int(rng.integers(10**6)):06d}"
    member_hash = hash_password(member_password)
    logins = []
    for number, role in ((1, "admin"), (2, "organizer")):
        password = f"demo-organizer-{int(rng.integers(10**6)):06d}"
        email = f"organizer{number}@demo.kindred.example"
        db.session.add(
            User(
                email=email,
                display_name=f"Organizer {number}",
                password_hash=hash_password(password),
                role=role,
                email_verified_at=utcnow(),
                profile=Profile(),
            )
        )
        logins.append(DemoLogin(role, email, password))
    for index in range(members):
        name = f"{pick(rng, FIRST_NAMES)} {pick(rng, LAST_INITIALS)}."
        db.session.add(
            User(
                email=f"member{index + 1}@demo.kindred.example",
                display_name=name,
                password_hash=member_hash,
                email_verified_at=utcnow() if rng.random() < 0.92 else None,
                created_at=utcnow() - timedelta(days=between(rng, 0, 120)),
                profile=make_profile(rng, interests, areas),
            )
        )
        if progress:
            progress(1)
    by_name = {i.name: i for i in interests}
    area_by_name = {a.name: a for a in areas}
    for title, host, area, tags, capacity, min_comfort in OPPORTUNITIES:
        db.session.add(
            Opportunity(
                title=title,
                host=host,
                description=f"{host} would love a hand. Friendly, no experience needed.",
                area=area_by_name.get(area) if area else None,
                slot_mask=weighted_slots(rng),
                capacity=capacity,
                min_comfort=min_comfort,
                contact=f"volunteer@{host.lower().replace(' ', '')}.example.org",
                interests=[by_name[t] for t in tags if t in by_name],
            )
        )
    db.session.add_all(demo_venues(areas))
    logins.append(DemoLogin("member", "member1@demo.kindred.example", member_password))
    db.session.flush()
    seed_history(default_rng(random_state), organizer_of_demo())
    return logins


def organizer_of_demo() -> User:
    return db.session.execute(
        select(User).where(User.role == "organizer").order_by(User.id).limit(1)
    ).scalar_one()
