"""Rule files: load, validate (with file and line), and resolve ``extends``.

A rule file is YAML::

    description: what this pack is for
    extends: [workloads]              # built-in pack names or paths relative to this file
    componentLabels: [app]            # labels that name a resource's component, in order
    rules:
      - id: container-image
        description: |
          What the rule lifts, with a before/after example.
        match: {kinds: [Deployment], names: ["*"], labels: {tier: web}, components: [web]}
        path: spec.template.spec.containers[0].image   # or a list of alternative paths
        key: "{base}.image"
        transform: image
      - id: trainers
        description: Group the trainers under train.<model>.
        match: {names: [train-*]}
        component: "train.{name|short}"
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from collections.abc import Callable
from dataclasses import field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import inputfile, kubefields, kyaml, paths, pathsets, ruleschema
from .errors import UserError, Where
from .records import record
from .transforms import TRANSFORMS

BUILTIN_DIR_CANDIDATES = (
    Path(__file__).parent / "packs",  # installed wheel: the helmify_flts.packs data package
    Path(__file__).parent.parent / "rules",  # source checkout
)
DEFAULT_PACK = "default"
RESOURCE_BINDINGS = ("component", "base", "name", "kind", "namespace")
FILTERS = ("camel", "short", "lower")

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:\|([A-Za-z]+))?\}")


def schema() -> dict:
    """The rule-file JSON Schema that ships with the built-in packs."""
    return ruleschema.load(builtin_dir())


def builtin_dir() -> Path:
    return _builtin_dir(BUILTIN_DIR_CANDIDATES)


@functools.cache
def _builtin_dir(candidates: tuple[Path, ...]) -> Path:
    # Asked for by every rule and schema check of a load (about 150 times, two stats each).
    for candidate in candidates:
        if (candidate / f"{DEFAULT_PACK}.yaml").is_file():
            return candidate
    raise UserError("the built-in rule packs are missing from this installation; reinstall helmify-flts")


@record
class Match:
    """Which resources a rule applies to; every given criterion must hold."""

    kinds: tuple[str, ...] = ()
    api_versions: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    components: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()


@record
class Segment:
    """One segment of a values key pattern: literal text with ``{binding|filter}`` parts."""

    text: str

    @property
    def expands_path(self) -> bool:
        return _expands_path(self.text)


@functools.lru_cache(maxsize=1024)  # asked for each segment of each lifted field's key
def _expands_path(text: str) -> bool:
    m = _PLACEHOLDER.fullmatch(text)
    return bool(m) and m.group(1) in ("component", "base") and not m.group(2)


@record(eq=False)
class Rule:
    """What every kind of rule has: its id, where it was written, and which resources it matches."""

    id: str
    description: str
    where: Where
    layer: int
    builtin: bool
    match: Match = field(default_factory=Match)

    @property
    def label(self) -> str:
        return f"{self.id} ({self.where})"


# The kinds of rule, each its own type with its own fields; a stage takes the kind it acts on.
@record(eq=False)
class FieldRule(Rule):
    """Lifts the fields its paths reach into values keys."""

    paths: tuple[tuple[paths.Step, ...], ...] = ()
    path_texts: tuple[str, ...] = ()
    path_kinds: tuple[frozenset[str] | None, ...] = ()  # per path: the only kinds it applies to (path sets)
    key: tuple[Segment, ...] = ()
    transform: str | None = None
    optional: bool = False
    default: Any = None
    doc: str | None = None
    append: bool = False  # the field is a list that some environments extend at the end

    def paths_for(self, kind: str) -> tuple[tuple[paths.Step, ...], ...]:
        """The paths that apply to a resource of ``kind``: a path from a set applies only to
        the kinds the set places it in (a Pod's ``spec`` is not a Deployment's)."""
        if not any(self.path_kinds):
            return self.paths
        return tuple(
            steps for steps, kinds in zip(self.paths, self.path_kinds, strict=True) if kinds is None or kind in kinds
        )


@record(eq=False)
class ComponentRule(Rule):
    """Puts the resources it matches into a named component."""

    component: tuple[Segment, ...] = ()


@record(eq=False)
class ExistingRule(Rule):
    """Lets users name a resource of their own instead of the one it matches (existingSecret)."""

    existing_key: tuple[Segment, ...] = ()
    references: tuple[tuple[paths.Step, ...], ...] = ()
    reference_texts: tuple[str, ...] = ()


@record(eq=False)
class RefactorRule(Rule):
    """Changes what the chart renders on purpose, through a named built-in refactoring; every
    change it makes is declared and proven."""

    refactor: str = ""
    options: dict[str, Any] = field(default_factory=dict)


@record(eq=False)
class RuleSet:
    rules: tuple[Rule, ...]
    component_labels: tuple[str, ...]
    files: tuple[str, ...]

    @property
    def field_rules(self) -> tuple[FieldRule, ...]:
        return tuple(r for r in self.rules if isinstance(r, FieldRule))

    def reserved_keys(self) -> frozenset[str]:
        """Keys rules put right below a resource's values path ({base}.image -> image)."""
        out = {"enabled"}
        patterns = [r.key for r in self.field_rules] + [r.existing_key for r in self.existing_rules]
        for pattern in patterns:
            if len(pattern) > 1 and pattern[0].text == "{base}" and "{" not in pattern[1].text:
                out.add(pattern[1].text)
        return frozenset(out)

    @property
    def existing_rules(self) -> tuple[ExistingRule, ...]:
        return tuple(r for r in self.rules if isinstance(r, ExistingRule))

    @property
    def component_rules(self) -> tuple[ComponentRule, ...]:
        return tuple(r for r in self.rules if isinstance(r, ComponentRule))

    @property
    def refactor_rules(self) -> tuple[RefactorRule, ...]:
        """Refactorings in the order they apply: layer by layer, a later layer's rule of the same
        id replacing the earlier one."""
        latest = {r.id: r for r in self.rules if isinstance(r, RefactorRule)}
        return tuple(r for r in self.rules if isinstance(r, RefactorRule) and latest[r.id] is r)


