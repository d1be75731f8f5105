"""Mail: the outbox, its senders (inline, CLI, Celery) and the local sink."""
