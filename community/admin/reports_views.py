"""The moderation queue: members' reports, and the organizer's decision on each."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from community.admin import moderation
from community.extensions import db
from community.models import Report
from community.organize.access import organizer_blueprint
from community.organize.errors import ChangeRefused
from community.organize.forms import ReportDecisionForm

bp = organizer_blueprint("organize_reports", __name__, "/organize/reports")

DONE = {
    "dismissed": "The report is dismissed.",
    "warned": "The member will get a gentle warning by email.",
    "suspended": "The member's account is suspended.",
}


@bp.get("/")
def index():
    return render_template(
        "admin/reports.html",
        open_reports=moderation.open_reports(),
        handled=moderation.handled_reports(),
    )


@bp.route("/<int:report_id>", methods=["GET", "POST"])
def show(report_id: int):
    report = db.get_or_404(Report, report_id)
    form = ReportDecisionForm()
    if form.validate_on_submit():
        try:
            moderation.handle_report(current_user, report, form.outcome.data, form.note.data)
        except ChangeRefused as error:
            db.session.rollback()
            form.outcome.errors.append(str(error))
        else:
            db.session.commit()
            flash(
                f"{DONE[report.status]} The two members won't be matched together again.",
                "success",
            )
            return redirect(url_for(".index"))
    return render_template(
        "admin/report.html",
        report=report,
        form=form,
        earlier=moderation.earlier_reports(report),
        note=moderation.reported_note(report),
    ), (422 if form.errors else 200)
