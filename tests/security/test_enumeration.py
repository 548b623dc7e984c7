"""No enumeration: "register" and "resend my link" answer alike, and do the same work while
answering, whether or not the address is registered; only the owner of a registered address is
emailed, after the response. Checked in both configurations: with a broker (the suite's Redis)
and with eager tasks (the embedded defaults of make run, where tasks a request queues run once
its response is sent: dialogkonferanse/common/eager.py). How long each takes is measured by make
bench (bench/bench_enumeration.py), not here: a machine's load must not fail the suite.
(Byte-identical pages in every language: tests/registrations/test_views.py.)"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from django.core.handlers.base import BaseHandler
from django.core.signals import request_finished
from django.db import close_old_connections
from django.http import HttpResponseBase
from django.test import Client, RequestFactory

from dialogkonferanse.celery import app as celery_app
from dialogkonferanse.models import OutboundEmail
from tests.factories import make_conference, make_registration
from tests.security import servers

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
_CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
KNOWN = "kjent@leverandor.example"
UNKNOWN = "ukjent@leverandor.example"


def _register_form(email: str) -> dict[str, str]:
    return {
        "organisation_name": "Tidtaker AS",
        "country": "NO",
        "organisation_number": "974760673",
        "contact_name": "Kari",
        "email": email,
        "language": "nb",
        "privacy_acknowledged": "on",
    }


def _resend_form(email: str) -> dict[str, str]:
    return {"email": email}


_FORMS = {"register": ("register/", _register_form), "resend": ("my-link/", _resend_form)}


def _answer(response: HttpResponseBase) -> dict[str, object]:
    """What the client sees, CSRF tokens (masked differently per response) aside."""
    return {
        "status": response.status_code,
        "headers": dict(response.headers),
        "cookies": {name: morsel["max-age"] for name, morsel in response.cookies.items()},
        "body": _CSRF.sub("", response.content.decode()),
    }


def _rows(email: str) -> list[tuple[str, str]]:
    return list(
        OutboundEmail.objects.filter(to_email=email).order_by("pk").values_list("kind", "status")
    )


@pytest.fixture
def no_rate_limits(settings):
    settings.REGISTRATION_RATE_LIMIT = ""
    settings.REGISTRATION_RESEND_RATE_LIMIT = ""
    settings.REGISTRATION_ADDRESS_RATE_LIMIT = ""


@pytest.fixture
def registered():
    conference = make_conference()
    make_registration(conference=conference, email=KNOWN)
    return conference


# --- With a broker --------------------------------------------------------------------------


def _wait_until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not done within {timeout} s")
        time.sleep(0.05)


def _queued_tasks() -> int:
    """Tasks waiting in this test process's queue (tests/conftest.py: _celery_test_queue)."""
    queue = celery_app.conf.task_default_queue
    with celery_app.connection_for_write() as conn:
        return conn.default_channel.queue_declare(queue=queue).message_count


@pytest.mark.django_db(transaction=True)  # commits, so the tasks really go to the broker
@pytest.mark.parametrize(
    ("form", "emails_afterwards"),
    [
        (
            "register",
            [
                (KNOWN, [("registration_already", "sent")]),
                (UNKNOWN, [("registration_confirmation", "sent")]),
            ],
        ),
        ("resend", [(KNOWN, [("registration_link", "sent")]), (UNKNOWN, [])]),
    ],
)
def test_enumeration_with_a_broker_known_and_unknown_do_the_same(
    form,
    emails_afterwards,
    no_rate_limits,
    registered,
    celery_worker_factory,
    smtp_server,
):
    path, data = _FORMS[form]
    url = f"/conferences/{registered.slug}/{path}"
    answers, tasks, rows = [], [], []
    for email in (KNOWN, UNKNOWN):
        before = _queued_tasks()
        answers.append(_answer(Client(headers={"accept-language": "en"}).post(url, data(email))))
        tasks.append(_queued_tasks() - before)
        rows.append(len(_rows(email)))

    expected_rows = sum(len(sent) for _email, sent in emails_afterwards)
    with celery_worker_factory():
        _wait_until(lambda: OutboundEmail.objects.filter(status="sent").count() == expected_rows)

    assert answers[0] == answers[1]
    assert answers[0]["status"] == 302
    assert tasks == [1, 1]  # one task published by each request
    assert rows[0] == rows[1]  # the same outbox rows written by each request
    assert [(email, _rows(email)) for email, _sent in emails_afterwards] == emails_afterwards
    assert sorted(to for _from, to in smtp_server.envelopes) == sorted(
        [email] for email, sent in emails_afterwards for _ in sent
    )


