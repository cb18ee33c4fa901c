"""Checks on one composed YAML document, so that it means what it means to Kubernetes.

One pass over the nodes refuses what go-yaml (through sigs.k8s.io/yaml) refuses, and what is
too big to handle, and rewrites explicitly tagged scalars into the plain values go-yaml
decodes them to. Aliases are counted, never expanded.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .kyaml import (
    BINARY,
    BOOL,
    FLOAT,
    INT,
    MAP,
    MERGE,
    NULL,
    SEQ,
    STR,
    TIMESTAMP,
    DocumentError,
    construct,
    int_value,
    json_key,
    resolve_plain,
)

# Limits on one document, stated in the README. Aliases (*name) repeat what they name, so a
# kilobyte of YAML can stand for billions of nodes. Kubernetes' go-yaml refuses a document in
# which too many of the nodes it decodes come from aliases (ALIAS_RATIO_* below, its own
# numbers); text repeated by aliases is bounded too, and deeper nesting than any real object
# is refused before Python's recursion limit could turn it into a crash.
MAX_DEPTH = 200
MAX_EXPANDED_CHARS = 64 * 1024 * 1024
# Aliases are expanded into nodes of their own (see _unshare) up to this much: what hand-written
# anchors share (labels, resources, env lists). A document that repeats more keeps its sharing,
# and its templates their anchors, rather than the conversion growing with the expansion.
UNSHARE_NODES = 20_000
UNSHARE_CHARS = 1024 * 1024
ALIAS_RATIO_LOW, ALIAS_RATIO_HIGH = 400_000, 4_000_000


def check(root: Node, text: str, aliases: bool, bang: bool) -> None:
    """One pass over a document: depth, duplicate keys, explicit tags; then alias expansion.

    ``aliases`` and ``bang`` say whether the file's text has a ``*`` and a ``!`` at all; without
    them no node can be shared, and no tag be explicit. This runs on every node of every
    manifest, so scalars are handled where their parent is."""
    if type(root) is ScalarNode:
        if root.tag != STR:
            _scalar(root, bang, text)
        return
    seen: set[int] = {id(root)}
    shared = False
    simple = not (aliases or bang)  # the usual case: only collections and keys need a look
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep(node)
        if simple and type(node) is MappingNode and node.tag == MAP:
            pairs = node.value
            # Without '!' in the text every collection is tagged map or seq, so a !!str key is a
            # scalar; keys all strings and all different is the common case, checked in C.
            if len({key.value for key, _ in pairs if key.tag == STR}) == len(pairs):
                deeper = depth + 1
                stack.extend([(value, deeper) for _, value in pairs if type(value) is not ScalarNode])
                continue
        if type(node) is SequenceNode:
            if node.tag != SEQ:
                node.tag = SEQ  # go-yaml ignores tags on collections
            children = node.value
        else:
            if node.tag != MAP:
                node.tag = MAP
            children = _keys_checked(node, bang, text)
        if simple:
            deeper = depth + 1
            stack.extend([(child, deeper) for child in children if type(child) is not ScalarNode])
            continue
        for child in children:
            if aliases:
                if id(child) in seen:
                    shared = True
                    continue
                seen.add(id(child))
            if type(child) is ScalarNode:
                if child.tag != STR:
                    _scalar(child, bang, text)
            else:
                stack.append((child, depth + 1))
    if shared:
        aliased, chars = _check_expansion(root, text)
        if aliased <= UNSHARE_NODES and chars <= UNSHARE_CHARS:
            _unshare(root)


def _unshare(root: Node) -> None:
    """Give every place an alias fills a node of its own, as Kubernetes decodes it.

    Downstream, a node met twice would be emitted with YAML anchors (``&id001 app``) in the
    templates and values, and one edit would show in both places. The expansion is bounded by
    :func:`_check_expansion`, which ran first. Each copy is shallow: its children are met by the
    walk in turn, and copied where they are shared too."""
    seen: set[int] = {id(root)}
    stack: list[Node] = [root]

    def own(node: Node) -> Node:
        if id(node) in seen:
            node = _fresh(node)
        seen.add(id(node))
        if type(node) is not ScalarNode:
            stack.append(node)
        return node

    while stack:
        node = stack.pop()
        if type(node) is MappingNode:
            node.value = [(own(key), own(value)) for key, value in node.value]
        else:
            node.value = [own(item) for item in node.value]


def _fresh(node: Node) -> Node:
    if type(node) is ScalarNode:
        return ScalarNode(node.tag, node.value, node.start_mark, node.end_mark, style=node.style)
    if type(node) is MappingNode:
        return MappingNode(node.tag, list(node.value), node.start_mark, node.end_mark, flow_style=node.flow_style)
    return SequenceNode(node.tag, list(node.value), node.start_mark, node.end_mark, flow_style=node.flow_style)


def _keys_checked(node: MappingNode, bang: bool, text: str) -> list[Node]:
    """The mapping's values and non-scalar keys, once its scalar keys are read and found unique,
    as sigs.k8s.io/yaml requires (keys compare as the JSON keys they become)."""
    pairs = node.value
    children: list[Node] = []
    first: dict[str, Node] = {}
    for key, value in pairs:
        children.append(value)
        if type(key) is not ScalarNode:
            children.append(key)
            continue
        if key.tag != STR:
            _scalar(key, bang, text)
            if key.tag == MERGE:
                continue
        name = key.value if key.tag == STR else json_key(construct(key))
        earlier = first.setdefault(name, key)
        if earlier is not key:
            where = f"the key {name!r} is here and on line {earlier.start_mark.line + 1} of the same mapping"
            if earlier.value != key.value:
                # Spelt differently (`yes:` and `"true":`, `1.0:` and `1:`): say why they clash.
                where += (
                    f", written {earlier.value!r} there and {key.value!r} here (Kubernetes reads both as "
                    f"{name!r}; quote a key to keep its text)"
                )
            raise DocumentError(
                None,
                None,
                f"{where}; Kubernetes refuses duplicate keys, so keep one (two documents run together need '---' "
                "between them)",
                key.start_mark,
            )
    return children


def _scalar(node: ScalarNode, bang: bool, text: str) -> None:
    """Give a scalar whose tag is not !!str the tag and text go-yaml would decode it with."""
    if bang and _non_specific(node, text):
        node.tag = STR  # libyaml resolves "! 42" as if untagged; go-yaml reads it as text
    elif node.style or resolve_plain(node.value) != node.tag:
        _explicit_tag(node)


# Compiled when first needed: only a text with an anchor, an alias or a timestamp tag asks.
@functools.cache
def _anchor_re() -> re.Pattern[str]:
    return re.compile(r"&\S*\s*")


@functools.cache
def _alias_re() -> re.Pattern[str]:
    return re.compile(r"\*([^\s,\[\]{}]+)")


def _non_specific(node: ScalarNode, text: str) -> bool:
    """Whether the scalar is written with the non-specific tag ``!`` (after its anchor, if any)."""
    i = node.start_mark.index
    if text.startswith("&", i):
        i = _anchor_re().match(text, i).end()
    return text.startswith("!", i) and (i + 1 == len(text) or text[i + 1] in " \t\r\n")


def _too_deep(node: Node) -> DocumentError:
    return DocumentError(
        None,
        None,
        f"nested more than {MAX_DEPTH} levels deep; no Kubernetes object is, so flatten the data (or keep it as text)",
        node.start_mark,
    )


@functools.cache
def _timestamp_re() -> re.Pattern[str]:
    return re.compile(
        r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}"
        r"(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::?[0-9]{2})?))?)?"
    )


def _explicit_tag(node: ScalarNode) -> None:
    """Rewrite a scalar with an explicit tag into the value go-yaml v2 decodes it to.

    ``!!str``, ``!!binary`` (its decoded bytes) and unknown or custom tags (``!foo``) give text;
    ``!!int``, ``!!float``, ``!!bool``, ``!!null`` and ``!!timestamp`` read the text as a plain
    scalar and must land on their own type (an integer may stand for a float)."""
    tag, value = node.tag, node.value
    if tag == BINARY:
        try:
            data = base64.b64decode(value.replace("\n", "").replace("\r", ""), validate=True)
        except (binascii.Error, ValueError):
            raise DocumentError(None, None, "!!binary value contains invalid base64 data", node.start_mark) from None
        node.tag, node.value = STR, data.decode("utf-8", errors="replace")
        node.style = node.style or None
        return
    if tag not in (INT, FLOAT, BOOL, NULL, TIMESTAMP):
        node.tag = STR  # any text is a !!str; custom tags are ignored and the text kept
        return
    if tag == TIMESTAMP and _timestamp_re().fullmatch(value):
        node.tag = STR  # go-yaml hands timestamps to Kubernetes as the text they were written as
        return
    found = resolve_plain(value)
    if tag == FLOAT and found == INT:
        node.value, found = repr(float(int_value(value))), FLOAT
    if found != tag:
        raise DocumentError(
            None,
            None,
            # The value itself is not quoted: it may be a Secret's, and the line says where it is.
            f"cannot decode the {_short(found)} here as a {_short(tag)} (as "
            "Kubernetes reads it); fix the value or drop the tag",
            node.start_mark,
        )
    node.style = None  # plain, so the text written back means what the tag meant


def _short(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _allowed_alias_ratio(decoded: int) -> float:
    """go-yaml v2's allowedAliasRatio: 99% of small documents may come from aliases, 10% of huge ones."""
    if decoded <= ALIAS_RATIO_LOW:
        return 0.99
    if decoded >= ALIAS_RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decoded - ALIAS_RATIO_LOW) / (ALIAS_RATIO_HIGH - ALIAS_RATIO_LOW)