def load_rules(
    user_files: tuple[str, ...] = (), defaults: bool = True, texts: tuple[tuple[Path, str], ...] = ()
) -> RuleSet:
    """Built-in defaults (unless disabled) then each user file, each file a layer over the last;
    then ``texts``, rule files held in memory as (the path they stand for, their text)."""
    loader = _Loader()
    if defaults:
        loader.load_file(builtin_dir() / f"{DEFAULT_PACK}.yaml", builtin=True)
    for text in user_files:
        path = Path(text)
        if not path.is_file():
            # A built-in pack by name: flts, or as reports record it, builtin:flts.yaml.
            name = text.removeprefix("builtin:").removesuffix(".yaml")
            builtin = builtin_dir() / f"{name}.yaml"
            if "/" not in name and builtin.is_file():
                path = builtin
            else:
                packs = ", ".join(sorted(p.stem for p in builtin_dir().glob("*.yaml")))
                loader.errors.append(
                    UserError(
                        f"rule file {text} not found; give a path to a YAML rule file "
                        f"or the name of a built-in pack ({packs})"
                    )
                )
                continue
        # A pack the user names is theirs to check: its rules that match nothing are reported.
        loader.load_file(path, builtin=False)
    for path, text in texts:
        loader.load_file(path, builtin=False, text=text)
    errors = loader.errors + _duplicate_ids(loader.rules)
    if errors:
        raise UserError.all_of(errors)  # every mistake of every file in one run
    return RuleSet(tuple(loader.rules), tuple(loader.component_labels), tuple(loader.loaded))


def _duplicate_ids(rules: list[Rule]) -> list[UserError]:
    seen: dict[str, Rule] = {}
    errors = []
    for rule in rules:
        first = seen.setdefault(rule.id, rule)
        if first is not rule and first.layer == rule.layer:
            errors.append(
                UserError(f"rule id {rule.id!r} is used twice (also at {first.where}); rename one", rule.where)
            )
    return errors


