"""The rule-file JSON Schema, and the check of a rule file's node tree against it.

The schema (``rule-file.schema.json``, shipped beside the built-in packs) is the one place that
says which keys a rule file may have; editors read it through the packs' ``yaml-language-server``
modeline, ``helmify-flts rules --markdown`` documents it, and the loader checks each file with it.

The check walks the YAML nodes themselves, so every error names the line of the node at fault.
It understands the part of JSON Schema the rule-file schema uses: ``type``, ``enum``,
``properties``, ``additionalProperties``, ``required``, ``items`` and local ``$ref``. As the
loader always has, it reads a scalar YAML takes for a number (``key: 1``) as its text where a
string is expected.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import kyaml
from .errors import UserError, Where

SCHEMA_NAME = "rule-file.schema.json"
RULE_REF = "#/$defs/rule"

_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
}


@functools.cache
def load(folder: Path) -> dict:
    """The schema in ``folder`` (the built-in packs' folder)."""
    return json.loads((folder / SCHEMA_NAME).read_text(encoding="utf-8"))


def resolve(root: dict, schema: dict) -> dict:
    """Follow a local ``$ref`` (``#/$defs/rule``)."""
    while "$ref" in schema:
        node: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def check(
    node: Node,
    schema: dict,
    root: dict,
    file: str,
    name: str = "",
    skip: frozenset[str] = frozenset(),
    key: Node | None = None,
) -> None:
    """Raise a :class:`UserError` at the first place ``node`` breaks ``schema``. ``name`` is how
    messages call the node (``match.kinds``), ``key`` the key node that holds it, whose line a
    message about the whole node names (a block mapping starts on the line after its key);
    parts behind a ``$ref`` in ``skip`` are left for the caller to check one by one."""
    if schema.get("$ref") in skip:
        return
    schema = resolve(root, schema)
    types = schema.get("type")
    if types is not None:
        allowed = [types] if isinstance(types, str) else list(types)
        if not _has_type(node, allowed):
            raise UserError(
                f"{name or schema.get('title', 'value')} must be {_describe(allowed, schema)}", _at(key or node, file)
            )
    if "enum" in schema and isinstance(node, ScalarNode) and node.value not in schema["enum"]:
        raise UserError(f"unknown {name} {node.value!r}; known: {', '.join(schema['enum'])}", _at(node, file))
    if isinstance(node, MappingNode):
        _check_mapping(node, schema, root, file, name, skip, key)
    elif isinstance(node, SequenceNode) and "items" in schema:
        for item in node.value:
            check(item, schema["items"], root, file, name, skip)


def _check_mapping(
    node: MappingNode, schema: dict, root: dict, file: str, name: str, skip: frozenset[str], key: Node | None
) -> None:
    props: dict = schema.get("properties", {})
    what = schema.get("title", name)
    extra = schema.get("additionalProperties", True)
    for key_node, _ in node.value:
        text = key_node.value if isinstance(key_node, ScalarNode) else None
        if text not in props and extra is False:
            import difflib  # only a misspelt key needs it

            hint = difflib.get_close_matches(str(text), sorted(props), n=1)
            advice = f"did you mean {hint[0]!r}?" if hint else f"allowed keys: {', '.join(sorted(props))}"
            raise UserError(f"unknown key {text!r} in {what}; {advice}", _at(key_node, file))
    present = {k.value: v for k, v in node.value if isinstance(k, ScalarNode)}
    for required in schema.get("required", ()):
        if required not in present:
            ident = present.get("id")
            label = f"{what} {ident.value!r}" if isinstance(ident, ScalarNode) and ident.value else what
            hint = resolve(root, props.get(required, {})).get("description", "").split(". ")[0].rstrip(".")
            raise UserError(f"{label} has no {required}; add one: {hint[:1].lower()}{hint[1:]}", _at(key or node, file))
    for key_node, value in node.value:
        if not isinstance(key_node, ScalarNode):
            raise UserError(f"a key in {what} must be a plain string", _at(key_node, file))
        sub = props.get(key_node.value, extra if isinstance(extra, dict) else None)
        if sub is not None:
            check(value, sub, root, file, f"{name}.{key_node.value}" if name else key_node.value, skip, key_node)


def _has_type(node: Node, allowed: list[str]) -> bool:
    if isinstance(node, MappingNode):
        return "object" in allowed
    if isinstance(node, SequenceNode):
        return "array" in allowed
    tag = node.tag
    if tag == kyaml.NULL:
        return "null" in allowed
    if tag == kyaml.BOOL:
        return "boolean" in allowed
    if tag == kyaml.INT:
        return bool({"integer", "number", "string"} & set(allowed))
    if tag == kyaml.FLOAT:
        return "number" in allowed
    return "string" in allowed


def _describe(allowed: list[str], schema: dict) -> str:
    words = []
    for kind in allowed:
        if kind in _TYPE_WORDS:
            props = schema.get("properties") if kind == "object" else None
            words.append(_TYPE_WORDS[kind] + (f" ({', '.join(props)})" if props else ""))
    return " or ".join(words)


def _at(node: Node, file: str) -> Where:
    return Where(file, node.start_mark.line + 1)
