"""The settings module: loud failure without secrets, clean deploy checks in production."""

from __future__ import annotations

import subprocess

import pytest

from tests.processes import run_python

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k3Q9v-x7Lm2Zp0Rt8Yw5Nc4Hb6Jf1Gd3Sa9Ue7Io2Pq5Wr8Ty0Uv4Xz6Bn1Mc3Vl",
    "DJANGO_ALLOWED_HOSTS": "dialog.example.no",
    "DATABASE_URL": "sqlite:///:memory:",
}


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_python(*args, env=env, timeout=60)


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off"),
        ("DJANGO_ALLOWED_HOSTS", "DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off"),
    ],
)
def test_settings_production_without_secret_refuses_to_start(missing, message):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}

    result = _run("manage.py", "check", **env)

    assert result.returncode != 0
    assert message in result.stderr


def test_settings_debug_on_starts_without_secrets():
    result = _run("manage.py", "check", DJANGO_DEBUG="1", DATABASE_URL="sqlite:///:memory:")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_settings_production_check_deploy_is_clean():
    result = _run("manage.py", "check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_settings_invalid_boolean_is_refused():
    result = _run("manage.py", "check", **{**PRODUCTION, "DJANGO_DEBUG": "maybe"})

    assert result.returncode != 0
    assert "DJANGO_DEBUG must be a boolean" in result.stderr


def test_settings_embedded_defaults_need_no_service():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dialogkonferanse.settings';"
        "django.setup(); from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND,"
        " s.CACHES['default']['BACKEND'], s.TIME_ZONE, s.USE_TZ, s.LANGUAGE_CODE)"
    )

    result = _run("-c", code, DJANGO_DEBUG="1")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "dialogkonferanse.outbox.backends.FileAndConsoleEmailBackend",
        "django.core.cache.backends.locmem.LocMemCache",
        "Europe/Oslo",
        "True",
        "nb",
    ]


def test_collectstatic_with_the_manifest_storage_succeeds(tmp_path):
    """What the Dockerfile runs before the app starts: every static file, vendored ones
    included, must resolve the files it refers to (a source map, a font), or the manifest
    storage refuses the whole collection and the image cannot be built."""
    result = _run(
        "manage.py",
        "collectstatic",
        "--no-input",
        "-v0",
        DJANGO_DEBUG="1",
        DATABASE_URL="sqlite:///:memory:",
        DJANGO_STATIC_MANIFEST="1",
        DJANGO_STATIC_ROOT=str(tmp_path),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "staticfiles.json").is_file()


@pytest.mark.parametrize(("email_queue", "expected"), [("", "main"), ("email", "email")])
def test_send_tasks_go_to_the_email_queue_when_one_is_set(email_queue, expected):
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dialogkonferanse.settings';"
        "django.setup(); from dialogkonferanse.celery import app;"
        "app.loader.import_default_modules(); route = app.amqp.router.route;"
        "print(route({}, 'dialogkonferanse.deliver_email')['queue'].name,"
        " route({}, 'dialogkonferanse.sweep_outbox')['queue'].name)"
    )

    result = _run(
        "-c", code, **PRODUCTION, CELERY_TASK_DEFAULT_QUEUE="main", CELERY_EMAIL_QUEUE=email_queue
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [expected, "main"]
