"""The values one run hides wherever they appear: what its Secrets hold, and credentials given to
``verify`` (:mod:`redact` decides which; this module keeps them and finds them in a text).

A run (one command) owns its values. They live in a context variable that each command sets
(:func:`begin`), so two runs in one process (a library calling convert from two threads) neither
see nor forget each other's values; a thread a run starts (:class:`background.Call`) copies the
run's context, and hides the run's values too. A library that calls the conversion itself begins
no run: each build then holds its own values (:func:`for_build`), so that a long-lived caller does
not gather every value it ever converted until MAX_VALUES stops it.

Finding them costs one scan of a text, however many values are held: one regular expression whose
alternatives are the values as a trie (values that start alike share their start), built when a
text is hidden after a value was added (up to FEW values, each is searched for instead: most runs
hold a handful, and compiling costs more than that). Every occurrence is found, overlapping ones
too; overlapping occurrences are hidden as one, occurrences side by side each on its own. Bounds,
so that hostile Secrets cannot make a run slow or large:

- a value shorter than MIN_HELD characters is not held: one to three characters ("on", "dev", "1",
  "a") are parts of words and numbers everywhere, and hiding them would hide most of a report
  while telling a reader next to nothing (inside its Secret the value is hidden all the same);
- a value is found by its first MAX_KEY characters: where they appear, as many characters as the
  longest held value that starts with them are hidden. A value of a megabyte costs the pattern
  MAX_KEY characters, and a text that starts like a held value for that long is hidden as one;
- the pattern holds at most MAX_PATTERN characters: when the values' starts would take more, they
  are found by their first 32, then 16 characters (text that starts like one for that long is
  hidden as one); a run cannot hold more than MAX_VALUES values at all (``add`` says so).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from contextvars import ContextVar

MIN_HELD = 4
MAX_KEY = 64
MAX_PATTERN = 1 << 19  # about 1.5 s and 50 MB, once, to compile a pattern of this size
MAX_VALUES = MAX_PATTERN // 16
FEW = 16  # up to this many values, each is searched for: compiling a pattern would cost more


class Held:
    """The values one run hides. Not a record: the run adds to it while it loads its sources, and
    the threads it starts hide with it at the same time."""

    def __init__(self, begun: bool = False) -> None:
        self.begun = begun  # by a run (:func:`begin`), which its builds share; else one build's
        # A value's first MAX_KEY characters -> the length of the longest value starting with them.
        self._longest: dict[str, int] = {}
        self._scan: tuple[re.Pattern[str] | None, dict[str, int]] | None = (None, {})
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._longest)

    def add(self, values: Iterable[str]) -> bool:
        """Hide ``values`` (those of MIN_HELD characters or more) from now on; False when the run
        already holds MAX_VALUES values and the rest of them could not be held."""
        with self._lock:
            for value in values:
                if len(value) < MIN_HELD:
                    continue
                key = value[:MAX_KEY]
                if key not in self._longest and len(self._longest) >= MAX_VALUES:
                    return False
                if len(value) > self._longest.get(key, 0):
                    self._longest[key] = len(value)
                    self._scan = None
        return True

    def hide(self, data: str, mark: str) -> str:
        """``data`` with every held value in it replaced by ``mark``."""
        scan, longest = self._scan or self._scanner()
        found: list[tuple[int, int]]
        if scan is None:  # a few values (or none): a plain search for each costs less than a pattern
            found = []
            for key in longest:
                if key in data:  # called for every text shown: the common case first
                    at = data.find(key)
                    while at >= 0:
                        found.append((at, min(len(data), at + longest[key])))
                        at = data.find(key, at + 1)
            if not found:
                return data
            found.sort()
        else:
            found = [(m.start(), min(len(data), m.start() + longest[m.group(1)])) for m in scan.finditer(data)]
        out: list[str] = []
        last, start, end = 0, -1, -1
        for at, stop in found:
            if at < end:  # overlaps the occurrence before it: hidden with it
                end = max(end, stop)
                continue
            if end >= 0:
                out += [data[last:start], mark]
                last = end
            start, end = at, stop
        if end < 0:
            return data
        out += [data[last:start], mark, data[end:]]
        return "".join(out)

    def _scanner(self) -> tuple[re.Pattern[str] | None, dict[str, int]]:
        with self._lock:
            if self._scan is None:
                self._scan = _compiled(self._longest)
            return self._scan

    def __repr__(self) -> str:  # never the values
        return f"<Held: {len(self._longest)} values>"


def _compiled(longest: dict[str, int]) -> tuple[re.Pattern[str] | None, dict[str, int]]:
    """The pattern that finds the held values' starts (each occurrence's start, in a lookahead, so
    that overlapping ones are found too; None for FEW values or fewer, each searched for), and what
    each found start hides."""
    if len(longest) <= FEW:
        return None, dict(longest)
    for size in (MAX_KEY, 32, 16):
        keys: dict[str, int] = {}
        for key, length in longest.items():
            short = key[:size]
            keys[short] = max(keys.get(short, 0), length)
        if sum(map(len, keys)) <= MAX_PATTERN:
            break
    return _compile("(?=(" + _trie(sorted(keys), 0) + "))"), keys


# re.compile keeps every pattern in the module's cache of 512: a run's, made of the starts of its
# secrets and megabytes large, would outlive the run (and fill the cache in a long-lived process).
_compile = getattr(getattr(re, "_compiler", None), "compile", re.compile)


def _trie(keys: list[str], depth: int) -> str:
    """An alternation matching the longest of ``keys`` (sorted, distinct, sharing their first
    ``depth`` characters) that a text starts with: a run of characters the keys share is written
    once, and an alternative that goes on is tried before one that ends (longest first)."""
    terminal = len(keys[0]) == depth  # sorted: a key that ends here comes first
    alternatives = []
    i = 1 if terminal else 0
    while i < len(keys):
        char = keys[i][depth]
        j = i + 1
        while j < len(keys) and keys[j][depth] == char:
            j += 1
        first, last = keys[i], keys[j - 1]
        shared = depth + 1
        while shared < min(len(first), len(last)) and first[shared] == last[shared]:
            shared += 1
        run = re.escape(first[depth:shared])
        alternatives.append(run if j - i == 1 and len(first) == shared else run + _trie(keys[i:j], shared))
        i = j
    body = "|".join(alternatives)
    if terminal:  # possessive: nothing follows in the pattern, so what went on is never given back
        return f"(?:{body})?+"
    return body if len(alternatives) == 1 else f"(?:{body})"


# ----------------------------------------------------------------------------- the run's values

_RUN: ContextVar[Held | None] = ContextVar("helmify_flts_held_values", default=None)


def begin() -> Held:
    """Start a run in this context: no values are held."""
    run = Held(begun=True)
    _RUN.set(run)
    return run


def for_build() -> None:
    """A build starts: it adds to the run begun in this context, or, where none was (a library
    calling the conversion itself), holds its own values from now on, none of an earlier build's."""
    run = _RUN.get()
    if run is None or not run.begun:
        _RUN.set(Held())


def end() -> None:
    """End the run in this context: its values are no longer held, nor any a library call made
    before it held (as a run that begins forgets them)."""
    _RUN.set(None)


def current() -> Held:
    """This run's values; a context that started no run (a library calling the conversion itself)
    gets one of its own, kept until a command begins or ends in it or a build starts."""
    run = _RUN.get()
    if run is None:
        run = Held()
        _RUN.set(run)
    return run


def hide(data: str, mark: str) -> str:
    """``data`` with every value this run holds replaced by ``mark``."""
    run = _RUN.get(None)
    return data if run is None else run.hide(data, mark)
