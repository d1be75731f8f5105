"""Work done out of band, so a response's timing never reveals whether an email is known.

Sign-up and password reset answer the same for known and unknown addresses; if the
request also waited for a database write and an SMTP round trip only when the
address was known, the clock would give away what the words do not.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, g

from community.extensions import db
from community.mail.delivery import send_pending_mail
from community.web.app_object import real_app

log = logging.getLogger(__name__)


def deliver_out_of_band() -> None:
    """Hand what this request queued (and committed) to a short-lived sender thread."""
    if g.pop("kindred_mail_queued", False):
        run_out_of_band(lambda: None)


def run_out_of_band(work: Callable[..., Any], *args: Any) -> None:
    """Run `work` in its own thread and app context, commit, then deliver its mail."""
    app = real_app()
    thread = threading.Thread(target=run_and_deliver, args=(app, work, args), daemon=True)
    threads = app.extensions.setdefault("kindred_out_of_band", [])
    threads[:] = [t for t in threads if t.is_alive()]
    threads.append(thread)
    thread.start()


def finish_out_of_band(app: Flask, timeout: float = 10.0) -> None:
    """Wait for work still running out of band (before shutting an app down)."""
    for thread in app.extensions.get("kindred_out_of_band", []):
        thread.join(timeout)


def run_and_deliver(app: Flask, work: Callable[..., Any], args: tuple[Any, ...]) -> None:
    with app.app_context():
        try:
            work(*args)
            db.session.commit()
            mode = app.config["MAIL_DELIVERY"]
            if mode == "inline":
                send_pending_mail(limit=50)
            elif mode == "celery":
                from community.mail.celery_app import celery_for

                celery_for(app).send_task("kindred.deliver_outbox")
        except Exception:  # noqa: BLE001 - the outbox keeps any queued row for a later sender
            log.exception("out-of-band work failed")
            db.session.rollback()
        finally:
            db.session.remove()
