"""Venues: the real places where in-person meetings happen, and their CSV import.

Every rule is checked here, not only on the form, because the CSV import (and any
script) reaches the same functions without a form in front of them.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select

from community.admin.audit import record, snapshot
from community.extensions import db
from community.members.choices import DAY_PARTS, WEEKDAYS, slot_number
from community.members.profiles import UnknownChoice, slots_to_mask
from community.models import Area, User, utcnow
from community.models.venues import QUIETNESS, VENUE_KINDS, Venue
from community.organize.errors import ChangeRefused

FIELDS = (
    "name",
    "address",
    "latitude",
    "longitude",
    "area_id",
    "kind",
    "slot_mask",
    "capacity",
    "step_free",
    "quietness",
    "walk_start",
    "directions",
    "retired_at",
)
MAX_NAME = 120
MAX_ADDRESS = 300
MAX_DIRECTIONS = 300
MAX_CAPACITY = 50
MAX_IMPORT_ROWS = 1000
CSV_HEADER = (
    "name",
    "address",
    "latitude",
    "longitude",
    "area",
    "kind",
    "slots",
    "capacity",
    "step_free",
    "quietness",
    "walk_start",
    "directions",
)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
CONTROL_EXCEPT_NEWLINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class VenueDetails:
    """What an organizer fills in (or a CSV row says); checked by ``check_details``."""

    name: str
    address: str
    latitude: float
    longitude: float
    area_id: int | None
    kind: str = "community_centre"
    slots: list[int] = field(default_factory=list)
    capacity: int = 1
    step_free: bool = False
    quietness: str = "some_noise"
    walk_start: bool = False
    directions: str = ""


@dataclass(frozen=True)
class RowProblem:
    """One bad line of an import file, with the reason written for the organizer."""

    line: int
    reason: str


class ImportRefused(ChangeRefused):
    """The file had bad rows; nothing was imported. ``problems`` lists each one."""

    def __init__(self, message: str, problems: list[RowProblem]):
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True)
class AreaVenues:
    """One area's venues for the list page (area None: venues with no area)."""

    area: Area | None
    venues: list[Venue]


# --- rules -----------------------------------------------------------------------------


def one_line(value: str | None, label: str, limit: int) -> str:
    text = " ".join((value or "").split()) if not CONTROL_CHARACTERS.search(value or "") else None
    if text is None:
        raise ChangeRefused(f"The {label} must be a single line without special characters.")
    if not text:
        raise ChangeRefused(f"Please give the venue's {label}.")
    if len(text) > limit:
        raise ChangeRefused(f"Please keep the {label} under {limit} characters.")
    return text


def coordinate(value: float, low: float, high: float, label: str) -> float:
    if not isinstance(value, int | float) or not math.isfinite(value) or not low <= value <= high:
        raise ChangeRefused(f"{label} must be a number between {low:g} and {high:g}.")
    return float(value)


def area_in_use(area_id: int | None) -> Area:
    area = db.session.get(Area, area_id) if area_id else None
    if area is None or area.retired_at is not None:
        raise ChangeRefused("Please choose an area in use for the venue.")
    return area


