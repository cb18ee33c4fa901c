"""Check that a rule's path ends in a field Kubernetes knows, so that a typo in an optional
path (``priorityClasName``) is an error instead of a knob that renders an invalid field.

Only the last step is checked, and only where the schema of its parent is known: a built-in
kind the rule matches (custom resources are skipped), a parent that is an object with named
fields (not a free map such as ``labels``). A field that any version of any matched kind has
there passes. The schemas are the ones kubernetes-validate ships, loaded on first use.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import paths
from .errors import UserError, Where
from .pathsets import KIND_ORDER
from .records import record

KUBE_RELEASE = "1.30"  # the release of the schemas schema.py reads


@record
class UnknownField:
    """The last step of a path that no matched kind has, and the nearest real fields."""

    name: str
    kinds: tuple[str, ...]
    suggestions: tuple[str, ...]


def unknown_field(kinds: Iterable[str], steps: tuple[paths.Step, ...]) -> UnknownField | None:
    """What is wrong with the last step of ``steps`` in resources of ``kinds``, or None."""
    last = steps[-1] if steps else None
    if not isinstance(last, paths.Key):
        return None
    from . import schema  # the Kubernetes schemas load only when a user's rule needs them

    fields: set[str] = set()
    checked: list[str] = []
    for kind in kinds:
        for doc in schema.kind_schemas(kind):
            parent = _follow(doc, steps[:-1])
            if parent is None:
                continue  # the path does not lead there in this kind
            if "additionalProperties" in parent or not parent.get("properties"):
                return None  # a free map (labels, nodeSelector) or no object: nothing to say
            if last.name in parent["properties"]:
                return None
            fields.update(parent["properties"])
            checked.append(kind)
    if not checked:
        return None
    import difflib  # only a typo needs it

    close = difflib.get_close_matches(last.name, sorted(fields), n=3)
    return UnknownField(last.name, tuple(dict.fromkeys(checked)), tuple(close))


def _follow(node: object, steps: tuple[paths.Step, ...]) -> dict | None:
    from . import schema

    current = schema.deref(node)
    for step in steps:
        if current is None:
            return None
        if isinstance(step, paths.Key):
            props = current.get("properties") or {}
            nxt = props.get(step.name, current.get("additionalProperties"))
        elif isinstance(step, paths.AnyKey):
            nxt = current.get("additionalProperties")
        else:
            nxt = current.get("items")
        current = schema.deref(nxt) if isinstance(nxt, dict) else None
    return current


def check_path(
    expanded: list[tuple[tuple[paths.Step, ...], frozenset[str] | None]],
    match_kinds: tuple[str, ...],
    text: str,
    where: Where,
) -> None:
    """A path's last field must be one Kubernetes knows in the kinds the rule matches (each
    place of a path set in the kinds of that place)."""
    found = []
    for steps, set_kinds in expanded:
        if not match_kinds and set_kinds is None:
            continue  # no kind named: no schema says what the resource has
        kinds = [k for k in match_kinds or KIND_ORDER if set_kinds is None or k in set_kinds]
        unknown = unknown_field(kinds, steps)
        if unknown is not None:
            found.append(unknown)
    if not found:
        return
    kinds = [kind for unknown in found for kind in unknown.kinds]
    suggestions = found[0].suggestions
    advice = (
        f"did you mean {suggestions[0]!r}?" if suggestions else "check the field's name in the Kubernetes API reference"
    )
    raise UserError(
        f"path {text!r} ends in {found[0].name!r}, which is not a field there in Kubernetes "
        f"{KUBE_RELEASE} ({', '.join(kinds)}); {advice}",
        where,
    )
