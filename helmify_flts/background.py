"""A call run in a thread of its own, whose result (or error) the caller takes when it needs it.

The kustomize builds run so beside the imports, and the Helm render beside the report. A pool
would cost importing concurrent.futures and logging before the first call can start. The call
runs in a copy of its starter's context: it hides the values of the starter's run
(:mod:`heldvalues`), not those of whatever else runs in the process.
"""

from __future__ import annotations

import contextvars
import threading
from typing import Any


class Pending:
    """A result that another thread settles: what a call returned, or what it raised. Waited for
    on an Event, not Thread.join: on Python 3.11 a join interrupted by Ctrl-C marks the thread as
    ended while it runs, and every later join returns at once (a build then leaves its folder
    behind)."""

    def __init__(self) -> None:
        self._out: Any = None
        self._exc: BaseException | None = None
        self._done = threading.Event()

    def settle(self, fn: Any, *args: Any) -> None:
        """Run ``fn(*args)`` here and keep its result or error for :meth:`result`."""
        try:
            self._out = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
            self._exc = exc
        finally:
            self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the result is in, waiting at most ``timeout`` seconds (None: until it is)."""
        return self._done.wait(timeout)

    def result(self, timeout: float | None = None) -> Any:
        """What the call returned, or raised; TimeoutError if it is still running after ``timeout``."""
        if not self.wait(timeout):
            raise TimeoutError("the call is still running")
        if self._exc is not None:
            raise self._exc
        return self._out


class Call(Pending):
    """``fn(*args)`` started in a thread named ``name``; :meth:`result` waits for it. Not a record:
    it holds a running thread, not data."""

    def __init__(self, name: str, fn: Any, *args: Any) -> None:
        super().__init__()
        context = contextvars.copy_context()  # the starter's run (see the module's docstring)
        self._thread = threading.Thread(target=context.run, args=(self.settle, fn, *args), name=name)
        self._thread.start()
