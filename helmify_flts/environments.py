"""Environments: one chart, a minimal values overlay per environment.

The base folder is the reference. For each environment folder, every difference from the
reference is either under a field a rule already lifts (its value goes into the overlay) or is
lifted here automatically under a key derived from the component and the field. Resources that
only some environments have get a switch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import field, replace
from typing import Any

from yaml.nodes import Node

from . import kyaml
from .components import camel
from .decisions import Accept, decide, file_hint, liftable
from .errors import Notice, UserError
from .existing import Guard
from .kyaml import same
from .manifests import POD_TEMPLATE, Resource
from .match import AUTOMATIC, Automatic, Hit, Mode
from .paths import MISSING, FieldPath, Found, Item, plain_name
from .plan import BASE, ResourcePlan
from .records import record
from .rules import ExistingRule
from .transforms import TRANSFORMS
from .values import Leaf, Values, ValuesConflict, block_breaks, dotted, inexpressible

# Readable names for where automatic keys come from, longest match first: the pod spec and the
# main container (the first) sit right under the resource's values path, as rule keys do.
KEY_PREFIXES = tuple(
    sorted(
        (
            (("spec", "jobTemplate", "spec", "template", "spec", "containers", 0), ()),
            (("spec", "template", "spec", "containers", 0), ()),
            (("spec", "containers", 0), ()),
            (("spec", "jobTemplate", "spec", "template", "spec"), ()),
            (("spec", "template", "spec"), ()),
            (("spec", "jobTemplate", "spec", "template", "metadata", "labels"), ("podLabels",)),
            (("spec", "template", "metadata", "labels"), ("podLabels",)),
            (("spec", "template", "metadata", "annotations"), ("podAnnotations",)),
            (("spec",), ()),
        ),
        key=lambda pair: -len(pair[0]),
    )
)


@record
class Environment:
    name: str
    objects: dict[tuple, dict]  # identity -> object as Kubernetes reads it
    # The folder's objects as built, where planning compares others (refactorings.provided puts
    # the base's credentials where the folder reads them from a Secret of its own): what they read.
    built: dict[tuple, dict] | None = None


@record
class Override:
    """One key an environment sets differently, for the report."""

    key: tuple[str, ...]
    base: Any
    value: Any
    resource: Resource
    names: tuple[str, ...]
    automatic: bool = False


@record
class Unrenamed:
    """A reference to an object users may replace (``existingSecret``) inside a field that differs
    between environments and is read whole from values: the switch does not rename it there."""

    switch: tuple[str, ...]  # the switch's values key
    target: Resource  # the object the switch replaces
    holder: tuple[str, ...] | None  # the values key that holds the field around the reference
    about: tuple  # (identity, pointer) of the reference, as refactorings name the ones they settle


@record(frozen=False)
class EnvPlan:
    plans: list[ResourcePlan]  # each with its automatic hits and its switch
    unrenamed: list[Unrenamed] = field(default_factory=list)


def diff(a: Any, b: Any, path: tuple = ()) -> Iterator[tuple[str, tuple]]:
    """Where two objects differ: ('changed'|'added'|'removed'|'insert'|'list', path), list steps
    as :class:`Item` (index in ``a``, name). Lists that only gain named items report 'insert' and
    their items' own differences; lists changed any other way are reported whole."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in a:
            if key not in b:
                yield "removed", path + (key,)
        for key in b:
            if key not in a:
                yield "added", path + (key,)
        for key in a:
            if key in b:
                yield from diff(a[key], b[key], path + (key,))
    elif isinstance(a, list) and isinstance(b, list):
        old, new = _names(a), _names(b)
        # A list left with no items goes whole: switched-off items would render null, not [].
        if b and _same_order(a, b) and old != new:
            at = {name: i for i, name in enumerate(new)}
            if set(at) - set(old):
                yield "insert", path
            for i, (x, name) in enumerate(zip(a, old, strict=True)):
                if name in at:
                    yield from diff(x, b[at[name]], path + (Item(i, name),))
                else:
                    yield "omit", path + (Item(i, name),)
        elif len(a) != len(b) or old != new:
            yield "list", path
        else:
            for i, (x, y, name) in enumerate(zip(a, b, old, strict=True)):
                yield from diff(x, y, path + (Item(i, name),))
    elif not same(a, b):
        yield "changed", path


