"""Celery tasks: the mail outbox's sender, run by a worker."""

from __future__ import annotations

from celery import shared_task

from community.mail.delivery import send_pending_mail


@shared_task(name="kindred.deliver_outbox")
def deliver_outbox(limit: int | None = None) -> dict[str, int]:
    """Deliver due mail (asked for by a request that queued some)."""
    return send_pending_mail(limit=limit)


@shared_task(name="kindred.sweep_outbox")
def sweep_outbox() -> dict[str, int]:
    """The periodic sweep: stale claims back to pending, then everything due."""
    return send_pending_mail()


@shared_task(name="kindred.run_round")
def run_round(round_id: int) -> None:
    """Compute a large matching round on a worker rather than in a web process."""
    from community.rounds.runner import run_round as compute

    compute(round_id)
