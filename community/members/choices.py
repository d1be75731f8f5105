"""The fixed choices of a profile, with the words members see for them."""

from __future__ import annotations

COMFORT_LEVELS: dict[int, str] = {
    1: "I'd rather start one-on-one, somewhere quiet",
    2: "A small, calm group of three or four feels right",
    3: "I'm happy in a group once I know one or two people",
    4: "I enjoy meeting new people in groups",
    5: "I love big, lively groups",
}

SETTINGS: dict[str, str] = {
    "one_on_one": "One-on-one",
    "small": "A small group (3-4 people)",
    "group": "A group (5-8 people)",
    "any": "No preference",
}

FORMATS: dict[str, str] = {
    "in_person": "In person",
    "online": "Online",
    "either": "Either is fine",
}

LOOKING_FOR: dict[str, str] = {
    "groups": "Small groups that meet regularly",
    "walks": "A walking partner",
    "volunteering": "Volunteering with others",
}

PACES: dict[str, str] = {
    "gentle": "Gentle: a slow stroll with stops",
    "steady": "Steady: an everyday walking pace",
    "brisk": "Brisk: a good stretch of the legs",
}

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DAY_PARTS = ["Morning", "Afternoon", "Evening"]


def slot_number(weekday: int, part: int) -> int:
    """Slots number 0..20 as weekday * 3 + part of day, like the matching library."""
    return weekday * 3 + part


def slot_name(slot: int) -> str:
    return f"{WEEKDAYS[slot // 3]} {DAY_PARTS[slot % 3].lower()}"


WIZARD_STEPS: list[tuple[str, str]] = [
    ("interests", "What you enjoy"),
    ("meeting", "How you like to meet"),
    ("availability", "When you're free"),
    ("place", "Where you are"),
    ("about", "About you"),
]
