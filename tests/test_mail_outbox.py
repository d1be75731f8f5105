"""The mail outbox: nothing lost, nothing sent twice, against real SMTP servers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from community.extensions import db
from community.mail.delivery import backoff, send_pending_mail
from community.mail.inline import BackgroundSender
from community.mail.outbox import queue_mail
from community.mail.sink import MailSink, free_port
from community.models import OutboxMessage, User, utcnow

ROOT = Path(__file__).resolve().parent.parent


def invite(app, people, match: int = 1) -> None:
    """Queue one invitation per person, as a matching round would, and commit."""
    with app.app_context():
        for person in people:
            user = db.session.get(User, person.id)
            queue_mail(
                user,
                "verify_email",
                "You're invited: the Sunday riverside walk",
                f"invitation:{match}:{user.id}",
                headers={"List-Unsubscribe": "<http://localhost/unsubscribe/x>"},
                link=f"http://localhost/invitations/{match}/{user.id}",
            )
        db.session.commit()


def outbox_rows(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()
        return [row for row in rows]


def time_passes(app, seconds: float) -> None:
    """Move every row's clock back, as if ``seconds`` had gone by (in Python: SQLite
    has no date arithmetic on stored times)."""
    gone = timedelta(seconds=seconds)
    with app.app_context():
        for row in db.session.execute(select(OutboxMessage)).scalars():
            row.next_attempt_at = row.next_attempt_at - gone
            if row.claimed_at is not None:
                row.claimed_at = row.claimed_at - gone
        db.session.commit()


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive UTC times, PostgreSQL aware ones."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def drain(app) -> dict[str, int]:
    with app.app_context():
        return send_pending_mail()


def message_ids(sink: MailSink) -> Counter[str]:
    return Counter(str(mail.message["Message-ID"]) for mail in sink.messages)


def test_invitations_arrive_exactly_once_through_refusal_then_421_then_recovery(make_app, members):
    port = free_port()  # nothing listens here yet: the mail server is down
    app = make_app(MAIL_PORT=port, MAIL_DELIVERY="worker")
    people = [members.create() for _ in range(12)]
    invite(app, people)

    result = drain(app)
    assert result["retrying"] == 12 and result["sent"] == 0
    rows = outbox_rows(app)
    assert {row.status for row in rows} == {"pending"}
    assert all("Connection" in row.last_error for row in rows), rows[0].last_error
    assert all(row.attempts == 1 for row in rows)
    assert all(as_utc(row.next_attempt_at) > utcnow() for row in rows)

    assert drain(app)["due"] == 0, "nothing is retried before its backoff"

    sink = MailSink(port=port).start()
    try:
        sink.data_reply = "421 Try again later"
        time_passes(app, 60)
        result = drain(app)
        assert result["sent"] == 0 and result["retrying"] == 12
        rows = outbox_rows(app)
        assert all(row.attempts == 2 and "421" in row.last_error for row in rows)
        assert sink.messages == []

        sink.data_reply = None
        time_passes(app, 120)
        result = drain(app)
        assert result["sent"] == 12

        time_passes(app, 24 * 60 * 60)
        assert drain(app)["due"] == 0, "a sent invitation is never sent again"
        for person in people:
            [mail] = sink.to(person.email)
            assert "Sunday riverside walk" in mail.subject
            assert mail.message["List-Unsubscribe"] == "<http://localhost/unsubscribe/x>"
        rows = outbox_rows(app)
        assert {row.status for row in rows} == {"sent"}
        expected = {f"<kindred.{row.id}.{row.created_at:%Y%m%d}@kindred.local>" for row in rows}
        assert set(message_ids(sink)) == expected
    finally:
        sink.stop()


def test_each_retry_waits_twice_as_long_and_the_sender_gives_up_in_the_end(make_app, members):
    app = make_app(MAIL_PORT=free_port(), MAIL_DELIVERY="worker", MAIL_MAX_ATTEMPTS=3)
    invite(app, [members.create()])
    with app.app_context():
        assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
        assert backoff(30).total_seconds() == 6 * 60 * 60

    waits = []
    for _ in range(2):
        before = utcnow()
        assert drain(app)["retrying"] == 1
        [row] = outbox_rows(app)
        waits.append((as_utc(row.next_attempt_at) - before).total_seconds())
        time_passes(app, 10 * 60)
    assert waits[0] == pytest.approx(60, abs=5) and waits[1] == pytest.approx(120, abs=5)

    assert drain(app)["failed"] == 1
    [row] = outbox_rows(app)
    assert row.status == "failed" and row.attempts == 3
    time_passes(app, 24 * 60 * 60)
    assert drain(app)["due"] == 0


def test_a_refused_address_is_marked_bounced_and_gets_no_more_mail(app, members, mail_sink):
    gone, present = members.create(), members.create()
    mail_sink.refused[gone.email] = "550 5.1.1 No such user here"
    try:
        invite(app, [gone, present], match=1)
        with app.app_context():
            # A second mail for the same address waits behind the first.
            user = db.session.get(User, gone.id)
            queue_mail(user, "verify_email", "Reminder", "reminder:1:gone", link="http://x/")
            db.session.commit()
        result = drain(app)
    finally:
        mail_sink.refused.clear()

    assert result["bounced"] == 2 and result["sent"] == 1
    assert len([m for m in mail_sink.messages if gone.email in m.envelope_to]) == 0
    assert len(mail_sink.to(present.email)) == 1, "the batch goes on after a bounce"
    statuses = {(row.recipient, row.idempotency_key): row.status for row in outbox_rows(app)}
    assert statuses[(gone.email, f"invitation:1:{gone.id}")] == "bounced"
    assert statuses[(gone.email, "reminder:1:gone")] == "bounced"
    with app.app_context():
        user = db.session.get(User, gone.id)
        assert user.email_bounced_at is not None
        assert queue_mail(user, "verify_email", "Again", "invitation:2:gone", link="x") is None
        # A bulk insert that skips queue_mail is stopped by the sender instead.
        db.session.add(
            OutboxMessage(
                recipient=gone.email,
                user_id=gone.id,
                subject="Bulk",
                template="verify_email",
                context={"link": "x"},
                idempotency_key="invitation:3:gone",
            )
        )
        db.session.commit()
    assert drain(app)["bounced"] == 1
    time_passes(app, 24 * 60 * 60)
    assert drain(app)["due"] == 0
    assert mail_sink.to(gone.email) == []


def test_a_mailbox_that_is_full_for_now_is_tried_again_later(app, members, mail_sink):
    member = members.create()
    mail_sink.refused[member.email] = "452 4.2.2 Mailbox full"
    try:
        invite(app, [member])
        assert drain(app)["retrying"] == 1
    finally:
        mail_sink.refused.clear()
    time_passes(app, 60)
    assert drain(app)["sent"] == 1
    with app.app_context():
        assert db.session.get(User, member.id).email_bounced_at is None


def test_one_smtp_connection_carries_each_batch(make_app, members, mail_sink):
    app = make_app(MAIL_DELIVERY="worker", MAIL_BATCH_SIZE=10)
    people = [members.create() for _ in range(25)]
    invite(app, people)
    assert drain(app)["sent"] == 25
    connections = Counter(mail.connection for mail in mail_sink.messages)
    assert sorted(connections.values()) == [5, 10, 10]


def test_the_same_invitation_is_queued_only_once(app, members, mail_sink):
    member = members.create()
    invite(app, [member])
    invite(app, [member])
    assert len(outbox_rows(app)) == 1
    assert drain(app)["sent"] == 1
    assert len(mail_sink.to(member.email)) == 1


def test_rows_left_sending_return_to_pending_only_after_their_lease(app, members, mail_sink):
    people = [members.create() for _ in range(2)]
    invite(app, people)
    with app.app_context():
        # Two senders died: one just now, one eleven minutes ago.
        now = utcnow()
        for row, claimed in zip(outbox_rows(app), (now, now - timedelta(minutes=11)), strict=True):
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(status="sending", attempts=1, claimed_at=claimed, claimed_by="gone:1")
            )
        db.session.commit()
    result = drain(app)
    assert result["released"] == 1 and result["sent"] == 1
    assert [len(mail_sink.to(p.email)) for p in people] == [0, 1]
    time_passes(app, 11 * 60)
    assert drain(app)["sent"] == 1
    assert [len(mail_sink.to(p.email)) for p in people] == [1, 1]


def test_several_senders_at_once_deliver_every_invitation_once(make_app, members, mail_sink):
    app = make_app(MAIL_DELIVERY="worker", MAIL_BATCH_SIZE=5)
    people = [members.create() for _ in range(40)]
    invite(app, people)
    results, errors = [], []

    def sender():
        try:
            results.append(drain(app))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert sum(result["sent"] for result in results) == 40
    assert sorted(len(mail_sink.to(p.email)) for p in people) == [1] * 40
    assert {row.status for row in outbox_rows(app)} == {"sent"}


def sender_process(database_uri: str, port: int, **settings: str) -> subprocess.Popen:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KINDRED_", "FLASK_")) and key != "DATABASE_URL"
    }
    env.update(
        DATABASE_URL=database_uri,
        KINDRED_SECRET_KEY="test-secret-key-not-for-production",
        KINDRED_MAIL_PORT=str(port),
        KINDRED_MAIL_BATCH_SIZE="100",
        **{f"KINDRED_{key}": value for key, value in settings.items()},
    )
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "send-mail"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_sender_killed_mid_batch_loses_nothing_and_resends_only_the_mail_in_flight(
    make_app, members, database_uri
):
    # Each message is kept by the server, then held 0.4 s before the 250 reply:
    # the kill lands while the sender waits for that reply.
    sink = MailSink(delay=0.4).start()
    try:
        app = make_app(MAIL_PORT=sink.port, MAIL_DELIVERY="worker")
        people = [members.create() for _ in range(10)]
        invite(app, people)

        first = sender_process(database_uri, sink.port)
        deadline = time.monotonic() + 30
        while len(sink.messages) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=10)
        assert first.returncode == -signal.SIGKILL
        arrived_before = len(sink.messages)
        assert 4 <= arrived_before < 10, "the kill must land mid-batch"

        statuses = Counter(row.status for row in outbox_rows(app))
        assert statuses["sent"] == arrived_before - 1, "only the mail in flight is unmarked"
        assert statuses["sending"] == 10 - statuses["sent"]

        # A sender starting before the lease runs out leaves the claimed rows alone ...
        sink.delay = 0
        assert drain(app)["due"] == 0
        assert len(sink.messages) == arrived_before
        # ... and once it has run out, the sweep hands them to the next sender.
        time_passes(app, 11 * 60)
        restarted = sender_process(database_uri, sink.port)
        output = restarted.communicate(timeout=60)[0]
        assert restarted.returncode == 0, output
        assert f"Sent {10 - statuses['sent']};" in output, output
    finally:
        sink.stop()

    ids = message_ids(sink)
    assert len(ids) == 10, "every invitation arrived"
    assert sorted(ids.values()) == [1] * 9 + [2], "exactly one arrived twice: the one in flight"
    for person in people:
        assert 1 <= len(sink.to(person.email)) <= 2
    assert {row.status for row in outbox_rows(app)} == {"sent"}


def test_the_demo_sender_delivers_in_the_background_without_being_asked(
    make_app, members, mail_sink
):
    app = make_app(MAIL_DELIVERY="worker")
    member = members.create()
    sender = BackgroundSender(app, every=0.1).start()
    try:
        invite(app, [member])
        deadline = time.monotonic() + 10
        while not mail_sink.to(member.email) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sender.stop()
    assert len(mail_sink.to(member.email)) == 1


def test_a_server_that_is_down_ends_the_drain_after_one_batch(make_app, members):
    app = make_app(MAIL_PORT=free_port(), MAIL_DELIVERY="worker", MAIL_BATCH_SIZE=4)
    invite(app, [members.create() for _ in range(10)])
    result = drain(app)
    assert result["due"] == result["retrying"] == 4
    statuses = Counter((row.status, row.attempts) for row in outbox_rows(app))
    assert statuses == {("pending", 1): 4, ("pending", 0): 6}


ICS = "BEGIN:VCALENDAR\nEND:VCALENDAR\n"


def test_names_and_subjects_beyond_ascii_arrive_intact(app, members, mail_sink):
    member = members.create()
    with app.app_context():
        user = db.session.get(User, member.id)
        user.display_name = "Zoë Ångström-Nakamura 中村"
        subject = "Du bist eingeladen: der Spaziergang am Fluss, Sonntag früh " + "und danach " * 4
        queue_mail(
            user,
            "verify_email",
            subject,
            "invitation:9:zoe",
            headers={"List-Unsubscribe": "<http://localhost/unsubscribe/" + "x" * 90 + ">"},
            attachments=[
                {
                    "filename": "walk.ics",
                    "content_type": "text/calendar",
                    "data": ICS,
                }
            ],
            link="http://localhost/invitations/9/zoe",
        )
        db.session.commit()
    assert drain(app)["sent"] == 1
    [mail] = mail_sink.to(member.email)
    assert mail.subject == subject
    assert "Hello Zoë Ångström-Nakamura 中村" in mail.text
    assert "Zoë" in mail.html
    assert mail.message["List-Unsubscribe"].endswith("x" * 90 + ">")
    [ics] = [part for part in mail.message.walk() if part.get_filename() == "walk.ics"]
    assert ics.get_content().startswith("BEGIN:VCALENDAR")
