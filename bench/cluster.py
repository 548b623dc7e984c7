"""Several web nodes behind Debian's nginx, with the proxy configuration docker-compose uses.

The nginx configuration is ``dialogkonferanse/deploy/nginx.conf.template``, the file the
compose ``proxy`` service renders with envsubst; here it is rendered the same way (only the
``${NGINX_*}`` variables it documents), the ``server ${NGINX_UPSTREAM}`` line repeated once per
node. nginx runs with a prefix of its own in a temporary directory (pid, logs, buffers there),
so it needs no root and touches nothing of the machine's nginx.

    with Cluster(env) as cluster:          # env: the app's environment (database, Redis, ...)
        cluster.start(2)                    # two uvicorn nodes on free ports, nginx in front
        httpx.get(cluster.url + "/healthz")
        cluster.kill_node(0)                # SIGKILL, as a crashed machine
        cluster.restart_node(0)             # again on the same port
    # stop(): nodes and nginx stopped, the directory removed unless ``keep=True``

Used by the proxy tests (tests/test_proxy.py), ``make bench`` (bench_qa_fanout) and
``make faults``.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.services import ServiceError, free_port, stop_process, tail, wait_for

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "dialogkonferanse" / "deploy" / "nginx.conf.template"
# Seconds a node keeps an idle connection: longer than the proxy's upstream keepalive_timeout
# (60 s), as the Dockerfile's gunicorn --keep-alive.
NODE_KEEP_ALIVE = 75
_VARIABLE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")


def render(
    variables: Mapping[str, str], *, upstreams: list[str], template: str | None = None
) -> str:
    """The template with ``${NAME}`` replaced for the given names only (as envsubst does with
    the variables it is given), and the ``${NGINX_UPSTREAM}`` line once per upstream."""
    text = TEMPLATE.read_text() if template is None else template
    lines = []
    for line in text.splitlines(keepends=True):
        if "${NGINX_UPSTREAM}" in line and not line.lstrip().startswith("#"):
            lines.extend(line.replace("${NGINX_UPSTREAM}", upstream) for upstream in upstreams)
        else:
            lines.append(line)

    def substitute(match: re.Match[str]) -> str:
        return variables.get(match.group(1), match.group(0))

    return _VARIABLE.sub(substitute, "".join(lines))


def nginx_binary() -> str:
    """Debian's nginx (``apt-get install nginx``; .ci/requirements.sh lists it)."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )
    if not found:
        raise ServiceError("nginx not found: install Debian's nginx (apt-get install nginx)")
    return found


def raise_nofile(wanted: int = 65535) -> int:
    """Raise this process's open-file limit (children inherit it) as far as allowed; returns
    the soft limit now in force. Thousands of streams need more than the usual 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a node with worker processes), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name may hold spaces and parentheses: the ppid follows the last ")".
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_kb(pids: list[int]) -> int:
    """Resident memory of the processes, in kB (VmRSS from /proc; 0 for ones that are gone)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            match = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
            total += int(match.group(1)) if match else 0
    return total


@dataclass
class Node:
    """One web node: a uvicorn server (or gunicorn with uvicorn workers) on a loopback port."""

    index: int
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pids(self) -> list[int]:
        return process_tree(self.process.pid) if self.alive and self.process else []