def _children(node: Node) -> list[Node]:
    return node.value if isinstance(node, SequenceNode) else [n for pair in node.value for n in pair]


def _check_expansion(root: Node, text: str) -> tuple[int, int]:
    """Refuse a document as Kubernetes would for its aliases, without ever expanding them; else
    the nodes and characters the aliases add.

    go-yaml counts every node it decodes, and those decoded inside an alias; it gives up
    ("excessive aliasing") once the aliased share passes :func:`_allowed_alias_ratio`. Walking
    the document in order, each alias adds the size of what it names (summed once per node),
    so this costs as much as the document's text, not as much as its expansion."""
    open_: set[int] = set()  # collections whose items are being walked: the path from the root
    done: set[int] = set()  # nodes walked where they are defined
    alias_slots: set[tuple[int, int]] = set()  # (parent, item index) holding an alias
    sizes: dict[int, tuple[int, int, int]] = {}  # node -> (decodes, characters, depth) expanded
    decoded, aliased, chars = 1, 0, 0  # the document node counts as one decode
    stack: list[tuple[Node, Node | None, int, bool]] = [(root, None, 0, False)]
    depth = 0
    while stack:
        node, parent, index, leaving = stack.pop()
        if leaving:
            open_.discard(id(node))
            depth -= 1
            continue
        if id(node) in open_:
            raise _alias_error(parent, index, text, "contains the very data it names, so it never ends")
        if id(node) in done:
            alias_slots.add((id(parent), index))
            size, length, height = _expanded(node, alias_slots, sizes)
            decoded, aliased, chars = decoded + 1 + size, aliased + size, chars + length
            if depth + height > MAX_DEPTH:
                raise _alias_error(parent, index, text, f"nests this document more than {MAX_DEPTH} levels deep")
            if aliased > 100 and decoded > 1000 and aliased / decoded > _allowed_alias_ratio(decoded):
                raise _alias_error(
                    parent,
                    index,
                    text,
                    f"repeats data until {aliased:,} of the {decoded:,} nodes "
                    "of this document come from aliases, more than Kubernetes accepts "
                    '("excessive aliasing")',
                )
            if chars > MAX_EXPANDED_CHARS:
                raise _alias_error(
                    parent,
                    index,
                    text,
                    f"repeats text until this document holds more than {MAX_EXPANDED_CHARS // 2**20} MiB",
                )
            continue
        done.add(id(node))
        decoded += 1
        if isinstance(node, ScalarNode):
            chars += len(node.value)
            continue
        open_.add(id(node))
        depth += 1
        stack.append((node, parent, index, True))
        items = _children(node)
        stack.extend((items[i], node, i, False) for i in range(len(items) - 1, -1, -1))
    return aliased, chars


