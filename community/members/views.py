"""A member's own pages: their home and the profile wizard."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from jinja2.environment import TemplateModule

from community.catalogue.defaults import LANGUAGES
from community.extensions import db
from community.members import profiles
from community.members.choices import (
    COMFORT_LEVELS,
    DAY_PARTS,
    WEEKDAYS,
    WIZARD_STEPS,
    slot_number,
)
from community.members.forms import (
    AboutForm,
    AvailabilityForm,
    InterestsForm,
    MeetingForm,
    PauseForm,
    PlaceForm,
    ResumeForm,
)
from community.members.small_steps import small_steps
from community.web.form_rules import options
from community.web.fragment_cache import fragment_cache, render_fragment

bp = Blueprint("members", __name__)

STEP_NAMES = [step for step, _title in WIZARD_STEPS]


@bp.before_request
@login_required
def require_login():
    """Every page here is a member's own; staff created without a profile get one."""
    if current_user.profile is None:
        profiles.ensure_profile(current_user)
        db.session.commit()


@bp.get("/home")
def home():
    return render_home()


def render_home(pause_form: PauseForm | None = None, status: int = 200):
    """The member's home; ``pause_form`` is a posted pause form to show with its errors."""
    profile = current_user.profile
    paused = profiles.is_paused(profile)
    return render_template(
        "members/home.html",
        profile=profile,
        interest_names=profiles.interest_names(profile),
        readiness=profiles.readiness(current_user),
        next_step=profiles.next_step(profile),
        paused=paused,
        pause_form=pause_form,
        blank_pause_field=blank_pause_field() if pause_form is None and not paused else None,
        resume_form=ResumeForm() if paused else None,
        small_steps=small_steps(current_user),
    ), status


def blank_pause_field() -> TemplateModule:
    """The empty pause form's date field, the same for every member on every visit.

    Building and rendering the form through WTForms was a seventh of the home page's
    CPU, so the empty field is rendered once per process; a posted form with errors is
    still rendered in full.
    """
    return fragment_cache().get_or_render(
        "blank pause field",
        lambda: render_fragment(
            "members/_pause_field.html", field=PauseForm(meta={"csrf": False}).paused_until
        ),
    )


def build_form(step: str, profile):
    """The step's form, filled from the saved profile on GET and from the post on POST."""
    if step == "interests":
        form = InterestsForm(data={"interests": [i.id for i in profile.interests]})
        form.interests.choices = options((i.id, i.name) for i in profiles.active_interests())
    elif step == "meeting":
        looking = profiles.looking_for(
            profile.wants_groups, profile.wants_walks, profile.wants_volunteering
        )
        form = MeetingForm(
            data={
                "consent": profile.consent_at is not None,
                "comfort": profile.comfort,
                "needs_step_free": profile.needs_step_free,
                "prefers_quiet": profile.prefers_quiet,
                "setting": profile.setting if "meeting" in profile.completed_steps else None,
                "format": profile.format if "meeting" in profile.completed_steps else None,
                "looking_for": looking,
            }
        )
    elif step == "availability":
        form = AvailabilityForm(
            data={
                "consent": profile.consent_at is not None,
                "slots": sorted(profile.availability_slots),
            }
        )
    elif step == "place":
        known = [lang for lang in profile.language_list if lang in LANGUAGES]
        other = [lang for lang in profile.language_list if lang not in LANGUAGES]
        areas = profiles.active_areas()
        form = PlaceForm(
            data={
                "area": profile.area_id,
                "max_km": profile.max_km if profile.max_km is not None else 3,
                "pace": profile.pace or "",
                "languages": known,
                "other_languages": ", ".join(other),
            }
        )
        form.area.choices = options(
            [(0, "Choose your neighbourhood")] + [(a.id, a.name) for a in areas]
        )
        form.languages.choices = options((lang, lang) for lang in LANGUAGES)
    else:
        form = AboutForm(data={"about_me": profile.about_me})
    return form


def save_step(step: str, form, profile) -> None:
    if step == "interests":
        profiles.save_interests(profile, form.interests.data)
    elif step == "meeting":
        profiles.save_meeting(
            profile,
            consent=form.consent.data,
            comfort=form.comfort.data,
            setting=form.setting.data,
            format=form.format.data,
            looking_for=form.looking_for.data,
            needs_step_free=form.needs_step_free.data,
            prefers_quiet=form.prefers_quiet.data,
        )
    elif step == "availability":
        profiles.save_availability(profile, consent=form.consent.data, slots=form.slots.data)
    elif step == "place":
        profiles.save_place(
            profile,
            area_id=form.area.data,
            max_km=form.max_km.data,
            pace=form.pace.data,
            languages=profiles.split_languages(form.languages.data, form.other_languages.data),
        )
    else:
        profiles.save_about(profile, form.about_me.data)


@bp.route("/profile/<step>", methods=["GET", "POST"])
def wizard(step: str):
    if step not in STEP_NAMES:
        abort(404)
    profile = current_user.profile
    form = build_form(step, profile)
    if form.validate_on_submit():
        try:
            save_step(step, form, profile)
        except profiles.UnknownChoice:
            db.session.rollback()
            flash("One of the choices isn't on the list any more. Please choose again.", "error")
            return redirect(url_for("members.wizard", step=step))
        db.session.commit()
        position = STEP_NAMES.index(step)
        if position + 1 < len(STEP_NAMES):
            flash("Saved.", "success")
            return redirect(url_for("members.wizard", step=STEP_NAMES[position + 1]))
        flash("Your profile is saved. Thank you for telling us about yourself.", "success")
        return redirect(url_for("members.home"))
    interests_by_category = []
    if step == "interests":
        interests_by_category = [
            (category, list(items))
            for category, items in groupby(profiles.active_interests(), key=lambda i: i.category)
        ]
    return render_template(
        f"members/step_{step}.html",
        form=form,
        step=step,
        steps=WIZARD_STEPS,
        position=STEP_NAMES.index(step),
        done=profile.completed_steps,
        interests_by_category=interests_by_category,
        comfort_levels=COMFORT_LEVELS,
        weekdays=WEEKDAYS,
        day_parts=DAY_PARTS,
        slot_number=slot_number,
    ), (200 if not form.errors else 422)


@bp.post("/pause")
def pause():
    form = PauseForm()
    if form.validate_on_submit():
        profiles.pause(current_user.profile, form.paused_until.data)
        db.session.commit()
        flash(f"Matching is paused until {form.paused_until.data:%A %d %B}. Take care.", "success")
        return redirect(url_for("members.home"))
    return render_home(form, 422)


@bp.post("/resume")
def resume():
    if ResumeForm().validate_on_submit():
        profiles.resume(current_user.profile)
        db.session.commit()
        flash("Welcome back. You'll be included in the next matching round.", "success")
    return redirect(url_for("members.home"))
