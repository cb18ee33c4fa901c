"""Names of objects the release renames, written in a container's args, command or env values in
a form no schema calls a reference: a flag's value (``--webhook-name=web-admission``) or
``namespace/name`` (``--configmap=$(POD_NAMESPACE)/web``, the form ingress
controllers and operators read their own objects by). The chart cannot prove they are
references, so they stay as they are and the report lists them, as it lists Service names that
are not provably host names (those are left to release-names' own check)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from ..checks import container_texts
from .base import Identity, pointer_text

# What may stand before ``/name`` to make it ``namespace/name``: a variable a pod gets its
# namespace from ($(POD_NAMESPACE), ${NS}, $NS) or a namespace of the folder, written out.
_VARIABLE = re.compile(r"\$\([A-Za-z_][A-Za-z0-9_]*\)|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*")
_FLAG = re.compile(r"-{1,2}([A-Za-z][A-Za-z0-9_.-]*)=(.*)", re.DOTALL)
_LONE_FLAG = re.compile(r"-{1,2}([A-Za-z][A-Za-z0-9_.-]*)")  # a flag whose value is the next item


def _candidates(text: str, namespaces: set[str], before: str | None = None) -> Iterator[tuple[str, str, bool]]:
    """(flag, name, qualified) for each way ``text`` may name an object whole: the text, a flag's
    value (``--configmap=x``, or ``x`` after the item ``--configmap``: ``before``), and the name
    part of ``namespace/name`` (``qualified``)."""
    found = _FLAG.fullmatch(text)
    lone = _LONE_FLAG.fullmatch(before) if before is not None and not text.startswith("-") else None
    if found:
        flag, value = found.group(1), found.group(2)
        yield flag, value, False
    elif lone:
        flag, value = lone.group(1), text
        yield flag, value, False
    else:
        # A bare word may be anything (an app's name, a job's step): only namespace/name counts.
        flag, value = "", text
    prefix, slash, name = value.partition("/")
    if slash and "/" not in name and (prefix in namespaces or _VARIABLE.fullmatch(prefix)):
        yield flag, name, True


# Words of a flag that say which kind of object it names (``--publish-service``, ``--configmap``).
KIND_WORDS = (
    "service",
    "serviceaccount",
    "account",
    "configmap",
    "secret",
    "webhook",
    "role",
    "binding",
    "lease",
    "claim",
    "deployment",
    "statefulset",
    "daemonset",
    "ingress",
    "job",
)


def _said(flag: str, idents: list[Identity]) -> list[Identity]:
    """The objects among ``idents`` of the kind the flag's words name (``--publish-service``: the
    Service, not a ServiceAccount of the same name); none where it names another kind
    (``--secret-name`` and no such Secret); all where it names no kind."""
    joined = re.sub("[^a-z]", "", flag.lower())
    words = [w for w in KIND_WORDS if w in joined]
    words = [w for w in words if not any(w != o and w in o for o in words)]
    if not words:
        return idents
    exact = [i for i in idents if i[1].lower() in words]
    return exact or [i for i in idents if any(w in i[1].lower() for w in words)]


def unfollowed(objects: Mapping[Identity, dict], renamed: set[Identity]) -> list[str]:
    """One warning per arg, command word or env value that names an object the release renames."""
    by_name: dict[str, list[Identity]] = {}
    for ident in sorted(renamed):
        by_name.setdefault(ident[3], []).append(ident)
    namespaces = {i[2] for i in objects if i[2]}
    out = []
    for ident, obj in sorted(objects.items()):
        if not isinstance(obj, dict):
            continue
        last: tuple = ()  # the item before, in the same list: (path, text)
        for path, text in container_texts(ident, obj):
            follows = bool(last) and _next_item(last[0], path)
            before, last = (last[1] if follows else None), (path, text)
            for flag, name, qualified in _candidates(text, namespaces, before):
                # Reachable from this pod: its own namespace, or no namespace at all.
                named = [i for i in by_name.get(name, ()) if i[2] in (ident[2], "")]
                # A Service's name outside namespace/name is release-names' to follow or list.
                named = [i for i in named if qualified or i[1] != "Service"]
                if not named:
                    continue
                named = _said(flag, named)
                if not named:
                    continue
                objects_named = ", ".join(f"{i[1]}/{i[3]}" for i in named)
                out.append(
                    f"{ident[1]} {ident[3]} {pointer_text(path)}: {name!r} names {objects_named}, which the "
                    "release renames, but is not a reference the chart can follow there; left as it is"
                )
                break
    return out


def _next_item(previous: tuple, path: tuple) -> bool:
    """Whether ``path`` is the list item right after ``previous`` (the next word of args)."""
    return (
        len(path) == len(previous)
        and bool(path)
        and isinstance(path[-1], int)
        and isinstance(previous[-1], int)
        and path[:-1] == previous[:-1]
        and path[-1] == previous[-1] + 1
    )
