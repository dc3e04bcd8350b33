"""Native work (C extensions that hold the GIL or never yield) on OS threads, also
under gevent, where a greenlet running it would stall every request of the worker.

Bottom module: imports nothing of the project, so every room may use it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

T = TypeVar("T")


class Overrun(Exception):
    """The work did not finish in time, or every slot is held by work that did not."""


def _gevent_hub():  # type: ignore[no-untyped-def]
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("thread"):
        import gevent

        return gevent.get_hub()
    return None


def run_detached(work: Callable[[], None]) -> None:
    """Start ``work`` on an OS thread and return at once (index rebuilds: seconds of
    computing without yielding)."""
    hub = _gevent_hub()
    if hub is not None:
        hub.threadpool.spawn(work)
        return
    threading.Thread(target=work, daemon=True).start()


class NativeRunner:
    """Runs untrusted-input parsing with a time cap and a bounded number of slots.

    Work that overruns is abandoned, not killed (native code cannot be interrupted):
    it keeps its slot until it ends, so hostile inputs can at worst fill the slots, and
    then further work is refused at once rather than queued behind them.
    """

    def __init__(self, slots: int = 2) -> None:
        self._slots = threading.BoundedSemaphore(slots)
        self._pool: ThreadPoolExecutor | None = None
        self._size = slots

    def run(self, work: Callable[[], T], timeout: float) -> T:
        if not self._slots.acquire(blocking=False):
            raise Overrun("busy with earlier slow work; not read")

        def held() -> T:
            try:
                return work()
            finally:
                self._slots.release()

        hub = _gevent_hub()
        try:
            if hub is not None:
                return hub.threadpool.spawn(held).get(timeout=timeout)
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._size, thread_name_prefix="native")
            return self._pool.submit(held).result(timeout=timeout)
        except (FutureTimeout, TimeoutError) as exc:
            raise Overrun(f"took longer than {timeout:g} s; not read") from exc
        except Exception as exc:
            if type(exc).__name__ == "Timeout":  # gevent.Timeout, without importing gevent
                raise Overrun(f"took longer than {timeout:g} s; not read") from exc
            raise
