"""Forms for joining, logging in and resetting a password."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, ValidationError
from wtforms.validators import DataRequired, Email, EqualTo, Length

from community.auth.passwords import MAX_LENGTH, password_problem
from community.web.form_rules import line_field, strip_whitespace


def email_rules(missing: str) -> list:
    """An address that fits the column and looks like one; ``missing`` when left empty."""
    return [
        DataRequired(missing),
        Length(max=254, message="That email address is too long."),
        Email("That doesn't look like an email address.", check_deliverability=False),
    ]


EMAIL_RULES = email_rules("Please enter your email address.")


class NewPasswordMixin:
    def validate_password(self, field) -> None:
        email = getattr(getattr(self, "email", None), "data", "") or ""
        name = getattr(getattr(self, "display_name", None), "data", "") or ""
        problem = password_problem(field.data or "", email=email, name=name)
        if problem:
            raise ValidationError(problem)


class SignupForm(NewPasswordMixin, FlaskForm):
    display_name = line_field(
        "What should we call you?",
        DataRequired("Please tell us what to call you."),
        max_length=60,
        what="your name",
        description="Your first name is fine. Only people you are matched with see it.",
    )
    email = EmailField("Email", filters=[strip_whitespace], validators=EMAIL_RULES)
    password = PasswordField(
        "Password",
        validators=[DataRequired("Please choose a password.")],
        description="At least 10 characters. A short phrase is easy to remember.",
    )


class LoginForm(FlaskForm):
    email = EmailField("Email", filters=[strip_whitespace], validators=EMAIL_RULES)
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Please enter your password."),
            Length(max=MAX_LENGTH, message="That password is too long."),
        ],
    )
    remember = BooleanField("Keep me logged in on this device")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", filters=[strip_whitespace], validators=EMAIL_RULES)


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    password = PasswordField("New password", validators=[DataRequired("Please choose a password.")])
    confirm = PasswordField(
        "Type it again",
        validators=[EqualTo("password", message="The two passwords don't match.")],
    )


class ResendVerificationForm(FlaskForm):
    """Only a CSRF token: the button resends to the logged-in member's address."""
