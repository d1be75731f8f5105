"""The organizer's "change place or time" and "cancel meeting" forms on a round's page."""

from __future__ import annotations

from datetime import datetime

from flask import flash, g, redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateTimeLocalField, SelectField, StringField
from wtforms.validators import Optional

from community.extensions import db
from community.invitations.changes import MeetingChangeRefused, cancel_meeting, change_meeting
from community.models import Match, Venue
from community.organize.access import organizer_blueprint
from community.rounds.schedule import community_timezone, local_time

bp = organizer_blueprint("meeting_changes", __name__, "/organize/meetings")


class ChangeMeetingForm(FlaskForm):
    venue = SelectField("Place", coerce=int, validate_choice=False)
    meeting_at = DateTimeLocalField(
        "Day and time", format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    room_url = StringField("Room link (online meetings)")


class CancelMeetingForm(FlaskForm):
    confirm = BooleanField("Yes, cancel it and tell everyone invited or going")


@bp.app_template_global()
def meeting_venue_choices() -> list[tuple[int, str]]:
    """Venues still in use, for every match card's form on a round page (one query)."""
    if "meeting_venue_choices" not in g:
        g.meeting_venue_choices = [
            (venue.id, f"{venue.name}, {venue.address}")
            for venue in db.session.execute(
                select(Venue).where(Venue.retired_at.is_(None)).order_by(Venue.name)
            ).scalars()
        ]
    return g.meeting_venue_choices


@bp.app_template_global()
def meeting_local_time(moment: datetime | None) -> str:
    return local_time(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""


def back_to_round(match: Match):
    return redirect(url_for("rounds.show", round_id=match.round_id) + f"#meeting-{match.id}")


@bp.post("/<int:match_id>/change")
def change(match_id: int):
    match = db.get_or_404(Match, match_id)
    form = ChangeMeetingForm()
    if not form.validate_on_submit():
        flash("Please give a day and time like 2030-03-04 10:00.", "error")
        return back_to_round(match)
    venue = db.session.get(Venue, form.venue.data) if form.venue.data else None
    when = form.meeting_at.data
    if when is not None:
        when = when.replace(tzinfo=community_timezone())
    try:
        told = change_meeting(
            match,
            venue=venue,
            meeting_at=when,
            actor=current_user,
            room_url=form.room_url.data if match.format == "online" else None,
        )
    except MeetingChangeRefused as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"The meeting is changed. {told} member(s) will get the update.", "success")
    return back_to_round(match)


@bp.post("/<int:match_id>/cancel")
def cancel(match_id: int):
    match = db.get_or_404(Match, match_id)
    form = CancelMeetingForm()
    if not (form.validate_on_submit() and form.confirm.data):
        flash("Tick the box to confirm the cancellation.", "error")
        return back_to_round(match)
    try:
        told = cancel_meeting(match, actor=current_user)
    except MeetingChangeRefused as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"The meeting is cancelled. {told} member(s) will be told.", "success")
    return back_to_round(match)
