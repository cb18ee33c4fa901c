"""What every refactoring is made of, and the one place declared changes are applied.

A refactoring has two halves that never look at each other:

- ``declare``: a pure function on the source objects (identity -> plain dict) that says what the
  chart must render instead: per object a JSON Patch, objects added and objects removed, each
  with the rule id and why. The proof compares the render with exactly this.
- ``template``: the change to the chart that makes it render that: edits of a resource's
  template tree, switches that stop a resource from rendering, and files added to the chart.

Values only the render can know (the checksum of a rendered template) are :class:`Rendered`
placeholders in the declared objects, resolved against the rendered texts by the proof.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from dataclasses import field, replace
from typing import Any, Protocol

from ..records import record
from ..scopes import Scopes, declared

Identity = tuple[str, str, str, str]  # (group, kind, namespace, name), as render.identity gives it

RENDERED = "$rendered"  # how a placeholder is written in JSON (recorded declarations)


@record
class Rendered:
    """A value known only from the render: the sha256 of the rendered text of ``template``
    (a chart path such as ``templates/config.yaml``)."""

    template: str

    def as_json(self) -> dict:
        return {RENDERED: {"sha256Of": self.template}}

    def resolve(self, texts: Mapping[str, str]) -> str | None:
        for name, text in texts.items():
            if name.split("/", 1)[-1] == self.template:
                return hashlib.sha256(text.encode("utf-8")).hexdigest()
        return None


@record
class Context:
    """What a declaration may depend on besides the objects: the proof's release and namespace,
    the chart's name and versions, and each object's component (from the grouping of sources)."""

    release: str
    namespace: str
    chart: str
    chart_version: str = "0.1.0"
    app_version: str = "1.0.0"
    components: Mapping[Identity, str] = field(default_factory=dict)
    # Template half only: the Go condition under which each resource renders (its component's
    # switch and its guards), for changes that depend on whether another resource renders.
    conditions: Mapping[Identity, str] = field(default_factory=dict)
    bases: Mapping[Identity, tuple[str, ...]] = field(default_factory=dict)  # each resource's values path
    # Per resource, the values key each field lifted whole reads (path -> key); both halves get the
    # same (refactorings.lifted_fields).
    lifted: Mapping[Identity, Mapping[tuple, tuple[str, ...]]] = field(default_factory=dict)
    # Each resource's component values path, and the objects the chart is made from (every
    # folder's), which refactorings that plan once for all folders read: an environment's
    # declaration then follows the same plan as the template.
    component_keys: Mapping[Identity, tuple[str, ...]] = field(default_factory=dict)
    objects: Mapping[Identity, dict] = field(default_factory=dict)
    # Declaration only: the identity each source object has after the earlier rules, where it
    # changed (release-names), for rules that plan on the sources and apply to what those left.
    renamed: Mapping[Identity, Identity] = field(default_factory=dict)
    # Template half only: every refactoring rule of the run, for the opt-in extras, which follow
    # the conventions (release-aware names, namespace and selectors) whichever order packs come in.
    rules: tuple[Any, ...] = ()
    # Template half only: each environment folder's objects (the base's are the ones planned),
    # for changes that must hold in every folder where an environment's objects name others (a
    # generated ConfigMap or Secret whose hash changes with an overlay's content).
    folders: tuple[Mapping[Identity, dict], ...] = ()
    folder_names: tuple[str, ...] = ()  # each environment's name, in the order of ``folders``
    # A generated object's name without kustomize's hash (Resource.key_name), where it has one:
    # chart files and annotation keys are named after it, so they stay when the content changes.
    key_names: Mapping[Identity, str] = field(default_factory=dict)
    # Template half only: the values key of each object's existingSecret switch, where it has one,
    # for a reference read whole from values (it differs between environments), which the switch's
    # own ``default "name"`` does not reach.
    existing: Mapping[Identity, tuple[str, ...]] = field(default_factory=dict)
    # Template half only: the folders each resource is in (plan.BASE and environment names), for
    # references between objects that no one folder has both of (an overlay's renamed copy of a
    # workload naming a Service of the base's): no folder's declaration follows those.
    presence: Mapping[Identity, frozenset[str]] = field(default_factory=dict)
    # The chart's objects (``objects``) that the base folder does not have, only some environments'
    # folders: with ``folders``, what each folder holds, so a plan made for every folder knows the
    # base folder's own objects too.
    env_only: frozenset[Identity] = frozenset()
    # What refactorings work out from ``objects`` alone (which nothing changes), kept for the
    # run: every folder's declaration plans on them, and a Context made from this one by
    # dataclasses.replace shares the dict. See :meth:`of_objects`.
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def of_objects(self, name: str, objects: Mapping[Identity, dict], work: Any) -> Any:
        """``work(objects)``, computed once per run when ``objects`` are the chart's (``self.objects``)."""
        if objects is not self.objects or not objects:
            return work(objects)
        if name not in self.memo:
            self.memo[name] = work(objects)
        return self.memo[name]

    def key_name(self, ident: Identity) -> str:
        """The name chart files and keys of ``ident`` are made of (see ``key_names``)."""
        return self.key_names.get(ident, ident[3])

    def now(self, ident: Identity) -> Identity:
        """The identity the source object ``ident`` has after the earlier rules."""
        return self.renamed.get(ident, ident)

    def prefixed(self, ident: Identity, name: str) -> str:
        """``name`` for an object split off the source object ``ident``: with the release prefix
        where an earlier rule (release-names) gave that object the prefix."""
        from .release_names import new_name

        return new_name(self.release, name) if self.now(ident)[3] == new_name(self.release, ident[3]) else name

    def every_folder(self) -> tuple[Mapping[Identity, dict], ...]:
        """Each folder's objects, the base folder's first (from ``objects``, ``env_only`` and ``folders``)."""
        base = {i: obj for i, obj in self.objects.items() if i not in self.env_only}
        return (base, *self.folders)


