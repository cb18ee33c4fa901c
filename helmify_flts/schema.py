"""values.schema.json from the values tree, so that `helm lint` and installs catch type slips
(an image tag written as the number 1.10, a map where a list belongs)."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from yaml.nodes import ScalarNode

from . import jsontext, kyaml
from .rewrite import Lift
from .values import Leaf, Values

# The Kubernetes release whose OpenAPI schema (as kubernetes-validate ships it) says which
# fields are integers; verify validates against the same release.
KUBE_SCHEMA = "v1.30.0-local"
INTEGER = {"type": ["integer", "null"]}
# What convert needs of that schema, precomputed (`python -m helmify_flts.schema` rewrites it):
# the schema pruned to the fields that lead to an integer. Reading the whole schema (4 MB of
# JSON, and kubernetes-validate's own import) took longer than a small conversion.
INTEGER_TABLE = Path(__file__).with_name("kube_integers.json")


def for_values(values: Values, lifts: Iterable[Lift] = (), overlays: Iterable[Values] = ()) -> str:
    """The text of values.schema.json for ``values``, as ``json.dumps(schema, indent=2)`` writes
    it. What is lifted from integer fields of built-in kinds (replicas, ports,
    securityContext.runAsUser) is typed integer there, unless an environment's overlay holds
    something else for that key (its values file must pass the schema too).

    The text is written as the tree is walked: most leaves share one of a few type fragments,
    whose text is made once per depth. (Building the schema as data and then writing it took a
    tenth of a conversion.)"""
    typed = kube_types(lifts)
    for overlay in overlays:
        for key, leaf in overlay.leaves():
            fragment = typed.get(key)
            if fragment is not None and not accepts(fragment, leaf.value):
                typed[key] = None
    writer = _SchemaText(typed)
    writer.parts.append('{\n  "$schema": "https://json-schema.org/draft-07/schema#",\n  "title": "Values",\n  ')
    writer.tree_entries(values.root, (), "", closed=False)
    writer.parts.append("\n}")
    return "".join(writer.parts)


def kube_types(lifts: Iterable[Lift]) -> dict[tuple[str, ...], dict | None]:
    """Per values key, the integer typing Kubernetes' schema gives its field (None: nothing to
    say, or keys shared by fields that disagree). Int-or-string fields (targetPort,
    maxUnavailable) and custom resources get none."""
    table = _integer_table()
    kinds, definitions = table["kinds"], table["definitions"]
    seen: dict[tuple[str, ...], list[dict | None]] = {}
    typed: dict[tuple, dict | None] = {}  # many workloads share a kind and a field
    for lift in lifts:
        res = lift.resource
        field = (res.api_version, res.kind, lift.pointer)
        if field not in typed:
            root = kinds.get(_schema_file(res.api_version, res.kind))
            typed[field] = integers(_walk(root, lift.pointer, definitions), definitions=definitions)
        fragment = typed[field]
        seen.setdefault(lift.key, []).append(fragment)  # shared: the schema writer reads it, never changes it
    return {key: found[0] if all(f == found[0] for f in found) else None for key, found in seen.items()}


def integers(node: Any, depth: int = 2, definitions: dict | None = None) -> dict | None:
    """A schema fragment that types the integer fields at and just below a Kubernetes schema
    node (a port list's ``port``, a securityContext's ``runAsUser``); open to every other field.
    ``definitions`` resolve ``$ref``s (default: the whole schema's)."""
    definitions = _definitions() if definitions is None else definitions
    node = _deref(node, definitions)
    kind = _single_type(node)
    if kind == "integer":
        return dict(INTEGER)
    if depth == 0 or node is None:
        return None
    if kind == "array":
        inner = integers(node.get("items"), depth - 1, definitions)
        return {"type": ["array", "null"], "items": inner} if inner else None
    if kind == "object":
        props = {
            key: frag
            for key, sub in node.get("properties", {}).items()
            if (frag := integers(sub, depth - 1, definitions))
        }
        return {"type": ["object", "null"], "properties": props} if props else None
    return None


def accepts(fragment: dict, value: Any) -> bool:
    """Whether ``value`` passes a fragment made by :func:`integers` (the chart's own defaults must)."""
    if value is None:
        return True
    if fragment["type"][0] == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if fragment["type"][0] == "array":
        return isinstance(value, list) and all(accepts(fragment["items"], item) for item in value)
    return isinstance(value, dict) and all(
        accepts(f, value[k]) for k, f in fragment["properties"].items() if k in value
    )


def field_type(api_version: str, kind: str, path: tuple[str | int, ...]) -> str | None:
    """The JSON type Kubernetes' schema gives a field of a built-in kind (``integer``,
    ``string``, ...), or None when unknown or when several types are allowed."""
    return _single_type(_node_at(api_version, kind, path))


def _node_at(api_version: str, kind: str, path: tuple[str | int, ...]) -> dict | None:
    return _walk(_load(_schema_file(api_version, kind)), path, _definitions())


def _walk(node: Any, path: tuple[str | int, ...], definitions: dict) -> dict | None:
    for part in path:
        node = _deref(node, definitions)
        if node is None:
            return None
        if isinstance(part, int):
            node = node.get("items")
        else:
            node = node.get("properties", {}).get(part, node.get("additionalProperties"))
    return _deref(node, definitions)


def _single_type(node: dict | None) -> str | None:
    if not isinstance(node, dict) or "oneOf" in node or "anyOf" in node:
        return None
    declared = node.get("type", [])
    types = [t for t in ([declared] if isinstance(declared, str) else declared) if t != "null"]
    return types[0] if len(types) == 1 else None


def _deref(node: Any, definitions: dict) -> dict | None:
    while isinstance(node, dict) and "$ref" in node:
        node = definitions.get(node["$ref"].rsplit("/", 1)[-1])
    return node if isinstance(node, dict) else None


def _schema_file(api_version: str, kind: str) -> str:
    # The file naming kubernetes-validate uses: apps/v1 Deployment -> deployment-apps-v1.json.
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{group}.json"


@functools.cache
def _definitions() -> dict:
    return (_load("_definitions.json") or {}).get("$defs", {})


def kind_schemas(kind: str) -> list[dict]:
    """The schema of each version of a built-in kind (none for a custom resource)."""
    prefix = f"{kind.lower()}-"  # deployment-apps-v1.json: a kind's name has no dash of its own
    return [doc for name in _schema_files() if name.startswith(prefix) and (doc := _load(name)) is not None]


def built_in(kind: str) -> bool:
    """Whether Kubernetes itself defines ``kind`` (a custom resource's kind has no schema here)."""
    prefix = f"{kind.lower()}-"
    return any(name.startswith(prefix) for name in _schema_files())


def deref(node: object) -> dict | None:
    """A schema node with its ``$ref`` followed (None when it is not a mapping)."""
    return _deref(node, _definitions())


@functools.cache
def _schema_files() -> tuple[str, ...]:
    folder = _folder()
    try:
        return tuple(sorted(os.listdir(folder))) if folder else ()
    except OSError:
        return ()


@functools.cache
def _folder() -> Path | None:
    # Found without importing kubernetes_validate, whose import (jsonschema and all) costs
    # more than the whole conversion of a small folder.
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).parent / "kubernetes-json-schema" / KUBE_SCHEMA


