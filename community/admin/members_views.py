"""Organizers' member directory: search, filter, page through, open one member."""

from __future__ import annotations

from datetime import date

from flask import render_template, request, url_for
from jinja2.environment import TemplateModule

from community.admin import member_directory
from community.admin.member_directory import LAST_MATCHED, YES_NO, MemberFilters
from community.catalogue.areas import area_names
from community.extensions import db
from community.members import profiles
from community.members.choices import COMFORT_LEVELS, LOOKING_FOR, slot_name
from community.models import User
from community.organize.access import organizer_blueprint
from community.organize.forms import ConfirmForm, RoleForm
from community.web.fragment_cache import fragment_cache, render_fragment

bp = organizer_blueprint("organize_members", __name__, "/organize/members")


@bp.get("/")
def index():
    filters = MemberFilters.from_args(request.args)
    page_number = request.args.get("page", "1")
    areas = area_names()
    page = member_directory.search(
        filters,
        page=int(page_number) if page_number.isdigit() else 1,
        area_names={area.id: area.name for area in areas},
    )
    args = filters.as_args()
    return render_template(
        "admin/members.html",
        page=page,
        args=args,
        filter_form=filter_form(filters, args, areas),
        today=date.today(),
    )


def filter_form(filters: MemberFilters, args: dict, areas: list) -> TemplateModule:
    """The filter form, rendered once per process for each vocabulary and choice of filters.

    Its 70-odd options are most of the page's template work. The areas and interests
    are still read on every request and are part of the key, so an organizer's edit
    shows at once in every worker; only the rendering is reused.
    """
    live_areas = tuple(area for area in areas if area.retired_at is None)
    interests = tuple(profiles.active_interest_names())
    clear_url = url_for(".index")
    return fragment_cache().get_or_render(
        ("member filters", live_areas, interests, filters, clear_url),
        lambda: render_fragment(
            "admin/_member_filters.html",
            filters=filters,
            args=args,
            clear_url=clear_url,
            areas=live_areas,
            interests=interests,
            looking_for=LOOKING_FOR,
            yes_no=YES_NO,
            last_matched=LAST_MATCHED,
        ),
    )


@bp.get("/<int:user_id>")
def show(user_id: int):
    user = db.get_or_404(User, user_id)
    profile = user.profile
    role_form = RoleForm(data={"role": user.role})
    show_private = member_directory.may_see_comfort(profile)
    free_times = (
        [slot_name(s) for s in sorted(profile.availability_slots)]
        if profile is not None and show_private
        else []
    )
    return render_template(
        "admin/member.html",
        member=user,
        profile=profile,
        show_private=show_private,
        free_times=free_times,
        comfort_levels=COMFORT_LEVELS,
        history=member_directory.history(user),
        reports=member_directory.reports_about(user),
        paused=profile is not None and profiles.is_paused(profile),
        role_form=role_form,
        confirm=ConfirmForm(),
    )
