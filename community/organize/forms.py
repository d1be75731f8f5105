"""Forms for the organizers' and admins' pages, with messages an organizer understands."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    ValidationError,
)
from wtforms.validators import InputRequired, Optional

from community.admin.moderation import OUTCOMES
from community.members.choices import COMFORT_LEVELS, slot_name
from community.members.forms import ChoiceList, optional_int
from community.models.users import ROLES
from community.web.form_rules import (
    latitude_field,
    line_field,
    longitude_field,
    number_between,
    options,
    text_field,
)

REQUIRED_NUMBER = "Please give a number."


class AreaForm(FlaskForm):
    name = line_field(
        "Name", InputRequired("Please give the area a name."), max_length=80, what="the name"
    )
    latitude = latitude_field("Centre latitude")
    longitude = longitude_field("Centre longitude")
    radius_km = DecimalField(
        "Default travel radius (km)",
        places=1,
        default=3,
        validators=[
            InputRequired("Please give a travel radius in kilometres."),
            number_between(0.5, 50, "The travel radius must be between 0.5 and 50 km."),
        ],
    )


class ChooseTargetForm(FlaskForm):
    """Merge one thing into another chosen from a list."""

    target = SelectField("Merge into", coerce=optional_int, validate_choice=False)

    def validate_target(self, field) -> None:
        if not field.data or field.data not in {c.value for c in self.target.choices}:
            raise ValidationError("Please choose from the list.")


class ConfirmForm(FlaskForm):
    """Only a CSRF token: for buttons that retire, close or resend."""


class InterestForm(FlaskForm):
    name = line_field(
        "Interest",
        InputRequired("Please give the interest a name."),
        max_length=60,
        what="the name",
    )
    category = line_field(
        "Category",
        InputRequired("Please choose or type a category."),
        max_length=60,
        what="the category",
    )


class OpportunityForm(FlaskForm):
    title = line_field(
        "Title",
        InputRequired("Please give the opportunity a title."),
        max_length=120,
        what="the title",
    )
    host = line_field(
        "Host organisation",
        InputRequired("Please name the organisation that hosts it."),
        max_length=120,
    )
    description = text_field(
        "Description",
        max_length=2000,
        description="What volunteers do, and what a first visit is like.",
    )
    area = SelectField("Where", coerce=optional_int, validate_choice=False)
    slots = ChoiceList(
        "When it runs each week",
        coerce=int,
        choices=options((s, slot_name(s)) for s in range(21)),
    )
    interests = ChoiceList("Interests it suits", coerce=int)
    capacity = IntegerField(
        "Capacity (volunteers)",
        validators=[
            InputRequired("Please say how many volunteers it can take."),
            number_between(1, 500, "Capacity must be a whole number from 1 to 500."),
        ],
    )
    min_comfort = RadioField(
        "Suitable from comfort level",
        coerce=int,
        default=1,
        choices=options((level, f"{level}: {text}") for level, text in COMFORT_LEVELS.items()),
        validators=[InputRequired("Please choose the lowest comfort level it suits.")],
        description="Members below this level aren't suggested for it.",
    )
    contact = line_field(
        "Contact", max_length=200, description="An email or phone number volunteers can use."
    )

    def validate_area(self, field) -> None:
        allowed = {c.value for c in self.area.choices}
        if field.data not in allowed:
            raise ValidationError("Please choose a place from the list.")

    def validate_slots(self, field) -> None:
        if not field.data:
            raise ValidationError("Please tick at least one time it runs.")


class RoleForm(FlaskForm):
    role = SelectField(
        "Role",
        choices=options((role, role.capitalize()) for role in ROLES),
        validators=[InputRequired("Please choose a role.")],
    )


class ReportDecisionForm(FlaskForm):
    outcome = RadioField(
        "Decision",
        choices=options(OUTCOMES.items()),
        validators=[InputRequired("Please choose what to do.")],
    )
    note = text_field(
        "Note for the record (optional)",
        Optional(),
        max_length=1000,
        what="the note",
        description="Only organizers see this.",
    )
