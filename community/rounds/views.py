"""Organizer pages for matching rounds: start, preview, adjust, approve, follow."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from community.extensions import db
from community.invitations.reminders import resend_reminders
from community.members.profiles import active_areas
from community.models import MatchRound
from community.rounds import listing
from community.rounds import runner as round_runner
from community.rounds.adjustment import match_number, move_member, remove_member
from community.rounds.approval import approve_round
from community.rounds.errors import AlreadyApproved, RoundError, RoundNotReady
from community.rounds.forms import (
    KIND_HINTS,
    ConfirmForm,
    MoveForm,
    NewRoundForm,
    RemoveForm,
    RoundSettingsForm,
    VenueForm,
)
from community.rounds.listing import (
    areas_label,
    count_matches,
    recent_rounds,
    response_totals,
    round_matches,
    unplaced_people,
)
from community.rounds.places import place_summary
from community.rounds.proposal import change_settings, fail_stalled, start_round
from community.rounds.schedule import KIND_LABELS, local_time, next_monday
from community.rounds.venue_picks import choose_venue
from community.web.form_rules import options

bp = Blueprint("rounds", __name__, url_prefix="/organize/rounds")


@bp.before_request
@login_required
def require_organizer():
    """Organizers and admins only, checked on the server for every page here."""
    if not current_user.is_organizer:
        abort(403)


def get_round(round_id: int) -> MatchRound:
    """The round or a 404; an absurdly long number in the address is a 404 too."""
    if round_id > 2**62:
        abort(404)
    round_ = db.get_or_404(MatchRound, round_id)
    if fail_stalled([round_]):
        db.session.commit()
    return round_


def with_areas(form):
    form.areas.choices = options((a.id, a.name) for a in active_areas())
    return form


@bp.get("/")
def index():
    recent = recent_rounds()
    if fail_stalled(recent):
        db.session.commit()
    return render_template("rounds/index.html", rounds=recent, labels=KIND_LABELS)


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = with_areas(
        NewRoundForm(
            data={
                "week_start": next_monday(),
                "min_size": 4,
                "max_size": 6,
                "random_state": 0,
            }
        )
    )
    if form.validate_on_submit():
        try:
            round_ = start_round(
                kind=form.kind.data,
                area_ids=form.areas.data or [],
                min_size=form.min_size.data,
                max_size=form.max_size.data,
                week_start=form.week_start.data,
                random_state=form.random_state.data or 0,
                created_by=current_user,
            )
        except RoundError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            background = round_runner.launch(round_)
            if not background:
                flash("The proposal is ready. Nothing is sent until you approve it.", "success")
            return redirect(url_for("rounds.show", round_id=round_.id))
    return render_template("rounds/new.html", form=form, hints=KIND_HINTS), (
        422 if form.errors else 200
    )


def settings_form(round_: MatchRound) -> RoundSettingsForm:
    return with_areas(
        RoundSettingsForm(
            data={
                "areas": round_.area_ids or [],
                "min_size": round_.min_size,
                "max_size": round_.max_size,
                "week_start": round_.week_start,
                "random_state": round_.random_state,
            }
        )
    )


@bp.get("/<int:round_id>")
def show(round_id: int):
    round_ = get_round(round_id)
    return render_round(round_)


def render_round(round_: MatchRound, settings: RoundSettingsForm | None = None, status: int = 200):
    shown = round_.status in ("ready", "approved")
    total = count_matches(round_) if shown else 0
    pages = max(1, -(-total // listing.PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    matches = round_matches(round_, page, listing.PAGE_SIZE) if shown else []
    return render_template(
        "rounds/show.html",
        round=round_,
        label=KIND_LABELS[round_.kind],
        matches=matches,
        total=total,
        page=page,
        pages=pages,
        unplaced=unplaced_people(round_),
        totals=response_totals(round_) if round_.status == "approved" else {},
        settings=settings or settings_form(round_),
        move_form=MoveForm(),
        remove_form=RemoveForm(),
        confirm_form=ConfirmForm(),
        venue_form=VenueForm(),
        places=place_summary(round_) if shown else None,
        areas_label=areas_label(round_),
        approved_at=local_time(round_.approved_at) if round_.approved_at else None,
    ), status


@bp.get("/<int:round_id>/status")
def status(round_id: int):
    round_ = get_round(round_id)
    return jsonify(
        id=round_.id,
        status=round_.status,
        progress=round_.progress,
        message=round_.progress_message,
        error=round_.error if round_.status == "failed" else "",
        url=url_for("rounds.show", round_id=round_.id),
    )


@bp.post("/<int:round_id>/rerun")
def rerun(round_id: int):
    round_ = get_round(round_id)
    form = with_areas(RoundSettingsForm())
    if not form.validate_on_submit():
        flash("Please check the settings below.", "error")
        return render_round(round_, settings=form, status=422)
    try:
        change_settings(
            round_,
            area_ids=form.areas.data or [],
            min_size=form.min_size.data,
            max_size=form.max_size.data,
            week_start=form.week_start.data,
            random_state=form.random_state.data or 0,
        )
    except RoundError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("rounds.show", round_id=round_id))
    db.session.commit()
    if not round_runner.launch(round_):
        flash("Here is the new proposal.", "success")
    return redirect(url_for("rounds.show", round_id=round_id))


@bp.post("/<int:round_id>/move")
def move(round_id: int):
    round_ = get_round(round_id)
    form = MoveForm()
    if not form.validate_on_submit():
        flash("Please give the number of the group to move them to.", "error")
        return redirect(url_for("rounds.show", round_id=round_id))
    try:
        target = match_number(round_, form.target.data)
        warnings = move_member(round_, form.seat.data, target)
    except RoundError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("rounds.show", round_id=round_id))
    db.session.commit()
    flash(f"Moved to group {form.target.data}. The figures are updated.", "success")
    for warning in warnings:
        flash(f"Heads up: {warning}", "info")
    page = (form.target.data - 1) // listing.PAGE_SIZE + 1
    return redirect(
        url_for("rounds.show", round_id=round_id, page=page, _anchor=f"match-{form.target.data}")
    )


@bp.post("/<int:round_id>/remove")
def remove(round_id: int):
    round_ = get_round(round_id)
    form = RemoveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        note = remove_member(round_, form.seat.data)
    except RoundError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("rounds.show", round_id=round_id))
    db.session.commit()
    flash("Removed from the proposal; they are on the left-out list.", "success")
    if note:
        flash(note, "info")
    return redirect(url_for("rounds.show", round_id=round_id))


@bp.post("/<int:round_id>/venue")
def choose_place(round_id: int):
    """The organizer gives one in-person meeting a venue by hand."""
    round_ = get_round(round_id)
    form = VenueForm()
    if not form.validate_on_submit():
        flash("Please choose a venue from the list for that meeting.", "error")
        return redirect(url_for("rounds.show", round_id=round_id))
    try:
        match, venue, warnings = choose_venue(round_, form.match.data, form.venue.data)
    except RoundError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("rounds.show", round_id=round_id))
    number = listing.number_of(round_, form.match.data)
    kind_word = {"pair": "Pair", "trio": "Trio"}.get(match.kind, "Group")
    db.session.commit()
    flash(f"{kind_word} {number} now meets at {venue.name}.", "success")
    for warning in warnings:
        flash(f"Heads up: {warning}", "info")
    page = (number - 1) // listing.PAGE_SIZE + 1
    return redirect(url_for("rounds.show", round_id=round_id, page=page, _anchor=f"match-{number}"))


@bp.post("/<int:round_id>/approve")
def approve(round_id: int):
    round_ = get_round(round_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        queued = approve_round(round_, current_user)
    except AlreadyApproved as error:
        flash(str(error), "info")
        return redirect(url_for("rounds.show", round_id=round_id))
    except RoundNotReady as error:
        flash(str(error), "error")
        return redirect(url_for("rounds.show", round_id=round_id))
    db.session.commit()
    flash(f"Approved. {queued} invitations are on their way.", "success")
    return redirect(url_for("rounds.show", round_id=round_id))


@bp.post("/<int:round_id>/remind")
def remind(round_id: int):
    round_ = get_round(round_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if round_.status != "approved":
        flash("Reminders can only go out after approval.", "error")
        return redirect(url_for("rounds.show", round_id=round_id))
    sent = resend_reminders(round_)
    db.session.commit()
    if sent:
        flash(f"Reminded {sent} people who haven't answered yet.", "success")
    else:
        flash("Nobody to remind: everyone has answered, or was reminded today.", "info")
    return redirect(url_for("rounds.show", round_id=round_id))
