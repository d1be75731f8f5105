"""The demo community's venues: five real-sounding places in each neighbourhood.

Every area gets a quiet cafe, a step-free library room, a community centre that is
open most of the week, a park meeting point where walks start, and a quiet garden
pavilion open at every hour (shy members' groups and walks want a quiet place), so
a demo round can give every in-person meeting an address.
"""

from __future__ import annotations

from dataclasses import dataclass

from community.members.choices import slot_number
from community.models import Area
from community.models.venues import Venue

MORNING, AFTERNOON, EVENING = 0, 1, 2


def mask(days: range | tuple[int, ...], parts: tuple[int, ...]) -> int:
    return sum(1 << slot_number(day, part) for day in days for part in parts)


@dataclass(frozen=True)
class Place:
    kind: str
    name: str  # "{area}" and "{cafe}" are replaced by the area's name and its cafe's
    street: str
    offset: tuple[float, float]  # degrees from the area's centre
    slot_mask: int
    capacity: int
    step_free: bool
    quietness: str
    walk_start: bool
    directions: str


PLACES = (
    Place(
        "cafe",
        "{cafe}",
        "{number} {street} Street",
        (0.0012, -0.0018),
        mask(range(7), (MORNING, AFTERNOON)) | mask((1, 3, 4), (EVENING,)),
        2,
        False,
        "quiet",
        False,
        "The round tables by the window, ask for the Kindred table. One small step at the door.",
    ),
    Place(
        "library_room",
        "{area} Library, Reading Room",
        "{number} Library Lane",
        (-0.0015, 0.0009),
        mask(range(6), (MORNING, AFTERNOON)) | mask((1, 3), (EVENING,)),
        2,
        True,
        "quiet",
        False,
        "Through the main doors and left past the returns desk; the Reading Room is on the "
        "ground floor with a Kindred sign on the door. Lift and accessible toilet inside.",
    ),
    Place(
        "community_centre",
        "{area} Community Centre",
        "{number} {street} Road",
        (0.0005, 0.0021),
        mask(range(7), (MORNING, AFTERNOON, EVENING)),
        4,
        True,
        "some_noise",
        False,
        "Main hall entrance on the side with the ramp. Groups meet in the Garden Room; "
        "someone at reception will point you there.",
    ),
    Place(
        "park_meeting_point",
        "{area} Park, the bandstand",
        "{street} Park, off {street} Road",
        (-0.0024, -0.0011),
        mask(range(7), (MORNING, AFTERNOON, EVENING)),
        6,
        True,
        "lively",
        True,
        "Meet at the bandstand in the middle of the park, by the noticeboard. "
        "Flat paths from the main gate.",
    ),
    # Shy members' groups and walks want a quiet place, at every hour people are free.
    Place(
        "park_meeting_point",
        "{area} Community Garden, the pavilion",
        "{street} Community Garden, off {street} Lane",
        (0.0019, 0.0004),
        mask(range(7), (MORNING, AFTERNOON, EVENING)),
        4,
        True,
        "quiet",
        True,
        "Through the garden gate and along the gravel path to the wooden pavilion; "
        "benches inside and out, and a ramp at the front.",
    ),
)

STREETS = {
    "Old Town": "Corn",
    "Riverside": "Wharf",
    "Northfield": "Gloucester",
    "Harbourside": "Anchor",
    "Hillcrest": "Ridge",
    "Greenway": "Meadow",
}
CAFES = {
    "Old Town": "The Quiet Cup",
    "Riverside": "Tidewater Tea Rooms",
    "Northfield": "Pages and Pour",
    "Harbourside": "The Lantern Cafe",
    "Hillcrest": "Hilltop Kitchen",
    "Greenway": "The Potting Shed Cafe",
}
POSTCODES = {
    "Old Town": "BS1 1JG",
    "Riverside": "BS1 6QA",
    "Northfield": "BS7 8NB",
    "Harbourside": "BS1 5TX",
    "Hillcrest": "BS5 9DL",
    "Greenway": "BS4 2HJ",
}


def demo_venues(areas: list[Area]) -> list[Venue]:
    """Five venues per area, built (not added) so the caller decides when to flush."""
    venues = []
    for index, area in enumerate(areas):
        street = STREETS.get(area.name, area.name.split()[0])
        postcode = POSTCODES.get(area.name, "BS1 4DJ")
        for number, place in enumerate(PLACES, start=1):
            address = place.street.format(number=4 + 7 * number + index, street=street)
            venues.append(
                Venue(
                    name=place.name.format(
                        area=area.name, cafe=CAFES.get(area.name, f"{area.name} Cafe")
                    ),
                    address=f"{address}, {area.name}, Bristol {postcode}",
                    latitude=round(area.latitude + place.offset[0], 6),
                    longitude=round(area.longitude + place.offset[1], 6),
                    area=area,
                    kind=place.kind,
                    slot_mask=place.slot_mask,
                    capacity=place.capacity,
                    step_free=place.step_free,
                    quietness=place.quietness,
                    walk_start=place.walk_start,
                    directions=place.directions,
                )
            )
    return venues
