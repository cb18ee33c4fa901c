"""A team's own values file (``convert --values-layout FILE``): which manifest field each of its
keys stands for, decided once and written as an ordinary rule file.

Pure: the team file is read by :mod:`teamvalues`; this module takes its leaves and a first
conversion (its resources, components and lifts) and decides. A key is matched within its
component (the leading keys naming a component: ``train.gru`` is ``train-gru``) by value, compared
the way Kubernetes reads it, and by name. A key two fields fit equally well is ambiguous and
reported with its candidates, never settled silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import field
from decimal import Decimal, InvalidOperation
from typing import Any

from . import kyaml
from .chart import Result
from .components import Component
from .manifests import Resource
from .paths import FieldPath, Item
from .records import record
from .rewrite import Lift
from .transforms import TRANSFORMS, split_image, split_registry
from .values import dotted

WIRED, CONFLICT, UNREAD, AMBIGUOUS = "wired", "conflict", "read by no template", "ambiguous"
IMAGE_PARTS = {"registry", "repository", "tag", "digest"}


@record
class TeamLeaf:
    """One key of the team's file: its path, its value as Helm reads it, its line."""

    path: tuple[str, ...]
    value: Any
    line: int

    @property
    def dotted(self) -> str:
        return dotted(self.path)


@record
class Field:
    """A manifest field a team key may stand for, and how its value would be held."""

    resource: Resource
    path: FieldPath
    value: Any  # as the team would write it (an image's parts, a list, decoded text)
    transform: str | None
    tokens: frozenset[str]
    lift: Lift | None = None

    @property
    def label(self) -> str:
        return f"{self.resource.title} {self.path}" if len(self.path) else self.resource.title


@record
class Match:
    """A team key and the field it stands for (``fields`` empty: matched nothing)."""

    key: TeamLeaf
    status: str
    fields: tuple[Field, ...] = ()
    score: float = 0.0
    team_value: Any = None
    note: str = ""


@record(frozen=False)
class Layout:
    """Every team key's match, and the component each prefix of the team's file names."""

    matches: list[Match] = field(default_factory=list)
    components: dict[tuple[str, ...], Component] = field(default_factory=dict)  # team prefix -> component
    members: dict[tuple[str, ...], tuple[Resource, ...]] = field(default_factory=dict)

    def wired(self) -> list[Match]:
        return [m for m in self.matches if m.status in (WIRED, CONFLICT) and m.fields]


# Words that say nothing about what a field is: structure of every workload.
_STRUCTURE = {"spec", "template", "containers", "value", "values", "data", "string", "metadata", "items", "config"}
_SYNONYMS = {
    "cfg": "config",
    "replica": "replicas",
    "replicacount": "replicas",
    "count": "replicas",
    "storage": "size",
    "ports": "port",
    "pwd": "password",
    "pass": "password",
    "passwd": "password",
    "user": "username",
    "env": "env",
    "envs": "env",
    "img": "image",
}
# Fields that make a resource what it is: never a team's knob.
_IDENTITY = {("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace")}
_IDENTITY_PREFIXES = (("metadata", "labels"), ("spec", "selector"), ("spec", "template", "metadata", "labels"))


def words(text: str) -> list[str]:
    """``datasetName``, ``DATASET_NAME``, ``dataset-name`` -> dataset, name."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def tokens(parts: Any) -> frozenset[str]:
    out: set[str] = set()
    for part in parts:
        for word in words(str(part)):
            word = _SYNONYMS.get(word, word)
            if word not in _STRUCTURE:
                out.add(word)
    return frozenset(out)


def same_value(a: Any, b: Any) -> bool:
    """Equal as Kubernetes reads them: ``"13"`` and ``13``, ``"true"`` and true, ``1000m`` and 1."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    if a is None or b is None:
        return a is b
    return _scalar(a) == _scalar(b)


