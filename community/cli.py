"""Command-line work: set up a community, seed the demo, deliver mail, run the demo site."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select
from tqdm import tqdm
from werkzeug.serving import run_simple

from community.catalogue.setup import seed_areas, seed_vocabulary
from community.extensions import db
from community.mail.delivery import send_pending_mail
from community.mail.inline import BackgroundSender
from community.mail.outbox import pending_count
from community.models import User
from community.web.app_object import real_app


def register(app: Flask) -> None:
    app.cli.add_command(init_community)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(send_mail)
    app.cli.add_command(demo)
    app.cli.add_command(send_gentle_start)
    app.cli.add_command(send_feedback_requests)
    app.cli.add_command(send_ritual_reminders)
    app.cli.add_command(send_reminders)
    app.cli.add_command(train_matching)


@click.command("init-community")
def init_community() -> None:
    """Build the schema through the migrations and add the default vocabulary."""
    upgrade()
    added = seed_vocabulary() + seed_areas()
    db.session.commit()
    click.echo(f"Database is up to date; {added} default interests and areas added.")


@click.command("seed-demo")
@click.option("--members", default=300, show_default=True, help="How many demo members.")
def seed_demo_command(members: int) -> None:
    """Fill an empty database with the demo community."""
    from community.demo.community import seed_demo

    if db.session.execute(select(func.count(User.id))).scalar_one():
        raise click.ClickException("The database already has accounts; not seeding the demo.")
    with tqdm(total=members, desc="Demo members", unit="member") as bar:
        logins = seed_demo(members, progress=bar.update)
    db.session.commit()
    print_logins(logins)


def print_logins(logins) -> None:
    click.echo("\nDemo logins:")
    for login in logins:
        click.echo(f"  {login.role:<10} {login.email:<34} password: {login.password}")
    Path(current_app.instance_path, "demo-logins.txt").write_text(
        "".join(f"{x.role}\t{x.email}\t{x.password}\n" for x in logins)
    )


@click.command("send-mail")
def send_mail() -> None:
    """Deliver every due email in the outbox, with retries left for later."""
    total = pending_count()
    with tqdm(total=total, desc="Sending mail", unit="mail") as bar:
        result = send_pending_mail(progress=bar.update)
    click.echo(
        f"Sent {result['sent']}; {result['retrying']} will be retried, "
        f"{result['failed']} failed, {result['bounced']} bounced."
    )


def queue_daily_mail(
    queue: Callable[..., int], total: int | None, description: str, what: str
) -> None:
    """Run one daily mail job with a progress bar, commit, and say how many were queued."""
    with tqdm(total=total, desc=description, unit="mail") as bar:
        queued = queue(progress=bar.update)
    db.session.commit()
    click.echo(f"Queued {queued} {what}; `flask send-mail` delivers them.")


@click.command("send-gentle-start")
def send_gentle_start() -> None:
    """Queue today's gentle start step for every member on the plan (run daily)."""
    from community.account.gentle_start import due_plans, send_due_steps

    queue_daily_mail(send_due_steps, len(due_plans()), "Gentle start steps", "gentle start emails")


@click.command("send-feedback-requests")
def send_feedback_requests() -> None:
    """The day after each meeting, ask those who went how it felt (run daily)."""
    from community.after_meeting.feedback import due_requests, queue_feedback_requests

    queue_daily_mail(
        queue_feedback_requests, len(due_requests()), "Feedback requests", "feedback requests"
    )
    train_stale_model()


@click.command("train-matching")
@click.option("--force", is_flag=True, help="Train even if the stored model is up to date.")
def train_matching(force: bool) -> None:
    """Train matching on the feedback so far, so rounds reuse it (run daily; quick if unchanged)."""
    train_stale_model(force=force)


def train_stale_model(force: bool = False) -> None:
    """Train the feedback model when it is stale or missing, commit, and say what happened."""
    from community.rounds.trained_model import current_model, train_if_stale

    model = train_if_stale(say=click.echo, force=force)
    db.session.commit()
    if model is None and (fresh := current_model()) is not None:
        click.echo(
            f"Matching's model is up to date (trained {fresh.trained_at:%Y-%m-%d %H:%M} UTC "
            f"on {fresh.n_answers} answers)."
        )


@click.command("send-ritual-reminders")
def send_ritual_reminders() -> None:
    """Remind everyone in a weekly ritual two days ahead (run daily)."""
    from community.after_meeting.rituals import queue_weekly_reminders

    queue_daily_mail(queue_weekly_reminders, None, "Ritual reminders", "weekly reminders")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--mail-port", default=8025, show_default=True)
def demo(host: str, port: int, mail_port: int) -> None:
    """Set up the demo community and serve it, with a local mail sink at /dev/mail."""
    from community.demo.community import seed_demo
    from community.mail.sink import MailSink

    app = real_app()
    upgrade()
    seed_vocabulary()
    seed_areas()
    db.session.commit()
    if not db.session.execute(select(func.count(User.id))).scalar_one():
        with tqdm(total=300, desc="Demo members", unit="member") as bar:
            logins = seed_demo(300, progress=bar.update)
        db.session.commit()
        print_logins(logins)
    else:
        logins_file = Path(app.instance_path, "demo-logins.txt")
        if logins_file.exists():
            click.echo("\nDemo logins:\n" + logins_file.read_text())
    folder = app.config.get("DEV_MAIL_DIR") or str(Path(app.instance_path, "mail"))
    app.config["DEV_MAIL_DIR"] = folder
    app.config["MAIL_PORT"] = mail_port
    app.config["PUBLIC_URL"] = f"http://{host}:{port}"
    # Online meetings in the demo get room links on this machine, never a real service.
    app.config["VIDEO_ROOM_URL"] = (
        app.config.get("VIDEO_ROOM_URL") or f"http://{host}:{port}/dev/room"
    )
    app.extensions["mail"].port = mail_port  # Flask-Mail read MAIL_PORT at start-up
    MailSink(port=mail_port, folder=folder).start()
    # Requests deliver inline; this thread also drains what they left (retries, CLI work).
    BackgroundSender(app, every=5).start()
    click.echo(
        f"\nMail sink on 127.0.0.1:{mail_port}; read messages at http://{host}:{port}/dev/mail"
    )
    click.echo(f"Kindred is running at http://{host}:{port}\n")
    run_simple(host, port, app, use_debugger=app.debug, use_reloader=False, threaded=True)


@click.command("send-reminders")
@with_appcontext
def send_reminders() -> None:
    """Queue the day-before reminders and the two-days-no-answer nudges (safe to rerun)."""
    from community.invitations.reminders import send_reminders as queue_reminders

    with tqdm(desc="Reminders", unit="seat") as bar:
        counts = queue_reminders(progress=bar.update)
    db.session.commit()
    click.echo(
        f"Queued {counts['day_before']} day-before reminders and "
        f"{counts['no_answer']} nudges; `flask send-mail` delivers them."
    )
