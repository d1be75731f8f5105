"""Forms of the organizer's round pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, ValidationError
from wtforms.validators import InputRequired, Optional

from community.members.forms import ChoiceList
from community.rounds.schedule import KIND_LABELS
from community.web.form_rules import number_between, options

KIND_HINTS = {
    "groups": "Small groups of alike people who share a free time and a way to meet.",
    "walks": "Pairs (or threes) living close by, with a shared time and walking pace.",
    "volunteering": "Volunteers placed with open opportunities, never over capacity.",
}


SIZE = number_between(2, 12, "Please choose a size from 2 to 12.")


class RoundSettingsForm(FlaskForm):
    """The settings a round can be rerun with."""

    areas = ChoiceList(
        "Areas it covers",
        coerce=int,
        description="Leave all unticked to cover every area.",
    )
    min_size = IntegerField(
        "Smallest group",
        default=4,
        validators=[InputRequired("Please give the smallest group size."), SIZE],
    )
    max_size = IntegerField(
        "Largest group",
        default=6,
        validators=[InputRequired("Please give the largest group size."), SIZE],
    )
    week_start = DateField(
        "Week it is for",
        validators=[InputRequired("Please choose the week the meetings are for.")],
        description="Any day of the week; meetings are set in that Monday-to-Sunday week.",
    )
    random_state = IntegerField(
        "Shuffle number",
        default=0,
        validators=[Optional(), number_between(0, 2**31 - 1, "Please use a whole number from 0.")],
        description="A different number gives a different, equally good proposal.",
    )

    def validate_max_size(self, field) -> None:
        if self.min_size.data and field.data and field.data < self.min_size.data:
            raise ValidationError("The largest group can't be smaller than the smallest.")


class NewRoundForm(RoundSettingsForm):
    kind = RadioField(
        "What kind of round?",
        choices=options(KIND_LABELS.items()),
        validators=[InputRequired("Please choose what kind of round to run.")],
    )


class MoveForm(FlaskForm):
    seat = IntegerField(validators=[InputRequired(), number_between(1, 2**62, "Unknown member.")])
    target = IntegerField(
        "Move to group",
        validators=[
            InputRequired("Please give the number of a group."),
            number_between(1, 100_000, "Please give the number of a group."),
        ],
    )


class RemoveForm(FlaskForm):
    seat = IntegerField(validators=[InputRequired(), number_between(1, 2**62, "Unknown member.")])


class VenueForm(FlaskForm):
    """An organizer's choice of venue for one in-person meeting."""

    match = IntegerField(validators=[InputRequired(), number_between(1, 2**62, "Unknown meeting.")])
    venue = IntegerField(
        "Venue",
        validators=[
            InputRequired("Please choose a venue from the list."),
            number_between(1, 2**62, "Please choose a venue from the list."),
        ],
    )


class ConfirmForm(FlaskForm):
    """A button and its CSRF token (approve, remind)."""