class _Loader:
    def __init__(self) -> None:
        self.rules: list[Rule] = []
        self.component_labels: list[str] = []
        self.loaded: list[str] = []
        self._seen: set[Path] = set()
        self._layer = -1
        self.errors: list[UserError] = []
        # Each path resolved once per load: resolving stats every folder of the path, and the
        # packs' folder was resolved for every file and every extends (a third of a load).
        self._real: dict[Path, Path] = {}

    def real(self, path: Path) -> Path:
        """``path.resolve()``, asked once per path in this load."""
        found = self._real.get(path)
        if found is None:
            found = self._real[path] = path.resolve()
        return found

    def load_file(self, path: Path, builtin: bool, chain: tuple[Path, ...] = (), text: str | None = None) -> None:
        """Load one rule file (and what it extends); its errors are collected in ``errors``."""
        try:
            self._load_file(path, builtin, chain, text)
        except UserError as exc:
            self.errors.append(exc)

    def _check_inside(self, target: Path, ext: str, first: Path, where: Where) -> None:
        """A rule file comes with the change under review: what it extends must lie in the folder
        of the rule file the command named, or in the working folder (the checkout), not
        anywhere on the machine (``/home/runner/.kube/config.yaml``, ``../../x.yaml``)."""
        real = os.path.realpath(target)
        roots = (os.path.realpath(first.parent), os.path.realpath(Path.cwd()))
        if not any(os.path.commonpath([root, real]) == root for root in roots):
            raise UserError(
                f"extends {ext!r}, which lies outside the rule file's folder and the working folder; "
                "copy the file it names next to the rule file",
                where,
            )

    def _load_file(self, path: Path, builtin: bool, chain: tuple[Path, ...], given: str | None = None) -> None:
        resolved = self.real(path)
        if resolved in self._seen:
            return
        self._seen.add(resolved)
        shown = _shown(path, self.real) if given is None else path.as_posix()
        text = _read(path, shown) if given is None else given
        try:
            docs = [n for n in kyaml.compose_all(text) if n is not None]
        except yaml.YAMLError as exc:
            problem = kyaml.error_problem(exc, text)
            if not isinstance(exc, kyaml.DocumentError):
                problem = f"not valid YAML ({problem})"
            raise UserError(problem, Where(shown, kyaml.error_line(exc, text))) from None
        if len(docs) != 1 or not isinstance(docs[0], MappingNode):
            raise UserError("a rule file is one YAML mapping with a 'rules:' list", Where(shown, 1))
        top = docs[0]
        if _checked(shown, builtin):
            root = schema()
            ruleschema.check(top, root, root, shown, skip=frozenset({ruleschema.RULE_REF}))
        for ext_node in _seq(_get(top, "extends"), shown, "extends", allow_scalar=True):
            ext = _str(ext_node, shown, "extends")
            is_path = "/" in ext or ext.endswith((".yaml", ".yml"))
            target = (path.parent / ext) if is_path else builtin_dir() / f"{ext}.yaml"
            if is_path and not builtin:
                self._check_inside(target, ext, chain[0] if chain else resolved, _at(ext_node, shown))
            if not target.is_file():
                raise UserError(f"extends {ext!r}, which is neither a built-in pack nor a file", _at(ext_node, shown))
            if self.real(target) in chain + (resolved,):
                loop = " -> ".join(_shown(p) for p in chain + (resolved, self.real(target)))
                raise UserError(
                    f"extends {ext!r} makes a loop ({loop}); remove one of the extends", _at(ext_node, shown)
                )
            self.load_file(
                target,
                builtin=builtin or self.real(target.parent) == self.real(builtin_dir()),
                chain=chain + (resolved,),
            )
        self._layer += 1
        self.loaded.append(shown)
        for label in _seq(_get(top, "componentLabels"), shown, "componentLabels"):
            value = _str(label, shown, "componentLabels")
            if value not in self.component_labels:
                self.component_labels.append(value)
        for item in _seq(_get(top, "rules"), shown, "rules"):
            try:
                self.rules.append(_parse_rule(item, shown, self._layer, builtin))
            except UserError as exc:  # check the other rules too: one run names every mistake
                self.errors.append(exc)


