"""The venue form and the venue CSV upload, with messages an organizer understands.

Kept beside (not inside) ``organize/forms.py``: the venue pages are one feature and
their forms travel with them; the rules themselves are the shared ones in form_rules.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length

from community.catalogue.venues import MAX_ADDRESS, MAX_CAPACITY, MAX_DIRECTIONS, MAX_NAME
from community.members.choices import slot_name
from community.members.forms import ChoiceList, optional_int
from community.models.venues import QUIETNESS, VENUE_KINDS
from community.web.form_rules import (
    latitude_field,
    longitude_field,
    number_between,
    options,
    plain_text,
    single_line,
    strip_whitespace,
)


class VenueForm(FlaskForm):
    name = StringField(
        "Name",
        filters=[strip_whitespace],
        validators=[
            InputRequired("Please give the venue a name."),
            Length(max=MAX_NAME, message=f"Please keep the name under {MAX_NAME} characters."),
            single_line,
        ],
    )
    address = StringField(
        "Address",
        filters=[strip_whitespace],
        validators=[
            InputRequired("Please give the address members will look for."),
            Length(
                max=MAX_ADDRESS, message=f"Please keep the address under {MAX_ADDRESS} characters."
            ),
            single_line,
        ],
        description="One line, as it goes in an invitation: street, number, postcode.",
    )
    area = SelectField("Area", coerce=optional_int, validate_choice=False)
    latitude = latitude_field("Latitude")
    longitude = longitude_field("Longitude")
    kind = RadioField(
        "What kind of place",
        choices=options(VENUE_KINDS.items()),
        default="community_centre",
        validators=[InputRequired("Please choose what kind of place it is.")],
    )
    slots = ChoiceList(
        "When it's open for meetings each week",
        coerce=int,
        choices=options((s, slot_name(s)) for s in range(21)),
    )
    capacity = IntegerField(
        "Capacity (groups at once)",
        default=1,
        validators=[
            InputRequired("Please say how many groups it seats at once."),
            number_between(
                1, MAX_CAPACITY, f"Capacity must be a whole number from 1 to {MAX_CAPACITY}."
            ),
        ],
    )
    step_free = BooleanField("Step-free access", description="Level or ramped entrance.")
    walk_start = BooleanField(
        "A good start for a walk", description="Walking pairs can be sent to meet here."
    )
    quietness = RadioField(
        "How quiet is it",
        choices=options(QUIETNESS.items()),
        default="some_noise",
        validators=[InputRequired("Please say how quiet it is.")],
    )
    directions = TextAreaField(
        "How to find us",
        filters=[strip_whitespace],
        validators=[
            Length(
                max=MAX_DIRECTIONS,
                message=f"Please keep this under {MAX_DIRECTIONS} characters.",
            ),
            plain_text,
        ],
        description="Printed in every invitation, e.g. \u201cthe round tables by the window, "
        "ask for the Kindred table\u201d.",
    )

    def validate_area(self, field) -> None:
        if not field.data or field.data not in {c.value for c in self.area.choices}:
            raise ValidationError("Please choose an area from the list.")

    def validate_slots(self, field) -> None:
        if not field.data:
            raise ValidationError("Please tick at least one time it's open.")


class VenueImportForm(FlaskForm):
    file = FileField(
        "CSV file",
        validators=[
            FileRequired("Please choose a .csv file to upload."),
            FileAllowed(["csv"], "Please upload a file ending in .csv."),
        ],
    )