# --- Eager tasks (the embedded defaults) -----------------------------------------------------


@pytest.fixture
def eager_tasks():
    """Tasks run in-process, as with no broker configured."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, True
    yield
    conf.task_always_eager, conf.task_eager_propagates = saved


def _respond(url: str, data: dict[str, str]) -> HttpResponseBase:
    """The app's full middleware stack answers the POST; the response is not yet closed, as
    while a server is still sending it."""
    request = RequestFactory(headers={"accept-language": "en"}).post(url, data)
    request._dont_enforce_csrf_checks = True  # as the test client does
    handler = BaseHandler()
    handler.load_middleware()
    return handler.get_response(request)


def _close(response: HttpResponseBase) -> None:
    """What a server does once the response is sent (the test client keeps the connection)."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("form", "while_answering", "afterwards"),
    [
        (
            "register",
            # Both render their email in the request (as with a broker) and send nothing yet.
            [[("registration_already", "queued")], [("registration_confirmation", "queued")]],
            [[("registration_already", "sent")], [("registration_confirmation", "sent")]],
        ),
        ("resend", [[], []], [[("registration_link", "sent")], []]),
    ],
)
def test_enumeration_without_a_broker_tasks_run_after_the_response(
    form, while_answering, afterwards, no_rate_limits, registered, eager_tasks, smtp_server
):
    path, data = _FORMS[form]
    url = f"/conferences/{registered.slug}/{path}"
    answers, rows, sent_while_answering = [], [], []
    for email in (KNOWN, UNKNOWN):
        before = len(smtp_server.messages)
        response = _respond(url, data(email))
        answers.append(_answer(response))
        rows.append(_rows(email))
        sent_while_answering.append(len(smtp_server.messages) - before)
        _close(response)

    assert answers[0] == answers[1]
    assert answers[0]["status"] == 302
    assert rows == while_answering
    assert sent_while_answering == [0, 0]
    assert [_rows(KNOWN), _rows(UNKNOWN)] == afterwards
    assert [to for _from, to in smtp_server.envelopes] == [
        [email] for email, sent in zip((KNOWN, UNKNOWN), afterwards, strict=True) for _ in sent
    ]


@pytest.mark.django_db(transaction=True)
def test_eager_task_queued_outside_a_request_runs_at_once(registered, eager_tasks, smtp_server):
    from registrations.services import request_access_link

    request_access_link(conference_id=registered.pk, email=KNOWN)

    assert _rows(KNOWN) == [("registration_link", "sent")]
    assert [to for _from, to in smtp_server.envelopes] == [[KNOWN]]


class _HoldingSmtpHandler:
    """Accepts a message only once ``release`` is set, so a send is seen to be under way."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.arrived.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


@pytest.fixture
def holding_smtp() -> Iterator[tuple[_HoldingSmtpHandler, int]]:
    from aiosmtpd.controller import Controller

    handler = _HoldingSmtpHandler()
    port = servers.free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        handler.release.set()
        controller.stop()


@pytest.mark.django_db(transaction=True)  # the server process reads the committed rows
def test_enumeration_make_run_server_answers_before_the_email_is_sent(
    registered, holding_smtp, tmp_path
):
    handler, smtp_port = holding_smtp
    env = {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_TIMEOUT": "60",  # the send waits for the held message, longer than the client
        "REGISTRATION_RESEND_RATE_LIMIT": "",
        "REGISTRATION_ADDRESS_RATE_LIMIT": "",
    }
    with servers.makefile_server(tmp_path, env=env) as base, httpx.Client(timeout=10) as http:
        url = f"{base}/conferences/{registered.slug}/my-link/"
        token = _CSRF_TOKEN.search(http.get(url).text).group(1)

        def post(email: str) -> httpx.Response:
            return http.post(url, data={"email": email, "csrfmiddlewaretoken": token})

        # The mail server holds the known address's email until released; the answer comes
        # meanwhile (a request that sent the email itself would time out here).
        known = post(KNOWN)
        sending_after_the_answer = handler.arrived.wait(15)
        handler.release.set()
        unknown = post(UNKNOWN)
        _wait_until(lambda: handler.recipients)

    assert [known.status_code, unknown.status_code] == [302, 302]
    assert known.headers["location"] == unknown.headers["location"]
    assert sending_after_the_answer is True
    assert handler.recipients == [[KNOWN]]