@dataclass
class Cluster:
    """N web nodes behind nginx. ``env`` is the app's environment (DATABASE_URL, REDIS_URL,
    DJANGO_* ...); the nodes believe X-Forwarded-For from the proxy (FORWARDED_ALLOW_IPS).

    ``workers`` > 1 runs each node as the Dockerfile does (gunicorn with that many uvicorn
    workers); 1 runs one uvicorn process per node (simplest to measure and to kill).
    """

    env: Mapping[str, str]
    workers: int = 1
    work_dir: Path | None = None
    keep: bool = False
    startup_timeout: float = 60.0
    node_args: list[str] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    proxy_port: int = 0
    nginx: subprocess.Popen[bytes] | None = None
    base: Path = field(init=False)

    def __post_init__(self) -> None:
        parent = self.work_dir
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        self.base = Path(tempfile.mkdtemp(prefix="dk-cluster-", dir=parent))
        # nginx's workers run as an unprivileged user when it is started as root: let them in.
        self.base.chmod(0o755)

    # -- URLs --

    @property
    def url(self) -> str:
        """The proxy's base URL, ``http://127.0.0.1:PORT``."""
        if not self.proxy_port:
            raise ServiceError("the cluster is not started")
        return f"http://127.0.0.1:{self.proxy_port}"

    @property
    def error_log(self) -> Path:
        return self.base / "nginx" / "error.log"

    @property
    def access_log(self) -> Path:
        return self.base / "nginx" / "access.log"

    # -- lifecycle --

    def start(self, n_nodes: int = 2) -> Cluster:
        """Start ``n_nodes`` nodes, wait until each answers, then nginx in front of them."""
        if self.nodes:
            raise ServiceError("the cluster is already started")
        raise_nofile()
        for index in range(n_nodes):
            node = Node(index, free_port(), self.base / f"node-{index}.log")
            self.nodes.append(node)
            self._spawn(node)
        for node in self.nodes:
            self._wait_node(node)
        self._start_nginx()
        return self

    def _node_command(self, node: Node) -> list[str]:
        if self.workers > 1:
            return [
                sys.executable, "-m", "gunicorn", "dialogkonferanse.asgi:application",
                "--config", "python:dialogkonferanse.gunicorn_conf",
                "--worker-class", "uvicorn_worker.UvicornWorker",
                "--workers", str(self.workers), "--bind", f"127.0.0.1:{node.port}",
                "--keep-alive", str(NODE_KEEP_ALIVE), "--graceful-timeout", "5",
                "--log-level", "warning", *self.node_args,
            ]  # fmt: skip
        return [
            sys.executable, "-m", "uvicorn", "dialogkonferanse.asgi:application",
            "--host", "127.0.0.1", "--port", str(node.port), "--lifespan", "off",
            "--timeout-keep-alive", str(NODE_KEEP_ALIVE), "--log-level", "warning",
            "--no-access-log", *self.node_args,
        ]  # fmt: skip

    def _spawn(self, node: Node) -> None:
        env = {**os.environ, "FORWARDED_ALLOW_IPS": "127.0.0.1", **self.env}
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        with node.log_path.open("ab") as log:
            # A session of its own: kill_node() takes the whole process group (gunicorn's
            # workers too), and a Ctrl+C in the terminal reaches only the owner.
            node.process = subprocess.Popen(
                self._node_command(node), cwd=ROOT, env=env, stdout=log, stderr=log,
                start_new_session=True,
            )  # fmt: skip
        node.starts += 1

    def _wait_node(self, node: Node) -> None:
        def answers() -> bool:
            if not node.alive:
                raise ServiceError(f"node {node.index} exited:\n{tail(node.log_path)}")
            return _live(node.url)

        try:
            wait_for(answers, timeout=self.startup_timeout, what=f"web node {node.index}")
        except ServiceError as exc:
            raise ServiceError(f"{exc}\n{tail(node.log_path)}") from None

    def _start_nginx(self) -> None:
        binary = nginx_binary()
        prefix = self.base / "nginx"
        prefix.mkdir(exist_ok=True)
        prefix.chmod(0o755)
        self.proxy_port = self.proxy_port or free_port()
        config = render(
            {
                "NGINX_LISTEN": f"127.0.0.1:{self.proxy_port}",
                "NGINX_STATE_DIR": str(prefix),
                "NGINX_ERROR_LOG": str(self.error_log),
                "NGINX_ACCESS_LOG": str(self.access_log),
                "NGINX_BEHIND_TLS_PROXY": "0",
            },
            upstreams=[f"127.0.0.1:{node.port}" for node in self.nodes],
        )
        conf = prefix / "nginx.conf"
        conf.write_text(config)
        command = [binary, "-p", str(prefix), "-c", str(conf), "-e", str(self.error_log)]
        checked = subprocess.run(
            [*command, "-t", "-q"], capture_output=True, text=True, timeout=30, check=False
        )
        if checked.returncode != 0:
            raise ServiceError(f"nginx -t refused the configuration:\n{checked.stderr}")
        with (prefix / "stderr.log").open("ab") as log:
            self.nginx = subprocess.Popen(
                [*command, "-g", "daemon off;"], stdout=log, stderr=log, start_new_session=True
            )

        def answers() -> bool:
            if self.nginx is None or self.nginx.poll() is not None:
                raise ServiceError(f"nginx exited:\n{tail(self.error_log)}")
            return _live(self.url)

        wait_for(answers, timeout=20, what="nginx")

    def kill_node(self, index: int) -> None:
        """SIGKILL the node's whole process group, as a machine that is gone."""
        node = self.nodes[index]
        if node.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.process.pid, signal.SIGKILL)
        node.process.wait(timeout=10)

    def restart_node(self, index: int, *, wait: bool = True) -> None:
        """Start the node again on its port (after kill_node or stop_node)."""
        node = self.nodes[index]
        if node.alive:
            raise ServiceError(f"node {index} is still running")
        self._spawn(node)
        if wait:
            self._wait_node(node)

    def stop_node(self, index: int) -> None:
        """SIGTERM (graceful), then SIGKILL after 10 s."""
        node = self.nodes[index]
        stop_process(node.process)

    def node_pids(self, index: int) -> list[int]:
        return self.nodes[index].pids()

    def node_rss_kb(self, index: int) -> int:
        return rss_kb(self.node_pids(index))

    def stop(self) -> None:
        """Stop nginx and every node; remove the directory unless ``keep``."""
        stop_process(self.nginx)
        self.nginx = None
        for node in self.nodes:
            stop_process(node.process)
        if not self.keep:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _live(base_url: str) -> bool:
    try:
        return httpx.get(base_url + "/healthz/live", timeout=3).status_code == 200
    except httpx.HTTPError:
        return False
