"""Admins' pages: roles, deactivation, resending verification, and the audit log."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from community.admin import audit, member_directory
from community.extensions import db
from community.models import User
from community.organize.access import admin_blueprint, confirmed_change, refused
from community.organize.errors import ChangeRefused
from community.organize.forms import RoleForm

bp = admin_blueprint("admin", __name__, "/admin")

PER_PAGE = 50


def back_to(user: User):
    return redirect(url_for("organize_members.show", user_id=user.id))


@bp.get("/")
def index():
    page_number = request.args.get("page", "1")
    page = int(page_number) if page_number.isdigit() else 1
    entries, total = audit.recent_entries(page, PER_PAGE)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    staff = list(
        db.session.execute(
            db.select(User).where(User.role != "member").order_by(User.role, User.display_name)
        ).scalars()
    )
    return render_template(
        "admin/index.html",
        entries=entries,
        total=total,
        page=min(page, pages),
        pages=pages,
        staff=staff,
        changed=audit.changed,
    )


@bp.post("/members/<int:user_id>/role")
def change_role(user_id: int):
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            member_directory.change_role(current_user, user, form.role.data)
        except ChangeRefused as error:
            db.session.rollback()
            refused(error)
        else:
            db.session.commit()
            flash(
                f"{user.display_name} is now {member_directory.role_label(user.role)}.", "success"
            )
    else:
        flash("Please choose member, organizer or admin.", "error")
    return back_to(user)


@bp.post("/members/<int:user_id>/deactivate")
def deactivate(user_id: int):
    user = db.get_or_404(User, user_id)
    confirmed_change(
        lambda: member_directory.set_active(current_user, user, False),
        f"{user.display_name}'s account is deactivated.",
    )
    return back_to(user)


@bp.post("/members/<int:user_id>/reactivate")
def reactivate(user_id: int):
    user = db.get_or_404(User, user_id)
    confirmed_change(
        lambda: member_directory.set_active(current_user, user, True),
        f"{user.display_name}'s account is active again.",
    )
    return back_to(user)


@bp.post("/members/<int:user_id>/resend-verification")
def resend_verification(user_id: int):
    user = db.get_or_404(User, user_id)
    confirmed_change(
        lambda: member_directory.resend_verification(current_user, user),
        f"A new confirmation link is on its way to {user.email}.",
    )
    return back_to(user)