def _schema_folder() -> Path:
    folder = _folder()
    if folder is None:
        raise ModuleNotFoundError("kubernetes_validate")
    return folder


@functools.lru_cache(maxsize=256)
def _load(name: str) -> dict | None:
    if not re.fullmatch(r"[a-z0-9._-]+\.json", name):
        return None  # a kind or apiVersion that cannot name a schema file
    folder = _folder()
    try:
        return json.loads((folder / name).read_text(encoding="utf-8")) if folder else None
    except (OSError, ValueError):
        return None


@functools.cache
def _integer_table() -> dict:
    return json.loads(INTEGER_TABLE.read_text(encoding="utf-8"))


def integer_table(folder: Path) -> dict:
    """The schema in ``folder`` (kubernetes-validate's files for one release) pruned to what
    :func:`kube_types` reads: per kind file and per definition, the types, ``items``,
    ``properties`` and ``additionalProperties`` that lead to an integer field."""
    definitions = json.loads((folder / "_definitions.json").read_text(encoding="utf-8"))["$defs"]
    live: set[str] = set()
    while True:  # the definitions that reach an integer, found until no more are
        more = {name for name, node in definitions.items() if name not in live and _prune(node, live)}
        if not more:
            break
        live |= more
    pruned = {name: _prune(definitions[name], live) for name in sorted(live)}
    same = {json.dumps(node, sort_keys=True): {"$ref": name} for name, node in pruned.items()}
    kinds = {}
    for path in sorted(folder.glob("*.json")):
        if path.name in ("_definitions.json", "all.json"):
            continue
        node = _prune(json.loads(path.read_text(encoding="utf-8")), live)
        if node:  # a kind's file repeats its definition: refer to it
            kinds[path.name] = same.get(json.dumps(node, sort_keys=True), node)
    return {"kubernetes": folder.name, "kinds": kinds, "definitions": pruned}


def _prune(node: Any, live: set[str]) -> dict | None:
    """A schema node reduced to what leads to an integer (None: nothing does)."""
    if not isinstance(node, dict):
        return None
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return {"$ref": name} if name in live else None
    out: dict = {}
    kind = _single_type(node)
    items = _prune(node.get("items"), live)
    props = {key: _prune(sub, live) for key, sub in node.get("properties", {}).items()}
    extra = _prune(node.get("additionalProperties"), live)
    if items:
        out["items"] = items
    if extra:
        # Names without integers stay, or a walk would take them for additional properties.
        out["properties"] = {key: sub or {} for key, sub in props.items()}
        out["additionalProperties"] = extra
    elif any(props.values()):
        out["properties"] = {key: sub for key, sub in props.items() if sub}
    if kind == "integer" or (out and kind in ("array", "object")):
        out["type"] = kind
    return out or None


