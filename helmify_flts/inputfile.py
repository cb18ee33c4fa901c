"""Reading one file of untrusted input: a regular file only, of bounded size, never waiting.

A pull request can hold a symbolic link to ``/dev/zero`` or ``/proc/self/environ``, and a folder
in CI can hold a named pipe: read as they are, the first never ends, the second shows the CI
job's environment, the third waits forever. Every input file is opened here, without blocking,
and refused unless it is a regular file; a caller that knows its folder also refuses a link that
leads out of it (:func:`outside`), as kustomize does for the files a kustomization names.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class Refused(Exception):
    """Why a file was not read, as a clause: "it is a named pipe, not a regular file"."""

    def __init__(self, reason: str, over_limit: bool = False) -> None:
        super().__init__(reason)
        self.over_limit = over_limit  # it holds more bytes than the reader asked for at most


def _what(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The bytes of the regular file at ``path`` (a link is followed), at most ``limit`` of them;
    raises :class:`Refused` for anything else, and OSError where it cannot be read."""
    # O_NONBLOCK: opening a named pipe for reading would otherwise wait for a writer.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            what = _what(info.st_mode)
            raise Refused(f"it is {what}, not a regular file" if what.startswith("a ") else "it is not a regular file")
        if limit is not None and info.st_size > limit:
            raise Refused(f"it is {info.st_size} bytes, over the limit of {limit} bytes", over_limit=True)
        # Straight from the descriptor, asking for one byte more than the file holds: a regular
        # file gives it whole in one read, and the next read says it ended (a buffered stream
        # around the descriptor cost a third of reading a folder of small files).
        cap = limit + 1 if limit is not None else None
        chunks, total = [], 0
        while cap is None or total < cap:
            want = max(info.st_size + 1 - total, _CHUNK)
            chunk = os.read(fd, want if cap is None else min(want, cap - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    finally:
        os.close(fd)
    if limit is not None and total > limit:  # it grew while being read
        raise Refused(f"it is over the limit of {limit} bytes", over_limit=True)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


_CHUNK = 1 << 16  # what a read asks for beyond the size the file had when it was opened


def outside(path: Path, folder: Path) -> str | None:
    """Where the symbolic link ``path`` (inside ``folder``) leads when that is outside ``folder``
    (a link at any step of the way counts), else None."""
    real = os.path.realpath(path)
    root = os.path.realpath(folder)
    return real if os.path.commonpath([root, real]) != root else None