def check_details(details: VenueDetails) -> VenueDetails:
    """The details tidied (whitespace, rounding), or ChangeRefused saying what is wrong."""
    name = one_line(details.name, "name", MAX_NAME)
    address = one_line(details.address, "address", MAX_ADDRESS)
    latitude = coordinate(details.latitude, -90, 90, "Latitude")
    longitude = coordinate(details.longitude, -180, 180, "Longitude")
    area = area_in_use(details.area_id)
    if details.kind not in VENUE_KINDS:
        raise ChangeRefused("Please choose what kind of place it is from the list.")
    if details.quietness not in QUIETNESS:
        raise ChangeRefused("Please choose how quiet it is from the list.")
    if (
        isinstance(details.capacity, bool)
        or not isinstance(details.capacity, int)
        or not 1 <= details.capacity <= MAX_CAPACITY
    ):
        raise ChangeRefused(
            f"Capacity is how many groups it seats at once: a whole number from 1 to "
            f"{MAX_CAPACITY}."
        )
    try:
        slots_to_mask(details.slots)
    except (UnknownChoice, TypeError):
        raise ChangeRefused(
            "One of the open times isn't a weekly slot. Please tick again."
        ) from None
    if not details.slots:
        raise ChangeRefused("Please tick at least one time the venue is open.")
    directions = (details.directions or "").strip().replace("\r\n", "\n").replace("\r", "\n")
    if CONTROL_EXCEPT_NEWLINES.search(directions):
        raise ChangeRefused("Please remove the special characters from \u201chow to find us\u201d.")
    if len(directions) > MAX_DIRECTIONS:
        raise ChangeRefused(
            f"Please keep \u201chow to find us\u201d under {MAX_DIRECTIONS} characters."
        )
    return VenueDetails(
        name=name,
        address=address,
        latitude=round(latitude, 6),
        longitude=round(longitude, 6),
        area_id=area.id,
        kind=details.kind,
        slots=sorted(set(details.slots)),
        capacity=details.capacity,
        step_free=bool(details.step_free),
        quietness=details.quietness,
        walk_start=bool(details.walk_start),
        directions=directions,
    )


def other_named(name: str, area_id: int | None, keeping: Venue | None = None) -> Venue | None:
    """Another venue in the same area with this name, whatever its case."""
    query = select(Venue).where(func.lower(Venue.name) == name.lower(), Venue.area_id == area_id)
    if keeping is not None:
        query = query.where(Venue.id != keeping.id)
    return db.session.execute(query).scalars().first()


def check_name_free(details: VenueDetails, venue: Venue | None = None) -> None:
    other = other_named(details.name, details.area_id, venue)
    if other is not None:
        state = " (retired)" if other.retired_at else ""
        raise ChangeRefused(
            f"There is already a venue called \u201c{other.name}\u201d{state} in this area."
        )


def apply(venue: Venue, details: VenueDetails) -> None:
    venue.name = details.name
    venue.address = details.address
    venue.latitude = details.latitude
    venue.longitude = details.longitude
    venue.area_id = details.area_id
    venue.kind = details.kind
    venue.slot_mask = slots_to_mask(details.slots)
    venue.capacity = details.capacity
    venue.step_free = details.step_free
    venue.quietness = details.quietness
    venue.walk_start = details.walk_start
    venue.directions = details.directions


# --- changes ---------------------------------------------------------------------------


def create_venue(actor: User, details: VenueDetails, *, action: str = "venue.create") -> Venue:
    details = check_details(details)
    check_name_free(details)
    venue = Venue()
    apply(venue, details)
    db.session.add(venue)
    db.session.flush()
    record(actor, action, venue, {}, snapshot(venue, FIELDS))
    return venue


def update_venue(actor: User, venue: Venue, details: VenueDetails) -> Venue:
    details = check_details(details)
    check_name_free(details, venue)
    before = snapshot(venue, FIELDS)
    apply(venue, details)
    record(actor, "venue.update", venue, before, snapshot(venue, FIELDS))
    return venue


def retire_venue(actor: User, venue: Venue) -> None:
    """A retired venue takes no new meetings; meetings already placed there keep it."""
    if venue.retired_at is not None:
        raise ChangeRefused(f"\u201c{venue.name}\u201d is already retired.")
    before = snapshot(venue, FIELDS)
    venue.retired_at = utcnow()
    record(actor, "venue.retire", venue, before, snapshot(venue, FIELDS))


def restore_venue(actor: User, venue: Venue) -> None:
    if venue.retired_at is None:
        raise ChangeRefused(f"\u201c{venue.name}\u201d is in use already.")
    if venue.area is not None and venue.area.retired_at is not None:
        raise ChangeRefused(
            f"\u201c{venue.area.name}\u201d is retired. Edit the venue's area first."
        )
    before = snapshot(venue, FIELDS)
    venue.retired_at = None
    record(actor, "venue.restore", venue, before, snapshot(venue, FIELDS))