@record
class Edit:
    """A change of one source object: JSON Patch operations (RFC 6902) on it."""

    identity: Identity
    ops: tuple[dict, ...]
    rule: str
    why: str


@record
class Added:
    object: dict
    rule: str
    why: str
    owner: Identity | None = None  # the source object it was split off (its component is the owner's)


@record
class Removed:
    identity: Identity
    rule: str
    why: str


Change = Edit | Added | Removed


# The template half: edits of a resource's tree, by plain pointer (keys and list indices).
@record
class Named:
    """A pointer part: the item of a list (containers, env, volumes) whose ``name`` is this. A rule
    that works on objects an earlier rule reshaped points by name, since an item the earlier rule
    renders only when a value is set (a claim volume) has no index in the object."""

    name: str


@record
class Expr:
    """A Helm expression that prints one scalar (``{{ .Release.Name | quote }}``, the braces left out)."""

    text: str


@record
class Put:
    """Set the field at ``pointer`` to ``value`` (plain data or an :class:`Expr`), creating maps on
    the way; a last part ``-`` appends to a list, an index replaces its item."""

    pointer: tuple[str | int, ...]
    value: Any


@record
class Drop:
    """Remove a mapping's key, or a list's item by index."""

    pointer: tuple[str | int, ...]


@record
class PutUnless:
    """Render the field at ``pointer`` only when the Go condition ``condition`` is false."""

    pointer: tuple[str | int, ...]
    condition: str


@record
class Replace:
    """In the text at ``pointer`` (as written, or as a values key or file gives it), replace the
    literal ``old`` with what the Go expression ``new`` prints."""

    pointer: tuple[str | int, ...]
    old: str
    new: str


@record
class MergeInto:
    """Add ``entries`` (key -> :class:`Expr`) to the mapping at ``pointer``; where that mapping is
    read from a values key that renders only when set (podAnnotations), merged into it. With
    ``unless`` (a Go condition) the entries render only while it is false; ``when`` gives each
    entry, in order, a Go condition it renders under too ("" for none)."""

    pointer: tuple[str | int, ...]
    entries: tuple[tuple[str, Expr], ...]
    unless: str = ""
    when: tuple[str, ...] = ()


