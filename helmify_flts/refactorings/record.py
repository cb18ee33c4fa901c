"""The declarations recorded in the chart (``.helmify-changes.json``) for verify, and their check.

verify reads this file from OUT, which is untrusted input: every part is validated, and a file
that is not what convert writes is an error naming it (exit 2)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import inputfile
from ..errors import UserError, Where
from ..filenames import HELM_MAX_FILE
from ..records import record
from .base import Added, Change, Declared, Edit, Removed, SwitchedOn, from_json, to_json

FILE = ".helmify-changes.json"
VERSION = 1
OPS = frozenset({"add", "remove", "replace", "move", "copy", "test"})


@record
class Recorded:
    """The release and namespace the proof rendered with, and per folder ("" the base, else an
    environment's name) the changes in the order they apply."""

    release: str
    namespace: str
    folders: Mapping[str, tuple[Change, ...]]
    switched: tuple[SwitchedOn, ...] = ()  # objects a refactoring's switch adds when turned on


def dumps(release: str, namespace: str, declared: Mapping[str, Declared], switched: tuple[SwitchedOn, ...] = ()) -> str:
    folders = {name: [_change_json(c) for c in d.changes] for name, d in declared.items()}
    doc: dict[str, Any] = {"version": VERSION, "proof": {"release": release, "namespace": namespace}}
    doc["folders"] = folders
    if switched:  # absent without any: records written before stay as they were
        doc["switched"] = [
            {"key": list(s.key), "kinds": list(s.kinds), "template": s.template, "rule": s.rule, "why": s.why}
            for s in switched
        ]
    from ..jsontext import dumps as indented  # json.dumps's own text, without its pure-Python indenting encoder

    return indented(doc, indent=1, ensure_ascii=False, end="\n")


def _change_json(change: Change) -> dict:
    if isinstance(change, Edit):
        return {"edit": list(change.identity), "ops": to_json(list(change.ops)), "rule": change.rule, "why": change.why}
    if isinstance(change, Removed):
        return {"remove": list(change.identity), "rule": change.rule, "why": change.why}
    return {"add": to_json(change.object), "rule": change.rule, "why": change.why}


def read(chart_dir: Path) -> Recorded | None:
    """The recorded declarations of a chart, or None when it has none (no refactoring)."""
    path = chart_dir / FILE
    if not path.is_file():
        return None
    where = Where(str(path))
    try:
        doc = json.loads(inputfile.read_bytes(path, HELM_MAX_FILE).decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, inputfile.Refused) as exc:
        raise _bad(f"cannot be read as JSON ({exc})", where) from None
    except RecursionError:
        raise _bad("cannot be read as JSON (it is nested too deeply)", where) from None
    if not isinstance(doc, dict) or doc.get("version") != VERSION:
        raise _bad(f"is not a version {VERSION} record of declared changes", where)
    proof, folders = doc.get("proof"), doc.get("folders")
    if not isinstance(proof, dict) or not all(isinstance(proof.get(k), str) for k in ("release", "namespace")):
        raise _bad("has no proof {release, namespace} strings", where)
    if not isinstance(folders, dict):
        raise _bad("has no folders mapping", where)
    parsed = {}
    for name, changes in folders.items():
        if not isinstance(changes, list):
            raise _bad(f"folder {name!r}: changes must be a list", where)
        parsed[str(name)] = tuple(_change(item, name, where) for item in changes)
    return Recorded(proof["release"], proof["namespace"], parsed, _switched(doc.get("switched", []), where))


def _switched(items: Any, where: Where) -> tuple[SwitchedOn, ...]:
    def strings(value: Any) -> bool:
        return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)

    if not isinstance(items, list):
        raise _bad("switched must be a list", where)
    out = []
    for item in items:
        if not (
            isinstance(item, dict)
            and strings(item.get("key"))
            and strings(item.get("kinds"))
            and all(isinstance(item.get(k), str) for k in ("template", "rule", "why"))
        ):
            raise _bad("switched: each entry needs key and kinds lists, and template, rule and why strings", where)
        out.append(SwitchedOn(tuple(item["key"]), tuple(item["kinds"]), item["rule"], item["why"], item["template"]))
    return tuple(out)


def _bad(what: str, where: Where) -> UserError:
    return UserError(
        f"the recorded declarations {what}; run convert again to write it, or delete it with the chart's state", where
    )


def _identity(value: Any, folder: str, where: Where) -> tuple[str, str, str, str]:
    if not isinstance(value, list) or len(value) != 4 or not all(isinstance(p, str) for p in value):
        raise _bad(f"folder {folder!r}: an identity must be [group, kind, namespace, name]", where)
    return (value[0], value[1], value[2], value[3])


def _change(item: Any, folder: str, where: Where) -> Change:
    if not isinstance(item, dict) or not isinstance(item.get("rule"), str) or not isinstance(item.get("why"), str):
        raise _bad(f"folder {folder!r}: each change needs rule and why strings", where)
    rule, why = item["rule"], item["why"]
    if "edit" in item:
        ops = item.get("ops")
        if not isinstance(ops, list) or not all(
            isinstance(op, dict) and op.get("op") in OPS and isinstance(op.get("path"), str) for op in ops
        ):
            raise _bad(f"folder {folder!r}: ops must be JSON Patch operations (op, path)", where)
        return Edit(_identity(item["edit"], folder, where), tuple(from_json(ops)), rule, why)
    if "remove" in item:
        return Removed(_identity(item["remove"], folder, where), rule, why)
    if isinstance(item.get("add"), dict):
        return Added(from_json(item["add"]), rule, why)
    raise _bad(f"folder {folder!r}: a change is an edit, a remove or an add", where)


def replay(objects: Mapping[tuple, dict], changes: tuple[Change, ...]) -> tuple[Declared, list[str]]:
    """The recorded changes applied to the sources verify is given. A change that does not apply
    to them (its object missing, a patch that does not fit) is left out and named."""
    import jsonpatch

    from ..scopes import declared
    from .base import apply

    kept: list[Change] = []
    problems = []
    current = dict(objects)
    scopes = declared(objects.values())
    for change in changes:
        if isinstance(change, Edit):
            if change.identity not in current:
                problems.append(
                    f"rule {change.rule}: the declared change of {_title(change.identity)} has no such source"
                )
                continue
            try:
                applied = apply({change.identity: current[change.identity]}, [change], scopes=scopes).expected
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError, KeyError) as exc:
                problems.append(
                    f"rule {change.rule}: the declared change of {_title(change.identity)} does not apply ({exc})"
                )
                continue
            del current[change.identity]
            current.update(applied)
        elif isinstance(change, Removed):
            current.pop(change.identity, None)
        else:  # an added object, which a later rule's edit may name
            from ..render import identity

            current[identity(change.object, scopes)] = change.object
        kept.append(change)
    return apply(objects, kept, scopes=scopes), problems


def _title(ident: tuple) -> str:
    return f"{ident[1]} {ident[2] + '/' if ident[2] else ''}{ident[3]}"