_SUFFIXES = {
    "m": Decimal("0.001"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")


def _scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return ("bool", value)
    text = str(value).strip() if isinstance(value, str) else value
    if isinstance(text, str):
        if text.lower() in ("true", "false"):
            return ("bool", text.lower() == "true")
        m = _QUANTITY.match(text) if len(text) < 64 else None
        if m:
            try:
                return ("number", (Decimal(m.group(1)) * _SUFFIXES.get(m.group(2) or "", Decimal(1))).normalize())
            except InvalidOperation:
                return ("text", text)
        return ("text", text)
    if isinstance(value, (int, float)):
        try:
            return ("number", Decimal(str(value)).normalize())
        except InvalidOperation:
            return ("text", str(value))
    return ("text", str(value))


def distinctive(value: Any) -> bool:
    """A value unlikely to be equal by chance: a text of some length that is not a number."""
    return isinstance(value, str) and len(value) >= 4 and _scalar(value)[0] == "text"


# ---------------------------------------------------------------- components


def components_of(result: Result) -> dict[Component, tuple[Resource, ...]]:
    conv = result.conversion
    return {conv.component_of_file[f]: tuple(rs) for f, rs in sorted(conv.components.items())}


def component_names(comps: dict[Component, tuple[Resource, ...]]) -> dict[tuple[str, ...], set[Component]]:
    """Each component by the words of its values path and of its resources' names."""
    named: dict[tuple[str, ...], set[Component]] = {}
    for comp, members in comps.items():
        spellings = {comp.key} | {(r.name,) for r in members if r.kind not in ("Secret", "ConfigMap")}
        for spelling in spellings:
            named.setdefault(tuple(w for part in spelling for w in words(part)), set()).add(comp)
    return named


def component_for(
    path: tuple[str, ...],
    comps: dict[Component, tuple[Resource, ...]],
    named: dict[tuple[str, ...], set[Component]] | None = None,
) -> tuple[int, Component] | tuple[int, None]:
    """How many leading keys of ``path`` name a component, and which (longest first): by its
    values path or a resource's name, in any case style (``inferenceLb``, ``train.gru``)."""
    named = component_names(comps) if named is None else named
    for k in range(min(len(path) - 1, 4), 0, -1):
        found = named.get(tuple(w for part in path[:k] for w in words(part)), set())
        if len(found) == 1:
            return k, next(iter(found))
    # Else the one component whose name holds the words of the prefix's last key (fastapi for
    # fastapi-app, train.prophet for nonml-prophet).
    for k in range(min(len(path) - 1, 4), 0, -1):
        last = set(words(path[k - 1]))
        found = {c for spelled, comps_ in named.items() if last <= set(spelled) for c in comps_}
        if len(found) == 1:
            return k, next(iter(found))
    # A layout for one service (helm create's replicaCount, image) has no component keys.
    workloads = [c for c, rs in comps.items() if any(_pod_spec(r) for r in rs)]
    if len(workloads) == 1:
        return 0, workloads[0]
    return 0, None


def _pod_spec(res: Resource) -> bool:
    return res.kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod")


# ---------------------------------------------------------------- candidate fields


def fields_of(
    members: tuple[Resource, ...], lifts: list[Lift], comp: Component, defaults: dict[str, Any]
) -> list[Field]:
    """Every field of a component's resources a team key could stand for, with its words."""
    own = tokens(comp.key)
    lift_at = {(lift.resource, lift.path): lift for lift in lifts if lift.resource in members}
    out: list[Field] = []
    for res in members:
        obj = kyaml.construct(res.node)
        kind_words = tokens([res.kind])
        for parts, value in _walk(obj, ()):
            if parts in _IDENTITY or any(parts[: len(p)] == p for p in _IDENTITY_PREFIXES):
                continue
            if parts and parts[-1] == "name" and len(parts) > 1 and isinstance(parts[-2], int):
                continue  # an item's own name (a container, an env var, a port)
            path = FieldPath.named(parts, obj)
            lift = lift_at.get((res, path)) or _enclosing(lift_at, res, path)
            key_words = tokens(lift.key[len(comp.key) :]) if lift else frozenset()
            inner = tokens((s.name or "") if isinstance(s, Item) else s for s in path)
            base = frozenset((inner | key_words | kind_words) - own) or (inner | key_words)
            out.extend(_forms(res, path, value, base, lift_at.get((res, path))))
    for (res, path), lift in lift_at.items():
        if lift.optional_absent:
            key_words = tokens(lift.key[len(comp.key) :])
            out.append(Field(res, path, defaults.get(lift.rule), None, key_words, lift))
    return out


def _enclosing(lift_at: dict, res: Resource, path: FieldPath) -> Lift | None:
    for i in range(len(path) - 1, 0, -1):
        lift = lift_at.get((res, path[:i]))
        if lift is not None:
            return lift
    return None


def _walk(obj: Any, parts: tuple) -> Iterator[tuple[tuple, Any]]:
    if parts:
        yield parts, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(k, str):
                yield from _walk(v, parts + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk(v, parts + (i,))


def _forms(res: Resource, path: FieldPath, value: Any, words_: frozenset[str], lift: Lift | None) -> Iterator[Field]:
    """The ways a team may write one field's value: as it is, and as its parts."""
    yield Field(res, path, value, None, words_, lift)
    if not isinstance(value, str):
        return
    last = path[-1] if len(path) else ""
    if last == "image" and split_image(value):
        yield Field(res, path, split_image(value), "image", words_, lift)
        yield Field(res, path, split_registry(value), "image-registry", words_, lift)
    if res.kind == "Secret" and len(path) == 2 and path[0] == "data":
        decoded = TRANSFORMS["base64"].lift(value, "")
        if decoded is not None:
            yield Field(res, path, decoded.value, "base64", words_, lift)
    if _scalar(value)[0] != "text":
        yield Field(res, path, value, "text", words_, lift)
    for name in ("join-space", "join-comma", "join-comma-space"):
        lifted = TRANSFORMS[name].lift(value, "")
        if lifted is not None and len(lifted.value) > 1:
            yield Field(res, path, lifted.value, name, words_, lift)


# ---------------------------------------------------------------- matching


def similarity(key_words: frozenset[str], field_words: frozenset[str]) -> float:
    if not key_words or not field_words:
        return 0.0
    return len(key_words & field_words) / len(key_words | field_words)


def match_all(leaves: list[TeamLeaf], tree: dict, result: Result) -> Layout:
    """Decide, for every key of the team's file, the field it stands for."""
    comps = components_of(result)
    lifts = list(result.conversion.lifts)
    defaults = {rule.id: rule.default for rule in result.ruleset.field_rules}
    layout = Layout()
    cache: dict[Component, FieldIndex] = {}
    proposals: list[Match] = []
    named = component_names(comps)
    lines: dict[tuple[str, ...], int] = {}
    for team_leaf in leaves:
        for i in range(1, len(team_leaf.path) + 1):
            lines.setdefault(team_leaf.path[:i], team_leaf.line)
    for unit in _units(tree, ()):
        path, value = unit
        k, comp = component_for(path, comps, named)
        leaf = TeamLeaf(path, value, lines.get(path, 0))
        if comp is None:
            proposals.append(Match(leaf, UNREAD, note="no component of this name"))
            continue
        layout.components.setdefault(path[:k], comp)
        layout.members.setdefault(path[:k], comps[comp])
        if path[k:] == ("enabled",):
            # The component's own switch, which every chart has; not a field of a manifest.
            proposals.append(Match(leaf, WIRED if k else UNREAD, note=f"switches {'.'.join(path[:k])} on and off"))
            continue
        if path[-1] == "enabled" and isinstance(value, bool):
            proposals.append(Match(leaf, UNREAD, note="a switch for something the manifests do not have"))
            continue
        secrets = [r for r in comps[comp] if r.kind == "Secret"]
        if words(path[-1]) == ["existing", "secret"] and isinstance(value, str):
            # The switch that names a Secret the team manages instead of the chart's.
            if len(secrets) == 1:
                switch = Field(secrets[0], FieldPath(()), value, "existing", frozenset({"existing", "secret"}))
                proposals.append(Match(leaf, WIRED, (switch,), 1.0))
            else:
                why = "the component has no Secret" if not secrets else "the component has several Secrets"
                proposals.append(
                    Match(
                        leaf,
                        AMBIGUOUS if secrets else UNREAD,
                        tuple(Field(r, FieldPath(()), value, "existing", frozenset()) for r in secrets[:5]),
                        note=why,
                    )
                )
            continue
        if comp not in cache:
            cache[comp] = FieldIndex(fields_of(comps[comp], lifts, comp, defaults))
        proposals.append(_best(leaf, path[k:], cache[comp]))
    layout.matches = _one_key_per_field(proposals)
    return layout


def image_like(value: Any) -> bool:
    """A map holding an image's parts (``repository``, ``tag``, maybe ``registry``, ``digest``)."""
    return (
        isinstance(value, dict)
        and "repository" in value
        and all(not isinstance(value[k], (dict, list)) for k in set(value) & IMAGE_PARTS)
    )


def _units(tree: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """The team's keys: each map whole (it may stand for a field whole, or be an image's
    parts), then its keys one by one."""
    if isinstance(tree, dict) and tree:
        if path:
            yield path, tree
        for key, value in tree.items():
            if isinstance(key, str):
                yield from _units(value, path + (key,))
        return
    if path:
        yield path, tree


def _choose(leaf: TeamLeaf, key_words: frozenset[str], found: list[Field], status: str, team: Any = None) -> Match:
    scored = sorted(((similarity(key_words, f.tokens), f) for f in found), key=lambda sf: -sf[0])
    top = scored[0][0]
    best = _distinct([f for s, f in scored if s == top])
    if len(best) > 1:
        why = "equal values and equally close names" if status == WIRED else "same name, value differs from each"
        return Match(leaf, AMBIGUOUS, tuple(best[:5]), top, note=why)
    # Said, not wired: the same value elsewhere (a host in both tls and rules) keeps its own key.
    others = [f.label for f in _distinct([f for _, f in scored]) if f is not best[0] and f.label != best[0].label]
    note = f"the same value is also at {', '.join(others[:3])}{' ...' if len(others) > 3 else ''}" if others else ""
    shown = status == WIRED and distinctive(leaf.value)  # small numbers recur everywhere
    return Match(leaf, status, (best[0],), top or 0.01, team_value=team, note=note if shown else "")


class FieldIndex:
    """A component's fields by value and by word, so each team key looks only at the few fields
    that could fit it (a team file may have many thousands of keys)."""

    def __init__(self, fields: list[Field]) -> None:
        self.fields = fields
        self.by_value: dict[Any, list[Field]] = {}
        self.collections: list[Field] = []
        self.by_word: dict[str, list[Field]] = {}
        for f in fields:
            if isinstance(f.value, (dict, list)):
                self.collections.append(f)
            else:
                self.by_value.setdefault(_scalar(f.value) if f.value is not None else None, []).append(f)
            for word in f.tokens:
                self.by_word.setdefault(word, []).append(f)

    def with_value(self, value: Any) -> list[Field]:
        if isinstance(value, (dict, list)):
            return self.collections
        return self.by_value.get(_scalar(value) if value is not None else None, [])

    def with_words(self, words_: set[str]) -> list[Field]:
        seen: dict[int, Field] = {}
        for word in sorted(words_):
            for f in self.by_word.get(word, []):
                seen.setdefault(id(f), f)
        return list(seen.values())


def _best(leaf: TeamLeaf, rest: tuple[str, ...], index: FieldIndex) -> Match:
    value = leaf.value
    key_words = tokens(rest)
    if image_like(value):
        return _best_image(leaf, key_words, index.fields)
    is_map = isinstance(value, dict) and bool(value)
    equal = [f for f in index.with_value(value) if _fits(value, f) and same_value(value, f.value)]
    if equal:
        scored = [similarity(key_words, f.tokens) for f in equal]
        if max(scored) == 0 and not (len(_distinct(equal)) == 1 and (distinctive(value) or is_map)):
            if len(_distinct(equal)) == 1:
                return Match(leaf, UNREAD, note=f"only its value matches {equal[0].label}")
            return Match(leaf, AMBIGUOUS, tuple(_distinct(equal)[:5]), note="equal values, no name to choose by")
        return _choose(leaf, key_words, equal, WIRED)
    if is_map:
        return Match(leaf, UNREAD)  # its keys are matched one by one
    # No equal value: a field of the same name is this key with another value (a conflict).
    last = {_SYNONYMS.get(w, w) for w in words(rest[-1])[-1:]} if rest else set()
    named = [
        f
        for f in index.with_words(last)
        if f.transform in (None, "text")
        and _fits(value, f)
        and key_words
        and len(key_words & f.tokens) >= max(1, len(key_words) - 1)  # all but one of its words
        and last & f.tokens
    ]
    if not named:
        return Match(leaf, UNREAD)
    return _choose(leaf, key_words, named, CONFLICT, value)


def _best_image(leaf: TeamLeaf, key_words: frozenset[str], fields: list[Field]) -> Match:
    team = {k: v for k, v in leaf.value.items() if k in IMAGE_PARTS}
    kind = "image-registry" if "registry" in team else "image"
    pool = [f for f in fields if f.transform == kind]
    full = [f for f in pool if all(same_value(v, f.value.get(k, "")) for k, v in team.items())]
    if full:
        return _choose(leaf, key_words, full, WIRED)
    named = [k for k in ("registry", "repository") if k in team]
    repo = [f for f in pool if all(same_value(team[k], f.value.get(k, "")) for k in named)]
    if repo:
        return _choose(leaf, key_words, repo, CONFLICT, team)
    if "image" in key_words and pool:
        return _choose(leaf, key_words, pool, CONFLICT, team)
    return Match(leaf, UNREAD)


def _fits(value: Any, f: Field) -> bool:
    """Whether the team's value can stand for the field held this way."""
    if _shape_differs(value, f.value):
        return False
    scalar = not isinstance(value, (dict, list))
    if f.transform is None:
        # A number or a boolean in values cannot render a text field as it is (an env value).
        return not (scalar and not isinstance(value, str) and value is not None and isinstance(f.value, str))
    if f.transform == "text":
        return scalar and not isinstance(value, str) and value is not None
    if f.transform == "base64":
        return scalar
    return f.transform.startswith("join") and isinstance(value, list)


def _distinct(fields: list[Field]) -> list[Field]:
    seen: dict = {}
    for f in fields:
        seen.setdefault((f.resource.identity, f.path.plain), f)
    return list(seen.values())


def _shape_differs(a: Any, b: Any) -> bool:
    return isinstance(a, dict) != isinstance(b, dict) or isinstance(a, list) != isinstance(b, list)


def _one_key_per_field(proposals: list[Match]) -> list[Match]:
    """A field takes one key: the closest by name; keys under a matched map go with it."""
    claims: dict[tuple, list[Match]] = {}
    for m in proposals:
        if m.status in (WIRED, CONFLICT) and m.fields:
            claims.setdefault((m.fields[0].resource.identity, m.fields[0].path.plain), []).append(m)
    lost: dict[int, Match] = {}
    for claimants in claims.values():
        if len(claimants) < 2:
            continue
        claimants.sort(key=lambda m: (m.status != WIRED, -m.score))
        first, second = claimants[0], claimants[1]
        if (first.status, first.score) == (second.status, second.score):
            for m in claimants:
                lost[id(m)] = Match(
                    m.key,
                    AMBIGUOUS,
                    m.fields,
                    m.score,
                    note="other keys fit this field as well: "
                    + ", ".join(c.key.dotted for c in claimants if c is not m),
                )
        else:
            for m in claimants[1:]:
                lost[id(m)] = Match(m.key, UNREAD, note=f"{first.key.dotted} fits {m.fields[0].label} better")
    out = [lost.get(id(m), m) for m in proposals]
    # A map matched whole covers its keys (an image only its parts); a map not matched is only
    # its keys.
    covered: set[tuple[str, ...]] = set()
    for m in out:
        if m.status == UNREAD or not isinstance(m.key.value, dict):
            continue
        inner = IMAGE_PARTS if image_like(m.key.value) else set(m.key.value)
        covered |= {c for c in (m.key.path + (k,) for k in m.key.value if k in inner)}
    final = []
    for m in out:
        if any(m.key.path[:i] in covered for i in range(1, len(m.key.path) + 1)):
            continue
        if isinstance(m.key.value, dict) and m.key.value and m.status != WIRED and m.status != CONFLICT:
            if m.status == UNREAD:
                continue
        final.append(m)
    return final