def _expanded(
    root: Node, alias_slots: set[tuple[int, int]], sizes: dict[int, tuple[int, int, int]]
) -> tuple[int, int, int]:
    """What go-yaml decodes for a node: nodes (an alias inside counts one more), text, depth."""
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, ScalarNode):
            sizes[id(node)] = (1, len(node.value), 0)
            continue
        items = _children(node)
        if not ready:
            stack.append((node, True))
            stack.extend((item, False) for item in items if id(item) not in sizes)
            continue
        count, length, height = 1, 0, 0
        for i, item in enumerate(items):
            n, k, h = sizes[id(item)]
            count += n + ((id(node), i) in alias_slots)
            length += k
            height = max(height, h)
        sizes[id(node)] = (count, length, height + 1)
    return sizes[id(root)]


def _alias_error(parent: Node | None, index: int, text: str, what: str) -> DocumentError:
    """An error at the alias in item ``index`` of ``parent``, naming it."""
    mark = parent.start_mark if parent is not None else None
    name = "an alias"
    if parent is not None:
        items = _children(parent)
        start = items[index - 1].end_mark.index if index else parent.start_mark.index
        found = _alias_re().search(text, start, parent.end_mark.index)
        if found:
            at = found.start()
            line_start = text.rfind("\n", 0, at) + 1
            mark = yaml.Mark(mark.name, at, text.count("\n", 0, at), at - line_start, None, None)
            name = f"the alias *{found.group(1)}"
    return DocumentError(None, None, f"{name} {what}; write the data out or use fewer aliases", mark)
