"""The only writer: puts chart files into OUT without losing anyone's work.

OUT keeps a small state file listing what helmify-flts generated and the hash of each file.
Files it did not generate are never touched; generated files it no longer produces are removed;
a generated file edited by hand stops the run unless forced. The new tree is built beside OUT
and swapped in at once, so an interrupted run leaves OUT as it was.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import difflib
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

STATE = ".helmify-state.json"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Plan:
    """What writing ``files`` into OUT would do."""

    create: tuple[str, ...] = ()
    update: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    edited: tuple[str, ...] = ()
    foreign: tuple[str, ...] = ()
    current: dict[str, str | None] = field(default_factory=dict)

    @property
    def changes(self) -> tuple[str, ...]:
        return tuple(sorted(self.create + self.update + self.remove))


def read_state(out: Path) -> dict[str, str]:
    try:
        data = json.loads((out / STATE).read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.get("files", {}).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def make_plan(out: Path, files: dict[str, str]) -> Plan:
    """Compare the wanted files with OUT as it is."""
    state = read_state(out)
    create, update, remove, edited, foreign = [], [], [], [], []
    current: dict[str, str | None] = {}
    for rel, text in sorted(files.items()):
        on_disk = _read(out / rel) if (out / rel).is_file() else None
        current[rel] = on_disk
        if on_disk is None:
            create.append(rel)
        elif on_disk != text:
            update.append(rel)
            if rel not in state:
                foreign.append(rel)
            elif digest(on_disk) != state[rel]:
                edited.append(rel)
    for rel, recorded in sorted(state.items()):
        if rel in files or not (out / rel).is_file():
            continue
        on_disk = _read(out / rel)
        current[rel] = on_disk
        remove.append(rel)
        if on_disk is None or digest(on_disk) != recorded:
            edited.append(rel)
    return Plan(tuple(create), tuple(update), tuple(remove), tuple(sorted(edited)), tuple(foreign), current)


def unified_diff(out: Path, files: dict[str, str], plan: Plan) -> str:
    chunks = []
    for rel in plan.changes:
        old = plan.current.get(rel) or ""
        new = files.get(rel, "")
        chunks.extend(difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True),
            fromfile=f"a/{(out / rel).as_posix()}", tofile=f"b/{(out / rel).as_posix()}",
        ))
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in chunks)


def write(out: Path, files: dict[str, str], plan: Plan) -> None:
    """Build the new OUT beside the old one and swap it in."""
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private; a chart folder is not
    try:
        if out.is_dir():
            shutil.copytree(out, staging, symlinks=True, dirs_exist_ok=True)
        for rel in plan.remove:
            (staging / rel).unlink(missing_ok=True)
            _prune_empty(staging, (staging / rel).parent)
        for rel, text in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))
        state = {"generator": "helmify-flts", "files": {rel: digest(text) for rel, text in sorted(files.items())}}
        (staging / STATE).write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        _swap_in(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _prune_empty(root: Path, folder: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _swap_in(staging: Path, out: Path) -> None:
    if not out.exists():
        os.rename(staging, out)
        return
    if _exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    os.rename(out, old)
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(old, out)  # put the previous chart back before reporting the failure
        raise
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0
