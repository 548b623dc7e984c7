"""Large recordings through a real server process (uvicorn, ASGI): a 200 MB upload through the
admin and its download never sit in the server's memory.

The server's peak resident memory (``VmHWM``, reset through ``/proc/<pid>/clear_refs``) is
measured around each transfer. The test's own body is a generator, so neither side holds the
file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

import httpx
import pytest
from django.contrib.auth import get_user_model

from conferences.choices import ConferenceStatus
from conferences.models import Recording
from dialogkonferanse.roles import PROCUREMENT_STAFF
from tests.conferences.conftest import peak_memory, reset_peak_memory, uvicorn_server
from tests.factories import make_conference, make_user

pytestmark = pytest.mark.django_db(transaction=True)

MB = 1024 * 1024
UPLOAD_SIZE = 200 * MB
MAX_GROWTH = 50 * MB
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def server(tmp_path) -> Iterator[tuple[str, int]]:
    with uvicorn_server(tmp_path, DJANGO_FILE_UPLOAD_TEMP_DIR=str(tmp_path)) as running:
        yield running


def _multipart(fields: dict[str, str], boundary: str, digest) -> tuple[Iterator[bytes], int]:
    """A multipart body with ``fields`` and a 200 MB WebM-looking ``video_file``, streamed."""
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    file_head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="video_file"; '
        f'filename="opptak.webm"\r\nContent-Type: video/webm\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    block = bytes(range(256)) * (MB // 256)

    def body() -> Iterator[bytes]:
        yield head + file_head
        for i in range(UPLOAD_SIZE // MB):
            chunk = (b"\x1a\x45\xdf\xa3" + block[4:]) if i == 0 else block
            digest.update(chunk)
            yield chunk
        yield tail

    return body(), len(head) + len(file_head) + UPLOAD_SIZE + len(tail)


def test_upload_and_download_of_200_mb_keep_server_memory_growth_below_50_mb(server, roles):
    base, pid = server
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    make_user(group=PROCUREMENT_STAFF, username="opplaster")
    user = get_user_model().objects.get(username="opplaster")
    user.set_password("pw-for-tests-123")
    user.save()

    with httpx.Client(base_url=base, timeout=120) as client:
        login_page = client.get("/admin/login/")
        token = CSRF_RE.search(login_page.text)[1]
        client.post(
            "/admin/login/",
            data={
                "csrfmiddlewaretoken": token,
                "username": "opplaster",
                "password": "pw-for-tests-123",
            },
        )
        add_page = client.get("/admin/conferences/recording/add/")
        assert add_page.status_code == 200
        token = CSRF_RE.search(add_page.text)[1]
        fields = {
            "csrfmiddlewaretoken": token,
            "conference": str(conference.pk),
            "title_nb": "Stort opptak",
            "order": "1",
            "external_url": "",
            "provider": "",
            "duration": "",
            "transcript": "",
            "captions-TOTAL_FORMS": "0",
            "captions-INITIAL_FORMS": "0",
            "chapters-TOTAL_FORMS": "0",
            "chapters-INITIAL_FORMS": "0",
        }
        boundary = "dialogkonferanse-test-boundary-7f3a"
        digest = hashlib.sha256()
        body, length = _multipart(fields, boundary, digest)

        before_upload = reset_peak_memory(pid)
        response = client.post(
            "/admin/conferences/recording/add/",
            content=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(length),
                "Referer": base + "/admin/conferences/recording/add/",
            },
        )
        upload_growth = peak_memory(pid) - before_upload

        assert response.status_code == 302, response.text[:2000]
        recording = Recording.objects.get(title_nb="Stort opptak")
        assert recording.size == UPLOAD_SIZE
        assert recording.sha256 == digest.hexdigest()

        download = hashlib.sha256()
        before_download = reset_peak_memory(pid)
        received = 0
        with client.stream("GET", recording.get_video_url()) as stream:
            assert stream.status_code == 200
            for chunk in stream.iter_bytes(MB):
                download.update(chunk)
                received += len(chunk)
        download_growth = peak_memory(pid) - before_download

    assert received == UPLOAD_SIZE
    assert download.hexdigest() == recording.sha256
    assert upload_growth < MAX_GROWTH, f"upload grew the server by {upload_growth / MB:.1f} MB"
    assert download_growth < MAX_GROWTH, (
        f"download grew the server by {download_growth / MB:.1f} MB"
    )
