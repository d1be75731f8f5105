"""A member's account: their data, consent, email address, wellbeing tools, deletion."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_login import current_user, login_required, logout_user

from community.account import data_control, gentle_start, loneliness
from community.account.forms import (
    ChangeEmailForm,
    ConfirmForm,
    DeleteAccountForm,
    LonelinessForm,
)
from community.auth.login_sessions import end_all_sessions
from community.auth.tokens import InvalidToken
from community.extensions import db

bp = Blueprint("account", __name__)


def render_settings(email_form=None, delete_form=None, status: int = 200):
    return render_template(
        "account/settings.html",
        email_form=email_form or ChangeEmailForm(),
        delete_form=delete_form or DeleteAccountForm(),
        confirm_form=ConfirmForm(),
        plan=gentle_start.plan_for(current_user),
        steps=gentle_start.STEPS,
        checks=loneliness.history(current_user),
    ), status


@bp.get("/account")
@login_required
def settings():
    return render_settings()


@bp.post("/account/email")
@login_required
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            data_control.request_email_change(current_user, form.password.data, form.new_email.data)
        except data_control.WrongPassword:
            form.password.errors.append("That password isn't right.")
        except data_control.EmailInUse:
            form.new_email.errors.append("That address can't be used. Please choose another.")
        else:
            db.session.commit()
            flash(
                f"We sent a confirmation link to {form.new_email.data}. "
                "Your address changes when you open it.",
                "success",
            )
            return redirect(url_for("account.settings"))
    return render_settings(email_form=form, status=422)


@bp.get("/account/email/confirm/<token>")
def confirm_email_change(token: str):
    try:
        data_control.confirm_email_change(token)
    except (InvalidToken, data_control.EmailInUse):
        return render_template("auth/link_problem.html", expired=False, kind="email"), 400
    db.session.commit()
    flash("Your new email address is confirmed.", "success")
    return redirect(url_for("account.settings"))


@bp.get("/account/export.json")
@login_required
def export_json():
    data = data_control.export_member_data(current_user)
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="kindred-my-data.json"'},
    )


@bp.get("/account/export")
@login_required
def export_page():
    return render_template(
        "account/export.html", data=data_control.export_member_data(current_user)
    )


@bp.post("/account/consent/withdraw")
@login_required
def withdraw_consent():
    if ConfirmForm().validate_on_submit():
        data_control.withdraw_consent(current_user)
        db.session.commit()
        flash(
            "We've deleted your comfort level and availability. "
            "We won't suggest matches until you allow it again.",
            "success",
        )
    return redirect(url_for("account.settings"))


@bp.post("/account/delete")
@login_required
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            end_all_sessions(current_user)
            data_control.delete_account(current_user, form.password.data)
        except data_control.WrongPassword:
            db.session.rollback()
            form.password.errors.append("That password isn't right.")
        else:
            db.session.commit()
            logout_user()
            session.clear()
            flash("Your account and personal data are deleted. Take good care.", "info")
            return redirect(url_for("pages.index"))
    return render_settings(delete_form=form, status=422)


@bp.post("/account/gentle-start")
@login_required
def join_gentle_start():
    if ConfirmForm().validate_on_submit():
        gentle_start.join(current_user)
        db.session.commit()
        flash("Lovely. Your first small step arrives by email today.", "success")
    return redirect(url_for("account.settings"))


@bp.post("/account/gentle-start/stop")
@login_required
def stop_gentle_start():
    if ConfirmForm().validate_on_submit():
        gentle_start.stop(current_user)
        db.session.commit()
        flash("The gentle start emails are stopped.", "info")
    return redirect(url_for("account.settings"))


@bp.route("/gentle-start/<token>", methods=["GET", "POST"])
def gentle_start_action(token: str):
    """Links from the daily email: the page asks, the POST does (mail scanners open links)."""
    try:
        user, action, day = gentle_start.read_action(token)
    except InvalidToken:
        return render_template("auth/link_problem.html", expired=False, kind="gentle"), 400
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            if action == "done":
                gentle_start.mark_done(user, day)
            else:
                gentle_start.stop(user)
        except gentle_start.PlanFinished:
            return render_template("auth/link_problem.html", expired=False, kind="gentle"), 400
        db.session.commit()
        return render_template("account/gentle_start_done.html", action=action, day=day)
    step = gentle_start.STEPS.get(day)
    return render_template(
        "account/gentle_start_confirm.html", form=form, action=action, day=day, step=step
    )


@bp.route("/account/loneliness-check", methods=["GET", "POST"])
@login_required
def loneliness_check():
    form = LonelinessForm()
    if form.validate_on_submit():
        loneliness.record(
            current_user,
            companionship=form.companionship.data,
            left_out=form.left_out.data,
            isolated=form.isolated.data,
        )
        db.session.commit()
        return redirect(url_for("account.loneliness_check"))
    checks = loneliness.history(current_user)
    return render_template(
        "account/loneliness.html",
        form=form,
        checks=checks,
        trend=loneliness.kind_word(checks),
        due=loneliness.is_due(current_user),
    ), (422 if form.errors else 200)
