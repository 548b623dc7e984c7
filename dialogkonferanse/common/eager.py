"""Tasks without a broker run after the response, not inside the request.

With no broker configured (the embedded defaults of ``make run``) Celery runs tasks eagerly:
``apply_async`` would execute the task right there, inside the request that queued it. Then a
request's duration tells what its task did: "resend my link" for a registered address would
take longer (a new link, an email rendered and sent) than for an unknown one (nothing to do),
and the page's timing would reveal who is registered. With a broker both only publish a task.

So during a request (``DeferEagerTasksMiddleware``) an eager task is held back and run once the
response has been sent to the client, when the server closes the response. Every request then
does the same work whatever its tasks will do, as with a broker. Outside a request (commands,
the shell, tests calling services) eager tasks run at once, as Celery runs them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from functools import partial
from typing import Any

from celery import Task
from django.http import HttpRequest, HttpResponseBase

from dialogkonferanse.common.middleware import SyncAndAsyncMiddleware

logger = logging.getLogger(__name__)

# The current request's held-back tasks; ``None`` outside a request (and while running them).
_held: ContextVar[list[Callable[[], Any]] | None] = ContextVar("held_eager_tasks", default=None)


class _NoBroker:
    """The ``producer`` given to an eager ``apply_async``: Celery takes one from the broker's
    pool only to read its serializer, which connects to a broker that the embedded defaults do
    not have (and logs a warning saying so). ``None`` means the app's own serializer."""

    serializer = None


class DeferredEagerTask(Task):
    """The base of every task of the app (``task_cls``): with a broker, or outside a request,
    exactly Celery's ``Task``. Eager and inside a request: held until the response is sent."""

    def apply_async(  # type: ignore[override]
        self,
        args: Any = None,
        kwargs: Any = None,
        task_id: str | None = None,
        *more: Any,
        **options: Any,
    ) -> Any:
        if not self._get_app().conf.task_always_eager:
            return super().apply_async(args, kwargs, task_id, *more, **options)
        if not more:  # ``producer`` is the first of them
            options.setdefault("producer", _NoBroker())
        held = _held.get()
        if held is None:
            return super().apply_async(args, kwargs, task_id, *more, **options)
        from celery.utils import uuid

        task_id = task_id or uuid()
        held.append(partial(super().apply_async, args, kwargs, task_id, *more, **options))
        return self.AsyncResult(task_id)


def run_held(tasks: list[Callable[[], Any]]) -> None:
    """Run held-back tasks eagerly, in order; tasks they queue run at once. A failing task is
    logged (the response is already sent) and the others still run."""
    token = _held.set(None)
    try:
        while tasks:
            task = tasks.pop(0)
            try:
                task()
            except Exception:
                logger.exception("A task queued by a request failed after its response")
    finally:
        _held.reset(token)


class DeferEagerTasksMiddleware(SyncAndAsyncMiddleware):
    """Holds back the eager tasks a request queues and runs them when its response is closed:
    after the server has sent it (ASGI and WSGI servers, and the test client, close every
    response once it is delivered). Outermost, so every later middleware is covered."""

    def __call__(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        if self.is_async:
            return self._acall(request)
        held: list[Callable[[], Any]] = []
        token = _held.set(held)
        try:
            response = self.get_response(request)
        finally:
            _held.reset(token)
        return self._after(response, held)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        held: list[Callable[[], Any]] = []
        token = _held.set(held)
        try:
            response = await self.get_response(request)  # type: ignore[misc]
        finally:
            _held.reset(token)
        return self._after(response, held)

    @staticmethod
    def _after(response: HttpResponseBase, held: list[Callable[[], Any]]) -> HttpResponseBase:
        if held:
            # Django's own hook for work at close(), which runs before request_finished (so
            # the request's database connection is still open and is cleaned up after).
            response._resource_closers.append(partial(run_held, held))
        return response