_SCALAR = {"type": ["string", "number", "integer", "boolean", "null"]}
_LIST = {"type": ["array", "null"]}
_MAP = {"type": ["object", "null"]}
_BOOLEAN = {"type": "boolean"}
_NONE: dict = {}
# Tags whose scalars kyaml.construct makes text, a number, a boolean or None.
_PLAIN_SCALARS = frozenset(
    {kyaml.STR, kyaml.INT, kyaml.FLOAT, kyaml.BOOL, kyaml.NULL, kyaml.TIMESTAMP, kyaml.MERGE, "tag:yaml.org,2002:value"}
)


class _SchemaText:
    """Writes the schema's JSON text (see :func:`for_values`)."""

    def __init__(self, typed: dict) -> None:
        self.typed = typed
        self.parts: list[str] = []
        self._bodies: dict[tuple, str] = {}  # a fragment's entries as text, by its shape and depth

    def tree_entries(self, tree: dict, path: tuple[str, ...], pad: str, closed: bool = True) -> None:
        """A branch's entries (without its braces), at ``pad`` + one step. Branches the chart
        defines are closed: a misspelt or vanished key (image.tga) is an error instead of a
        silent no-op. The top level stays open for Helm's own (global)."""
        add, deeper = self.parts.append, pad + "  "
        if not tree:
            add('"type": "object",\n' + deeper + '"properties": {}')
        else:
            inner = deeper + "  "
            head = '"type": "object",\n' + deeper + '"properties": {\n' + inner
            for key, item in tree.items():
                add(f"{head}{jsontext.quote_key(key)}: ")
                here = path + (key,)
                if isinstance(item, Leaf):
                    self.leaf(item, self.typed.get(here), key, inner)
                else:
                    add("{\n" + inner + "  ")
                    self.tree_entries(item, here, inner)
                    add("\n" + inner + "}")
                head = ",\n" + inner
            add("\n" + deeper + "}")
        if closed:
            add(",\n" + deeper + '"additionalProperties": false')

    def leaf(self, leaf: Leaf, typed: dict | None, key: str, pad: str) -> None:
        node = leaf.node
        if typed is None and type(node) is ScalarNode and node.tag in _PLAIN_SCALARS:
            # Most leaves: what the type needs of a scalar its tag tells, without its value.
            if node.tag == kyaml.NULL:
                fragment, shape = _NONE, "none"
            elif key == "enabled" and node.tag == kyaml.BOOL:
                fragment, shape = _BOOLEAN, "boolean"
            else:
                fragment, shape = _SCALAR, "scalar"
            self._write(leaf, fragment, shape, pad)
            return
        value = leaf.value
        if key == "enabled" and isinstance(value, bool):
            # A switch: Helm reads the text "false" as true, so only a boolean may turn it off.
            fragment, shape = _BOOLEAN, "boolean"
        elif typed is not None and accepts(typed, value):
            # A field's Kubernetes typing applies only where the chart's own default passes it
            # (a manifest may write replicas: "2", which then stays a loose scalar).
            fragment, shape = typed, id(typed)  # alive in self.typed while the text is written
        else:
            fragment, shape = _type(value)
        self._write(leaf, fragment, shape, pad)

    def _write(self, leaf: Leaf, fragment: dict, shape: Any, pad: str) -> None:
        deeper = pad + "  "
        body = self._bodies.get((shape, pad))
        if body is None:
            body = self._bodies[(shape, pad)] = jsontext.entries(fragment, pad)
        if leaf.doc:
            described = f'"description": {jsontext.quote(leaf.doc.splitlines()[0])}'
            body = f"{body},\n{deeper}{described}" if body else described
        self.parts.append(f"{{\n{deeper}{body}\n{pad}}}" if body else "{}")


def _type(value: Any) -> tuple[dict, Any]:
    """The type fragment of a values leaf that Kubernetes' schema does not type, and a key that
    tells its shape."""
    if isinstance(value, (bool, int, float, str)):
        # Scalars may change type legitimately (maxUnavailable 1 -> "25%", --set tag=2), so
        # only their being scalars is checked; image parts below are strictly strings.
        return _SCALAR, "scalar"
    if isinstance(value, list):
        return _LIST, "list"
    if isinstance(value, dict):
        if value and all(isinstance(v, str) for v in value.values()) and "repository" in value:
            parts = tuple(dict.fromkeys(["repository", "tag", "digest", *value]))
            fragment = {
                "type": "object",
                "properties": {k: {"type": "string"} for k in parts},
                "additionalProperties": False,
            }
            return fragment, ("image", *parts)
        return _MAP, "map"
    return _NONE, "none"


if __name__ == "__main__":  # pragma: no cover - regenerates the table shipped with the package
    INTEGER_TABLE.write_text(
        json.dumps(integer_table(_schema_folder()), indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
