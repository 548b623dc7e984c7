"""Tasks are named, not imported: a service queues work by the task's registered name.

Tasks are entry points (ARCHITECTURE.md, layer 5): they call the services, so a service that
imported its task would point up and close an import cycle. ``enqueue_on_commit`` looks the
task up in the Celery app only once the transaction has committed; every ``AppConfig.ready()``
imports its app's ``tasks`` module, so the registry is complete in every process (web, worker,
commands, tests). Names are stable: messages already queued outlive a deployment.

Without a broker (``task_always_eager``) the looked-up task's ``apply_async`` runs it at once,
or, during a request, once the response has been sent (``dialogkonferanse/common/eager.py``).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from celery import current_app
from django.db import transaction

if TYPE_CHECKING:
    from celery import Task

logger = logging.getLogger(__name__)


def registered_task(name: str) -> Task:
    """The task registered under ``name``; ``LookupError`` for a name nobody registered."""
    try:
        return current_app.tasks[name]
    except KeyError:
        raise LookupError(
            f"No Celery task is registered as {name!r}: is its app's tasks module imported "
            "in AppConfig.ready()?"
        ) from None


def enqueue_on_commit(
    name: str, /, *, countdown: float | None = None, robust: bool = False, **kwargs: Any
) -> None:
    """Queue task ``name`` with ``kwargs`` once the current transaction commits (at once in
    autocommit); a rolled-back transaction queues nothing.

    ``countdown`` delays the task (seconds). A failure to publish (broker unreachable) reaches
    the code that committed, as Celery raises it, unless ``robust``: then it is logged and
    swallowed, for work that a periodic task picks up anyway (the outbox's sweep), so a change
    already committed never fails on it. ``countdown`` and ``robust`` are therefore not
    available as task argument names.
    """
    transaction.on_commit(partial(_apply, name, kwargs, countdown=countdown, robust=robust))


def _apply(name: str, kwargs: dict[str, Any], *, countdown: float | None, robust: bool) -> None:
    task = registered_task(name)  # outside the try: an unknown name is a bug, never swallowed
    try:
        task.apply_async(kwargs=kwargs, countdown=countdown)
    except Exception:  # kombu/redis connection errors share no base class
        if not robust:
            raise
        logger.warning(
            "Task %s not queued (broker unreachable), or failed when run eagerly; "
            "a periodic task picks up its work",
            name,
            exc_info=True,
        )
