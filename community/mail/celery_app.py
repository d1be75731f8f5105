"""Celery for mail at scale: a worker runs the same sender as `flask send-mail`.

Start a worker (with the periodic sweep embedded) next to the web app::

    celery -A community.mail.celery_app worker --beat --loglevel=info

Redis is the broker (``KINDRED_CELERY_BROKER_URL``, default
redis://127.0.0.1:6379/0). With ``KINDRED_MAIL_DELIVERY=celery`` each request that
queues mail asks a worker to deliver it; the sweep every ``MAIL_SWEEP_SECONDS``
returns rows left "sending" by a stopped sender and delivers anything still due.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from celery.signals import worker_process_init
from flask import Flask

from community.extensions import db


def make_celery(app: Flask) -> Celery:
    """A Celery app whose tasks run inside ``app``'s application context."""

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.import_name, task_cls=FlaskTask, include=["community.mail.tasks"])
    celery.conf.update(
        broker_url=app.config["CELERY_BROKER_URL"],
        result_backend=app.config["CELERY_RESULT_BACKEND"],
        task_default_queue=app.config["CELERY_TASK_DEFAULT_QUEUE"],
        broker_connection_retry_on_startup=True,
        # A worker that dies mid-task has its task run again; the sender's claims and
        # leases make that safe.
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        result_expires=60 * 60,
        timezone="UTC",
        beat_schedule={
            "sweep-outbox": {
                "task": "kindred.sweep_outbox",
                "schedule": float(app.config["MAIL_SWEEP_SECONDS"]),
            }
        },
    )

    app.extensions["celery"] = celery
    return celery


def celery_for(app: Flask) -> Celery:
    """The Celery app bound to ``app``, made on first use."""
    return app.extensions.get("celery") or make_celery(app)


def __getattr__(name: str) -> Celery:
    # `celery -A community.mail.celery_app` reads the module's `app`; building it lazily
    # keeps a plain import (tests, the web app) from creating a second Flask app.
    if name in ("app", "celery"):
        from community import create_app

        flask_app = create_app()
        celery = make_celery(flask_app)

        @worker_process_init.connect(weak=False)
        def fresh_database_connections(**_kwargs: Any) -> None:
            # A forked pool process must not share its parent's database sockets.
            with flask_app.app_context():
                db.engine.dispose(close=False)

        globals().update(app=celery, celery=celery)
        return celery
    raise AttributeError(name)
