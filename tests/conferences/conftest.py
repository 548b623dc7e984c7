"""Fixtures of the conferences tests: a signed-in procurement staff member, uploaded files in a
temporary media root, a local S3 API server for the direct-upload tests, and the app under
uvicorn in its own process (whose memory the large-upload tests measure)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from django.conf import settings
from django.test import Client

from tests.factories import make_staff

ROOT = Path(__file__).resolve().parents[2]

#: The smallest multipart part the local S3 API accepts (S3's own is 5 MiB), for speed.
PART = 256 * 1024
#: The bucket of the media storage in the S3 tests.
BUCKET = "dialogkonferanse-test"


@pytest.fixture
def staff(roles):
    return make_staff()


@pytest.fixture
def staff_client(staff):
    """The staff member signed in, the admin in English (assertions read the source text)."""
    client = Client(headers={"accept-language": "en"})
    client.force_login(staff)
    return client


@pytest.fixture
def media_root(settings, tmp_path):
    """Every stored file of the test lands in its own temporary directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def s3_bucket(endpoint: str, bucket: str):
    """A client of the local S3 API at ``endpoint`` (moto's test keys), with ``bucket`` created."""
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    return client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, name: str) -> None:
    """Until ``url`` answers (any status); fails the test if ``process`` ends or 30 s pass."""
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"{name} did not start")
            time.sleep(0.2)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A local S3 API (moto_server) whose smallest multipart part is 256 KB, for speed."""
    beside = Path(sys.executable).parent / "moto_server"
    executable = str(beside) if beside.exists() else shutil.which("moto_server") or "moto_server"
    port = _free_port()
    env = {**os.environ, "S3_UPLOAD_PART_MIN_SIZE": str(PART)}
    process = subprocess.Popen(  # noqa: S603 - the test tool's own server
        [executable, "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    _wait_until_up(endpoint, process, "moto_server")
    try:
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=15)


def s3_storage_options(endpoint: str, **extra: object) -> dict:
    """The media storage's options as ``dialogkonferanse.settings`` builds them for
    ``DJANGO_MEDIA_STORAGE=s3``, on the local S3 API."""
    return {
        "bucket_name": BUCKET,
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "access_key": "testing",
        "secret_key": "testing",
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        "signature_version": "s3v4",
        **extra,
    }


@pytest.fixture
def s3(settings, s3_endpoint, tmp_path):
    """Media on the local S3 API (``DJANGO_MEDIA_STORAGE=s3``) in an empty bucket; yields a
    client of it. Parts of ``PART`` bytes; the temporary files under ``tmp_path``."""
    client = s3_bucket(s3_endpoint, BUCKET)
    settings.MEDIA_STORAGE = "s3"
    settings.UPLOAD_CHUNK_BYTES = PART
    settings.UPLOAD_TEMP_DIR = tmp_path / "uploads-in-progress"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_storage_options(s3_endpoint),
        },
    }
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])


@contextlib.contextmanager
def uvicorn_server(tmp_path: Path, **extra_env: str) -> Iterator[tuple[str, int]]:
    """The app under uvicorn in its own process (so its memory is its own), on the test
    database, media under ``tmp_path``; ``extra_env`` adds settings. Yields (base URL, pid)."""
    db = settings.DATABASES["default"]
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATABASE_POOL": "0",
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "TMPDIR": str(tmp_path),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        **extra_env,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "uvicorn",
            "dialogkonferanse.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    _wait_until_up(base + "/healthz", process, "uvicorn")
    try:
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=15)


def _status_bytes(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def reset_peak_memory(pid: int) -> int:
    """Reset the process's peak RSS (VmHWM) to its current RSS; returns that RSS in bytes."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return _status_bytes(pid, "VmRSS")


def peak_memory(pid: int) -> int:
    """The process's peak RSS (VmHWM) in bytes since the last ``reset_peak_memory``."""
    return _status_bytes(pid, "VmHWM")