def _same_order(a: list, b: list) -> bool:
    """Both lists have uniquely named items, and the items they share come in the same order
    (so ``b`` is ``a`` with items added and/or left out: an extra env var, a dropped port)."""
    old, new = _names(a), _names(b)
    if None in new or None in old or len(set(new)) != len(new) or len(set(old)) != len(old):
        return False
    shared = set(old) & set(new)
    return [n for n in old if n in shared] == [n for n in new if n in shared]


def slots(ref: list, env: list) -> list[str | None]:
    """Names of the reference items that ``env`` adds items before; None for the end."""
    known, out, pending = set(_names(ref)), [], False
    for name in _names(env):
        if name is not None and name in known:
            if pending:
                out.append(name)
            pending = False
        else:
            pending = True
    return out + ([None] if pending else [])


def added_before(ref: list, env: list, slot: str | None) -> list:
    """The items ``env`` adds right before the reference item ``slot`` (None: at the end)."""
    known, run = set(_names(ref)), []
    for item, name in zip(env, _names(env), strict=True):
        if name is not None and name in known:
            if name == slot:
                return run
            run = []
        else:
            run.append(item)
    return run if slot is None else []


def _names(items: list) -> list:
    return [plain_name(item) for item in items]


def minimal(default: Any, value: Any) -> Any:
    """What to write over ``default`` to get ``value`` with Helm's merge (maps merge deeply,
    null deletes a key, anything else replaces)."""
    if not (isinstance(default, dict) and isinstance(value, dict)):
        return value
    out = {
        k: (v if k not in default else minimal(default[k], v))
        for k, v in value.items()
        if k not in default or not same(default[k], v)
    }
    out.update({k: None for k in default if k not in value})
    return out


def object_path(root: Node, path: FieldPath | tuple) -> tuple:
    """A node path (keys and item names as written) as an object path (as Kubernetes reads them)."""
    return FieldPath(tuple(path)).as_read(root).steps


def auto_key(base: tuple[str, ...], found: Found, kind: str) -> tuple[str, ...]:
    """``inference`` + ``spec.template.spec.terminationGracePeriodSeconds`` ->
    ``inference.terminationGracePeriodSeconds``."""
    raw = tuple(p.index if isinstance(p, Item) else p for p in found.path)
    lead: tuple[str, ...] = ()
    rest = found.path
    for prefix, replacement in KEY_PREFIXES:
        if raw[: len(prefix)] == prefix and len(raw) > len(prefix):
            lead, rest = replacement, found.path[len(prefix) :]
            break
    named: list[str] = []
    steps = list(rest)
    while steps:
        p = steps.pop(0)
        if isinstance(p, Item) and p.name and named[-1:] == ["env"]:
            # An environment variable keeps its own name, as the default rules key its value
            # (env.LOG_LEVEL); its valueFrom sits beside those values (envValueFrom.LOG_LEVEL),
            # not under one of them.
            if steps[:1] == ["valueFrom"]:
                named[-1] = "envValueFrom"
                steps.pop(0)
            named.append(p.name)
        else:
            named.append(
                camel(p.name) if isinstance(p, Item) and p.name else str(p.index) if isinstance(p, Item) else p
            )
    return base + lead + tuple(named)


