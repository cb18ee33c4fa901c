"""Chart file names made from input: safe, bounded, unique, and never outside the chart folder.

Manifests, rule files and values are untrusted (the tool runs on other people's pull requests),
yet their names become file names: ConfigMap names and keys under ``files/``, component names
under ``templates/``. Every such name goes through ``safe_name``, which is the identity on the
names Kubernetes allows and maps anything else (``..``, ``/``, NUL, newlines, over-long names,
names the chart's .helmignore would hide) to a plain name with a short hash of the original.
``FileNames`` makes whole paths unique, also on case-insensitive file systems, and
``check_path`` is the last check before anything is read or written.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import field
from pathlib import Path

from .errors import UserError
from .records import record

MAX_NAME = 255  # bytes in one file name: the limit of ext4, APFS and NTFS
MAX_PATH = 1024  # bytes in a chart-relative path: far below PATH_MAX (4096) once OUT is prepended
MAPPED_KEEP = 80  # characters of the original a mapped name keeps, so paths stay short
HELM_MAX_FILE = 5 * 1024 * 1024  # Helm refuses to load a chart holding a larger file

_SAFE = re.compile(r"[A-Za-z0-9._-]+")  # what Kubernetes allows in names and ConfigMap keys
_UNSAFE_CHAR = re.compile(r"[^A-Za-z0-9._-]")
_EXTENSION = re.compile(r"(\.[A-Za-z0-9]{1,10})$")

# The patterns of the chart's .helmignore (chart.HELMIGNORE; a test keeps both in step): Helm
# leaves such files out of the chart, so .Files.Get would read them back empty.
IGNORED = (
    ".DS_Store",
    ".git",
    ".gitignore",
    ".bzr",
    ".bzrignore",
    ".hg",
    ".hgignore",
    ".svn",
    "*.swp",
    "*.bak",
    "*.tmp",
    "*.orig",
    "*~",
    ".project",
    ".idea",
    "*.tmproj",
    ".vscode",
    "helmify-report.md",
    "helmify-report.json",
    ".helmify-state.json",
)


try:  # CPython's own SHA-256: hashlib loads OpenSSL first, which takes longer than a chart's hashing
    from _sha256 import sha256
except ImportError:  # pragma: no cover - another Python: the same digest from hashlib
    from hashlib import sha256


def short_hash(text: str, length: int = 10) -> str:
    return sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


# Every name of every file the chart holds is checked against all of the patterns: they are
# names and "*suffix"es only, matched with a set and str.endswith instead of fnmatch's regular
# expressions (compiling them was a millisecond of every run). tests/test_globs.py holds this
# to fnmatch.
_IGNORED_NAMES = frozenset(pattern for pattern in IGNORED if "*" not in pattern)
_IGNORED_ENDS = tuple(pattern[1:] for pattern in IGNORED if pattern.startswith("*"))


def ignored(name: str) -> bool:
    """Whether the chart's .helmignore hides a file or folder of this name."""
    return name in _IGNORED_NAMES or name.endswith(_IGNORED_ENDS)


def is_safe(name: str, limit: int = MAX_NAME) -> bool:
    return bool(_SAFE.fullmatch(name)) and name not in (".", "..") and len(name) <= limit and not ignored(name)


def safe_name(text: str, limit: int = MAX_NAME) -> str:
    """One path segment from untrusted text: unchanged when safe, else mapped with a hash."""
    if is_safe(text, limit):
        return text
    # A mapped name never starts with a dot: no "..", and no hidden folders made from odd names.
    cleaned = _UNSAFE_CHAR.sub("_", text).lstrip(".") or "_"
    return with_hash(cleaned, text, limit)


def with_hash(name: str, salt: str, limit: int = MAX_NAME) -> str:
    """``name`` made distinct by a hash of ``salt``, before its extension; ``~`` never occurs in a
    safe name, so a mapped name never equals one that was left alone."""
    tag = "~" + short_hash(salt)
    m = _EXTENSION.search(name)
    ext = m.group(1) if m and m.start() > 0 else ""
    stem = name[: len(name) - len(ext)][: min(MAPPED_KEEP, limit - len(tag) - len(ext))]
    out = stem + tag + ext
    return out if not ignored(out) else stem + ext + tag


def fold(path: str) -> str:
    """How a case-insensitive file system (macOS, Windows) sees a path."""
    return path.casefold()


