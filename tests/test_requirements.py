"""The system packages: README's "Requirements" list is what .ci/requirements.sh checks and
installs, and the check names what is missing in one line when it cannot install it."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "requirements.sh"
GROUPS = ("run", "test", "bench", "faults", "ci")
# How README's lists build on each other: "`make test` needs those and: ...".
README_HEADINGS = {
    "`make run` needs:": ("run", ()),
    "`make test` needs those and:": ("test", ("run",)),
    "`make bench` needs those of `make run` and:": ("bench", ("run",)),
    "`make faults` needs those of `make run` and:": ("faults", ("run",)),
    "`.ci/run` needs all of the above and:": ("ci", ("run", "test", "bench", "faults")),
}
BULLET = re.compile(r"^- ((?:`[^`]+`, )*`[^`]+`): ")


def readme_requirements() -> dict[str, list[str]]:
    """Every package each command needs, from README.md's "Requirements" section."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Requirements\n", 1)[1].split("\n## ", 1)[0]
    own: dict[str, list[str]] = {}
    inherits: dict[str, tuple[str, ...]] = {}
    group = None
    for line in section.splitlines():
        if line in README_HEADINGS:
            group, inherits[group] = README_HEADINGS[line]
            own[group] = []
        elif (match := BULLET.match(line)) and group:
            own[group] += re.findall(r"`([^`]+)`", match.group(1))
    return {g: list(dict.fromkeys(p for base in (*inherits[g], g) for p in own[base])) for g in own}


def script_list(group: str) -> list[str]:
    done = subprocess.run(  # noqa: S603
        [shutil.which("bash") or "/bin/bash", str(SCRIPT), "--list", group],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return done.stdout.split()


def run_check(script: str, group: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The check from ``script`` as a user who cannot install (nobody, when tests run as root)."""
    as_user = []
    if os.geteuid() == 0:
        as_user = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "nobody", "--"]
    return subprocess.run(  # noqa: S603
        [*as_user, shutil.which("bash") or "/bin/bash", "-s", group],
        input=script,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def with_lines(*lines: str) -> str:
    """The script with more packages in its table."""
    script = SCRIPT.read_text()
    assert script.count("PACKAGES='\n") == 1
    return script.replace("PACKAGES='\n", "PACKAGES='\n" + "".join(f"{ln}\n" for ln in lines))


def refused_url(scheme: str, path: str) -> str:
    """A URL on a loopback port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"{scheme}://127.0.0.1:{port}/{path}"


@pytest.mark.parametrize("group", GROUPS)
def test_requirements_readme_lists_what_the_script_installs(group):
    readme = readme_requirements()

    assert sorted(readme[group]) == sorted(script_list(group))


def test_requirements_readme_has_every_group():
    assert sorted(readme_requirements()) == sorted(GROUPS)


@pytest.mark.parametrize("group", ["run", "test"])
def test_requirements_check_is_silent_when_everything_is_there(group):
    done = run_check(SCRIPT.read_text(), group)

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_requirements_check_names_the_missing_packages_in_one_line():
    script = with_lines(
        "dialogkonferanse-missing-a  cmd:dialogkonferanse-no-such-command  run",
        "dialogkonferanse-missing-b  lib:libdialogkonferanse-none.so.0     run",
        "dialogkonferanse-missing-c  file:/nonexistent/dialogkonferanse     test",
    )

    done = run_check(script, "run")

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        "missing Debian packages, install them as root: apt-get install "
        "--no-install-recommends dialogkonferanse-missing-a dialogkonferanse-missing-b\n"
    )


@pytest.mark.parametrize(("database", "redis"), [(True, True), (False, True), (False, False)])
def test_requirements_test_needs_the_server_packages_whatever_answers(database, redis):
    # The suite starts private servers itself (tests/ci/test_services.py), so make test needs
    # the server packages even where PostgreSQL and Redis answer.
    script = SCRIPT.read_text()
    script = re.sub(r"(?m)^(postgresql +)\S+", r"\1file:/nonexistent/initdb", script)
    script = re.sub(r"(?m)^(redis-server +)\S+", r"\1cmd:dialogkonferanse-no-redis", script)
    env = {
        "DATABASE_URL": os.environ["DATABASE_URL"] if database else refused_url("postgres", "x"),
        "REDIS_URL": os.environ["REDIS_URL"] if redis else refused_url("redis", "1"),
    }

    done = run_check(script, "test", **env)

    assert (done.returncode, done.stderr) == (
        1,
        "missing Debian packages, install them as root: apt-get install "
        "--no-install-recommends postgresql redis-server\n",
    )