def plan_overlays(
    plans: tuple[ResourcePlan, ...],
    reference: dict[Resource, dict],
    envs: list[Environment],
    taken: set[tuple[str, ...]],
    chart: str,
    read_paths: dict | None = None,
) -> EnvPlan:
    """Add automatic hits for uncovered differences; switches for resources not everywhere.

    ``taken`` holds the values keys already in use (automatic keys avoid them). Where a field
    cannot be lifted (:func:`decisions.decide` declines it), the field around it is lifted whole;
    ``chart`` names the chart for those decisions. ``read_paths``: as :func:`overlay` has it."""
    read_paths = {} if read_paths is None else read_paths
    result = EnvPlan([])
    everywhere = {BASE} | {e.name for e in envs}
    keys = _Keys(taken, [hit for p in plans for hit in p.hits])
    # Workloads first: where a Service and its Deployment differ in the same field, the workload
    # keeps the component's plain key and the other gets its kind (see _cover); the plans and
    # the references a switch misses keep their order.
    planned: dict[int, ResourcePlan] = {}
    unrenamed: dict[int, list[Unrenamed]] = {}
    targets: dict[tuple[str, ...], Resource] = {}
    for resource_plan in plans:
        if resource_plan.existing is not None:
            targets.setdefault(resource_plan.existing.key, resource_plan.resource)
    workloads_first = sorted(range(len(plans)), key=lambda i: (plans[i].resource.kind not in POD_TEMPLATE, i))
    reads = _Readers()
    for at in workloads_first:
        resource_plan = plans[at]
        res, base = resource_plan.resource, resource_plan.base
        own = list(resource_plan.hits)
        # Data shared through YAML aliases differs at every place it is used: each list and each
        # difference is looked at once, so the work follows the data, not its expansion.
        whole_ok: dict[tuple, bool] = {}
        covered: set[tuple] = set()
        for env in envs:
            obj = env.objects.get(res.identity)
            if obj is None:
                continue
            for kind, steps in diff(reference[res], obj):
                named = FieldPath(steps)
                unnamed = next((i for i, p in enumerate(named) if isinstance(p, Item) and p.name is None), None)
                if unnamed is not None and kind != "insert" and not _read_by_rule(named.plain, own):
                    prefix = (env.name, named[:unnamed])
                    if prefix not in whole_ok:
                        whole_ok[prefix] = _whole_ok(res, named[:unnamed], obj)
                    if whole_ok[prefix]:
                        # args[6] or egress[0].to[0]: positions make poor keys; the list goes whole.
                        kind, named = "list", named[:unnamed]
                parts = named.plain
                if kind != "insert":
                    if (kind, parts) in covered:
                        continue
                    covered.add((kind, parts))
                if kind == "insert":
                    places = slots(named.resolve(reference[res]), named.resolve(obj))
                    covered_by = _cover_insert(res, named, own, base, places, keys)
                elif kind == "omit":
                    covered_by = _cover_omit(res, named, own, base, keys)
                else:
                    covered_by = _cover(res, kind, named, own, base, keys)
                own = _widen(res, own, covered_by, base, keys, chart)
        others = [env.objects[res.identity] for env in envs if res.identity in env.objects]
        own = _guard_empty(res, own, reference[res], others, read_paths)
        kept = set(map(id, own))
        for hit in resource_plan.hits:
            if isinstance(hit.rule, ExistingRule) and id(hit) not in kept:
                holder = next((h.key for h in own if h.parts == hit.parts[: len(h.parts)] and _holds_items(h)), None)
                fact = Unrenamed(hit.key, targets[hit.key], holder, (res.identity, hit.found.path.plain))
                unrenamed.setdefault(at, []).append(fact)
        toggle = None
        # A base resource users may replace with their own (existingSecret) that an environment
        # does not have, but reads, is provided there: its switch names it, and no other switch is
        # needed. Where no environment without it reads it (an overlay with a namespace of its own
        # deploys its own copies), naming it there would say the environment uses a Secret it does
        # not: it is switched off instead.
        provided = (
            resource_plan.existing is not None
            and BASE in resource_plan.presence
            and any(reads(env, res) for env in envs if res.identity not in env.objects)
        )
        if resource_plan.presence != everywhere and not provided:
            where = ", ".join(sorted(resource_plan.presence))
            key = base + (camel(res.kind), "enabled")
            toggle = Guard(key, BASE in resource_plan.presence, f"Render {res.title} (present in: {where})")
        planned[at] = replace(resource_plan, hits=tuple(own), toggle=toggle)
    result.plans.extend(planned[i] for i in range(len(plans)))
    result.unrenamed.extend(u for i in range(len(plans)) for u in unrenamed.get(i, []))
    return result


class _Readers:
    """Whether an environment's objects name a resource that their folder does not have (an env
    var's secretKeyRef, a volume, an envFrom source), in its namespace or with no namespace written
    on one side (it lands where the folder is applied); each environment's references are found
    once, when asked."""

    def __init__(self) -> None:
        self._named: dict[str, dict[tuple[str, str], set[str]]] = {}

    def __call__(self, env: Environment, res: Resource) -> bool:
        from .references import find_references

        named = self._named.get(env.name)
        if named is None:
            named = self._named[env.name] = {}
            for ref in find_references(env.objects if env.built is None else env.built):
                if ref.target is None:  # the folder has no such object: one from elsewhere
                    named.setdefault((ref.target_kind, ref.target_name), set()).add(ref.source[2])
        spaces = named.get((res.kind, res.name), set())
        return res.identity[2] in spaces or bool(spaces) and ("" in spaces or not res.identity[2])


