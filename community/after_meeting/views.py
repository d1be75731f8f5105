"""After the meeting: feedback, weekly rituals, blocking and reporting."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from community.after_meeting import feedback, rituals, safety
from community.after_meeting.forms import (
    ConfirmForm,
    ReportForm,
    feedback_form_for,
)
from community.auth.tokens import InvalidToken
from community.extensions import db
from community.models import Match
from community.web.form_rules import options

bp = Blueprint("after_meeting", __name__)


def render_feedback(seat, form, token=None, status=200):
    return render_template(
        "after_meeting/feedback.html",
        seat=seat,
        form=form,
        companions=feedback.companions(seat),
        token=token,
        report_form=report_form(seat),
        confirm_form=ConfirmForm(),
    ), status


def save_feedback(seat, form):
    again = {}
    for person in feedback.companions(seat):
        answer = getattr(form, f"again_{person.id}").data
        if answer in ("yes", "no"):
            again[person.id] = answer == "yes"
    met = form.met.data == "yes"
    feedback.record_feedback(
        seat,
        met=met,
        feeling=form.feeling.data or None,
        again=again,
        note=form.note.data,
        wants_new_people=form.wants_new_people.data,
    )


def handle_feedback(seat, token=None):
    if feedback.existing_feedback(seat) is not None:
        return render_template("after_meeting/thanks.html", already=True)
    form = feedback_form_for(feedback.companions(seat))
    if request.method == "GET" and request.args.get("feeling") in feedback.FEELINGS:
        # The one click from the email: the answer is chosen, one button saves it.
        form.met.data = "yes"
        form.feeling.data = request.args["feeling"]
    if form.validate_on_submit():
        try:
            save_feedback(seat, form)
        except feedback.FeedbackRefused as error:
            db.session.rollback()
            flash(str(error), "error")
            return render_feedback(seat, form, token, 400)
        db.session.commit()
        return render_template("after_meeting/thanks.html", already=False)
    return render_feedback(seat, form, token, 422 if form.errors else 200)


@bp.route("/feedback/<token>", methods=["GET", "POST"], endpoint="feedback")
def feedback_by_link(token: str):
    """From the email: works without logging in, for that one seat only."""
    try:
        seat = feedback.seat_for_token(token)
    except InvalidToken:
        return render_template("auth/link_problem.html", expired=False, kind="feedback"), 400
    if not feedback.meeting_has_happened(seat):
        return render_template("after_meeting/not_yet.html"), 400
    return handle_feedback(seat, token)


@bp.route("/connections/<int:match_id>/feedback", methods=["GET", "POST"])
@login_required
def feedback_page(match_id: int):
    try:
        seat = feedback.seat_of(current_user, match_id)
    except feedback.FeedbackRefused as error:
        return render_template(
            "web/error.html", code=403, title="Not your meeting", message=str(error)
        ), 403
    if not feedback.meeting_has_happened(seat):
        return render_template("after_meeting/not_yet.html"), 400
    return handle_feedback(seat)


def change_ritual(change, match_id: int, done: str, category: str):
    """Start or leave a ritual, then say what happened on My connections."""
    if ConfirmForm().validate_on_submit():
        try:
            change(current_user, match_id)
        except rituals.RitualRefused as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(done, category)
    return redirect(url_for("connections.index"))


@bp.post("/connections/<int:match_id>/ritual")
@login_required
def start_ritual(match_id: int):
    return change_ritual(
        rituals.start_ritual,
        match_id,
        "Lovely: this is now a weekly meeting. Everyone going gets a calendar entry.",
        "success",
    )


@bp.post("/connections/<int:match_id>/ritual/leave")
@login_required
def leave_ritual(match_id: int):
    return change_ritual(
        rituals.leave_ritual,
        match_id,
        "You've stepped back from the weekly meeting. The others have been told kindly.",
        "info",
    )


def report_form(seat) -> ReportForm:
    form = ReportForm(prefix="report")
    form.about.choices = options(
        [("", "The meeting as a whole")]
        + [(str(p.id), p.display_name) for p in feedback.companions(seat)]
    )
    return form


def member_seat_or_404(match_id: int):
    match = db.session.get(Match, match_id)
    if match is None:
        abort(404)
    seat = next((s for s in match.members if s.user_id == current_user.id), None)
    if seat is None:
        abort(403)
    return seat


@bp.route("/connections/<int:match_id>/safety", methods=["GET", "POST"])
@login_required
def safety_page(match_id: int):
    seat = member_seat_or_404(match_id)
    form = report_form(seat)
    if form.validate_on_submit():
        try:
            safety.report(
                current_user,
                match_id,
                form.reason.data,
                other_id=int(form.about.data) if form.about.data else None,
            )
        except safety.SafetyRefused as error:
            db.session.rollback()
            form.reason.errors.append(str(error))
        else:
            db.session.commit()
            flash("Thank you for telling us. An organizer will look at it soon.", "success")
            return redirect(url_for("connections.index"))
    return render_template(
        "after_meeting/safety.html",
        seat=seat,
        report_form=form,
        confirm_form=ConfirmForm(),
        companions=[s.user for s in seat.match.members if s.user and s.id != seat.id],
        blocked=safety.blocked_ids(current_user),
    ), (422 if form.errors else 200)


@bp.post("/connections/<int:match_id>/block/<int:user_id>")
@login_required
def block(match_id: int, user_id: int):
    if ConfirmForm().validate_on_submit():
        try:
            safety.block(current_user, user_id, match_id)
        except safety.SafetyRefused as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("after_meeting.safety_page", match_id=match_id))
        db.session.commit()
        flash("Done. You won't be matched with them again, and they won't be told.", "success")
    return redirect(url_for("after_meeting.safety_page", match_id=match_id))