@record(frozen=False, eq=False)
class FileNames:
    """Hands out chart paths for input-derived names: each owner gets one path, never shared
    with another owner, never a file where another needs a folder, never two paths that differ
    only in case. Deterministic: the same claims in the same order give the same paths."""

    reserved: frozenset[str] = frozenset()  # folded folders kept for others (files/<env>)
    _files: dict[str, str] = field(default_factory=dict)  # folded path -> owner
    _dirs: set[str] = field(default_factory=set)  # folded folder paths in use
    _given: dict[str, str] = field(default_factory=dict)  # owner -> path

    def claim(self, parts: Iterable[str], owner: str) -> str:
        """The path for ``parts`` (raw texts, one per segment) on behalf of ``owner``."""
        if owner in self._given:
            return self._given[owner]
        names = [safe_name(str(p)) for p in parts]
        for attempt in range(100):
            clash = self._clash(names, owner)
            if clash is None:
                break
            names[clash] = with_hash(names[clash], f"{owner}#{attempt}")
        else:  # pragma: no cover - needs a hundred hash collisions in a row
            raise UserError(f"cannot find a free chart file name for {owner}")
        path = "/".join(names)
        for i in range(1, len(names)):
            self._dirs.add(fold("/".join(names[:i])))
        self._files[fold(path)] = owner
        self._given[owner] = path
        return path

    def _clash(self, names: list[str], owner: str) -> int | None:
        """The first segment that collides with what others hold, or None."""
        for i in range(1, len(names) + 1):
            prefix = fold("/".join(names[:i]))
            if prefix in self.reserved:
                return i - 1
            if i < len(names):
                if prefix in self._files:
                    return i - 1
            elif prefix in self._dirs or self._files.get(prefix, owner) != owner:
                return i - 1
        return None


def check_sizes(files: dict[str, str]) -> None:
    """Helm refuses to load a chart holding a file over 5 MiB: say which, before any writing."""
    for rel, text in sorted(files.items()):
        # ASCII text (nearly every file, a dashboard too) is as long in UTF-8: not copied to count.
        size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
        if size > HELM_MAX_FILE:
            raise UserError(
                f"the chart file {rel} would be {size} bytes, over Helm's limit of 5 MiB per file; "
                "make the values behind it smaller or leave their resources out (--exclude)"
            )


def problem(rel: str) -> str | None:
    """Why ``rel`` is not a plain relative path inside a folder, or None."""
    if not rel:
        return "it is empty"
    if "\0" in rel:
        return "it contains a NUL character"
    if not (rel.isascii() and rel.isprintable()) and any(ord(c) < 32 or ord(c) == 127 for c in rel):
        return "it contains a control character"  # (a printable ASCII path, nearly every one, has none)
    if "\\" in rel:
        return "it contains a backslash"
    if rel.startswith("/") or re.match(r"[A-Za-z]:", rel):
        return "it is absolute"
    parts = rel.split("/")
    if ".." in parts:
        return "it climbs out through '..'"
    if any(p in ("", ".") for p in parts):
        return "it is not normalised (an empty or '.' part)"
    if any(len(p.encode("utf-8", "surrogatepass")) > MAX_NAME for p in parts):
        return f"a part is longer than {MAX_NAME} bytes"
    if len(rel.encode("utf-8", "surrogatepass")) > MAX_PATH:
        return f"it is longer than {MAX_PATH} bytes"
    return None


def check_tree(paths: Iterable[str]) -> None:
    """Chart paths that can all be written: plain, and no file where another needs a folder."""
    files: dict[str, str] = {}
    dirs: dict[str, str] = {}
    for rel in sorted(paths):
        why = problem(rel)
        if why:
            raise UserError(f"refusing to write the chart file {rel!r}: {why}")
        folded = fold(rel)
        if folded in files:
            raise UserError(f"the chart files {files[folded]} and {rel} differ only in case")
        files[folded] = rel
        parts = folded.split("/")
        for i in range(1, len(parts)):
            dirs.setdefault("/".join(parts[:i]), rel)
    for folded, rel in files.items():
        if folded in dirs:
            raise UserError(f"the chart needs {rel} both as a file and as a folder (for {dirs[folded]})")


def check_path(root: Path, rel: str, what: str = "chart file") -> Path:
    """``root / rel`` after checking it stays inside ``root``: a plain relative path that goes
    through no symbolic link. Returns the path; raises UserError otherwise."""
    why = problem(rel)
    if why:
        raise UserError(f"refusing the {what} {rel!r}: {why}")
    here = root
    for part in rel.split("/"):
        here = here / part
        try:
            mode = os.lstat(here).st_mode
        except (FileNotFoundError, NotADirectoryError):
            break  # what does not exist yet cannot lead anywhere
        except OSError as exc:
            raise UserError(f"{here}: {exc.strerror}") from None
        if stat.S_ISLNK(mode):
            raise UserError(
                f"{here} is a symbolic link, which helmify-flts does not follow for its {what}s; "
                "remove the link (or give another output folder)"
            )
    target = root / rel
    real_root = os.path.realpath(root)
    if os.path.commonpath([real_root, os.path.realpath(target)]) != real_root:
        raise UserError(f"refusing the {what} {rel!r}: it resolves outside {root}")
    return target
