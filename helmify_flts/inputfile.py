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
    with os.fdopen(fd, "rb") as stream:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            what = _what(info.st_mode)
            raise Refused(f"it is {what}, not a regular file" if what.startswith("a ") else "it is not a regular file")
        if limit is not None and info.st_size > limit:
            raise Refused(f"it is {info.st_size} bytes, over the limit of {limit} bytes")
        data = stream.read() if limit is None else stream.read(limit + 1)
    if limit is not None and len(data) > limit:  # it grew while being read
        raise Refused(f"it is over the limit of {limit} bytes")
    return data


def outside(path: Path, folder: Path) -> str | None:
    """Where the symbolic link ``path`` (inside ``folder``) leads when that is outside ``folder``
    (a link at any step of the way counts), else None."""
    real = os.path.realpath(path)
    root = os.path.realpath(folder)
    return real if os.path.commonpath([root, real]) != root else None
