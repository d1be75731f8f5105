"""The profile wizard's forms, one per step, each valid on its own."""

from __future__ import annotations

from datetime import date, timedelta

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    RadioField,
    SelectField,
    SelectMultipleField,
    ValidationError,
)
from wtforms.validators import InputRequired

from community.members.choices import (
    COMFORT_LEVELS,
    FORMATS,
    LOOKING_FOR,
    PACES,
    SETTINGS,
    slot_name,
)
from community.web.form_rules import (
    choice_values,
    line_field,
    number_between,
    options,
    text_field,
)

MAX_INTERESTS = 15
CONSENT_TEXT = (
    "I agree that Kindred stores my comfort level, access needs and weekly availability, "
    "only to suggest matches that suit me. I can withdraw this at any time."
)


def optional_int(value) -> int | None:
    return None if value in ("", None) else int(value)


class ChoiceList(SelectMultipleField):
    """Several ticks from a fixed list; an unknown value gets a plain message."""

    def pre_validate(self, form) -> None:
        allowed = choice_values(self.choices)
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(
                "One of the choices isn't on the list. Please tick from the list."
            )

    def process_formdata(self, valuelist) -> None:
        try:
            self.data = list(dict.fromkeys(self.coerce(v) for v in valuelist))
        except (TypeError, ValueError):
            self.data = []
            raise ValueError(
                "One of the choices isn't on the list. Please tick from the list."
            ) from None


class ConsentMixin:
    consent = BooleanField("Store my comfort and availability", description=CONSENT_TEXT)


class InterestsForm(FlaskForm):
    interests = ChoiceList("Interests", coerce=int)

    def validate_interests(self, field) -> None:
        if not field.data:
            raise ValidationError("Please choose at least one interest.")
        if len(field.data) > MAX_INTERESTS:
            raise ValidationError(
                f"Please choose at most {MAX_INTERESTS} interests (you chose {len(field.data)})."
            )


class MeetingForm(ConsentMixin, FlaskForm):
    comfort = RadioField(
        "How comfortable are you meeting new people?",
        choices=options(COMFORT_LEVELS.items()),
        coerce=optional_int,
        validate_choice=False,
    )
    setting = RadioField(
        "What size of meeting suits you?",
        choices=options(SETTINGS.items()),
        validators=[InputRequired("Please choose a setting.")],
    )
    format = RadioField(
        "In person or online?",
        choices=options(FORMATS.items()),
        validators=[InputRequired("Please choose in person, online or either.")],
    )
    looking_for = ChoiceList("What are you looking for?", choices=options(LOOKING_FOR.items()))
    # Access needs: kept, like comfort, only with consent; they steer which venue is chosen.
    needs_step_free = BooleanField(
        "I need step-free access", description="We'll only suggest places without steps."
    )
    prefers_quiet = BooleanField(
        "I prefer quiet places", description="We'll choose calm venues for you where we can."
    )

    def validate_comfort(self, field) -> None:
        if field.data is not None and field.data not in COMFORT_LEVELS:
            raise ValidationError("Please choose one of the five levels.")
        if self.consent.data and field.data is None:
            raise ValidationError("Please choose the comfort level that sounds most like you.")

    def validate_looking_for(self, field) -> None:
        if not field.data:
            raise ValidationError("Please choose at least one thing you'd like to try.")


class AvailabilityForm(ConsentMixin, FlaskForm):
    slots = ChoiceList(
        "When are you usually free?",
        coerce=int,
        choices=options((s, slot_name(s)) for s in range(21)),
    )

    def validate_slots(self, field) -> None:
        if self.consent.data and not field.data:
            raise ValidationError("Please tick at least one time when you're usually free.")


class PlaceForm(FlaskForm):
    area = SelectField("Your neighbourhood", coerce=int, validate_choice=False)
    max_km = DecimalField(
        "How far are you happy to travel? (km)",
        places=1,
        validators=[
            InputRequired("Please say how far you'd travel, in kilometres."),
            number_between(0.5, 50, "Please choose between 0.5 and 50 km."),
        ],
    )
    pace = RadioField(
        "Your walking pace",
        choices=options([*PACES.items(), ("", "I'd rather not walk")]),
        default="",
        validate_choice=True,
    )
    languages = ChoiceList("Languages you're comfortable speaking")
    other_languages = line_field(
        "Other languages", max_length=120, description="Separate them with commas."
    )

    def validate_area(self, field) -> None:
        if not field.data or field.data not in choice_values(self.area.choices):
            raise ValidationError("Please choose a neighbourhood from the list.")


class AboutForm(FlaskForm):
    about_me = text_field(
        "A few words about you (optional)",
        max_length=500,
        description="Only the people you are matched with will see this.",
    )


class PauseForm(FlaskForm):
    paused_until = DateField(
        "Pause matching until",
        validators=[InputRequired("Please choose the date you'd like to come back.")],
    )

    def validate_paused_until(self, field) -> None:
        if field.data is None:
            return
        today = date.today()
        if field.data <= today:
            raise ValidationError("Please choose a date after today.")
        if field.data > today + timedelta(days=366):
            raise ValidationError("Please choose a date within the next year.")


class ResumeForm(FlaskForm):
    """Only a CSRF token."""
