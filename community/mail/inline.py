"""Delivering mail from the web process itself after a request commits (one machine, no worker)."""

from __future__ import annotations

import threading

from flask import Flask, g

from community.mail.delivery import log, send_pending_mail


def register_inline_delivery(app: Flask) -> None:
    """Deliver what a request queued once it has committed.

    "inline" sends right after the request; "celery" asks a worker to; "worker"
    leaves it to ``flask send-mail`` or the periodic sweep.
    """

    @app.after_request
    def deliver_queued_mail(response):
        if not g.pop("kindred_mail_queued", False):
            return response
        mode = app.config["MAIL_DELIVERY"]
        try:
            if mode == "inline":
                send_pending_mail(limit=50)
            elif mode == "celery":
                from community.mail.celery_app import celery_for

                celery_for(app).send_task("kindred.deliver_outbox")
        except Exception:  # noqa: BLE001 - the request's work is committed; mail waits
            log.exception("mail delivery after the request failed; the outbox keeps it")
        return response


class BackgroundSender:
    """Drains the outbox every few seconds in a daemon thread: the demo's sender."""

    def __init__(self, app: Flask, every: float = 5.0):
        self.app = app
        self.every = every
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kindred-mail", daemon=True)

    def start(self) -> BackgroundSender:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(self.every):
            try:
                with self.app.app_context():
                    send_pending_mail()
            except Exception:  # noqa: BLE001 - keep the demo's sender alive
                log.exception("background mail delivery failed; trying again")
