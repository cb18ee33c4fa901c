"""The only writer: puts chart files into OUT without losing anyone's work.

OUT keeps a small state file listing what helmify-flts generated and the hash of each file.
Files it did not generate are never touched; generated files it no longer produces are removed;
a generated file edited by hand stops the run unless forced. The new tree is built beside OUT
and swapped in at once, so an interrupted run leaves OUT as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import field
from pathlib import Path

from . import inputfile, leftovers
from .errors import UserError, Where
from .filenames import check_path, check_tree, problem, sha256, short_hash
from .records import record

STATE = ".helmify-state.json"
# A state file lists a chart's files, a hundred bytes or so each: far below this for any chart.
STATE_MAX = 16 * 1024 * 1024
FIX_STATE = (
    f"delete {STATE} (then convert treats the chart's files as yours and needs --force once) or correct the entry"
)


def digest(text: str) -> str:
    sha = sha256()
    for chunk in _encoded(text):
        sha.update(chunk)
    return sha.hexdigest()


_CHUNK = 1 << 20


def _encoded(text: str) -> Iterator[bytes]:
    """``text`` as UTF-8, a slice at a time: the review report of a large chart is megabytes, and
    is not held a second time, encoded, to be hashed or written."""
    for start in range(0, len(text), _CHUNK):
        yield text[start : start + _CHUNK].encode("utf-8")


@record(eq=False)
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
    """The generated files recorded in OUT: relative path -> hash. The state file is input like
    any other (it comes with OUT from a branch), so every entry must name a plain path inside
    OUT that goes through no symbolic link; anything else is an error naming the state file."""
    path = out / STATE
    where = Where(str(path))
    if not path.exists() and not path.is_symlink():
        return {}
    check_path(out, STATE, "state file")
    try:
        data = json.loads(inputfile.read_bytes(path, STATE_MAX).decode("utf-8"))
    except (OSError, ValueError, inputfile.Refused) as exc:
        raise UserError(f"cannot read the state file ({exc}); {FIX_STATE}", where) from None
    except RecursionError:  # nesting no state file has
        raise UserError(f"cannot read the state file (it is nested too deeply); {FIX_STATE}", where) from None
    entries = data.get("files", {}) if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise UserError(f'"files" is not a mapping of paths to hashes; {FIX_STATE}', where)
    state: dict[str, str] = {}
    for rel, recorded in entries.items():
        why = problem(rel) or (None if isinstance(recorded, str) else "its hash is not a string")
        if why:
            raise UserError(f"entry {rel!r} is not a file inside {out}: {why}; {FIX_STATE}", where)
        try:
            check_path(out, rel, "state entry")
        except UserError as exc:
            raise UserError(f"entry {rel!r}: {exc.message}; {FIX_STATE}", where) from None
        state[rel] = recorded
    return state


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def make_plan(out: Path, files: dict[str, str]) -> Plan:
    """Compare the wanted files with OUT as it is."""
    check_tree(files)
    state = read_state(out)
    for rel in files:
        check_path(out, rel)
    create, update, remove, edited, foreign = [], [], [], [], []
    current: dict[str, str | None] = {}
    for rel, recorded in sorted(state.items()):
        if rel in files or not (out / rel).is_file():
            continue
        on_disk = _read(out / rel)
        current[rel] = on_disk
        remove.append(rel)
        if on_disk is None or digest(on_disk) != recorded:
            edited.append(rel)
    _check_shapes(out, list(files) + [STATE], set(remove))
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
    return Plan(tuple(create), tuple(update), tuple(remove), tuple(sorted(edited)), tuple(foreign), current)


def _check_shapes(out: Path, paths: list[str], going: set[str]) -> None:
    """A file of the user's where the chart needs a folder, or a folder where it needs a file,
    is an error before anything is written (generated files about to be removed do not count)."""
    for rel in sorted(paths):
        parts = rel.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            here = out / prefix
            if prefix not in going and here.exists() and not here.is_dir():
                raise UserError(
                    f"{here} is a file, but the chart needs a folder there (for {prefix}/"
                    f"{'/'.join(parts[i:])}); move or rename that file"
                )
        if (out / rel).is_dir():
            raise UserError(f"{out / rel} is a folder, but the chart writes a file there; move or rename that folder")


def unified_diff(out: Path, files: dict[str, str], plan: Plan, shown: Callable[[str], str] | None = None) -> str:
    """What would change in OUT, file by file; each file's old and new text as ``shown`` shows it
    (redact.for_review hides the Secrets' values in both)."""
    import difflib  # only --diff needs it

    chunks = []
    for rel in plan.changes:
        old = plan.current.get(rel) or ""
        new = files.get(rel, "")
        if shown is not None:
            old, new = shown(old), shown(new)
        chunks.extend(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=f"a/{(out / rel).as_posix()}",
                tofile=f"b/{(out / rel).as_posix()}",
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in chunks)


def write(out: Path, files: dict[str, str], plan: Plan) -> None:
    """Build the new OUT beside the old one and swap it in. Any failure (a full disk, a
    read-only folder) is a UserError, and OUT stays as it was."""
    out = out.absolute()
    if out.is_symlink():
        raise UserError(f"{out} is a symbolic link; give the folder it points to ({os.path.realpath(out)}) instead")
    if out.is_dir() and not out.stat().st_mode & stat.S_IWUSR:
        raise UserError(f"{out} is read-only; make it writable (chmod u+w) or give another output folder")
    umask = os.umask(0)
    os.umask(umask)
    mode = stat.S_IMODE(out.stat().st_mode) if out.is_dir() else 0o777 & ~umask
    staging: Path | None = None
    doing = out  # what is being written, for the message should it fail
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _clean_after_dead_runs(out)
        # mkdtemp makes the copy private (0700): it holds Secrets until it becomes OUT.
        staging = Path(tempfile.mkdtemp(prefix=f".{_stem(out)}.new-{leftovers.tag()}-", dir=out.parent))
        if out.is_dir():
            shutil.copytree(out, staging, symlinks=True, dirs_exist_ok=True)
            os.chmod(staging, 0o700)  # copytree gave it OUT's mode
        for rel in plan.remove:
            doing = out / rel
            target = check_path(staging, rel)
            target.unlink(missing_ok=True)
            _prune_empty(staging, target.parent)
        made: set[Path] = set()  # folders made (or found) already: a mkdir call per file cost more than its write
        for rel, text in files.items():
            doing = out / rel
            target = check_path(staging, rel)
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            if len(text) <= _CHUNK:
                target.write_bytes(text.encode("utf-8"))
            else:  # the review report of a large chart
                with target.open("wb") as stream:
                    stream.writelines(_encoded(text))
        doing = out / STATE
        state = {"generator": "helmify-flts", "files": {rel: digest(text) for rel, text in sorted(files.items())}}
        check_path(staging, STATE, "state file").write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        doing = out
        _swap_in(staging, out)
        os.chmod(out, mode)  # private until in place: a kill before this leaves OUT too private, never open
    except OSError as exc:
        raise UserError(_io_message(exc, staging, out, doing)) from None
    finally:
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _io_message(exc: OSError, staging: Path | None, out: Path, doing: Path) -> str:
    """What failed, named by its place in OUT rather than in the staging copy."""
    if isinstance(exc, shutil.Error):  # copytree gathers one error per file
        first = exc.args[0][0] if exc.args and exc.args[0] else ("", "", str(exc))
        what = f"cannot copy {first[0]}: {first[2]}"
    else:
        name = str(exc.filename) if exc.filename else str(doing)
        if staging is not None:
            name = name.replace(str(staging), str(out))
        what = f"cannot write {name}: {exc.strerror or exc}"
    return f"{what}; nothing was written and {out} was left as it was"


def _stem(out: Path) -> str:
    """OUT's name as used in the names of its staging folders: bounded, whatever OUT is called."""
    name = out.name
    return name if len(name.encode("utf-8", "surrogatepass")) <= 100 else f"{name[:40]}~{short_hash(name)}"


def _clean_after_dead_runs(out: Path) -> None:
    """Remove the staging copies, and the set-aside old charts, of runs that were killed. A run
    killed between the two renames of the fallback swap left no OUT at all: that is for the
    user to settle, not for a guess."""
    stem = _stem(out)
    leftovers.sweep(out.parent, f".{stem}.new-")
    for old in leftovers.dead(out.parent, f".{stem}.old-"):
        if not out.exists() and not out.is_symlink():
            raise UserError(
                f"{out} is missing and {old} holds the chart of an interrupted run; rename it "
                f"back to {out.name} (or delete it) and run again"
            )
        shutil.rmtree(old, ignore_errors=True)


def _prune_empty(root: Path, folder: Path) -> None:
    while root in folder.parents and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _swap_in(staging: Path, out: Path) -> None:
    if not out.exists():
        os.rename(staging, out)
        return
    if _exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)
        return
    old = out.with_name(f".{_stem(out)}.old-{leftovers.tag()}")
    os.rename(out, old)
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(old, out)  # put the previous chart back before reporting the failure
        raise
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    import ctypes.util  # only when a chart is replaced: it takes longer to import than a small conversion

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0