def _holds_items(hit: Hit) -> bool:
    """Whether the hit's key holds its field's own value (not a name, an added tail or a switch)."""
    return not isinstance(hit.rule, ExistingRule) and hit.mode not in (Mode.APPEND, Mode.ITEM)


def unrenamed_notices(facts: list[Unrenamed], settled: Collection[tuple] = ()) -> list[Notice]:
    """One warning per switch that misses references (not one per reference: a generated Secret
    whose hash differs per environment is named by every reference to it), leaving out those in
    ``settled`` (references a refactoring makes follow the switch)."""
    groups: dict[tuple[str, ...], list[Unrenamed]] = {}
    for fact in facts:
        if fact.about not in settled:
            groups.setdefault(fact.switch, []).append(fact)
    out = []
    for switch, group in groups.items():
        key, target = dotted(switch), group[0].target
        holders = ", ".join(dict.fromkeys(dotted(fact.holder) for fact in group if fact.holder))
        many = len(group) > 1
        refs = f"{len(group)} references that differ" if many else "1 reference that differs"
        out.append(
            Notice(
                f"{target.title}: {key} does not rename it in {refs} between environments and "
                f"{'are' if many else 'is'} read whole from values{f' ({holders})' if holders else ''}; where "
                f"you set {key}, set your {target.kind}'s name in {'those values' if many else 'that value'} too",
                target.where,
                code="existing-not-applied",
            )
        )
    return out


def _widen(
    res: Resource, before: list[Hit], after: list[Hit], base: tuple[str, ...], keys: _Keys, chart: str
) -> list[Hit]:
    """Automatic hits that would not be lifted (a custom tag, an empty list to append to) give way
    to the field around them, lifted whole; a top-level field stays as it is, with its notice."""
    for hit in [h for h in after if not any(h is b for b in before)]:
        decision = decide(hit, chart)
        if isinstance(decision, Accept):
            continue
        if len(hit.parts) < 2:
            # No field around it is left to lift: the environment's difference cannot be carried.
            why = decision.reason.removeprefix(f"{res.title} {hit.field} left as is: ") or "it cannot be lifted"
            raise UserError(
                f"{res.title} {hit.field} differs between environments, but Helm values cannot carry it "
                f"({why}); make that field the same in every environment, or keep those "
                "environments in charts of their own",
                res.where,
            )
        rest = [h for h in after if h is not hit]
        keys.free(hit.key)
        after = _widen(
            res, rest, _cover(res, "changed", hit.found.path[:-1], rest, base, keys, force=True), base, keys, chart
        )
    return after


def _guard_empty(res: Resource, own: list[Hit], reference: dict, others: list[dict], read_paths: dict) -> list[Hit]:
    """Optional fields guarded by presence where an empty list or map must reach the manifest.

    The chart writes an optional list or map only when it holds something (``with``), and one
    the base has empty always (``tls: []`` in the base renders in every environment). An environment
    that has the field empty where the base has items or nothing (``tls: []`` in dev only), or
    leaves out a field the base has empty, needs the field written whenever its key is not null:
    an empty list or map renders as it is, a null (the environment has no such field) renders
    nothing."""
    out = []
    for hit in own:
        if hit.mode is Mode.OPTIONAL and not isinstance(hit.rule, ExistingRule):
            path = _as_read(hit, read_paths)
            base = _filled(path, reference)
            states = {_filled(path, obj) for obj in others if not path.left_out(obj)}
            if (base != "empty" and "empty" in states) or (base == "empty" and "missing" in states):
                # The rule keeps its key and its doc; a transform would read the key its own way,
                # so a field lifted through one is taken over as it is.
                rule = AUTOMATIC if hit.rule.transform else hit.rule
                hit = Hit(rule, res, hit.found, hit.key, mode=Mode.PRESENT)
        out.append(hit)
    return out


def _filled(path: FieldPath, obj: Any) -> str:
    """Whether ``obj`` has the field at ``path``: ``missing``, ``empty`` (an empty list or map) or ``set``."""
    value = path.resolve(obj)
    if value is MISSING:
        return "missing"
    return "empty" if isinstance(value, (list, dict)) and not value else "set"


