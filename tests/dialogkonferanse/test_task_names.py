"""Tasks queued by name (dialogkonferanse/common/tasks.py): every name used is registered, and a
task is published only once its transaction commits, with its keyword arguments."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery, current_app, shared_task
from django.db import transaction
from kombu.exceptions import OperationalError

from dialogkonferanse.celery import app as celery_app
from dialogkonferanse.choices import EmailStatus
from dialogkonferanse.common.tasks import enqueue_on_commit, registered_task
from dialogkonferanse.models import OutboundEmail
from dialogkonferanse.outbox.queue import queue_email
from registrations.services import request_access_link
from tests.factories import make_conference

ROOT = Path(__file__).resolve().parents[2]
_NOT_SOURCE = {".venv", "venv", "node_modules", "tests", "static", "templates", "locale"}


def _project_modules() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if not any(part in _NOT_SOURCE or part.startswith(".") for part in parts[:-1]):
            yield path


def _task_names_used() -> tuple[dict[str, list[str]], list[str]]:
    """``{task name: [where]}`` for every ``enqueue_on_commit(...)`` call in the source tree,
    and the calls whose name is neither a string literal nor a module-level string constant."""
    used: dict[str, list[str]] = {}
    unresolved: list[str] = []
    for path in _project_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        constants = {
            node.targets[0].id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if called != "enqueue_on_commit":
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                used.setdefault(first.value, []).append(where)
            elif isinstance(first, ast.Name) and first.id in constants:
                used.setdefault(constants[first.id], []).append(where)
            else:
                unresolved.append(where)
    return used, unresolved


def test_enqueue_on_commit_every_task_name_used_is_registered():
    used, unresolved = _task_names_used()

    assert unresolved == []  # a name the scan cannot read would escape this test
    # The scan sees the calls known today (a scan finding nothing would pass vacuously).
    assert {
        "dialogkonferanse.deliver_email",
        "meetings.send_pending_invitations",
        "qa.flush_vote_counts",
        "registrations.send_access_link",
    } <= set(used)
    assert {name: where for name, where in used.items() if name not in current_app.tasks} == {}


def test_registered_task_unknown_name_is_refused():
    with pytest.raises(LookupError) as refused:
        registered_task("nobody.registered_this")

    assert str(refused.value) == (
        "No Celery task is registered as 'nobody.registered_this': is its app's tasks module "
        "imported in AppConfig.ready()?"
    )


# --- Behaviour, with a task of the tests' own ---------------------------------------------

RECORD_TASK = "tests.common.record_kwargs"
_received: list[dict[str, Any]] = []


@shared_task(name=RECORD_TASK, ignore_result=True)
def record_kwargs(**kwargs: Any) -> None:
    _received.append(kwargs)


@pytest.fixture
def received() -> Iterator[list[dict[str, Any]]]:
    _received.clear()
    yield _received
    _received.clear()


def _queued_tasks() -> int:
    """Tasks waiting in this test process's queue (tests/conftest.py: _celery_test_queue)."""
    with celery_app.connection_for_write() as conn:
        return conn.default_channel.queue_declare(
            queue=celery_app.conf.task_default_queue
        ).message_count


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_publishes_after_commit_and_the_kwargs_arrive(
    received, purge_celery_queue, celery_worker_factory, wait_until
):
    purge_celery_queue()
    with transaction.atomic():
        enqueue_on_commit(RECORD_TASK, question_id=7, email="a@example.no")
        queued_inside = _queued_tasks()
    queued_after = _queued_tasks()

    with celery_worker_factory():
        wait_until(lambda: received)

    assert (queued_inside, queued_after) == (0, 1)
    assert received == [{"question_id": 7, "email": "a@example.no"}]


def _enqueue_then_fail() -> None:
    with transaction.atomic():
        enqueue_on_commit(RECORD_TASK, question_id=7)
        raise RuntimeError("rolled back")


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_rolled_back_publishes_nothing(received, purge_celery_queue):
    purge_celery_queue()

    with pytest.raises(RuntimeError, match="rolled back"):
        _enqueue_then_fail()

    assert (_queued_tasks(), received) == (0, [])


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Tasks run in-process, as with no broker configured (``make run``)."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.mark.django_db
def test_enqueue_on_commit_eager_runs_the_task_after_commit(
    received, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(RECORD_TASK, countdown=5, registration_id=3)
        ran_before_commit = list(received)

    assert (ran_before_commit, received) == ([], [{"registration_id": 3}])


# --- Broker unreachable -------------------------------------------------------------------


@pytest.fixture
def broker_unreachable() -> Iterator[None]:
    """In this thread the current Celery app publishes to a closed local port: the tasks are
    the same (shared tasks register with every app), the broker refuses the connection."""
    unreachable = Celery(
        "unreachable",
        task_cls="dialogkonferanse.common.eager:DeferredEagerTask",
        fixups=[],
        set_as_current=False,
    )
    # The write URL, as CELERY_BROKER_URL in the environment wins over a constructor's broker.
    # The discard port: nothing listens on it here.
    unreachable.conf.broker_write_url = "redis://127.0.0.1:9/0"
    unreachable.conf.broker_connection_timeout = 1
    unreachable.set_current()
    try:
        yield
    finally:
        celery_app.set_current()
        unreachable.close()


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_robust_broker_unreachable_email_waits_for_the_sweep(
    broker_unreachable, caplog
):
    with transaction.atomic():
        email = queue_email(
            kind="test",
            to="leverandor@example.no",
            language="nb",
            template="outbox_test",
            context={"headline": "Velkommen", "token": "tok"},
            idempotency_key="test:broker-unreachable",
        )

    assert OutboundEmail.objects.filter(pk=email.pk).values_list("status", flat=True).get() == (
        EmailStatus.QUEUED
    )
    assert [
        r.getMessage() for r in caplog.records if r.name == "dialogkonferanse.common.tasks"
    ] == [
        "Task dialogkonferanse.deliver_email not queued (broker unreachable), or failed when run "
        "eagerly; a periodic task picks up its work"
    ]


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_broker_unreachable_reaches_the_caller(broker_unreachable):
    conference = make_conference()

    with pytest.raises(OperationalError):
        request_access_link(conference_id=conference.pk, email="leverandor@example.no")
