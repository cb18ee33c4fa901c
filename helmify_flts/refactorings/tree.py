"""The template half's edits applied to a resource's template tree (YAML nodes with placeholders)."""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .. import kyaml
from ..templating import Inline, ItemGuard, Placeholders
from .base import Drop, Expr, Put, PutUnless, TreeEdit


def apply_edits(tree: Node, edits: list[TreeEdit], marks: Placeholders) -> list[tuple[Node, str | None]]:
    """Apply ``edits`` in order; a pointer that does not reach a field leaves the tree as it is
    (the proof then names what the declaration expected). Returns the documents edits split off
    the resource (a ConfigMap made of its env values, say), each with the Go condition it
    renders under (None: always), to follow it in the same template."""
    extra: list[tuple[Node, str | None]] = []
    for edit in edits:
        if hasattr(edit, "apply"):  # an edit that works on the tree itself (refactorings.extract)
            extra += edit.apply(tree, marks)
            continue
        if isinstance(edit, Put):
            parent = _reach(tree, edit.pointer[:-1], create=True)
            if parent is not None:
                _set(parent, edit.pointer[-1], _node(edit.value, marks))
        elif isinstance(edit, Drop):
            parent = _reach(tree, edit.pointer[:-1], create=False)
            last = edit.pointer[-1]
            if isinstance(parent, MappingNode):
                parent.value = [(k, v) for k, v in parent.value if not _is(k, last)]
            elif isinstance(parent, SequenceNode) and isinstance(last, int) and last < len(parent.value):
                del parent.value[last]
        elif isinstance(edit, PutUnless):
            parent = _reach(tree, edit.pointer[:-1], create=False)
            if isinstance(parent, MappingNode):
                _guard_key(parent, edit.pointer[-1], edit.condition, marks)
    return extra


def _node(value: object, marks: Placeholders) -> Node:
    if isinstance(value, Expr):
        return ScalarNode(kyaml.STR, marks.new(Inline(f"{{{{ {value.text} }}}}")), style=None)
    return kyaml.represent(value)


def _is(key: Node, name: str | int) -> bool:
    return isinstance(key, ScalarNode) and key.value == name


def _reach(tree: Node, pointer: tuple[str | int, ...], create: bool) -> Node | None:
    node: Node | None = tree
    for part in pointer:
        if isinstance(node, SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        elif isinstance(node, MappingNode):
            found = next((v for k, v in node.value if _is(k, part)), None)
            if (found is None or (isinstance(found, ScalarNode) and found.tag == kyaml.NULL)) and create:
                new = MappingNode(kyaml.MAP, [], flow_style=False)
                _set(node, part, new)
                found = new
            node = found
        else:
            return None
        if node is None:
            return None
    if isinstance(node, (MappingNode, SequenceNode)):
        node.flow_style = False  # placeholders need lines of their own
    return node


def _set(mapping: Node, key: str | int, value: Node) -> None:
    """Set a mapping's key, or a list's item (``-``: a new item at the end, as in JSON Patch)."""
    if isinstance(mapping, SequenceNode):
        mapping.flow_style = False
        if key == "-":
            mapping.value.append(value)
        elif isinstance(key, int) and key < len(mapping.value):
            mapping.value[key] = value
        return
    if not isinstance(mapping, MappingNode):
        return
    mapping.flow_style = False
    for i, (k, _) in enumerate(mapping.value):
        if _is(k, key):
            mapping.value[i] = (k, value)
            return
    mapping.value.append((kyaml.represent(str(key)), value))


def _guard_key(mapping: MappingNode, key: str | int, condition: str, marks: Placeholders) -> None:
    """Surround one key with ``if not (condition)`` ... ``end`` lines (placeholder keys)."""
    at = next((i for i, (k, _) in enumerate(mapping.value) if _is(k, key)), None)
    if at is None:
        return
    null = ScalarNode(kyaml.NULL, "null")
    mapping.value.insert(at + 1, (ScalarNode(kyaml.STR, marks.new(ItemGuard(None))), null))
    mapping.value.insert(at, (ScalarNode(kyaml.STR, marks.new(ItemGuard(f"not ({condition})"))), null))
