"""The member's "My connections" page, and the page of each meeting they're going to."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from community.extensions import db
from community.invitations import meeting_notes
from community.invitations.connections import member_connections
from community.invitations.meeting_forms import NoteForm, RemoveNoteForm, ReportNoteForm
from community.invitations.meeting_notes import NoteRefused
from community.invitations.meeting_page import MeetingClosed, MeetingNotFound, meeting_page

bp = Blueprint("connections", __name__, url_prefix="/connections")


@bp.get("/")
@login_required
def index():
    current, past = member_connections(current_user)
    # The after-meeting pages (feedback, block, report) live in their own blueprint.
    feedback = "after_meeting.feedback_page" in current_app.view_functions
    return render_template(
        "invitations/connections.html", current=current, past=past, feedback=feedback
    )


def page_or_abort(match_id: int):
    try:
        return meeting_page(current_user, match_id)
    except MeetingNotFound:
        abort(404)
    except MeetingClosed:
        abort(403)


def render_meeting(match_id: int, note_form=None, report_form=None, reporting=None, status=200):
    page = page_or_abort(match_id)
    if note_form is None:
        note_form = NoteForm(data={"text": page.my_note.text if page.my_note else ""})
    return render_template(
        "invitations/meeting.html",
        page=page,
        note_form=note_form,
        report_form=report_form or ReportNoteForm(formdata=None),
        reporting=reporting,
        remove_form=RemoveNoteForm(formdata=None),
    ), status


@bp.get("/<int:match_id>/meeting")
@login_required
def meeting(match_id: int):
    return render_meeting(match_id)


@bp.post("/<int:match_id>/meeting/note")
@login_required
def save_note(match_id: int):
    page_or_abort(match_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            meeting_notes.save_note(current_user, match_id, form.text.data)
        except NoteRefused as error:
            db.session.rollback()
            form.text.errors = [str(error)]
        else:
            db.session.commit()
            flash("Your note is saved. The others going can read it.", "success")
            return redirect(url_for(".meeting", match_id=match_id) + "#notes")
    return render_meeting(match_id, note_form=form, status=422)


@bp.post("/<int:match_id>/meeting/note/remove")
@login_required
def remove_note(match_id: int):
    page_or_abort(match_id)
    if RemoveNoteForm().validate_on_submit() and meeting_notes.remove_note(current_user, match_id):
        db.session.commit()
        flash("Your note is removed.", "success")
    return redirect(url_for(".meeting", match_id=match_id) + "#notes")


@bp.post("/<int:match_id>/meeting/notes/<int:note_id>/report")
@login_required
def report_note(match_id: int, note_id: int):
    page_or_abort(match_id)
    form = ReportNoteForm()
    if form.validate_on_submit():
        try:
            meeting_notes.report_note(current_user, match_id, note_id, form.reason.data)
        except NoteRefused as error:
            db.session.rollback()
            form.reason.errors = [str(error)]
        else:
            db.session.commit()
            flash(
                "Thank you. The organizers will look at it; nobody is told who reported.",
                "success",
            )
            return redirect(url_for(".meeting", match_id=match_id) + "#notes")
    return render_meeting(match_id, report_form=form, reporting=note_id, status=422)
