"""Forms for a member's account settings and wellbeing tools."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField
from wtforms.validators import DataRequired, InputRequired

from community.account.loneliness import ANSWERS, QUESTIONS
from community.auth.forms import email_rules
from community.web.form_rules import options, strip_whitespace


class ChangeEmailForm(FlaskForm):
    new_email = EmailField(
        "New email address",
        filters=[strip_whitespace],
        validators=email_rules("Please enter the new address."),
    )
    password = PasswordField(
        "Your current password",
        validators=[DataRequired("Please enter your password to confirm it's you.")],
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        "Your password",
        validators=[DataRequired("Please enter your password to confirm it's you.")],
    )


class ConfirmForm(FlaskForm):
    """Only a CSRF token: the button itself is the answer."""


def answer_field(question: str) -> RadioField:
    return RadioField(
        question,
        choices=options(ANSWERS.items()),
        coerce=int,
        validators=[InputRequired("Please choose one answer.")],
    )


class LonelinessForm(FlaskForm):
    companionship = answer_field(QUESTIONS["companionship"])
    left_out = answer_field(QUESTIONS["left_out"])
    isolated = answer_field(QUESTIONS["isolated"])
