"""Organizers' pages for the interest vocabulary: add, rename, group, merge, retire."""

from __future__ import annotations

from itertools import groupby

from flask import redirect, request, url_for
from flask_login import current_user

from community.catalogue import vocabulary
from community.extensions import db
from community.models import Interest
from community.organize.access import confirmed_change, organizer_blueprint
from community.organize.catalogue_pages import form_page, merge_into, plural, save_or_show
from community.organize.forms import ChooseTargetForm, InterestForm
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


def render_index(form: InterestForm):
    rows = vocabulary.interest_rows()
    live = [row for row in rows if not row.interest.retired]
    return form_page(
        "organize/interests.html",
        form,
        grouped=[(c, list(items)) for c, items in groupby(live, key=lambda r: r.interest.category)],
        retired=[row for row in rows if row.interest.retired],
        categories=vocabulary.categories(),
    )


@bp.route("/", methods=["GET", "POST"])
def index():
    form = InterestForm()
    return save_or_show(
        form,
        form.name,
        lambda: vocabulary.add_interest(
            current_user, name=form.name.data, category=form.category.data
        ),
        lambda added: f"\u201c{added.name}\u201d is added to {added.category}.",
        lambda: render_index(form),
    )


@bp.route("/<int:interest_id>", methods=["GET", "POST"])
def edit(interest_id: int):
    interest = db.get_or_404(Interest, interest_id)
    form = InterestForm(
        data={"name": interest.name, "category": interest.category}
        if request.method == "GET"
        else None
    )
    return save_or_show(
        form,
        form.name,
        lambda: vocabulary.update_interest(
            current_user, interest, name=form.name.data, category=form.category.data
        ),
        lambda saved: f"\u201c{saved.name}\u201d is saved.",
        lambda: form_page(
            "organize/interest_edit.html",
            form,
            interest=interest,
            members=vocabulary.member_counts().get(interest.id, 0),
            merge=merge_form(interest),
            categories=vocabulary.categories(),
        ),
    )


@bp.post("/<int:interest_id>/merge")
def merge(interest_id: int):
    interest = db.get_or_404(Interest, interest_id)
    return merge_into(
        interest,
        merge_form(interest),
        "interest",
        vocabulary.merge_interests,
        lambda target, holders: (
            f"\u201c{interest.name}\u201d is merged into \u201c{target.name}\u201d. "
            f"{plural(holders)} who chose it now have \u201c{target.name}\u201d."
        ),
    )


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
