"""The team's own values file: read under the same limits as manifests, and edited in place.

Reading goes through :mod:`kyaml` (what Helm will make of each key, and the checks on size,
aliases, depth and duplicate keys, each an error naming the file and line). Editing uses
ruamel.yaml's round trip, which keeps the team's comments, key order and layout: only keys whose
value the chart needs changed, and keys the chart adds, are touched.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import collector, kyaml
from .errors import UserError, Where
from .filenames import HELM_MAX_FILE
from .layout import TeamLeaf
from .transforms import go_json
from .values import Leaf, Values, dotted


class Team:
    """A team values file: its text, what Helm reads from it, and its keys with their lines."""

    def __init__(self, path: Path, text: str, tree: dict, leaves: list[TeamLeaf]) -> None:
        self.path, self.text, self.tree, self.leaves = path, text, tree, leaves


def load(path: Path) -> Team:
    """Read a team's values file; bad input is a UserError naming the file and line."""
    shown = path.as_posix()
    if path.is_symlink() or not path.is_file():
        raise UserError(f"values layout {shown} is not a regular file; give the team's values.yaml itself", None)
    size = path.stat().st_size
    if size > HELM_MAX_FILE:
        raise UserError(f"values layout is {size} bytes, over Helm's limit of 5 MiB for values.yaml", Where(shown, 1))
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the values layout: {exc}; give a UTF-8 YAML file", Where(shown)) from None
    try:
        with collector.paused():
            docs = [n for n in kyaml.compose_all(text) if n is not None]
    except yaml.YAMLError as exc:
        problem = kyaml.error_problem(exc, text)
        if not isinstance(exc, kyaml.DocumentError):
            problem = f"not valid YAML ({problem})"
        raise UserError(f"{problem}; fix the values layout", Where(shown, kyaml.error_line(exc, text))) from None
    if len(docs) > 1 or (docs and not isinstance(docs[0], MappingNode)):
        line = docs[1].start_mark.line + 1 if len(docs) > 1 else 1
        raise UserError("a values file is one YAML mapping of keys; give the team's values.yaml", Where(shown, line))
    if not docs:
        return Team(path, text, {}, [])
    _check_scalars(docs[0], shown)
    tree = kyaml.construct(docs[0])
    if not isinstance(tree, dict):
        raise UserError("a values file is one YAML mapping of keys", Where(shown, 1))
    return Team(path, text, tree, list(_leaves(docs[0], ())))


# A plain integer of more digits than this is more than the YAML library that keeps the team's
# layout (it reads integers as Python does) will read, and no number Helm holds (a float64) anyway.
MAX_DIGITS = 4000
_NUMBER = re.compile(r"[-+]?[0-9][0-9_]*")


def _check_scalars(root: Node, shown: str) -> None:
    """What the team's file may not hold, each an error at its line: a null key, which Helm
    cannot read (values.yaml keeps the team's text), and a plain number too long to read."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.tag == kyaml.NULL:
                    raise UserError(
                        "a null key (~, null or nothing before ':'), which Helm cannot read; name the key",
                        Where(shown, key.start_mark.line + 1),
                    )
                stack += [key, value]
        elif isinstance(node, SequenceNode):
            stack += node.value
        elif (
            isinstance(node, ScalarNode)
            and not node.style
            and len(node.value) > MAX_DIGITS
            and _NUMBER.fullmatch(node.value)
        ):
            raise UserError(
                f"a number of {len(node.value)} digits, more than Helm can hold; quote it if it is text",
                Where(shown, node.start_mark.line + 1),
            )


def _leaves(node: Node, path: tuple[str, ...]) -> Iterator[TeamLeaf]:
    if isinstance(node, MappingNode) and node.value:
        for key, value in node.value:
            name = kyaml.construct(key)
            yield from _leaves(value, path + (str(name),))
        return
    if path:
        yield TeamLeaf(path, kyaml.construct(node), node.start_mark.line + 1)


def leaf_paths(tree: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The paths of a values tree's leaves (scalars, lists, empty maps)."""
    if isinstance(tree, dict) and tree:
        for key, value in tree.items():
            yield from leaf_paths(value, path + (str(key),))
    elif path:
        yield path


# ---------------------------------------------------------------- editing


