"""Regular expressions compiled ahead of time, for the command's start-up.

Python compiles a regular expression in Python code (``re._compiler``), and a convert compiles
about a hundred of them as it imports its modules and its libraries: some 30 ms of a 0.34 s run,
all of it on the main thread before the first manifest is read. PyYAML's reader alone spends
9 ms on one character class over all of Unicode. What a compile makes, the engine's code, depends
only on the pattern, its flags and the Python build. precompiled_table.py keeps that code for the
patterns a run compiles from program text (a module's constants), and ``install`` puts them in
``re``'s own cache, where ``re.compile`` looks first. Patterns made from input text (names, globs,
Secret values) are never recorded.

On any Python build other than the one the table was made on, ``install`` does nothing and ``re``
compiles as always: the table can make a run faster, never different. A pattern whose text changed
(a library upgrade, an edited module) is simply not found in it.

precompile.py remakes the table (from the repository root: ``python -m helmify_flts.precompile
--write``); tests/test_precompiled.py checks that it matches what ``re`` compiles and that it
holds the package's own patterns.
"""

from __future__ import annotations

import _sre
import re
import sys

# Imported by the package itself, before anything compiles: it imports nothing a run does not.
_recording = False  # while the table is made, install() must not hide the compiles it records


def build() -> tuple:
    """What the engine's code depends on besides the pattern: the Python release and the engine's
    format and limits."""
    return (
        tuple(sys.version_info[:3]),
        sys.implementation.name,
        _sre.MAGIC,
        _sre.CODESIZE,
        _sre.MAXREPEAT,
        _sre.MAXGROUPS,
    )


def install() -> int:
    """Put the table's patterns in ``re``'s cache, unless it was made on another build. Returns how
    many were added (0 on another build, or once they are in)."""
    if _recording:
        return 0
    from . import precompiled_table as table

    if table.BUILD != build():
        return 0
    cache: dict = re._cache  # type: ignore[attr-defined]  # re.compile's own lookup: (type, pattern, flags)
    added = 0
    for key, (flags, code, groups, groupindex, indexgroup) in table.PATTERNS.items():
        if key not in cache:
            cache[key] = _sre.compile(key[1], flags, list(code), groups, dict(groupindex), indexgroup)
            added += 1
    return added