# --- reading ---------------------------------------------------------------------------


def venues_by_area() -> list[AreaVenues]:
    """Every venue grouped by area (areas by name), venues in use first within each."""
    venues = db.session.execute(
        select(Venue)
        .outerjoin(Area, Area.id == Venue.area_id)
        .order_by(Area.name, Venue.retired_at.is_not(None), Venue.name)
    ).scalars()
    groups: dict[int | None, AreaVenues] = {}
    for venue in venues:
        groups.setdefault(venue.area_id, AreaVenues(venue.area, [])).venues.append(venue)
    return sorted(groups.values(), key=lambda g: (g.area is None, g.area.name if g.area else ""))


def day_list(days: list[int]) -> str:
    """'Mon–Fri', 'Tue, Thu', 'Mon–Wed, Sat': runs of three or more days become a range."""
    short = [day[:3] for day in WEEKDAYS]
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{short[run[0]]}\u2013{short[run[-1]]}")
        else:
            parts.extend(short[day] for day in run)
    return ", ".join(parts)


def slots_summary(mask: int) -> str:
    """The weekly open times in a few words: 'Mornings Mon–Sat · Evenings Tue, Thu'."""
    if mask == (1 << 21) - 1:
        return "Every day, all day"
    if not mask:
        return "No open times"
    parts = []
    for part, label in enumerate(DAY_PARTS):
        days = [day for day in range(7) if mask >> slot_number(day, part) & 1]
        if len(days) == 7:
            parts.append(f"{label}s every day")
        elif days:
            parts.append(f"{label}s {day_list(days)}")
    return " \u00b7 ".join(parts)


# --- CSV import ------------------------------------------------------------------------