def _shown(path: Path, real: Callable[[Path], Path] = Path.resolve) -> str:
    """How messages and reports name a rule file: built-in packs by name, the same everywhere,
    so ``--rules flts`` and ``--rules rules/flts.yaml`` (a copy of the pack) record the same
    chart. A file of the user's keeps its path, relative to the working folder where it can.
    ``real`` resolves a path (a load's, which resolves each path once)."""
    resolved = real(path)
    if resolved.parent == real(builtin_dir()):
        return f"builtin:{path.name}"
    pack = _builtin_copy(resolved)
    if pack:
        return f"builtin:{pack}"
    if path.is_absolute() and resolved.is_relative_to(Path.cwd().resolve()):
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    return path.as_posix()


def _builtin_copy(path: Path) -> str | None:
    """The name of the built-in pack that ``path`` is a byte-for-byte copy of, if any."""
    try:
        data = inputfile.read_bytes(path, RULE_FILE_MAX)
    except (OSError, inputfile.Refused):
        return None
    return _builtin_contents().get(data)


@functools.cache
def _builtin_contents() -> dict[bytes, str]:
    return {pack.read_bytes(): pack.name for pack in sorted(builtin_dir().glob("*.yaml"))}


# A rule file comes with the change under review: one larger than this (the built-in packs
# hold tens of kilobytes) is refused before it is read, as a named pipe or a device is.
RULE_FILE_MAX = 4 * 1024 * 1024


