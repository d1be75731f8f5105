"""What the organizers' catalogue pages (areas, interests, opportunities) do alike.

Each page validates its form, calls a catalogue service that records the audit entry,
then commits and goes back to the list, or rolls back and shows why nothing changed.
The views keep what is their own: which form, which service, what the flash says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import Field

from community.extensions import db
from community.models import Area, Interest, User
from community.organize.access import refused
from community.organize.errors import ChangeRefused
from community.organize.forms import ChooseTargetForm, ConfirmForm

T = TypeVar("T")
Mergeable = TypeVar("Mergeable", Area, Interest)


def form_page(template: str, form: FlaskForm, **context: Any):
    """A page holding a form, with a confirm token for its buttons; 422 while it shows errors."""
    return render_template(template, form=form, confirm=ConfirmForm(), **context), (
        422 if form.errors else 200
    )


def save_or_show(
    form: FlaskForm,
    refusal_field: Field,
    change: Callable[[], T],
    done: Callable[[T], str],
    page: Callable[[], Any],
):
    """Make the form's change and go back to the list, or show the page again.

    A refused change is rolled back and its reason shown under ``refusal_field``.
    """
    if form.validate_on_submit():
        try:
            result = change()
        except ChangeRefused as error:
            db.session.rollback()
            refusal_field.errors.append(str(error))
        else:
            db.session.commit()
            flash(done(result), "success")
            return redirect(url_for(".index"))
    return page()


def merge_into(
    source: Mergeable,
    form: ChooseTargetForm,
    noun: str,
    merge: Callable[[User, Mergeable, Mergeable], int],
    done: Callable[[Mergeable, int], str],
):
    """Merge ``source`` into the target chosen on ``form``; ``done(target, moved)`` is the flash.

    Without a valid choice, or when the service refuses, back to the source's edit page.
    """
    source_id: dict[str, Any] = {f"{noun}_id": source.id}
    edit_page = url_for(".edit", **source_id)
    if not form.validate_on_submit():
        flash(f"Please choose the {noun} to merge into.", "error")
        return redirect(edit_page)
    target = db.get_or_404(type(source), form.target.data)
    try:
        moved = merge(current_user, source, target)
    except ChangeRefused as error:
        db.session.rollback()
        refused(error)
        return redirect(edit_page)
    db.session.commit()
    flash(done(target, moved), "success")
    return redirect(url_for(".index"))


def plural(count: int, noun: str = "member") -> str:
    """'1 member', '3 members'."""
    return f"{count} {noun}{'s' if count != 1 else ''}"
