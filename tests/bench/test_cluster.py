"""Two web nodes behind Debian's nginx with the proxy configuration docker compose uses
(bench/cluster.py, dialogkonferanse/deploy/nginx.conf.template): event streams pass unbuffered,
byte ranges arrive intact, a large upload streams through to a node while it is still being
sent, and a node killed with SIGKILL leaves the site answering through the other."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from bench.cluster import TEMPLATE, Cluster, render
from conferences.choices import ConferenceStatus
from conferences.models import Upload
from qa import services as qa_services
from registrations.access import SESSION_KEY
from tests.conferences.package_factories import make_recording, webm_bytes
from tests.factories import make_conference, make_question, make_registration, make_staff

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()),
        reason="Debian's nginx is not installed (.ci/requirements.sh test installs it)",
    ),
]

TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cluster-media")


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker, media) -> Iterator[Cluster]:
    """Two uvicorn nodes on the test database behind nginx, for the whole module."""
    db = settings.DATABASES["default"]
    env = {
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "DJANGO_MEDIA_ROOT": str(media),
        "UPLOAD_TEMP_DIR": str(media / "uploads-in-progress"),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "QA_SSE_HEARTBEAT_SECONDS": "1",
        "QA_SSE_POLL_SECONDS": "0.2",
        # Where a node spools a request body (Django reads it whole before the view runs).
        "TMPDIR": str(_node_tmp(media)),
    }
    with Cluster(env) as running:
        running.start(2)
        yield running


@pytest.fixture
def same_media(settings, media):
    """This process writes files where the nodes read them."""
    settings.MEDIA_ROOT = media
    settings.UPLOAD_TEMP_DIR = media / "uploads-in-progress"


def _node_tmp(media: Path) -> Path:
    path = media / "node-tmp"
    path.mkdir(exist_ok=True)
    return path


def _bytes_held_by_nodes(cluster: Cluster, directory: Path) -> int:
    """Bytes of the files under ``directory`` the nodes hold open (their spooled bodies)."""
    held = 0
    for index in range(len(cluster.nodes)):
        for pid in cluster.node_pids(index):
            for fd in Path(f"/proc/{pid}/fd").glob("*"):
                try:
                    if os.readlink(fd).startswith(str(directory)):
                        held += fd.stat().st_size
                except OSError:
                    continue
    return held


def _viewer_cookie(conference) -> str:
    registration = make_registration(conference=conference)
    session = SessionStore()
    session[SESSION_KEY] = {conference.slug: [registration.pk, registration.session_secret]}
    session.create()
    return session.session_key


def test_render_repeats_the_upstream_line_per_node_and_keeps_nginx_variables():
    config = render(
        {"NGINX_LISTEN": "127.0.0.1:1", "NGINX_STATE_DIR": "/s"},
        upstreams=["127.0.0.1:8001", "127.0.0.1:8002"],
    )

    servers = re.findall(r"^\s*server (\S+) max_fails", config, re.MULTILINE)
    assert servers == ["127.0.0.1:8001", "127.0.0.1:8002"]
    assert "listen 127.0.0.1:1 default_server;" in config
    assert "$proxy_add_x_forwarded_for" in config
    # A variable not given stays as it is (envsubst's behaviour with a variable list).
    assert "${NGINX_ERROR_LOG}" in config
    assert "${NGINX_UPSTREAM}" in TEMPLATE.read_text()


def test_event_stream_through_proxy_arrives_before_the_stream_ends(cluster):
    conference = make_conference(status=ConferenceStatus.LIVE)
    cookie = _viewer_cookie(conference)
    frames: list[str] = []
    connected = threading.Event()
    got_event = threading.Event()

    def read() -> None:
        with (
            httpx.Client(timeout=httpx.Timeout(10, read=20)) as client,
            client.stream(
                "GET",
                f"{cluster.url}/me/{conference.slug}/stream/events/",
                headers={"Cookie": f"sessionid={cookie}", "Accept": "text/event-stream"},
            ) as response,
        ):
            frames.append(f"status {response.status_code}")
            buffer = ""
            for text in response.iter_text():
                buffer += text
                while "\n\n" in buffer:
                    frame, buffer = buffer.split("\n\n", 1)
                    frames.append(frame)
                    connected.set()
                    if "event: question" in frame:
                        got_event.set()
                        return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert connected.wait(15), frames
    question = make_question(conference=conference, text="Gjennom proxyen?")
    qa_services.approve_question(
        conference_id=conference.pk, question_id=question.pk, moderator=None, expected_version=1
    )

    # The stream never ends by itself: the event can only arrive unbuffered.
    assert got_event.wait(15), frames
    reader.join(5)
    assert frames[0] == "status 200"
    assert "Gjennom proxyen?" in frames[-1]


def test_range_request_through_proxy_returns_206_with_exactly_those_bytes(cluster, same_media):
    content = webm_bytes(600_000)
    recording = make_recording(
        conference=make_conference(status=ConferenceStatus.FOLLOW_UP),
        content=content,
        published=True,
    )
    url = (
        f"{cluster.url}/conferences/{recording.conference.slug}/information/recordings/"
        f"{recording.pk}/video"
    )

    response = httpx.get(
        url, headers={"Range": "bytes=1000-250999", "Accept-Encoding": "gzip"}, timeout=10
    )

    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes 1000-250999/{len(content)}"
    assert "Content-Encoding" not in response.headers
    assert response.content == content[1000:251000]


def test_large_upload_streams_to_a_node_while_it_is_sent(cluster, same_media, media):
    staff = make_staff()
    login = Client()
    login.force_login(staff)
    cookies = {"sessionid": login.cookies["sessionid"].value}
    size = 24 * 1024 * 1024
    content = bytes(range(256)) * (size // 256)
    content = webm_bytes(1024) + content[1024:]
    with httpx.Client(base_url=cluster.url, cookies=cookies, timeout=30) as client:
        client.get("/admin/")
        csrf = {"X-CSRFToken": client.cookies["csrftoken"]}
        created = client.post(
            "/admin/conferences/recording/uploads/",
            headers={**TUS, **csrf, "Upload-Length": str(size)},
        )
        assert created.status_code == 201, created.text
        location = created.headers["Location"]
        assert Upload.objects.filter(owner=staff).count() == 1
        half = size // 2
        arrived_while_sending: list[int] = []

        def body() -> Iterator[bytes]:
            yield content[:half]
            # Streamed: a node holds bytes of the first half before the second is sent. (A
            # proxy that buffers the request would keep it all until the last byte.)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                held = _bytes_held_by_nodes(cluster, _node_tmp(media))
                if held > 0:
                    arrived_while_sending.append(held)
                    break
                time.sleep(0.05)
            yield content[half:]

        patched = client.patch(
            location,
            content=body(),
            headers={
                **TUS,
                **csrf,
                "Content-Type": "application/offset+octet-stream",
                "Content-Length": str(size),
                "Upload-Offset": "0",
            },
        )
        assert patched.status_code == 204, patched.text
        assert patched.headers["Upload-Offset"] == str(size)
        assert arrived_while_sending, "nothing reached the node before the body was complete"
        assert 0 < arrived_while_sending[0] <= half
        described = client.get(location, headers=TUS).json()
    assert described["sha256"] == hashlib.sha256(content).hexdigest()


def test_killed_node_leaves_the_site_answering_through_the_other(cluster):
    make_conference(status=ConferenceStatus.PUBLISHED, title="Markedsdialog gjennom proxy")
    before = [httpx.get(cluster.url + "/", timeout=10) for _ in range(4)]

    cluster.kill_node(0)
    try:
        after = [httpx.get(cluster.url + "/", timeout=10) for _ in range(8)]
    finally:
        cluster.restart_node(0)

    assert [r.status_code for r in before + after] == [200] * 12
    assert all("Markedsdialog gjennom proxy" in r.text for r in after)
    assert "connect() failed" in cluster.error_log.read_text()