def _read(path: Path, shown: str) -> str:
    try:
        return inputfile.read_bytes(path, RULE_FILE_MAX).decode("utf-8-sig")
    except inputfile.Refused as exc:
        raise UserError(f"rule file not read: {exc}; give a rule file of at most 4 MiB", Where(shown)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read rule file: {exc}", Where(shown)) from None


def _at(node: Node, file: str) -> Where:
    return Where(file, node.start_mark.line + 1)


def _get(node: MappingNode, key: str) -> Node | None:
    return paths.child(node, key)


def _str(node: Node | None, file: str, what: str) -> str:
    if not isinstance(node, ScalarNode) or node.tag not in (kyaml.STR, kyaml.INT):
        where = _at(node, file) if node is not None else Where(file)
        raise UserError(f"{what} must be a string", where)
    return node.value


def _seq(node: Node | None, file: str, what: str, allow_scalar: bool = False) -> list[Node]:
    if node is None or (isinstance(node, ScalarNode) and node.tag == kyaml.NULL):
        return []
    if allow_scalar and isinstance(node, ScalarNode):
        return [node]
    if not isinstance(node, SequenceNode):
        raise UserError(f"{what} must be a list", _at(node, file))
    return list(node.value)


def _str_list(node: Node | None, file: str, what: str) -> tuple[str, ...]:
    return tuple(_str(n, file, what) for n in _seq(node, file, what, allow_scalar=True))


def _parse_match(node: Node | None, file: str) -> Match:
    if node is None:
        return Match()
    labels_node = _get(node, "labels")  # the schema has checked the types
    labels: tuple[tuple[str, str], ...] = ()
    if isinstance(labels_node, MappingNode):
        labels = tuple((_str(k, file, "label"), _str(v, file, "label value")) for k, v in labels_node.value)
    return Match(
        kinds=_str_list(_get(node, "kinds"), file, "match.kinds"),
        api_versions=_str_list(_get(node, "apiVersions"), file, "match.apiVersions"),
        names=_str_list(_get(node, "names"), file, "match.names"),
        labels=labels,
        components=_str_list(_get(node, "components"), file, "match.components"),
        namespaces=_str_list(_get(node, "namespaces"), file, "match.namespaces"),
    )


# Values trees are written and read recursively: a key pattern of thousands of parts ended the
# run in a RecursionError.
MAX_KEY_PARTS = 64


def parse_pattern(text: str, allowed: set[str], where: Where, what: str) -> tuple[Segment, ...]:
    """Split a key pattern into segments and check its bindings and filters."""
    segments = []
    for raw in _split_outside_braces(text):
        if raw == "":
            raise UserError(f"{what} {text!r} has an empty segment", where)
        for m in _PLACEHOLDER.finditer(raw):
            name, filt = m.group(1), m.group(2)
            if name not in allowed:
                raise UserError(
                    f"{what} {text!r} uses {{{name}}}, which is not bound here; available: "
                    + ", ".join(sorted(allowed)),
                    where,
                )
            if filt and filt not in FILTERS:
                raise UserError(f"unknown filter |{filt} in {what} {text!r}; known: {', '.join(FILTERS)}", where)
        rest = _PLACEHOLDER.sub("", raw)
        if "{" in rest or "}" in rest:
            raise UserError(f"{what} {text!r} has an unbalanced or malformed {{binding}}", where)
        segments.append(Segment(raw))
    if len(segments) > MAX_KEY_PARTS:
        raise UserError(
            f"{what} {text[:80]!r}... has {len(segments)} parts; give it at most {MAX_KEY_PARTS} "
            "(a values key that deep is no knob anyone sets)",
            where,
        )
    return tuple(segments)


def _split_outside_braces(text: str) -> list[str]:
    if "{" not in text and "}" not in text:
        return text.split(".")
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "." and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def _checked(file: str, builtin: bool) -> bool:
    """Whether a rule file is checked against the rule schema and its paths against Kubernetes'
    schema as it loads: a user's own file is; the built-in packs (and byte copies of them) are
    checked by the tests (test_rule_language.py), which keeps start-up fast."""
    return not builtin and not file.startswith("builtin:")


def _parse_rule(
    node: Node, file: str, layer: int, builtin: bool
) -> FieldRule | ComponentRule | ExistingRule | RefactorRule:
    check_fields = _checked(file, builtin)
    if not isinstance(node, MappingNode):
        raise UserError("each rule must be a mapping with id, description and path/key or component", _at(node, file))
    where = _at(node, file)
    if check_fields:
        root = schema()
        ruleschema.check(node, root["$defs"]["rule"], root, file)
    rule_id = _str(_get(node, "id"), file, "rule id")
    if not rule_id:
        raise UserError("rule has no id; give it a short stable name", where)
    description = _get(node, "description")
    common: dict[str, Any] = dict(
        id=rule_id,
        description=_str(description, file, "description").strip(),
        where=where,
        layer=layer,
        builtin=builtin,
        match=_parse_match(_get(node, "match"), file),
    )
    refactor = _get(node, "refactor")
    if refactor is not None:
        return _parse_refactor(refactor, node, file, common)
    existing = _get(node, "existing")
    if existing is not None:
        return _parse_existing(existing, node, file, common)
    component = _get(node, "component")
    if component is not None:
        extra = [k for k in ("path", "key", "transform", "optional", "default") if _get(node, k) is not None]
        if extra:
            raise UserError(f"rule {rule_id!r} sets a component, so it cannot also have {extra[0]!r}", where)
        pattern = parse_pattern(
            _str(component, file, "component"), {"name", "kind", "namespace"}, _at(component, file), "component"
        )
        return ComponentRule(component=pattern, **common)
    path_node, key_node = _get(node, "path"), _get(node, "key")
    if path_node is None or key_node is None:
        raise UserError(f"rule {rule_id!r} needs either 'component' or both 'path' and 'key'", where)
    parsed, texts, kinds_of, bound = [], [], [], None
    set_kinds: list[str] = []
    for p in _seq(path_node, file, "path", allow_scalar=True):
        text = _str(p, file, "path")
        texts.append(text)
        expanded = pathsets.expand(text, _at(p, file))
        if check_fields:
            kubefields.check_path(expanded, common["match"].kinds, text, _at(p, file))
        for steps, kinds in expanded:
            names = set(paths.bindings_of(steps))
            if bound is not None and names != bound:
                raise UserError("alternative paths of one rule must bind the same names", _at(p, file))
            bound = names
            parsed.append(steps)
            kinds_of.append(kinds)
            set_kinds += [k for k in sorted(kinds or (), key=pathsets.KIND_ORDER.index) if k not in set_kinds]
    if not common["match"].kinds and set_kinds and all(kinds_of):
        # A rule whose every path comes from a path set applies to the kinds of those sets.
        common["match"] = dataclasses.replace(common["match"], kinds=tuple(set_kinds))
    key = parse_pattern(
        _str(key_node, file, "key"), set(RESOURCE_BINDINGS) | (bound or set()), _at(key_node, file), "key"
    )
    transform = None
    if _get(node, "transform") is not None:
        transform = _str(_get(node, "transform"), file, "transform")
        if transform not in TRANSFORMS:
            raise UserError(
                f"unknown transform {transform!r}; known: {', '.join(sorted(TRANSFORMS))}",
                _at(_get(node, "transform"), file),
            )
    optional = _flag(node, "optional", file)
    append = _flag(node, "append", file)
    if append and (optional or transform):
        raise UserError(f"rule {rule_id!r}: append cannot be combined with optional or transform", where)
    if (optional or append) and any(isinstance(steps[-1], (paths.Items, paths.AnyKey)) for steps in parsed):
        raise UserError("an optional or append rule's path must end with a key, not a selector", where)
    default_node = _get(node, "default")
    doc_node = _get(node, "doc")
    return FieldRule(
        paths=tuple(parsed),
        path_texts=tuple(texts),
        path_kinds=tuple(kinds_of),
        key=key,
        transform=transform,
        optional=optional or append,
        append=append,
        default=kyaml.construct(default_node) if default_node is not None else ([] if append else None),
        doc=_str(doc_node, file, "doc") if doc_node is not None else None,
        **common,
    )


def _flag(node: MappingNode, key: str, file: str) -> bool:
    value = _get(node, key)
    if value is None:
        return False
    if not isinstance(value, ScalarNode) or value.tag != kyaml.BOOL:
        raise UserError(f"{key} must be true or false", _at(value, file))
    return kyaml.construct(value)


def _parse_existing(existing: Node, node: MappingNode, file: str, common: dict[str, Any]) -> ExistingRule:
    """``existing: {key, references}``: let users name a resource of their own instead."""
    rule_id, where = common["id"], common["where"]
    extra = [k for k in ("component", "path", "key", "transform", "optional", "default") if _get(node, k) is not None]
    if extra:
        raise UserError(f"rule {rule_id!r} has 'existing', so it cannot also have {extra[0]!r}", where)
    key_node = _get(existing, "key")
    key = parse_pattern(
        _str(key_node, file, "existing.key"), set(RESOURCE_BINDINGS), _at(key_node, file), "existing.key"
    )
    refs, texts = [], []
    for p in _seq(_get(existing, "references"), file, "existing.references", allow_scalar=True):
        text = _str(p, file, "reference path")
        # A reference must reach a field that names the resource, so it needs no kind of its
        # own: each place of a path set is followed in every resource that has it.
        refs += [steps for steps, _ in pathsets.expand(text, _at(p, file))]
        texts.append(text)
    if not refs:
        raise UserError(
            f"rule {rule_id!r}: existing needs 'references', the fields that name the resource", _at(existing, file)
        )
    return ExistingRule(existing_key=key, references=tuple(refs), reference_texts=tuple(texts), **common)


def _parse_refactor(refactor: Node, node: MappingNode, file: str, common: dict[str, Any]) -> RefactorRule:
    """``refactor: NAME`` with ``options``: a built-in refactoring (the schema has checked the name)."""
    from .refactorings import REGISTRY

    rule_id, where = common["id"], common["where"]
    others = ("component", "existing", "path", "key", "transform", "optional", "default", "append", "doc")
    extra = [k for k in others if _get(node, k) is not None]
    if extra:
        raise UserError(f"rule {rule_id!r} is a refactoring, so it cannot also have {extra[0]!r}", where)
    name = _str(refactor, file, "refactor")
    if name not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise UserError(f"unknown refactoring {name!r}; known: {known}", _at(refactor, file))
    options_node = _get(node, "options")
    options = kyaml.construct(options_node) if options_node is not None else {}
    allowed = REGISTRY[name].options
    for key_node, _ in options_node.value if isinstance(options_node, MappingNode) else ():
        if key_node.value not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise UserError(
                f"refactoring {name!r} has no option {key_node.value!r}; its options: {known}", _at(key_node, file)
            )
    return RefactorRule(refactor=name, options=options or {}, **common)