@record
class Rename:
    """The field at ``pointer`` names ``old``, which is now called what the Go expression ``new``
    prints; a field read from values with ``default "old"`` (existingSecret) keeps its key, and one
    read whole from values prints the new name of whichever renamed object its value names."""

    pointer: tuple[str | int, ...]
    old: str
    new: str
    # Other names the field holds in other folders (an environment's generated Secret), each with
    # the Go expression of its new name: a field read from values renames whichever it holds.
    also: tuple[tuple[str, str], ...] = ()
    # The Go expression of the existingSecret switch of each name's object (old or one of also)
    # that has one: a field read whole from values names the user's Secret where it is set.
    existing: tuple[tuple[str, str], ...] = ()


@record
class RenameHosts:
    """In the text at ``pointer``, each match of a pattern (RE2; group 1 is what follows the host
    name) gets the host name the Go expression prints. ``base64``: the field holds the text
    base64-encoded (a Secret's ``data``), decoded before and encoded again after. ``before``: per
    form, the items that come just before the field's item where it is a list item (a host-like
    flag), one per folder; empty where any item may (the first item, or a form from elsewhere).
    ``json``: per form, its pattern for the field's text inside a JSON string as toJson writes it
    (a value read whole from values is renamed in its JSON text, where a quote, a tab, ``&``,
    ``<`` or ``>`` next to the host name is escaped); where absent, the form's own pattern."""

    pointer: tuple[str | int, ...]
    forms: tuple[tuple[str, str], ...]
    base64: bool = False
    before: tuple[tuple[str, ...], ...] = ()
    json: tuple[str, ...] = ()


TreeEdit = Put | Drop | PutUnless | Replace | MergeInto | Rename | RenameHosts


@record
class Switch:
    """A values switch a resource renders under (``namespace.create``), like an environment's."""

    key: tuple[str, ...]
    default: bool
    doc: str


@record
class SwitchedOn:
    """Objects of ``kinds`` that ``template`` renders only while the values switch ``key`` is on
    (off by default): additions of ``rule`` that verify accepts, checked for shape, when the key
    is set. ``source`` names a source resource whose template it is, until the file is known."""

    key: tuple[str, ...]
    kinds: tuple[str, ...]
    rule: str
    why: str
    template: str = ""
    source: Identity | None = None