def _whole_ok(res: Resource, named: FieldPath, env_obj: Any) -> bool:
    """Whether a list can be lifted whole: Helm must carry it in the base and this environment."""
    found = named.locate(res.node, as_read=True)
    return found.node is not None and liftable(found.node) is None and inexpressible(named.resolve(env_obj)) is None


class _Keys:
    """Values keys in use, so automatic keys never land on (or inside, or above) another key."""

    def __init__(self, taken: set[tuple[str, ...]], hits: list[Hit]) -> None:
        # Keys of rule hits are counted so that a key frees up when a whole lift takes its
        # field over (inference.env becomes the whole env list, not env2); others stay.
        self.users = Counter(h.key for h in hits)
        self.leaves = set(taken) | set(self.users)
        # The resource whose automatic keys each field under a component's values path holds
        # (inference.metadata): another resource's go under its kind (see _cover).
        self.owners: dict[tuple[str, ...], tuple] = {}
        self._rebuild()

    def _rebuild(self) -> None:
        self.branches = {key[:i] for key in self.leaves for i in range(1, len(key))}

    def release(self, key: tuple[str, ...]) -> None:
        if self.users.get(key):
            self.users[key] -= 1
            if not self.users[key]:
                self.leaves.discard(key)
                self._rebuild()

    def free(self, key: tuple[str, ...]) -> None:
        """Give back a key: a rule hit's (counted) or an automatic one (claimed once)."""
        if self.users.get(key):
            self.release(key)
        else:
            self.leaves.discard(key)
            self._rebuild()

    def available(self, key: tuple[str, ...]) -> bool:
        """Whether ``key`` is no key in use, nor inside or above one."""
        return not (
            key in self.leaves or key in self.branches or any(key[:i] in self.leaves for i in range(1, len(key)))
        )

    def claim(self, key: tuple[str, ...]) -> tuple[str, ...]:
        # Number the segment that collides: when a shorter key is already a leaf, no suffix on
        # the last segment can free the path, so the number goes where the paths part.
        at = next((i - 1 for i in range(1, len(key)) if key[:i] in self.leaves), len(key) - 1)
        candidate, n = key, 1
        while (
            candidate in self.leaves
            or candidate in self.branches
            or any(candidate[:i] in self.leaves for i in range(1, len(candidate)))
        ):
            n += 1  # ends: each number gives a new path, and only finitely many are taken
            candidate = key[:at] + (f"{key[at]}{n}",) + key[at + 1 :]
        self.leaves.add(candidate)
        self.branches.update(candidate[:i] for i in range(1, len(candidate)))
        return candidate


def _cover_insert(
    res: Resource, path: FieldPath, own: list[Hit], base: tuple[str, ...], places: list[str | None], keys: _Keys
) -> list[Hit]:
    """Items an environment adds to a named list: one values key per place they go."""
    parts = path.plain
    if any(h.mode not in (Mode.APPEND, Mode.ITEM) and h.parts == parts[: len(h.parts)] for h in own):
        return own  # the list (or something holding it) is lifted whole
    found = path.locate(res.node, as_read=True)
    list_key = auto_key(base, found, res.kind)
    extra = "extra" + list_key[-1][:1].upper() + list_key[-1][1:]
    for slot in places:
        if any(h.mode is Mode.APPEND and h.parts == parts and h.slot == slot for h in own):
            continue
        key = keys.claim(list_key[:-1] + ((extra,) if slot is None else (extra + "Before", slot)))
        own = own + [Hit(AUTOMATIC, res, found, key, slot, Mode.APPEND)]
    return own


def _cover_omit(res: Resource, named: FieldPath, own: list[Hit], base: tuple[str, ...], keys: _Keys) -> list[Hit]:
    """An item some environment leaves out of a named list: a switch for that item."""
    parts, name = named[:-1].plain, named[-1].name
    if any(h.mode not in (Mode.APPEND, Mode.ITEM) and h.parts == parts[: len(h.parts)] for h in own):
        return own  # the list (or something holding it) is lifted whole
    if any(h.mode is Mode.ITEM and h.parts == parts and h.slot == name for h in own):
        return own
    found = named[:-1].locate(res.node, as_read=True)
    list_key = auto_key(base, found, res.kind)
    key = keys.claim(list_key[:-1] + (list_key[-1] + "Items", name))
    return own + [Hit(AUTOMATIC, res, found, key, name, Mode.ITEM)]


