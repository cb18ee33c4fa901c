"""Pure matching: which rule claims which field of which resource, under which values key."""

from __future__ import annotations

from enum import Enum

from .components import Component, fill, key_bindings, matches
from .errors import Notice, UserError
from .manifests import Resource
from .paths import Found, walk
from .records import record
from .rules import ExistingRule, FieldRule, RuleSet


class Mode(Enum):
    """How a lifted field reads its values key."""

    VALUE = "value"  # the field's value is the key's value
    OPTIONAL = "optional"  # rendered only when set (absent fields too: they render nothing until set)
    PRESENT = "present"  # rendered whenever not null: set in some environments only
    APPEND = "append"  # a list that values extend; ``slot`` names the item added items go before
    ITEM = "item"  # a list item rendered only when the key is true; ``slot`` names it

    @classmethod
    def of(cls, rule: FieldRule) -> Mode:
        return cls.APPEND if rule.append else cls.OPTIONAL if rule.optional else cls.VALUE


@record
class Automatic:
    """Where automatic hits come from: a difference between environments that no rule covers."""

    id: str = "environment-difference"
    description: str = "Differs between environments; lifted automatically."
    builtin: bool = False
    transform: None = None  # as a field rule with no transform and no default
    default: None = None

    @property
    def label(self) -> str:
        return f"{self.id} (environment difference)"

    def doc_for(self, mode: Mode) -> str:
        return {
            Mode.VALUE: "Differs between environments",
            Mode.PRESENT: "Set in some environments only",
            Mode.APPEND: "Items some environments add to the list",
            Mode.ITEM: "Render this item (some environments leave it out)",
        }[mode]


AUTOMATIC = Automatic()


@record
class Hit:
    """A field a rule lifts: the resource, where in it, and the values key that will hold it."""

    rule: FieldRule | ExistingRule | Automatic
    resource: Resource
    found: Found
    key: tuple[str, ...]
    slot: str | None = None  # APPEND: the item added items go before (None: the end); ITEM: the item
    mode: Mode = Mode.VALUE

    @property
    def parts(self) -> tuple[str | int, ...]:
        return self.found.path.plain

    @property
    def names(self) -> tuple[str, ...]:
        """Key and item names along the field's path (used to spot credentials)."""
        return self.found.path.names

    @property
    def field(self) -> str:
        return str(self.found.path)


def find_hits(
    resources: tuple[Resource, ...],
    components: dict[Resource, Component],
    bases: dict[Resource, tuple[str, ...]],
    ruleset: RuleSet,
) -> tuple[list[Hit], list[Notice]]:
    """Every field claimed by a rule, with conflicts resolved by layer or reported as errors."""
    hits: list[Hit] = []
    used: set[FieldRule] = set()
    field_rules = ruleset.field_rules
    # The rules that name kinds leave out most resources: each kind's candidates are picked
    # once (in rule order), not tested again for every resource of that kind.
    # With each rule go its paths for the kind and its mode, made once per kind too.
    by_kind: dict[str, list[tuple[FieldRule, tuple, Mode]]] = {}
    for res in resources:
        candidates = by_kind.get(res.kind)
        if candidates is None:
            candidates = by_kind[res.kind] = [
                (r, r.paths_for(res.kind), Mode.of(r))
                for r in field_rules
                if not r.match.kinds or res.kind in r.match.kinds
            ]
        comp = components[res]
        base_bindings = key_bindings(res, comp, bases[res])
        claimed: list[Hit] = []
        for rule, rule_paths, mode in candidates:
            if not matches(rule.match, res, comp):
                continue
            for steps in rule_paths:
                for found in walk(res.node, steps, missing_last=rule.optional):
                    bound = {**base_bindings, **dict(found.bindings)} if found.bindings else base_bindings
                    key = fill(rule.key, bound)
                    claimed.append(Hit(rule, res, found, key, mode=mode))
        kept = _resolve(claimed)
        used.update(h.rule for h in kept)
        hits.extend(kept)
    notices = [
        Notice(f"rule {rule.id!r} matched nothing", rule.where, code="unused-rule")
        for rule in ruleset.field_rules
        if rule not in used and not rule.builtin
    ]
    return hits, notices


