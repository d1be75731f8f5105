"""Forms for feedback, weekly rituals and safety after a meeting."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, TextAreaField, ValidationError
from wtforms.validators import InputRequired, Length, Optional

from community.after_meeting.feedback import FEELINGS
from community.after_meeting.safety import MAX_REASON, MIN_REASON
from community.web.form_rules import options, plain_text, strip_whitespace, text_field

AGAIN_CHOICES = {"yes": "Yes, I'd like that", "no": "Not again", "": "Not sure"}


class FeedbackForm(FlaskForm):
    met = RadioField(
        "Did you meet?",
        choices=options([("yes", "Yes, we met"), ("no", "No, it didn't happen")]),
        validators=[InputRequired("Please tell us whether you met.")],
    )
    feeling = RadioField(
        "How did it feel?", choices=options(FEELINGS.items()), validate_choice=False
    )
    note = text_field(
        "Anything to tell the organizers? (private, optional)",
        max_length=1000,
        too_long="Please keep this under 1,000 characters.",
    )
    wants_new_people = BooleanField("Next time, I'd like to meet new people")

    def validate_feeling(self, field) -> None:
        if field.data and field.data not in FEELINGS:
            raise ValidationError("Please choose one of the three feelings.")
        if self.met.data == "yes" and not field.data:
            raise ValidationError("Please choose how it felt.")


def again_field(name: str) -> RadioField:
    return RadioField(
        f"Would you like to meet {name} again?",
        choices=options(AGAIN_CHOICES.items()),
        default="",
        validators=[Optional()],
    )


def feedback_form_for(companions) -> FeedbackForm:
    """A feedback form with one "meet again?" question per companion."""

    class PersonalFeedbackForm(FeedbackForm):
        pass

    for person in companions:
        setattr(PersonalFeedbackForm, f"again_{person.id}", again_field(person.display_name))
    return PersonalFeedbackForm()


class ReportForm(FlaskForm):
    about = SelectField("Who is this about?", validate_choice=True)
    reason = TextAreaField(
        "What happened?",
        filters=[strip_whitespace],
        validators=[
            InputRequired("Please tell us what happened."),
            Length(
                min=MIN_REASON,
                max=MAX_REASON,
                message=f"Please use {MIN_REASON} to {MAX_REASON} characters.",
            ),
            plain_text,
        ],
        description="Only the organizers read this. The person is never told who reported.",
    )


class ConfirmForm(FlaskForm):
    """Only a CSRF token."""
