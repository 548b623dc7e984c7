"""Serving the package's files: range requests (seeking), validators, only what is published."""

from __future__ import annotations

import builtins

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client
from django.urls import reverse

from conferences import ranged
from conferences.choices import ConferenceStatus
from conferences.ranged import Unsatisfiable, parse_range
from tests.conferences.package_factories import VTT, make_document, make_recording, webm_bytes
from tests.factories import make_conference, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

CONTENT = webm_bytes(1_000_000)


@pytest.fixture
def recording():
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    return make_recording(conference=conference, content=CONTENT, published=True)


def _video_url(recording) -> str:
    return reverse(
        "conferences:recording_video",
        kwargs={"slug": recording.conference.slug, "pk": recording.pk},
    )


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=100-199", 100, 199),
        ("bytes=999000-", 999_000, 999_999),
        ("bytes=-500", 999_500, 999_999),
        ("bytes=0-0", 0, 0),
        ("bytes=999990-2000000", 999_990, 999_999),
    ],
)
def test_range_request_returns_206_with_exactly_the_requested_bytes(
    client, recording, header, first, last
):
    response = client.get(_video_url(recording), headers={"range": header})

    assert response.status_code == 206
    assert _body(response) == CONTENT[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(CONTENT)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Content-Type"] == "video/webm"
    assert response["Accept-Ranges"] == "bytes"


def test_range_request_under_asgi_returns_206_with_exactly_the_requested_bytes(recording):
    url = _video_url(recording)

    async def fetch():
        response = await AsyncClient().get(url, headers={"range": "bytes=5000-70000"})
        # An asynchronous body: served under ASGI without reading the file into a list first.
        assert response.is_async
        return response, b"".join([chunk async for chunk in response.streaming_content])

    response, body = async_to_sync(fetch)()

    assert response.status_code == 206
    assert body == CONTENT[5000:70001]
    assert response["Content-Range"] == f"bytes 5000-70000/{len(CONTENT)}"


def test_whole_file_request_returns_200_with_validators(client, recording):
    response = client.get(_video_url(recording))

    assert response.status_code == 200
    assert _body(response) == CONTENT
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"] == f'"{recording.sha256[:40]}"'
    assert response["Content-Length"] == str(len(CONTENT))
    assert "Content-Disposition" in response
    assert response["Content-Disposition"].startswith("inline")


def test_download_parameter_makes_an_attachment(client, recording):
    response = client.get(_video_url(recording), {"download": "1"})

    assert response["Content-Disposition"].startswith("attachment; filename=")


@pytest.mark.parametrize("header", ["bytes=1000000-", "bytes=2000000-2000010", "bytes=-0"])
def test_unsatisfiable_range_returns_416(client, recording, header):
    response = client.get(_video_url(recording), headers={"range": header})

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(CONTENT)}"


@pytest.mark.parametrize("header", ["bytes=0-10,20-30", "items=0-10", "bytes=50-10"])
def test_unsupported_or_invalid_range_returns_whole_file(client, recording, header):
    response = client.get(_video_url(recording), headers={"range": header})

    assert response.status_code == 200
    assert _body(response) == CONTENT


def test_if_none_match_returns_304(client, recording):
    etag = client.get(_video_url(recording))["ETag"]

    response = client.get(_video_url(recording), headers={"if-none-match": etag})

    assert response.status_code == 304


def test_if_range_with_other_etag_returns_whole_file(client, recording):
    response = client.get(
        _video_url(recording), headers={"range": "bytes=0-9", "if-range": '"something-else"'}
    )

    assert response.status_code == 200
    assert len(_body(response)) == len(CONTENT)


def test_head_request_sends_headers_without_body(client, recording):
    response = client.head(_video_url(recording), headers={"range": "bytes=0-99"})

    assert response.status_code == 206
    assert response["Content-Length"] == "100"
    assert response.content == b""


def test_range_request_reads_only_the_requested_bytes(client, recording, monkeypatch):
    read_sizes: list[int] = []

    class CountingFile:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def seek(self, offset):
            return self.handle.seek(offset)

        def read(self, size):
            data = self.handle.read(size)
            read_sizes.append(len(data))
            return data

    def counting_open(path, mode="r"):
        return CountingFile(builtins.open(path, mode))

    monkeypatch.setattr(ranged, "open", counting_open, raising=False)

    response = client.get(_video_url(recording), headers={"range": "bytes=400000-400999"})

    assert _body(response) == CONTENT[400_000:401_000]
    assert sum(read_sizes) == 1000


def test_parse_range_edge_cases():
    assert parse_range("bytes=0-", 10) == (0, 9)
    assert parse_range("", 10) is None
    assert parse_range("bytes=-", 10) is None
    with pytest.raises(Unsatisfiable):
        parse_range("bytes=10-", 10)
    with pytest.raises(Unsatisfiable):
        parse_range("bytes=-5", 0)


def test_unpublished_recording_file_is_not_found_for_the_public_but_served_to_staff(client):
    conference = make_conference(status=ConferenceStatus.FOLLOW_UP)
    recording = make_recording(conference=conference, content=CONTENT)
    url = _video_url(recording)

    public = client.get(url)
    staff_client = Client()
    staff_client.force_login(make_staff())
    staff = staff_client.get(url, headers={"range": "bytes=0-3"})

    assert public.status_code == 404
    assert staff.status_code == 206
    assert _body(staff) == CONTENT[:4]
    assert staff["Cache-Control"] == "private, no-store"


def test_recording_of_draft_conference_is_not_served(client):
    recording = make_recording(
        conference=make_conference(status=ConferenceStatus.DRAFT), published=True
    )

    assert client.get(_video_url(recording)).status_code == 404


def test_caption_track_is_served_as_text_vtt(client, recording):
    url = reverse(
        "conferences:recording_captions",
        kwargs={"slug": recording.conference.slug, "pk": recording.pk, "language": "nb"},
    )

    response = client.get(url)
    missing = client.get(url.replace("nb.vtt", "en.vtt"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response.content.decode() == VTT
    assert missing.status_code == 404


def test_published_document_is_a_pdf_download(client):
    document = make_document(
        conference=make_conference(status=ConferenceStatus.FOLLOW_UP),
        published=True,
        title="Lysark fra innkjøper",
    )
    url = reverse(
        "conferences:document_file",
        kwargs={"slug": document.conference.slug, "pk": document.pk},
    )

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''lysark-fra-innkj%C3%B8per.pdf"
    )
    assert _body(response).startswith(b"%PDF-")