def _read_by_rule(parts: tuple, own: list[Hit]) -> bool:
    """Whether a rule's key reads the field at ``parts`` (or a field holding it): a claim
    template's size, found by ``metadata.name`` in a list whose items have no ``name``. Its key
    is then the override, and the list need not go whole."""
    for hit in own:
        if hit.mode in (Mode.APPEND, Mode.ITEM) or isinstance(hit.rule, ExistingRule):
            continue
        if parts[: len(hit.parts)] == hit.parts:
            return True
    return False


def _cover(
    res: Resource, kind: str, path: FieldPath, own: list[Hit], base: tuple[str, ...], keys: _Keys, force: bool = False
) -> list[Hit]:
    parts = path.plain
    for hit in own:
        hp = hit.parts
        if hit.mode in (Mode.APPEND, Mode.ITEM) or (force and hp == parts):
            continue  # an appended tail or an item switch does not hold the list's own items
        if isinstance(hit.rule, ExistingRule):
            continue  # its key names a Secret of the user's, not this environment's own name for it
        if parts[: len(hp)] == hp:
            if hp == parts and kind in ("added", "removed") and hit.mode not in (Mode.OPTIONAL, Mode.PRESENT):
                # A lifted field that some environment leaves out: render it only when set.
                replacement = Hit(AUTOMATIC, res, hit.found, hit.key, mode=Mode.PRESENT)
                return [replacement if h is hit else h for h in own]
            return own
    # Rule hits inside a field lifted whole give way to it, and so do their keys.
    kept = [h for h in own if h.parts[: len(parts)] != parts]
    for hit in own:
        if hit.parts[: len(parts)] == parts:
            keys.release(hit.key)
    found = path.locate(res.node, as_read=True)
    mode = Mode.PRESENT if kind in ("added", "removed") else Mode.VALUE
    key = auto_key(base, found, res.kind)
    stem = key[: len(base) + 1]
    if not keys.available(key) or keys.owners.get(stem, res.identity) != res.identity:
        # Another resource of the component has that field too (a Service's and a Deployment's
        # metadata.labels, where an overlay adds a label to both): its kind tells them apart, where
        # a number would read as another label's name (environment2), and their maps stay apart.
        qualified = (*base, camel(res.kind), *key[len(base) :])
        key = qualified if keys.available(qualified) else key
    key = keys.claim(key)
    keys.owners.setdefault(key[: len(base) + 1], res.identity)
    return kept + [Hit(AUTOMATIC, res, found, key, mode=mode)]