def merge(
    team: Team,
    values: Values,
    image_keys: set[tuple[str, ...]],
    text_keys: set[tuple[str, ...]] = frozenset(),
    replaced: dict[tuple[str, ...], Any] | None = None,
) -> tuple[str, list[tuple[str, ...]]]:
    """The team's file holding every value of ``values``: a key the team has keeps its line and
    comment (its value becomes the chart's where Helm would read it differently); a key it lacks
    is added at the end of its map with its documentation. Returns the text and the added keys.
    ``replaced`` receives each team value the chart had to replace by a map (``kafka: "x"`` where
    the chart reads ``kafka.image``), or a map replaced by a scalar, with the team's value."""
    from ruamel.yaml import YAML

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096
    if re.search(r"^( *)[^\s#-][^\n]*:\n\1  - ", team.text, re.MULTILINE):
        rt.indent(mapping=2, sequence=4, offset=2)  # the team indents list items under their key
    doc = rt.load(team.text) if team.tree else None
    if doc is None:
        from ruamel.yaml.comments import CommentedMap

        doc = CommentedMap()
    added: list[tuple[str, ...]] = []
    for path, leaf in values.leaves():
        _put(doc, path, leaf, added, team.tree, path in text_keys, {} if replaced is None else replaced)
    for key in image_keys:
        parent = _get(doc, key)
        chart = values.get(key)
        if isinstance(parent, dict) and chart is not None:
            wanted = set(chart) if isinstance(chart, dict) else set(_plain_keys(chart))
            # An image part the chart does not hold (a digest the manifest lacks) would change it.
            for part in ("registry", "repository", "tag", "digest"):
                if part in parent and part not in wanted:
                    del parent[part]
    out = io.StringIO()
    rt.dump(doc, out)
    added = [a for a in added if not any(a[: len(b)] == b and a != b for b in added)]
    return out.getvalue(), added


def _plain_keys(leaf: Leaf) -> list[str]:
    value = leaf.value
    return list(value) if isinstance(value, dict) else []


