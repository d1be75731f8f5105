"""Validators shared by several forms, with messages a member understands."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from wtforms import DecimalField, Field, Form, StringField, TextAreaField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
CONTROL_EXCEPT_NEWLINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def single_line(form: Form, field: Field) -> None:
    """Names end up in email headers and lists: no line breaks or control characters."""
    if field.data and CONTROL_CHARACTERS.search(field.data):
        raise ValidationError("Please use a single line without special characters.")


def plain_text(form: Form, field: Field) -> None:
    """Free text may span lines but must not carry invisible control characters."""
    if field.data and CONTROL_EXCEPT_NEWLINES.search(field.data):
        raise ValidationError("Please remove the special characters from this text.")


def strip_whitespace(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def options(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """Choices for select, radio and tick fields, as WTForms wants them."""
    return [SelectChoice(value, label) for value, label in pairs]


def choice_values(choices) -> set[Any]:
    return {choice.value for choice in choices or []}


def number_between(minimum: float, maximum: float, message: str):
    """Like NumberRange, but a 400-digit number or NaN gets the message, not a crash.

    (WTForms' NumberRange calls math.isnan, which overflows on huge integers.)
    """

    def check(form: Form, field: Field) -> None:
        value = field.data
        if value is None:
            return
        if isinstance(value, Decimal) and not value.is_finite():
            raise ValidationError(message)
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            raise ValidationError(message)
        if not minimum <= value <= maximum:
            raise ValidationError(message)

    return check


def short_enough(max_length: int, what: str = "this") -> Length:
    return Length(max=max_length, message=f"Please keep {what} under {max_length} characters.")


def line_field(
    label: str, *validators: Any, max_length: int, what: str = "this", **options: Any
) -> StringField:
    """A trimmed one-line text field: ``validators`` first, then the length and line checks."""
    return StringField(
        label,
        filters=[strip_whitespace],
        validators=[*validators, short_enough(max_length, what), single_line],
        **options,
    )


def text_field(
    label: str,
    *validators: Any,
    max_length: int,
    what: str = "this",
    too_long: str | None = None,
    **options: Any,
) -> TextAreaField:
    """A trimmed free-text field over several lines, without control characters."""
    length = (
        short_enough(max_length, what)
        if too_long is None
        else Length(max=max_length, message=too_long)
    )
    return TextAreaField(
        label,
        filters=[strip_whitespace],
        validators=[*validators, length, plain_text],
        **options,
    )


def latitude_field(label: str) -> DecimalField:
    """A latitude in degrees, with the range said in words (areas and venues alike)."""
    return DecimalField(
        label,
        places=5,
        validators=[
            InputRequired("Please give the latitude, a number from -90 to 90."),
            number_between(-90, 90, "Latitude must be between -90 and 90."),
        ],
        description="Degrees north, for example 51.4545.",
    )


def longitude_field(label: str) -> DecimalField:
    """A longitude in degrees, west negative, with the range said in words."""
    return DecimalField(
        label,
        places=5,
        validators=[
            InputRequired("Please give the longitude, a number from -180 to 180."),
            number_between(-180, 180, "Longitude must be between -180 and 180."),
        ],
        description="Degrees east (west is negative), e.g. -2.5879.",
    )
