"""The values one run hides wherever they appear: what its Secrets hold, and credentials given to
``verify`` (:mod:`redact` decides which; this module keeps them and finds them in a text).

A run (one command) owns its values. They live in a context variable that each command sets
(:func:`begin`), so two runs in one process (a library calling convert from two threads) neither
see nor forget each other's values; a thread a run starts (:class:`background.Call`) copies the
run's context, and hides the run's values too.

A value shorter than MIN_HELD characters is not held: one to three characters ("on", "dev", "1",
"a") are parts of words and numbers everywhere, and hiding them would hide most of a report while
telling a reader next to nothing (inside its Secret the value is hidden all the same).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from contextvars import ContextVar, Token

MIN_HELD = 4


class Held:
    """The values one run hides. Not a record: the run adds to it while it loads its sources, and
    the threads it starts hide with it at the same time."""

    def __init__(self) -> None:
        self._values: list[str] = []  # longest first, so a value holding another is hidden whole
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._values)

    def add(self, values: Iterable[str]) -> bool:
        """Hide ``values`` (those of MIN_HELD characters or more) from now on."""
        with self._lock:
            held = set(self._values) | {v for v in values if len(v) >= MIN_HELD}
            self._values = sorted(held, key=lambda t: (-len(t), t))
        return True

    def hide(self, data: str, mark: str) -> str:
        """``data`` with every held value in it replaced by ``mark``."""
        for value in self._values:
            if value in data:
                data = data.replace(value, mark)
        return data

    def __repr__(self) -> str:  # never the values
        return f"<Held: {len(self._values)} values>"


# ----------------------------------------------------------------------------- the run's values

_RUN: ContextVar[Held | None] = ContextVar("helmify_flts_held_values", default=None)


def begin() -> Token:
    """Start a run in this context: no values are held; :func:`end` with what this returns goes
    back to what was held before."""
    return _RUN.set(Held())


def end(token: Token) -> None:
    """End the run :func:`begin` started: its values are no longer held."""
    _RUN.reset(token)


def current() -> Held:
    """This run's values; a context that started no run (a library calling the conversion itself)
    gets one of its own, kept until a run begins in it."""
    run = _RUN.get()
    if run is None:
        run = Held()
        _RUN.set(run)
    return run


def hide(data: str, mark: str) -> str:
    """``data`` with every value this run holds replaced by ``mark``."""
    run = _RUN.get(None)
    return data if run is None else run.hide(data, mark)