def overlay(
    name: str,
    env: Environment,
    plans: tuple[ResourcePlan, ...],
    base_values: Values,
    base_files: dict[str, str],
    read_paths: dict | None = None,
) -> tuple[Values, list[Override], dict[str, str]]:
    """The values an environment needs on top of values.yaml, and the files they point at.
    ``read_paths``: each hit's path as Kubernetes reads it, filled by the first environment and
    shared by the others of one build (it depends on the base only)."""
    read_paths = {} if read_paths is None else read_paths
    out = Values()
    overrides: list[Override] = []
    files: dict[str, str] = {}

    def put(key: tuple[str, ...], value: Any, res: Resource, names: tuple[str, ...], auto: bool = False) -> None:
        leaf = base_values.get(key)
        default = leaf.value if isinstance(leaf, Leaf) else None
        if same(default, value):
            return
        # An environment's own field renders through toYaml (it may hold a map elsewhere), so text
        # that toYaml cannot write is refused even where it stands alone.
        reason, fix = inexpressible(value), "quote it or change"
        if reason is None and (reason := block_breaks(value)) is not None:
            fix = "change"  # quoting cannot help text that toYaml writes raw
        if reason:
            raise UserError(
                f"[{name}] {res.title}: the value for {dotted(key)} cannot pass through Helm "
                f"values ({reason}); {fix} it in that environment",
                res.where,
            )
        doc = leaf.doc if isinstance(leaf, Leaf) else ""
        try:
            out.put(key, minimal(default, value), doc, "")
        except ValuesConflict:
            raise UserError(
                f"values key {dotted(key)} is shared by several fields, but environment {name} gives "
                f"them different values; give {res.title} its own key with a rule",
                res.where,
            ) from None
        overrides.append(Override(key, default, value, res, names, auto))

    for resource_plan in plans:
        if resource_plan.toggle is not None:
            put(resource_plan.toggle.key, resource_plan.resource.identity in env.objects, resource_plan.resource, ())
        elif resource_plan.existing is not None and resource_plan.resource.identity not in env.objects:
            put(resource_plan.existing.key, resource_plan.resource.name, resource_plan.resource, ())
    for hit in (hit for p in plans for hit in p.hits):
        if isinstance(hit.rule, ExistingRule):
            continue  # names of user-managed resources are not environment data
        obj = env.objects.get(hit.resource.identity)
        if obj is None or isinstance(base_values.get(hit.key), dict) or base_values.get(hit.key) is None:
            continue
        path = _as_read(hit, read_paths)
        if hit.mode is Mode.ITEM:
            items = path.resolve(obj)
            put(hit.key, isinstance(items, list) and hit.slot in _names(items), hit.resource, ())
            continue
        if path.left_out(obj):
            continue  # inside an item this environment leaves out: its switch says so
        value = path.resolve(obj)
        if hit.mode is Mode.APPEND:
            reference = kyaml.construct(hit.found.node) if hit.found.node is not None else []
            value = added_before(reference, value, hit.slot) if isinstance(value, list) else []
        if value is MISSING:
            if hit.found.node is None:
                continue  # an optional knob that neither the base nor this environment sets
            value = None
        elif value is None and hit.found.node is None:
            # Set to null here, absent in the base: in values a null means "unset", so the knob
            # would render nothing where this environment's manifest has the key.
            raise UserError(
                f"[{name}] {hit.resource.title}: {hit.field} is null in this environment and absent "
                "in the base, which Helm values cannot tell apart (a null unsets a key); remove "
                "the key or give it a value in that environment",
                hit.resource.where,
            )
        elif value is None and hit.mode in (Mode.OPTIONAL, Mode.PRESENT):
            # Set to null here: the knob renders its field only when its key is not null, so the
            # chart would leave out the key this environment's manifest writes.
            raise UserError(
                f"[{name}] {hit.resource.title}: {hit.field} is null in this environment, and its values key "
                f"{dotted(hit.key)} renders nothing for a null (a null unsets a key); remove the key, which "
                "Kubernetes reads the same, or give it a value in that environment",
                hit.resource.where,
            )
        elif hit.rule.transform and (
            TRANSFORMS[hit.rule.transform].required
            or isinstance(base_values.get(hit.key).value, dict)
            # A list joined into a text, a Secret's data decoded: the base holds it transformed.
            or (hit.found.node is not None and base_values.get(hit.key).value != kyaml.construct(hit.found.node))
        ):
            # The base holds the transformed value (split image, file path): so must the overlay.
            transform = TRANSFORMS[hit.rule.transform]
            lifted = transform.keep(value, file_hint(hit, name, base_values.get(hit.key).value))
            base_value = base_values.get(hit.key).value
            if lifted is not None and lifted.files and base_files.get(base_value) in lifted.files.values():
                continue  # the same content as the base's file
            if lifted is None:
                # The template reads this key through the transform (a file path, image parts):
                # a value of another shape would reach the template raw.
                raise UserError(
                    f"[{name}] {hit.resource.title} {hit.field}: this environment's value cannot be held the "
                    f"way the base's is ({transform.description}); give it the same kind of value as the base",
                    hit.resource.where,
                )
            files.update(lifted.files)
            value = lifted.value
        put(hit.key, value, hit.resource, hit.names, isinstance(hit.rule, Automatic))
    return out, overrides, files


def _as_read(hit: Hit, read_paths: dict) -> FieldPath:
    """The hit's path as Kubernetes reads it, made once per build (it depends on the base only)."""
    path = read_paths.get((hit.resource.identity, hit.found.path))
    if path is None:
        path = read_paths[hit.resource.identity, hit.found.path] = hit.found.path.as_read(hit.resource.node)
    return path


def load_objects(resources: tuple[Resource, ...]) -> dict[tuple, dict]:
    return {r.identity: kyaml.construct(r.node) for r in resources}
