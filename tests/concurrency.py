"""Calls released at the same moment, one thread each, for the tests of races."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def at_once(*calls: Callable[[], Any], timeout: float = 30) -> list[Any]:
    """Run each of ``calls`` in a thread of its own, all released together by a barrier, and
    return what each returned or raised (an exception is returned, not raised), in the order
    they finished. Each thread closes its database connection when done."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = []

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(call())
        except Exception as exc:  # returned to the test, which asserts on it
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return outcomes