@record(frozen=False)
class TemplateChanges:
    """What the refactorings do to the chart: per resource identity, its tree edits and switches;
    values keys they add; and files they add (``templates/x.yaml`` -> text)."""

    edits: dict[Identity, list[TreeEdit]] = field(default_factory=dict)
    switches: dict[Identity, list[Switch]] = field(default_factory=dict)
    values: list[tuple[tuple[str, ...], Any, str]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    own_files: dict[Identity, str] = field(default_factory=dict)  # resources moved to a template of their own
    warnings: list[str] = field(default_factory=list)  # what a refactoring could not prove it changed
    switched: list[SwitchedOn] = field(default_factory=list)  # what a switch adds when turned on
    # Resources whose rendered name is a template expression (release-names): identity -> the
    # expression, for text that names them (NOTES.txt).
    names: dict[Identity, str] = field(default_factory=dict)
    # Labels a rule adds to resources' metadata (standard-labels): identity -> label -> value, for
    # objects a later rule makes with a copy of a resource's labels (a headless Service).
    labels: dict[Identity, dict[str, Any]] = field(default_factory=dict)
    # Reference fields read whole from values that follow their Secret's existingSecret switch
    # (release-names): (identity, pointer), whose warning that the switch misses them is void.
    switched_refs: set[tuple[Identity, tuple]] = field(default_factory=set)

    def edit(self, ident: Identity, *edits: TreeEdit) -> None:
        self.edits.setdefault(ident, []).extend(edits)


class Refactoring(Protocol):
    """A named, built-in transformation; ``options`` are the rule's, validated by ``check_options``."""

    name: str
    summary: str
    options: Mapping[str, str]  # option name -> what it means (documented, and the only ones allowed)

    def declare(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any
    ) -> list[Change]:  # pragma: no cover - protocol
        ...

    def template(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any, chart: str, out: TemplateChanges
    ) -> None:  # pragma: no cover - protocol
        ...


@record
class Declared:
    """The sources with every declared change applied: what the chart must render."""

    expected: dict[Identity, Any]
    renamed: dict[Identity, Identity]  # source identity -> rendered identity, where it changes
    edits: dict[Identity, list[Edit]]  # per source identity
    added: list[Added]
    removed: list[Removed]
    changes: tuple[Change, ...] = ()  # in the order they apply, as recorded for verify

    @property
    def empty(self) -> bool:
        return not (self.edits or self.added or self.removed)


_ATOMS = frozenset({str, int, float, bool, type(None)})


def plain_copy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """A deep copy of a plain object (maps, lists and scalars, as YAML and JSON give them), about
    three times faster than copy.deepcopy. Like deepcopy, a map or list that two places share (a
    large YAML alias, which yamldoc keeps shared to bound memory) is copied once and stays shared
    in the copy. Anything else (a Rendered placeholder) goes through copy.deepcopy."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if memo is None:
        memo = {}
    if kind is dict or kind is list:
        made = memo.get(id(value))
        if made is not None:
            return made
        if kind is dict:
            out: Any = {}
            memo[id(value)] = out
            for key, item in value.items():
                out[key] = item if type(item) in _ATOMS else plain_copy(item, memo)
        else:
            out = []
            memo[id(value)] = out
            out.extend(item if type(item) in _ATOMS else plain_copy(item, memo) for item in value)
        return out
    return copy.deepcopy(value)


def apply(
    objects: Mapping[Identity, dict], changes: list[Change], isolated: bool = True, scopes: Scopes | None = None
) -> Declared:
    """Apply declared changes in order. An edit names its object as the earlier changes left it
    (a later rule sees a renamed object under its new identity).

    ``isolated``: the result shares no object with ``objects``. Otherwise an object no change
    edits is the one given (declare's steps between rules, whose objects the next rule only
    reads): copying every object at every step was most of the production pack's time."""
    import jsonpatch

    from ..render import identity

    # An edited object's identity as the sources' has it: its kind's scope may come from a
    # CustomResourceDefinition among the objects (``scopes``: theirs, where ``objects`` is a part).
    scopes = declared(objects.values()) if scopes is None else scopes
    current = {ident: plain_copy(obj) for ident, obj in objects.items()} if isolated else dict(objects)
    owned = set(current) if isolated else set()  # identities whose object is this call's own copy
    # current identity -> source identity, or the index in ``added`` of an object a rule added:
    # a later rule's edit of an added object (its labels, its release-aware name) folds into
    # what the report lists as added, since it has no source to be a change of.
    origin: dict[Identity, Identity | int] = {ident: ident for ident in objects}
    edits: dict[Identity, list[Edit]] = {}
    added: list[Added] = []
    removed: list[Removed] = []
    mine: dict[int, Any] = {}  # maps and lists _own_path made for one place (held, so their ids stay theirs)
    for change in changes:
        if isinstance(change, Edit):
            obj = current.pop(change.identity)
            if change.identity not in owned:
                obj = plain_copy(obj)
            owned.discard(change.identity)
            # In place, on this call's own copy; the operations' values are copied in, so that a
            # later edit of the same object never changes what an earlier change recorded.
            for op in change.ops:
                _own_path(obj, op.get("path"), mine)
                _own_path(obj, op.get("from"), mine)
            obj = jsonpatch.apply_patch(obj, plain_copy(list(change.ops)), in_place=True)
            source = origin.pop(change.identity)
            new = identity(obj, scopes)
            if new in current:  # two objects made one: what the chart must render would lose one
                raise ValueError(
                    f"rule {change.rule}: the declared change of {change.identity} gives it the identity of "
                    "another object"
                )
            current[new], origin[new] = obj, source
            owned.add(new)
            if isinstance(source, int):
                added[source] = replace(added[source], object=obj)
            else:
                edits.setdefault(source, []).append(change)
        elif isinstance(change, Removed):
            current.pop(change.identity, None)
            origin.pop(change.identity, None)
            owned.discard(change.identity)
            removed.append(change)
        else:
            new = identity(change.object, scopes)
            if new in current:
                raise ValueError(f"rule {change.rule}: the object it adds has the identity of another object, {new}")
            current[new], origin[new] = plain_copy(change.object), len(added)
            owned.add(new)
            added.append(change)
    renamed = {source: ident for ident, source in origin.items() if not isinstance(source, int) and ident != source}
    expected: dict[Identity, Any] = dict(current)
    return Declared(expected, renamed, edits, added, removed, tuple(changes))


def _own_path(obj: Any, pointer: Any, mine: dict[int, Any]) -> None:
    """Give each map and list on the way to the JSON pointer ``pointer`` (its parent included) a
    copy of its own, unless it is one already (in ``mine``). A copy keeps what two places share (a
    large YAML alias) shared; a patch in place on it would change every place that shares it."""
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        return
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")[:-1]]
    for part in parts:
        if isinstance(obj, dict) and part in obj:
            key: str | int = part
        elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            key = int(part)
        else:
            return  # not there: the patch itself says what is wrong
        child = obj[key]
        if type(child) not in (dict, list):
            return
        if id(child) not in mine:
            child = dict(child) if type(child) is dict else list(child)
            mine[id(child)] = child
            obj[key] = child
        obj = child


def resolve(value: Any, texts: Mapping[str, str]) -> Any:
    """``value`` with each :class:`Rendered` placeholder replaced by what the render gave (None
    when the named template did not render, which then differs from anything)."""
    if isinstance(value, Rendered):
        return value.resolve(texts)
    if isinstance(value, dict):
        return {k: resolve(v, texts) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, texts) for v in value]
    return value