def _get(doc: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(doc, dict) or part not in doc:
            return None
        doc = doc[part]
    return doc


def _put(
    doc: Any,
    path: tuple[str, ...],
    leaf: Leaf,
    added: list[tuple[str, ...]],
    plain: dict,
    text: bool,
    replaced: dict[tuple[str, ...], Any],
) -> None:
    from ruamel.yaml.comments import CommentedMap

    node = doc
    for i, part in enumerate(path[:-1]):
        nxt = node.get(part) if isinstance(node, dict) else None
        if not isinstance(nxt, dict):
            fresh = CommentedMap()
            if part not in node:
                added.append(path[: i + 1])
            elif nxt is not None:  # the team's scalar where the chart needs a map: say so
                replaced.setdefault(path[: i + 1], _get(plain, path[: i + 1]))
            node[part] = fresh
            nxt = fresh
        node = nxt
    last = path[-1]
    wanted = leaf.value
    if last in node:
        current = _get(plain, path)
        if isinstance(node[last], dict) and isinstance(wanted, dict) and wanted and isinstance(leaf.node, MappingNode):
            _merge_map(node[last], leaf.node, current if isinstance(current, dict) else {})
        elif not exact(current, wanted) and not (text and go_json(current) == wanted):
            # (A text field the team writes as a number renders the same: kept as written.)
            if current is not None and isinstance(current, dict) != isinstance(wanted, dict):
                replaced.setdefault(path, current)
            node[last] = to_ruamel(leaf.node)
        return  # else the team's own text already says it: kept as written
    node[last] = to_ruamel(leaf.node)
    added.append(path)
    doc_line = (leaf.doc or "").strip().splitlines()
    if doc_line and hasattr(node, "yaml_set_comment_before_after_key"):
        node.yaml_set_comment_before_after_key(last, before="-- " + _comment(doc_line[0]), indent=2 * (len(path) - 1))


def _comment(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)


def _merge_map(target: dict, node: MappingNode, plain: dict) -> None:
    """A map the chart holds whole, written into the team's map key by key (comments stay)."""
    keys = []
    for k, v in node.value:
        key = kyaml.construct(k)
        keys.append(key)
        current = plain.get(key)
        if key in target and isinstance(target[key], dict) and isinstance(v, MappingNode) and v.value:
            _merge_map(target[key], v, current if isinstance(current, dict) else {})
        elif key not in target or not exact(current, kyaml.construct(v)):
            target[key] = to_ruamel(v)
    for key in [k for k in target if k not in keys]:
        del target[key]


def exact(a: Any, b: Any) -> bool:
    """The same value to Helm: equal and of the same kind (13 is not "13", 1 is not true)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(exact(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(exact(x, y) for x, y in zip(a, b, strict=True))
    kinds = (bool, int, float, str, type(None), dict, list)
    return (
        next((k for k in kinds if isinstance(a, k)), None) is next((k for k in kinds if isinstance(b, k)), None)
        and a == b
    )


def to_ruamel(node: Node) -> Any:
    """A chart value (a node keeping the manifest's spelling) as ruamel writes it, quoted where
    a plain spelling would mean something else to Helm (``on``, ``0755``, ``1.10``)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    if isinstance(node, ScalarNode):
        value = kyaml.construct(node)
        if not isinstance(value, str):
            return value
        text = kyaml.scalar_text(node)
        if text.startswith("'"):
            return SingleQuotedScalarString(value)
        if text.startswith('"') or kyaml.resolve_plain(value) != kyaml.STR or value != value.strip():
            return DoubleQuotedScalarString(value)
        return value
    if isinstance(node, MappingNode):
        out = CommentedMap()
        for k, v in node.value:
            out[kyaml.construct(k)] = to_ruamel(v)
        return out
    seq = CommentedSeq()
    seq.extend(to_ruamel(v) for v in node.value)
    return seq


# ---------------------------------------------------------------- what templates read

_REF = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)*)((?:\s+\"(?:[^\"\\]|\\.)*\")*)")
_IMAGE_ARG = re.compile(r'include\s+"[^"]*\.image"\s+\(?(?:index\s+)?\.Values')


def read_keys(templates: dict[str, str]) -> set[tuple[str, ...]]:
    """Every values path a chart's templates read (``.Values.a.b`` and ``(index .Values.a "b")``)."""
    out: set[tuple[str, ...]] = set()
    for text in templates.values():
        for m in _REF.finditer(text):
            head = tuple(p for p in m.group(1).split(".") if p)
            rest = tuple(yaml.safe_load(q) for q in re.findall(r"\"(?:[^\"\\]|\\.)*\"", m.group(2) or ""))
            path = head + tuple(str(r) for r in rest)
            before = text[max(0, m.start() - 60) : m.start()]
            if _IMAGE_ARG.search(before + ".Values"):
                out |= {path + (part,) for part in ("repository", "tag", "digest", "registry")}
            else:
                out.add(path)
    return out


def unread(tree: dict, read: set[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Leaves of ``tree`` that no template reads: neither read nor inside what is read."""
    above = {r[:i] for r in read for i in range(1, len(r) + 1)}
    out = []
    for path in leaf_paths(tree):
        if path in above or any(path[:i] in read for i in range(1, len(path) + 1)):
            continue
        out.append(path)
    return out


def unread_notes(chart_dir: Path, value_files: tuple[Path, ...]) -> list[str]:
    """One line per key of the given values files that no template of the chart reads: a key the
    team sets that silently does nothing (``minio.persistence.size`` where templates read
    ``minio.storage.size``)."""
    import difflib

    from . import render

    templates = {}
    for path in sorted((chart_dir / "templates").rglob("*")):
        if path.is_file() and not path.is_symlink() and path.suffix in (".yaml", ".yml", ".tpl", ".txt"):
            templates[path.name] = path.read_text(encoding="utf-8", errors="replace")
    read = read_keys(templates)
    shown = sorted((dotted(r), r) for r in read)
    known = [text for text, _ in shown]
    out = []
    for file in value_files:
        for path in unread(render.load_values_file(file), read):
            key = dotted(path)
            # The likeliest meant: a key read under the same component with the same last name.
            alike = [text for text, r in shown if r[:1] == path[:1] and r[-1:] == path[-1:]]
            near = difflib.get_close_matches(key, alike, n=1, cutoff=0.5) or difflib.get_close_matches(
                key, known, n=1, cutoff=0.75
            )
            hint = f" (did you mean {near[0]}?)" if near else ""
            out.append(f"{file}: {key} is read by no template{hint}")
    return out
