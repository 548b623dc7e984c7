"""The one email outbox (ARCHITECTURE.md, layer 0): every email is a row written in its cause's
transaction (``queue``), built into a message from the stored row (``message``), claimed with
``skip_locked`` and sent over one SMTP connection per batch, swept when left behind
(``delivery``), by the named Celery tasks in ``tasks``; ``admin`` is staff's view of it. The
models stay in ``dialogkonferanse.models`` (app label ``dialogkonferanse``, tables unchanged)."""