class _Claims:
    """The hits kept for one resource, their paths as a tree of steps. Two hits clash when one's
    path lies on the other's (above it, at it or under it) and both append or neither does, or
    they have the very same path (a list's appended tail does not touch its own items). A hit
    meets the kept hits its path overlaps along its own steps, not through a pass over every kept
    hit (12,000 env values made that quadratic)."""

    def __init__(self) -> None:
        self.kept: list[Hit] = []
        self._appends: list[bool] = []  # by kept index: whether that hit appends
        self._root: list = [{}, [], []]  # a node: [children by step, kept hits there, kept hits below]

    def add(self, hit: Hit) -> None:
        index = len(self.kept)
        self.kept.append(hit)
        self._appends.append(hit.mode is Mode.APPEND)
        node = self._root
        for step in hit.found.path.plain:
            node[2].append(index)
            below = node[0].get(step)  # (setdefault would build an unused default at every step)
            if below is None:
                below = node[0][step] = [{}, [], []]
            node = below
        node[1].append(index)

    def first_clash(self, hit: Hit) -> Hit | None:
        """The earliest kept hit ``hit`` clashes with, or None."""
        append, first = hit.mode is Mode.APPEND, len(self.kept)
        node: list | None = self._root
        groups = []
        for step in hit.found.path.plain:
            groups.append(node[1])  # type: ignore[index]
            node = node[0].get(step)  # type: ignore[index]
            if node is None:
                break
        if node is not None:  # the hit's own path is in the tree: the hits at it and under it
            groups += (node[1], node[2])
        for indices in groups:
            for index in indices:  # each in the order the hits were kept
                if index >= first:
                    break
                if self._appends[index] == append or self.kept[index].found.path == hit.found.path:
                    first = index
                    break
        return self.kept[first] if first < len(self.kept) else None


def _resolve(claimed: list[Hit]) -> list[Hit]:
    """Drop hits shadowed by a higher layer; two rules of one layer on one field is an error."""
    claims = _Claims()
    for hit in sorted(claimed, key=lambda h: -h.rule.layer):
        clash = claims.first_clash(hit)
        if clash is None:
            claims.add(hit)
            continue
        if clash.rule is hit.rule and clash.found.path == hit.found.path:
            continue
        if clash.rule.layer == hit.rule.layer:
            raise UserError(
                f"rules {hit.rule.label} and {clash.rule.label} both claim "
                f"{hit.resource.title} {clash.found.path}"
                f"{'' if clash.found.path == hit.found.path else f' / {hit.found.path}'}; "
                "narrow one rule's match or path",
                hit.rule.where,
            )
    return sorted(claims.kept, key=_source_order)


def _source_order(hit: Hit) -> tuple[int, int]:
    """Hits in the order their fields appear in the source; absent fields at their parent's end."""
    if hit.found.node is not None:
        return (hit.found.node.start_mark.index, 0)
    return (hit.found.parent.end_mark.index, 1)


def merge(hits: list[Hit], extra: list[Hit]) -> list[Hit]:
    """Add hits that no existing hit overlaps (a field lifted whole keeps its content)."""
    by_res: dict[Resource, list[Hit]] = {}
    for hit in hits:
        by_res.setdefault(hit.resource, []).append(hit)
    claims: dict[Resource, _Claims] = {}  # made only for the resources extra hits are in
    out = list(hits)
    for hit in extra:
        mine = claims.get(hit.resource)
        if mine is None:
            mine = claims[hit.resource] = _Claims()
            for kept in by_res.get(hit.resource, []):
                mine.add(kept)
        if mine.first_clash(hit) is None:
            out.append(hit)
            mine.add(hit)
    return out
