"""How fast the outbox drains, against a bare smtplib loop in the same run.

    .venv/bin/python -m bench.mail_drain [--count 10000] [--batch-size 100]

Builds a scratch SQLite database through the migrations, queues ``--count``
invitations with ``queue_mail`` (text and HTML parts, an .ics attachment and a
List-Unsubscribe header), then sends them twice into a local aiosmtpd server
running in its own process, three times over:

1. bare loop, bytes ready: the same messages rendered to bytes beforehand, then
   a plain ``smtplib.SMTP.sendmail`` loop over one connection (the transport's
   ceiling: no rendering, no database);
2. bare loop, rendering: for each message, render the same templates into the
   same MIME bytes (``render_message(row).as_bytes()``), then ``sendmail`` over one
   connection (the same work minus the outbox: no claims, no commits);
3. ``send_pending_mail()``: claims a batch, renders, sends through Flask-Mail over
   one connection per batch, and commits each row's outcome before the next send.

Prints messages/s for each and the ratios of 3 to 1 and to 2 (target: >= 0.5).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import smtplib
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller

ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Kindred//bench//EN
BEGIN:VEVENT
UID:walk-{n}@kindred.local
DTSTART:20261129T100000Z
DTEND:20261129T113000Z
SUMMARY:Sunday riverside walk
END:VEVENT
END:VCALENDAR
"""


class CountingHandler:
    """Accepts every message and only counts it: the server costs as little as it can."""

    def __init__(self, received):
        self.received = received

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        with self.received.get_lock():
            self.received.value += 1
        return "250 OK"


def run_sink(port: int, received, ready, done) -> None:
    controller = Controller(CountingHandler(received), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    done.wait()
    controller.stop()


def queue_invitations(count: int) -> None:
    from sqlalchemy import insert, select

    from community.extensions import db
    from community.mail.outbox import queue_mail
    from community.models import User

    db.session.execute(
        insert(User),
        [
            {
                "email": f"member{n}@example.org",
                "display_name": f"Member {n}",
                "password_hash": "not-a-real-hash",
                "login_id": f"bench-login-{n}",
            }
            for n in range(count)
        ],
    )
    for n, user in enumerate(db.session.execute(select(User).order_by(User.id)).scalars()):
        queue_mail(
            user,
            "verify_email",
            "You're invited: the Sunday riverside walk",
            f"invitation:{n // 5}:{user.id}",
            headers={"List-Unsubscribe": f"<http://127.0.0.1:5000/unsubscribe/{user.id}>"},
            attachments=[
                {"filename": "walk.ics", "content_type": "text/calendar", "data": ICS.format(n=n)}
            ],
            link=f"http://127.0.0.1:5000/invitations/{n}/accept",
        )
    db.session.commit()


def timed(work) -> tuple[float, float]:
    """Wall-clock and this process's CPU seconds for ``work()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def bare_smtplib_loop(port: int, messages: list[tuple[str, str, bytes]]) -> None:
    smtp = smtplib.SMTP("127.0.0.1", port)
    for sender, recipient, data in messages:
        smtp.sendmail(sender, [recipient], data)
    smtp.quit()


def bare_rendering_loop(port: int, rows) -> None:
    from flask_mail import sanitize_address

    from community.mail.outbox import render_message

    smtp = smtplib.SMTP("127.0.0.1", port)
    for row in rows:
        message = render_message(row)
        message.date = time.time()
        smtp.sendmail(sanitize_address(message.sender), [row.recipient], message.as_bytes())
    smtp.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()
    logging.getLogger("alembic").setLevel(logging.WARNING)

    from flask_mail import sanitize_address
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from community import create_app
    from community.extensions import db
    from community.mail.delivery import send_pending_mail
    from community.mail.outbox import render_message
    from community.mail.sink import free_port
    from community.models import OutboxMessage

    context = multiprocessing.get_context("spawn")
    received = context.Value("i", 0)
    ready, done = context.Event(), context.Event()
    port = free_port()
    sink = context.Process(target=run_sink, args=(port, received, ready, done), daemon=True)
    sink.start()
    ready.wait(30)

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(folder) / 'bench.db'}",
                "SECRET_KEY": "benchmark",
                "MAIL_PORT": port,
                "MAIL_DELIVERY": "worker",
                "MAIL_SUPPRESS_SEND": False,
                "MAIL_BATCH_SIZE": args.batch_size,
            }
        )
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            queue_invitations(args.count)
            print(f"queued {args.count} invitations in {time.perf_counter() - started:.1f} s")

            rows = list(
                db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()
            )
            messages = []
            for row in rows:
                message = render_message(row)
                sender = sanitize_address(message.sender)
                messages.append((sender, row.recipient, message.as_bytes()))
            db.session.rollback()

            baseline = timed(lambda: bare_smtplib_loop(port, messages))
            rendering = timed(lambda: bare_rendering_loop(port, rows))
            after_baseline = received.value

            outcome = {}
            drain = timed(lambda: outcome.update(send_pending_mail()))
            result = outcome
            left = db.session.execute(
                select(func.count()).where(OutboxMessage.status != "sent")
            ).scalar_one()
            db.engine.dispose()

    done.set()
    sink.join(10)
    drained = received.value - after_baseline
    assert after_baseline == 2 * args.count, f"the bare loops delivered {after_baseline}"
    assert result["sent"] == drained == args.count and left == 0, (result, drained, left)

    timings = {
        "1. bare loop, bytes ready": baseline,
        "2. bare loop, rendering": rendering,
        f"3. send_pending_mail (batch {args.batch_size})": drain,
    }
    rates = {}
    for name, (wall, cpu) in timings.items():
        rates[name] = args.count / wall
        print(
            f"{name:<38} {rates[name]:8.0f} messages/s"
            f"   (sender CPU {cpu / args.count * 1000:.2f} ms/message)"
        )
    drain_rate, bare_rate, rendering_rate = rates.popitem()[1], *rates.values()
    print(f"ratio 3 / 1 (transport ceiling):     {drain_rate / bare_rate:.2f}")
    print(f"ratio 3 / 2 (same work, no outbox):  {drain_rate / rendering_rate:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
