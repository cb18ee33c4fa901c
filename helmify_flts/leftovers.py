"""Temporary folders that name their owner, so a later run can remove what a killed run left.

A folder's name carries the process that made it (its pid, and its start time so that a
reused pid is not taken for the owner) and a hash of the host name (runs on other machines
sharing the folder are never touched). Only folders whose owner is gone are removed, so a
concurrent run keeps its own.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
from functools import cache
from pathlib import Path

from .filenames import short_hash

_TAG = re.compile(r"(\d+)-(\d+)-([0-9a-f]{6})(?:-|$)")


@cache
def _host() -> str:
    # platform.node() is socket.gethostname() without importing socket, which costs more at start-up
    # than the rest of this module: on POSIX both read the node name of uname.
    return short_hash(platform.node(), 6)


def _started(pid: int) -> int:
    """The start time of a process in clock ticks since boot (Linux), or 0 where unknown."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = text[text.rfind(")") + 2 :].split()  # the command name may hold spaces and parentheses
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return 0


@cache
def tag() -> str:
    """This process, as it appears in the names of the folders it makes."""
    pid = os.getpid()
    return f"{pid}-{_started(pid)}-{_host()}"


def alive(pid: int, started: int) -> bool:
    """Whether the process that wrote this pid and start time still runs."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    except OSError:
        return True  # cannot tell: keep its folders
    now = _started(pid)
    return not (started and now and now != started)


def dead(folder: Path, prefix: str) -> list[Path]:
    """Folders in ``folder`` named ``prefix`` + an owner tag whose owner on this host is gone."""
    found = []
    try:
        # Named ones only, then sorted: the folder may be a busy /tmp, of which they are few.
        with os.scandir(folder) as scan:
            entries = sorted((e for e in scan if e.name.startswith(prefix)), key=lambda e: e.name)
    except OSError:
        return []
    for entry in entries:
        m = _TAG.match(entry.name, len(prefix))
        if not m or m.group(3) != _host() or alive(int(m.group(1)), int(m.group(2))):
            continue
        if entry.is_dir(follow_symlinks=False):
            found.append(Path(entry.path))
    return found


def sweep(folder: Path, prefix: str) -> None:
    """Remove what dead runs left in ``folder`` under ``prefix``."""
    for path in dead(folder, prefix):
        shutil.rmtree(path, ignore_errors=True)
