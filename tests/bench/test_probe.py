"""The benchmark probe exists only when DJANGO_BENCH_PROBE=1: normal runs never expose it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", ["/_bench/minimal/", "/_bench/form/"])
def test_probe_urls_without_env_var_are_404(client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert b"Probe" not in response.content


def test_probe_app_without_env_var_is_not_installed() -> None:
    assert settings.BENCH_PROBE is False
    assert not apps.is_installed("bench.probe")


def _run_with_probe(code: str) -> subprocess.CompletedProcess[str]:
    """Python ``code`` in a fresh process with the probe switched on (settings load once)."""
    env = {
        **os.environ,
        "DJANGO_BENCH_PROBE": "1",
        "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


def test_probe_with_env_var_serves_minimal_page() -> None:
    done = _run_with_probe(
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/_bench/minimal/')\n"
        "print(r.status_code, r.content.decode())\n"
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("200 <!doctype html>")
    assert "<h1>Probe</h1>" in done.stdout


def test_probe_with_env_var_has_no_missing_migrations() -> None:
    done = _run_with_probe(
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('makemigrations', 'bench_probe', check=True, dry_run=True, verbosity=0)\n"
    )

    assert done.returncode == 0, done.stdout + done.stderr
