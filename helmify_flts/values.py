"""The values tree: what each key holds, why (documentation), and its values.yaml text.

Lifted scalars keep their source node, so values.yaml spells them exactly as the manifest did
and Helm reads them back with the same meaning Kubernetes gave the original.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator
from dataclasses import field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import kyaml
from .records import record
from .templating import key_line, printable

Tree = dict  # str -> Leaf | Tree


@record(frozen=False)
class Leaf:
    """One values key: its value as a node, its documentation and where it came from."""

    node: Node
    doc: str
    sources: list[str] = field(default_factory=list)
    origin: str = ""  # where the value came from, in the words of the comment's last line

    @property
    def value(self) -> Any:
        return kyaml.construct(self.node)


def dotted(key: tuple[str, ...]) -> str:
    """A values key as Helm's --set writes it, for people to read: dots inside a segment escaped
    (``a.b\\.c``), so that a key such as ``prometheus.io/scrape`` is not read as nesting."""
    return ".".join(part.replace(".", "\\.") for part in key)


class ValuesConflict(Exception):
    """Two places want one key with different values (or a key and a branch collide)."""

    def __init__(self, path: tuple[str, ...], existing: str) -> None:
        super().__init__(".".join(path))
        self.path = path
        self.existing = existing


class Values:
    """An ordered tree of :class:`Leaf` objects."""

    def __init__(self) -> None:
        self.root: Tree = {}

    def put(self, path: tuple[str, ...], value: Node | Any, doc: str, source: str, origin: str = "") -> Leaf:
        """Set ``path``; an equal value already there is shared, a different one is a conflict."""
        node = value if isinstance(value, Node) else kyaml.represent(value)
        tree = self.root
        for i, part in enumerate(path[:-1]):
            nxt = tree.get(part)
            if nxt is None:
                nxt = tree[part] = {}
            elif isinstance(nxt, Leaf):
                if not _spreadable(nxt.node):
                    raise ValuesConflict(path[: i + 1], "; ".join(nxt.sources) or "a value")
                # A team's layout keeps keys beside an image's parts (image.pullPolicy).
                nxt = tree[part] = _spread(nxt)
            tree = nxt
        last = path[-1]
        existing = tree.get(last)
        if existing is None:
            leaf = tree[last] = Leaf(node, doc, [source] if source else [], origin)
            return leaf
        if isinstance(existing, dict):
            if _spreadable(node) and not set(existing) & {kyaml.construct(k) for k, _ in node.value}:
                spread = _spread(Leaf(node, doc, [source] if source else [], origin))
                existing.update(spread)
                return next(iter(spread.values()))
            raise ValuesConflict(path, "keys below it")
        if existing.value != kyaml.construct(node):
            raise ValuesConflict(path, "; ".join(existing.sources) or "a value")
        if source and source not in existing.sources:
            existing.sources.append(source)
        return existing

    def get(self, path: tuple[str, ...]) -> Leaf | Tree | None:
        node: Any = self.root
        for part in path:
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def leaves(self) -> Iterator[tuple[tuple[str, ...], Leaf]]:
        yield from _leaves(self.root, ())

    def plain(self) -> dict:
        """The values as plain Python data (what Helm sees by default)."""
        return _plain(self.root)


def _spreadable(node: Node) -> bool:
    """A mapping of scalars under plain keys: one values key per entry holds the same."""
    return (
        isinstance(node, MappingNode)
        and bool(node.value)
        and all(isinstance(k, ScalarNode) and isinstance(v, ScalarNode) for k, v in node.value)
        and all(isinstance(kyaml.construct(k), str) for k, _ in node.value)
    )


def _spread(leaf: Leaf) -> Tree:
    return {kyaml.construct(k): Leaf(v, leaf.doc, list(leaf.sources), leaf.origin) for k, v in leaf.node.value}


_UNPRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# The ASCII characters _UNPRINTABLE allows: deleting them from an ASCII text leaves what it refuses,
# six times faster than the search on a long text (a dashboard).
_PRINTABLE_ASCII = bytes([9, 10, 13, *range(0x20, 0x7F)])


def block_breaks(value: Any) -> str | None:
    """Why Helm's toYaml, which writes the maps and lists values hold, cannot carry this text:
    a line separator (U+2028, U+2029) in text of several lines, which it writes raw inside a
    literal block, where YAML reads it as a line break and the block's indentation breaks. (Text
    of one line it quotes; toJson, which writes a value that stands alone, escapes both.)"""
    if isinstance(value, str) and "\n" in value and not value.isascii() and ("\u2028" in value or "\u2029" in value):
        return "a line separator (U+2028 or U+2029) in text of several lines, which Helm's toYaml writes raw"
    return None


def inexpressible(value: Any) -> str | None:
    """Why Helm's values (JSON numbers, null deleting map keys) cannot carry a value, if so."""
    if isinstance(value, str):
        # Characters YAML does not allow raw: Helm's toYaml gives up on them (it renders nothing)
        # and its toJson writes them raw, so no way of reading them back works.
        unprintable = "a control character that Helm's toYaml and toJson cannot write back"
        if value.isascii():  # nearly every text (a dashboard too): no NEL, and a quicker test
            return unprintable if value.encode().translate(None, _PRINTABLE_ASCII) else None
        # Helm's toJson writes U+0085 raw inside double quotes, where YAML reads it as a line break.
        if "\x85" in value:
            return "a NEL character (U+0085), which Helm's toJson writes raw and YAML reads as a line break"
        return unprintable if _UNPRINTABLE.search(value) else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return "an integer beyond 2^53 loses digits (Helm holds numbers as float64)" if abs(value) > 2**53 else None
    if isinstance(value, float):
        if not math.isfinite(value):
            return "NaN or infinity"
        # Helm writes a whole float below 1e21 as its shortest digits padded with zeros, which
        # reads back as an integer; past 2^53 that integer is another number.
        if value.is_integer() and 2**53 < abs(value) < 1e21:
            return "a whole number beyond 2^53 written as a float comes back as a different integer"
        return None
    if isinstance(value, (dict, list)):
        # Walked once per container, not per use: YAML aliases share them.
        seen: set[int] = set()
        stack = [value]
        while stack:
            current = stack.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            items = current.values() if isinstance(current, dict) else current
            if isinstance(current, dict) and any(v is None for v in items):
                return "a null inside a map is dropped"
            # A key is written as text is: toYaml writes a NEL or a control character in it raw too.
            for key in current if isinstance(current, dict) else ():
                reason = inexpressible(key) if isinstance(key, str) and not key.isalnum() else None
                if reason:
                    return f"a key holding {reason}"
            for item in items:
                if isinstance(item, (dict, list)):
                    stack.append(item)
                else:
                    reason = inexpressible(item) or block_breaks(item)
                    if reason:
                        return reason
    return None


