"""A chart held in memory, packed as the archive Helm loads, with no folder written.

The proof renders a chart that exists only in memory. Written to a temporary folder, its files
(Secrets among them) reach the disk outside OUT, and writing, loading and removing some fifty
files costs more than the render of a small chart. Helm also loads a chart from the bytes of a
``.tgz``; this module makes them, for the charts where the archive holds exactly the files
Helm's folder loader would read:

- files the chart's ``.helmignore`` hides are left out, as the folder loader leaves them out;
  a rule this module cannot read exactly as Helm does (a negation, a character class, an
  escape) makes it decline;
- every path must fit a plain ustar header (ASCII, at most 255 bytes in two parts).

Declining returns None, and the caller writes the folder as before. The archive is a plain
ustar stream (``tarfile`` costs more than the render it would save), in a gzip stream because
Helm reads nothing else, stored rather than compressed.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Mapping

from . import globs

_BLOCK = 512
# Helm's folder loader always hides dot files directly in templates/ (its default rule).
_DEFAULT_RULES = ("/templates/.?*",)


def pack(chart_name: str, files: Mapping[str, str]) -> bytes | None:
    """The gzip-compressed tar Helm loads as the chart ``files`` make, or None where it could
    differ from what Helm reads of the same files written to a folder."""
    rules = _rules(files.get(".helmignore", ""))
    folders = {rel.rpartition("/")[0] for rel in files}
    if rules is None or any(rel in folders for rel in files):
        return None  # a file where another needs a folder: the folder's writer says what is wrong
    out: list[bytes] = []
    for rel in sorted(files, key=lambda rel: rel.split("/")):  # the order of Helm's folder walk
        if _hidden(rel, rules):
            continue
        head = _header(f"{chart_name}/{rel}", len(data := files[rel].encode("utf-8")))
        if head is None:
            return None
        out += [head, data, b"\0" * (-len(data) % _BLOCK)]
    out.append(b"\0" * (2 * _BLOCK))
    # Stored, not compressed: Helm reads only gzip, and the bytes never leave the process.
    packer = zlib.compressobj(0, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # 16+: a gzip stream
    return packer.compress(b"".join(out)) + packer.flush()


def _rules(text: str) -> list[tuple[Callable[[str], bool], bool, bool]] | None:
    """(pattern, anchored to the chart's root, folders only) per rule, or None for a rule
    whose meaning to Helm is not plain glob matching."""
    rules = []
    for raw in (*text.splitlines(), *_DEFAULT_RULES):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("!") or any(c in line for c in "[]\\") or "**" in line:
            return None
        folders = line.endswith("/")
        pattern = line.rstrip("/")
        anchored = "/" in pattern
        rules.append((_glob(pattern.lstrip("/")), anchored, folders))
    return rules


def _glob(pattern: str) -> Callable[[str], bool]:
    """A pattern of ``*`` and ``?`` as Go's filepath.Match reads it: neither crosses a slash.
    A pattern with neither is compared, and a ``*``-only pattern without a slash (most of a
    .helmignore: ``*.swp``, ``.git``) is matched with string methods: a chart's rules compiled
    as regular expressions cost a millisecond of every run."""
    if "?" not in pattern and "/" not in pattern:
        star = globs.matcher(pattern)  # no slash on either side: fnmatch's "*" is Go's
        return lambda subject: "/" not in subject and star(subject)
    parts = re.split(r"([*?])", pattern)
    regex = re.compile("".join({"*": "[^/]*", "?": "[^/]"}.get(part) or re.escape(part) for part in parts))
    return lambda subject: regex.fullmatch(subject) is not None


def _hidden(rel: str, rules: list[tuple[Callable[[str], bool], bool, bool]]) -> bool:
    """Whether a rule hides the file, or a folder on its way: a rule without a slash matches a
    name at any depth, one with a slash matches the path from the chart's root."""
    parts = rel.split("/")
    for matches, anchored, folders in rules:
        for depth in range(1, len(parts) + 1):
            if folders and depth == len(parts):
                continue  # a rule for folders does not hide a file of the same name
            subject = "/".join(parts[:depth]) if anchored else parts[depth - 1]
            if matches(subject):
                return True
    return False


def _header(name: str, size: int) -> bytes | None:
    """A ustar header for a regular file (mode 0644, owner 0, time 0), or None when the name
    does not fit one."""
    if not name.isascii() or "\0" in name:
        return None
    raw = name.encode("ascii")
    prefix = b""
    if len(raw) > 100:
        cut = raw.rfind(b"/", 0, 156)  # the longest prefix that fits leaves the shortest name
        if cut <= 0 or len(raw) - cut - 1 > 100:
            return None
        prefix, raw = raw[:cut], raw[cut + 1 :]
    head = bytearray(_BLOCK)
    head[0 : len(raw)] = raw
    head[100:108] = b"0000644\0"
    head[108:116] = b"0000000\0"
    head[116:124] = b"0000000\0"
    head[124:136] = b"%011o\0" % size
    head[136:148] = b"00000000000\0"
    head[148:156] = b" " * 8  # the checksum is summed with its own field as spaces
    head[156:157] = b"0"
    head[257:265] = b"ustar\x0000"
    head[345 : 345 + len(prefix)] = prefix
    head[148:156] = b"%06o\0 " % sum(head)
    return bytes(head)
