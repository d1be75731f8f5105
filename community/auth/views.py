"""Joining, email verification, logging in and out, and password reset."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from community.auth import accounts
from community.auth.forms import (
    ForgotPasswordForm,
    LoginForm,
    ResendVerificationForm,
    ResetPasswordForm,
    SignupForm,
)
from community.auth.login_sessions import end_all_sessions, end_session, start_session
from community.auth.quiet_delivery import deliver_out_of_band, run_out_of_band
from community.auth.tokens import InvalidToken
from community.extensions import db, limiter
from community.web.safe_redirect import safe_next_url

bp = Blueprint("auth", __name__)


def rate(name: str):
    return lambda: current_app.config[name]


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit(rate("SIGNUP_RATE_LIMIT"), methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("members.home"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = accounts.register(form.display_name.data, form.email.data, form.password.data)
        except accounts.EmailTaken:
            db.session.rollback()
            run_out_of_band(accounts.notify_existing_signup, form.email.data)
            # Same page as a new sign-up: the visitor learns nothing about the email.
            return render_template("auth/check_email.html", email=form.email.data)
        start_session(user, remember=False)
        db.session.commit()
        deliver_out_of_band()
        session.clear()
        login_user(user)
        return render_template("auth/check_email.html", email=user.email, signed_in=True)
    return render_template("auth/signup.html", form=form)


@bp.get("/verify/<token>")
def verify_email(token: str):
    try:
        user = accounts.verify_email(token)
    except InvalidToken as error:
        return render_template("auth/link_problem.html", expired=error.expired, kind="verify"), 400
    db.session.commit()
    flash("Thank you, your email is confirmed.", "success")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("members.home"))
    return redirect(url_for("auth.login"))


@bp.post("/verify/resend")
@login_required
@limiter.limit(rate("RESET_RATE_LIMIT"))
def resend_verification():
    form = ResendVerificationForm()
    if form.validate_on_submit() and not current_user.is_verified:
        accounts.queue_verification(current_user)
        db.session.commit()
        flash(f"We sent a new link to {current_user.email}.", "success")
    return redirect(url_for("members.home"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(rate("LOGIN_RATE_LIMIT"), methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("members.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append("That email and password don't match an account.")
        else:
            end_session(getattr(current_user, "session_token", None))
            start_session(user, remember=form.remember.data)
            db.session.commit()
            session.clear()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next_url(request.args.get("next")) or url_for("members.home"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    end_session(getattr(current_user, "session_token", None))
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are logged out. See you soon.", "info")
    return redirect(url_for("pages.index"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(rate("RESET_RATE_LIMIT"), methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        run_out_of_band(accounts.request_password_reset, form.email.data)
        return render_template("auth/reset_sent.html", email=form.email.data)
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(rate("RESET_RATE_LIMIT"), methods=["POST"])
def reset_password(token: str):
    try:
        user = accounts.user_for_reset(token)
    except InvalidToken as error:
        return render_template("auth/link_problem.html", expired=error.expired, kind="reset"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        accounts.set_password(user, form.password.data)
        end_all_sessions(user)
        db.session.commit()
        logout_user()
        session.clear()
        flash("Your password is changed. Please log in with the new one.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)
