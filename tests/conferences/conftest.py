"""Fixtures of the conferences tests: a signed-in procurement staff member, uploaded files in a
temporary media root, and a local S3 API server for the direct-upload tests."""

from __future__ import annotations

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
from django.test import Client

from tests.factories import make_staff

#: The smallest multipart part the local S3 API accepts (S3's own is 5 MiB), for speed.
PART = 256 * 1024


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
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(endpoint, timeout=2)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("moto_server did not start")
            time.sleep(0.2)
    try:
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=15)
