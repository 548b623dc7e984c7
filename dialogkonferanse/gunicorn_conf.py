"""gunicorn settings for metrics shared by the worker processes (``--config
python:dialogkonferanse.gunicorn_conf``; the Dockerfile uses it). Only hooks: everything else
stays on the command line.

With ``PROMETHEUS_MULTIPROC_DIR`` set, each worker writes its metrics to files there
(dialogkonferanse/metrics.py). The directory is emptied when the server starts (files of an
earlier run would be added in), and a worker that exits takes its live gauges (connected
viewers) with it; its counters and histogram stay in the totals.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def on_starting(server: Any) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