def _leaves(tree: Tree, prefix: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Leaf]]:
    for key, item in tree.items():
        if isinstance(item, Leaf):
            yield prefix + (key,), item
        else:
            yield from _leaves(item, prefix + (key,))


def _plain(tree: Tree) -> dict:
    return {k: (v.value if isinstance(v, Leaf) else _plain(v)) for k, v in tree.items()}


def dump(values: Values, header: str) -> str:
    """values.yaml text: helm-docs ``# --`` comments above documented keys."""
    lines = [f"# {printable(line)}" if line else "#" for line in header.splitlines()]
    lines.append("")
    for i, (key, item) in enumerate(values.root.items()):
        if i:
            lines.append("")
        _entry(key, item, 0, lines)
    return "\n".join(lines) + "\n"


@functools.lru_cache(maxsize=4096)  # keys repeat in every component (enabled, image, resources)
def _key_text(key: str) -> str:
    return kyaml.scalar_text(kyaml.represent(key))


def _doc_lines(doc: str, pad: str, out: list[str]) -> None:
    # Docs name source files, whose names may hold characters a YAML comment cannot.
    doc = doc.strip()
    if doc.isascii() and doc.replace("\n", " ").replace("\t", " ").isprintable():
        text = doc.split("\n")  # what printable keeps as it is (most docs)
    else:
        text = [printable(line) for line in doc.splitlines()] or [""]
    out.append(f"{pad}# -- {text[0]}")
    for line in text[1:]:  # mostly one: where the value came from
        out.append(f"{pad}# {line}".rstrip())


def _entry(key: str, item: Leaf | Tree, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(item, dict):
        out.extend(key_line(pad, _key_text(key), "" if item else " {}"))
        for k, v in item.items():
            _entry(k, v, indent + 2, out)
        return
    doc = f"{item.doc}\n{item.origin}" if item.origin else item.doc
    if doc:
        _doc_lines(doc, pad, out)
    out.extend(_node_entry(_key_text(key), item.node, indent))


def _node_entry(key_text: str, node: Node, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(node, ScalarNode):
        if "\n" in node.value and node.tag == kyaml.STR and not any(c in node.value for c in _OTHER_BREAKS):
            block = _block_scalar(node)
            if block:
                lines = key_line(pad, key_text, f" {block[0]}") + [(pad + line) if line else "" for line in block[1:]]
                if kyaml.load_all("\n".join(line[indent:] for line in lines) + "\n") == [
                    {kyaml.load_all(key_text)[0]: node.value}
                ]:
                    return lines
        return key_line(pad, key_text, f" {kyaml.scalar_text(node)}")
    if not node.value:
        return key_line(pad, key_text, f" {'{}' if isinstance(node, MappingNode) else '[]'}")
    return key_line(pad, key_text, "") + _block(node, indent + 2)


# YAML 1.1 line breaks besides \n: inside a block scalar go-yaml ends the line there and then
# misreads the rest, so such text is written double-quoted, where they are escaped.
_OTHER_BREAKS = ("\x85", "\u2028", "\u2029")


def _block(node: Node, indent: int) -> list[str]:
    """Lines of a mapping or sequence node in block style at ``indent``."""
    pad = " " * indent
    out: list[str] = []
    if isinstance(node, MappingNode):
        for k, v in node.value:
            out.extend(_node_entry(kyaml.scalar_text(k), v, indent))
        return out
    for item in node.value:
        if isinstance(item, (MappingNode, SequenceNode)) and item.value:
            inner = _block(item, indent + 2)
            out.append(f"{pad}- {inner[0][indent + 2 :]}")
            out.extend(inner[1:])
        elif isinstance(item, (MappingNode, SequenceNode)):
            out.append(f"{pad}- {'{}' if isinstance(item, MappingNode) else '[]'}")
        else:
            out.append(f"{pad}- {kyaml.scalar_text(item)}")
    return out


def _block_scalar(node: ScalarNode) -> list[str] | None:
    """A multi-line string as a literal block: header line, then content lines (root-indented)."""
    events = [
        yaml.StreamStartEvent(),
        yaml.DocumentStartEvent(explicit=False),
        yaml.ScalarEvent(None, None, (False, True), node.value, style="|"),
        yaml.DocumentEndEvent(explicit=False),
        yaml.StreamEndEvent(),
    ]
    text = yaml.emit(events, Dumper=kyaml.Dumper)
    # "|+" keeps trailing blank lines, so whatever follows in the file would join the value.
    if not text.startswith("|") or "+" in text.split("\n", 1)[0]:
        return None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if lines and lines[-1] == "...":
        lines.pop()
    return lines
