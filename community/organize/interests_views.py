"""Organizers' pages for the interest vocabulary: add, rename, group, merge, retire."""

from __future__ import annotations

from itertools import groupby

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from community.catalogue import vocabulary
from community.extensions import db
from community.models import Interest
from community.organize.access import confirmed_change, organizer_blueprint, refused
from community.organize.errors import ChangeRefused
from community.organize.forms import ChooseTargetForm, ConfirmForm, InterestForm
from community.web.form_rules import options

bp = organizer_blueprint("organize_interests", __name__, "/organize/interests")


def merge_form(interest: Interest) -> ChooseTargetForm:
    form = ChooseTargetForm()
    form.target.label.text = f"Merge \u201c{interest.name}\u201d into"
    form.target.choices = options(
        [(0, "Choose an interest")]
        + [
            (row.interest.id, f"{row.interest.name} ({row.interest.category})")
            for row in vocabulary.interest_rows()
            if not row.interest.retired
        ]
    )
    return form


def render_index(form: InterestForm, status: int = 200):
    rows = vocabulary.interest_rows()
    live = [row for row in rows if not row.interest.retired]
    return render_template(
        "organize/interests.html",
        grouped=[(c, list(items)) for c, items in groupby(live, key=lambda r: r.interest.category)],
        retired=[row for row in rows if row.interest.retired],
        form=form,
        categories=vocabulary.categories(),
        confirm=ConfirmForm(),
    ), status


@bp.route("/", methods=["GET", "POST"])
def index():
    form = InterestForm()
    if form.validate_on_submit():
        try:
            interest = vocabulary.add_interest(
                current_user, name=form.name.data, category=form.category.data
            )
        except ChangeRefused as error:
            db.session.rollback()
            form.name.errors.append(str(error))
            return render_index(form, 422)
        db.session.commit()
        flash(f"\u201c{interest.name}\u201d is added to {interest.category}.", "success")
        return redirect(url_for(".index"))
    return render_index(form, 422 if form.errors else 200)


@bp.route("/<int:interest_id>", methods=["GET", "POST"])
def edit(interest_id: int):
    interest = db.get_or_404(Interest, interest_id)
    form = InterestForm(
        data={"name": interest.name, "category": interest.category}
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        try:
            vocabulary.update_interest(
                current_user, interest, name=form.name.data, category=form.category.data
            )
        except ChangeRefused as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"\u201c{interest.name}\u201d is saved.", "success")
            return redirect(url_for(".index"))
    members = vocabulary.member_counts().get(interest.id, 0)
    return render_template(
        "organize/interest_edit.html",
        interest=interest,
        members=members,
        form=form,
        merge=merge_form(interest),
        categories=vocabulary.categories(),
        confirm=ConfirmForm(),
    ), (422 if form.errors else 200)


@bp.post("/<int:interest_id>/merge")
def merge(interest_id: int):
    interest = db.get_or_404(Interest, interest_id)
    form = merge_form(interest)
    if not form.validate_on_submit():
        flash("Please choose the interest to merge into.", "error")
        return redirect(url_for(".edit", interest_id=interest.id))
    target = db.get_or_404(Interest, form.target.data)
    try:
        holders = vocabulary.merge_interests(current_user, interest, target)
    except ChangeRefused as error:
        db.session.rollback()
        refused(error)
        return redirect(url_for(".edit", interest_id=interest.id))
    db.session.commit()
    flash(
        f"\u201c{interest.name}\u201d is merged into \u201c{target.name}\u201d. "
        f"{holders} member{'s' if holders != 1 else ''} who chose it now have "
        f"\u201c{target.name}\u201d.",
        "success",
    )
    return redirect(url_for(".index"))


@bp.post("/<int:interest_id>/retire")
def retire(interest_id: int):
    interest = db.get_or_404(Interest, interest_id)
    confirmed_change(
        lambda: vocabulary.retire_interest(current_user, interest),
        f"\u201c{interest.name}\u201d is retired; members can't choose it now.",
    )
    return redirect(url_for(".index"))


@bp.post("/<int:interest_id>/restore")
def restore(interest_id: int):
    interest = db.get_or_404(Interest, interest_id)
    confirmed_change(
        lambda: vocabulary.restore_interest(current_user, interest),
        f"\u201c{interest.name}\u201d is back in use.",
    )
    return redirect(url_for(".index"))