def has_rendered(value: Any) -> bool:
    if isinstance(value, Rendered):
        return True
    if isinstance(value, dict):
        return any(has_rendered(v) for v in value.values())
    if isinstance(value, list):
        return any(has_rendered(v) for v in value)
    return False


def to_json(value: Any) -> Any:
    """Placeholders written as ``{"$rendered": {...}}``, for the recorded declarations."""
    if isinstance(value, Rendered):
        return value.as_json()
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    return value


def from_json(value: Any) -> Any:
    """The inverse of :func:`to_json`."""
    if isinstance(value, dict):
        if set(value) == {RENDERED} and isinstance(value[RENDERED], dict):
            template = value[RENDERED].get("sha256Of")
            if isinstance(template, str):
                return Rendered(template)
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def selects(match: Any, ident: Identity, obj: dict, ctx: Context) -> bool:
    """Whether a rule's ``match`` (rules.Match) selects a plain object, as components.matches
    does for a resource. An object an earlier rule renamed (release-names, release-namespace) is
    matched by its source's name, namespace and component too: the rule names what the user
    wrote, and the template half, which works on the sources, matches it so."""
    from ..components import namesake
    from ..globs import fnmatchcase

    api = str(obj.get("apiVersion", ""))
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
    source = next((old for old, new in ctx.renamed.items() if new == ident), ident) if ctx.renamed else ident
    component = ctx.components.get(source, "")
    names = {ident[3], source[3], ctx.key_name(source)}
    checks = [
        not match.kinds or ident[1] in match.kinds and (bool(match.api_versions) or not namesake(api, ident[1])),
        not match.api_versions or any(fnmatchcase(api, g) for g in match.api_versions),
        not match.names or any(fnmatchcase(name, g) for name in names for g in match.names),
        not match.namespaces or any(fnmatchcase(ns, g) for ns in {ident[2], source[2]} for g in match.namespaces),
        all(str(labels.get(k)) == v for k, v in match.labels),
        not match.components or any(fnmatchcase(component, g) for g in match.components),
    ]
    return all(checks)


def pointer_text(parts: tuple[str | int, ...]) -> str:
    """A JSON pointer (RFC 6901) for plain keys and indices."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def get(obj: Any, parts: tuple[str | int, ...]) -> Any:
    for part in parts:
        if isinstance(obj, dict) and isinstance(part, str):
            obj = obj.get(part)
        elif isinstance(obj, list) and isinstance(part, int) and part < len(obj):
            obj = obj[part]
        else:
            return None
    return obj