DAY_WORDS = {
    **{day.lower(): index for index, day in enumerate(WEEKDAYS)},
    **{day[:3].lower(): index for index, day in enumerate(WEEKDAYS)},
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
PART_WORDS = {part.lower(): index for index, part in enumerate(DAY_PARTS)}
TRUE_WORDS = {"yes", "y", "true", "1"}
FALSE_WORDS = {"no", "n", "false", "0", ""}


def parse_slots(text: str) -> list[int]:
    """'Mon morning;Tue evening' or slot numbers '0;5'; ValueError with the bad part."""
    slots = []
    for part in re.split(r"[;|]", text):
        words = part.strip().lower().split()
        if not words:
            continue
        if len(words) == 1 and words[0].isdigit() and int(words[0]) < 21:
            slots.append(int(words[0]))
        elif len(words) == 2 and words[0] in DAY_WORDS and words[1] in PART_WORDS:
            slots.append(slot_number(DAY_WORDS[words[0]], PART_WORDS[words[1]]))
        else:
            raise ValueError(
                f"slots: \u201c{part.strip()[:40]}\u201d is not a weekly time "
                "(write e.g. \u201cMon morning;Tue evening\u201d or slot numbers 0 to 20)"
            )
    if not slots:
        raise ValueError("slots: please give at least one open time")
    return slots


def parse_choice(text: str, choices: dict[str, str], column: str) -> str:
    wanted = text.strip().lower()
    for key, label in choices.items():
        if wanted in (key, label.lower(), key.replace("_", " ")):
            return key
    given = text.strip()[:40]
    raise ValueError(f"{column}: \u201c{given}\u201d is not one of {', '.join(choices)}")


def parse_flag(text: str, column: str) -> bool:
    wanted = text.strip().lower()
    if wanted in TRUE_WORDS:
        return True
    if wanted in FALSE_WORDS:
        return False
    raise ValueError(f"{column}: write yes or no (not \u201c{text.strip()[:20]}\u201d)")


def parse_number(text: str, column: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"{column}: \u201c{text.strip()[:20]}\u201d is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{column}: please give a real number")
    return value


def parse_row(row: dict[str, str], areas: dict[str, Area]) -> VenueDetails:
    """One CSV row as checked details; ValueError or ChangeRefused says what is wrong."""
    area = areas.get(" ".join(row["area"].split()).lower())
    if area is None:
        raise ValueError(f"area: \u201c{row['area'].strip()[:40]}\u201d is not an area in use")
    # Blank coordinates mean "at the area's centre", adjusted later on the edit page.
    if row["latitude"].strip() or row["longitude"].strip():
        latitude = parse_number(row["latitude"], "latitude")
        longitude = parse_number(row["longitude"], "longitude")
    else:
        latitude, longitude = area.latitude, area.longitude
    capacity_text = row["capacity"].strip()
    if not re.fullmatch(r"-?\d{1,6}", capacity_text):
        raise ValueError(f"capacity: \u201c{capacity_text[:20]}\u201d is not a whole number")
    return check_details(
        VenueDetails(
            name=row["name"],
            address=row["address"],
            latitude=latitude,
            longitude=longitude,
            area_id=area.id,
            kind=parse_choice(row["kind"], VENUE_KINDS, "kind"),
            slots=parse_slots(row["slots"]),
            capacity=int(capacity_text),
            step_free=parse_flag(row["step_free"], "step_free"),
            quietness=parse_choice(row["quietness"], QUIETNESS, "quietness"),
            walk_start=parse_flag(row["walk_start"], "walk_start"),
            directions=row["directions"],
        )
    )


def read_csv(data: bytes) -> tuple[list[VenueDetails], list[RowProblem]]:
    """Every row checked; the good rows' details and every bad row's line and reason."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [RowProblem(1, "The file isn't UTF-8 text. Please save it as CSV (UTF-8).")]
    if "\x00" in text:
        return [], [RowProblem(1, "The file holds NUL bytes; it doesn't look like a CSV file.")]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as error:
        return [], [RowProblem(1, f"The header can't be read: {error}.")]
    if header is None:
        return [], [RowProblem(1, "The file is empty.")]
    header = [column.strip().lower() for column in header]
    if tuple(header) != CSV_HEADER:
        return [], [RowProblem(1, "The first line must be exactly: " + ",".join(CSV_HEADER))]
    areas = {
        area.name.lower(): area
        for area in db.session.execute(select(Area).where(Area.retired_at.is_(None))).scalars()
    }
    good: list[VenueDetails] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[str, int | None], int] = {}
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(RowProblem(line, f"This line can't be read as CSV: {error}."))
            break
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(good) + len(problems) >= MAX_IMPORT_ROWS:
            problems.append(
                RowProblem(start, f"Please import at most {MAX_IMPORT_ROWS} venues at a time.")
            )
            break
        if len(cells) != len(CSV_HEADER):
            problems.append(
                RowProblem(
                    start, f"This line has {len(cells)} columns; it needs {len(CSV_HEADER)}."
                )
            )
            continue
        try:
            details = parse_row(dict(zip(CSV_HEADER, cells, strict=True)), areas)
            check_name_free(details)
        except (ValueError, ChangeRefused) as error:
            problems.append(RowProblem(start, str(error)))
            continue
        key = (details.name.lower(), details.area_id)
        if key in seen:
            problems.append(
                RowProblem(start, f"\u201c{details.name}\u201d is already on line {seen[key]}.")
            )
            continue
        seen[key] = start
        good.append(details)
    if not good and not problems:
        problems.append(RowProblem(line, "The file has a header but no venues."))
    return good, problems


def import_venues(actor: User, data: bytes) -> list[Venue]:
    """All the file's venues, or none: ImportRefused lists every bad line."""
    good, problems = read_csv(data)
    if problems:
        noun = "line" if len(problems) == 1 else "lines"
        raise ImportRefused(
            f"Nothing was imported: {len(problems)} {noun} need another look.", problems
        )
    return [create_venue(actor, details, action="venue.import") for details in good]
