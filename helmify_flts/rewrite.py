"""Hits -> values and template text. Pure: nothing here reads or writes files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import kyaml, templating
from .components import Component
from .errors import Notice, UserError, Where
from .existing import Guard
from .filenames import HELM_MAX_FILE, FileNames, fold, safe_name
from .manifests import Resource
from .match import Hit
from .paths import FieldPath, item_name
from .templating import Append, Block, Inline, ItemGuard, Optional, Placeholders
from .transforms import TRANSFORMS
from .values import Values, ValuesConflict, inexpressible

PLAIN_TAGS = {kyaml.STR, kyaml.INT, kyaml.FLOAT, kyaml.BOOL, kyaml.NULL,
              "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value"}


@dataclass(frozen=True)
class Lift:
    """One field now read from values: for the report."""

    resource: Resource
    path: FieldPath
    key: tuple[str, ...]
    rule: str
    original: Any
    optional_absent: bool = False

    @property
    def field(self) -> str:
        return str(self.path)

    @property
    def pointer(self) -> tuple[str | int, ...]:
        """Keys and list indices of the field."""
        return self.path.plain

    @property
    def names(self) -> tuple[str, ...]:
        return self.path.names


@dataclass
class Conversion:
    """Everything the chart is made of, before it is written."""

    values: Values
    templates: dict[str, str]
    components: dict[str, list[Resource]]
    component_of_file: dict[str, Component]
    lifts: list[Lift] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    # Go conditions under which a resource renders within its enabled component (env switches,
    # existingSecret); resources not here render whenever their component does.
    conditions: dict[Resource, list[str]] = field(default_factory=dict)
    names: FileNames = field(default_factory=FileNames)  # paths under files/, unique


def liftable(node: Node) -> str | None:
    """Why a value cannot go through values.yaml unchanged, or None if it can."""
    stack = [node]
    seen: set[int] = set()  # nodes shared through YAML aliases are looked at once
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ScalarNode):
            if current.tag not in PLAIN_TAGS:
                return f"it has the custom tag {current.tag}"
        elif isinstance(current, SequenceNode):
            stack.extend(current.value)
        else:
            if any(isinstance(k, ScalarNode) and k.value == "<<" for k, _ in current.value):
                return "Helm's toYaml writes a \"<<\" key unquoted, which YAML reads as a merge"
            stack.extend(v for pair in current.value for v in pair)
    return inexpressible(kyaml.construct(node))


def convert(
    resources: tuple[Resource, ...],
    components: dict[Resource, Component],
    hits: list[Hit],
    chart: str,
    guards: dict[Resource, list[Guard]] | None = None,
    env_names: tuple[str, ...] = (),
) -> Conversion:
    """Build values and one template text per component file.

    ``guards`` render single resources only under a condition: resources that only some
    environments have, or that users may replace with their own (existingSecret).
    ``env_names`` keep files/<env>/ free for the environments' own files."""
    guards = guards or {}
    values = Values()
    by_file: dict[str, list[Resource]] = {}
    comp_of_file: dict[str, Component] = {}
    for res in resources:
        comp = components[res]
        by_file.setdefault(comp.file, []).append(res)
        comp_of_file.setdefault(comp.file, comp)
    for file in sorted(by_file):
        comp = comp_of_file[file]
        titles = ", ".join(r.title for r in by_file[file])
        try:
            values.put(comp.key + ("enabled",), True, f"Render {comp.dotted}: {titles}", "")
        except ValuesConflict as exc:
            raise UserError(f"component {comp.dotted} clashes with the values key {'.'.join(exc.path)} "
                            f"({exc.existing}); give it another name with a component rule") from None
    for res in resources:
        for guard in guards.get(res, []):
            try:
                values.put(guard.key, guard.default, guard.doc, "")
            except ValuesConflict as exc:
                raise UserError(f"the switch for {res.title} clashes with the values key "
                                f"{'.'.join(exc.path)} ({exc.existing})", res.where) from None
    hits_of: dict[Resource, list[Hit]] = {}
    for hit in hits:
        hits_of.setdefault(hit.resource, []).append(hit)
    names = FileNames(frozenset(fold(f"files/{safe_name(env)}") for env in env_names))
    conv = Conversion(values, {}, by_file, comp_of_file, names=names)
    for file in sorted(by_file):
        docs = []
        for res in by_file[file]:
            doc = _document(res, hits_of.get(res, []), chart, conv)
            for guard in guards.get(res, []):
                condition = templating.condition(guard.key, guard.negate)
                doc = templating.guard(condition, doc)
                conv.conditions.setdefault(res, []).append(condition)
            docs.append(doc)
        comp = comp_of_file[file]
        body = "\n---\n".join(doc.rstrip("\n") for doc in docs)
        text = templating.guard(templating.ref(comp.key + ("enabled",)), body)
        _check_size(f"templates/{file}.yaml", text, by_file[file])
        conv.templates[f"templates/{file}.yaml"] = text
    return conv


def _check_size(path: str, text: str, members: list[Resource]) -> None:
    """Helm refuses to load a chart with a file over 5 MiB: say which resource makes it so."""
    size = len(text.encode("utf-8"))
    if size <= HELM_MAX_FILE:
        return
    biggest = max(members, key=_span)
    raise UserError(f"the chart file {path} would be {size} bytes, over Helm's limit of 5 MiB per file; "
                    f"its largest resource is {biggest.title}: split the component with a component rule, "
                    "or leave the resource out (--exclude)", biggest.where)


def _span(res: Resource) -> int:
    """How many characters of its source file a resource takes (0 where not known)."""
    start, end = res.node.start_mark, res.node.end_mark
    return end.index - start.index if start is not None and end is not None else 0


def _document(res: Resource, hits: list[Hit], chart: str, conv: Conversion) -> str:
    header = templating.comment(f"Source: {res.source}")
    text = kyaml.serialize(res.node)
    if not hits:
        return templating.finish(header + text, Placeholders(""))
    tree = _block_copy(res.node)
    marks = Placeholders(header + text)
    # Items inserted in the middle of a list shift the indices of later items: place them last,
    # deepest lists first, so no insertion moves a list another one still has to find.
    for hit in sorted(hits, key=lambda h: (h.slot is not None, -len(h.parts) if h.slot else 0,
                                           h.rule.item_guard)):
        action = _lift(hit, chart, conv)
        if isinstance(action, ItemGuard):
            _guard_item(tree, hit, marks.new(action), marks.new(ItemGuard(None)))
        elif action is not None:
            _place(tree, hit, marks.new(action), action)
    return templating.finish(header + kyaml.serialize(tree), marks)


def _lift(hit: Hit, chart: str, conv: Conversion) -> templating.Action | None:
    rule, node, key = hit.rule, hit.found.node, hit.key
    source = f"{hit.resource.source}:{(node.start_mark.line + 1) if node else hit.resource.line} {hit.field}"
    ref = templating.ref(key)
    doc = _doc(hit)
    if node is None:
        if not isinstance(hit.found.parent, MappingNode) or not hit.found.parent.value:
            return None
        default = rule.default if rule.default is not None else None
        if not _put(conv, hit, key, default, f"{doc}; renders nothing until set", source):
            return None
        _record(conv, hit, None, unset=True)
        # Environment-only fields may hold maps in some environment, so they always use toYaml.
        block = isinstance(default, (dict, list)) or rule.present
        return Optional(ref, _key_text(hit.found.key), block, present=rule.present or not block)
    if rule.item_guard:
        if not _put(conv, hit, key, True, f"{doc}; false leaves the {hit.slot} item out", source):
            return None
        _record(conv, hit, True)
        return ItemGuard(ref)
    if rule.append:
        if not isinstance(node, SequenceNode) or not node.value:
            return None  # an empty list ("env: []") would render as null with nothing added
        if not _put(conv, hit, key, [], f"{doc}; empty adds nothing", source):
            return None
        _record(conv, hit, [], unset=True)
        return Append(ref)
    reason = liftable(node)
    if reason:
        conv.notices.append(Notice(f"{hit.resource.title} {hit.field} left as is: {reason}",
                                   hit.resource.where, code="not-lifted"))
        return None
    original = kyaml.construct(node)
    action: templating.Action
    value: Any = node
    if rule.existing_key is not None:
        # A field naming a resource the user may replace: their name if set, else the original.
        default = templating.quote(original)
        if not _put(conv, hit, key, "", f"Name of an existing resource to use instead of {original}; "
                    f"empty uses {original} from this chart", source):
            return None
        _record(conv, hit, original)
        return Inline(f"{{{{ {ref} | default {default} | toJson }}}}")
    transform = TRANSFORMS[rule.transform] if rule.transform else None
    where = file_hint(hit, names=conv.names) if transform and transform.writes_files else ""
    lifted = transform.lift(original, where) if transform else None
    if transform and lifted is None and transform.required:
        return None
    if transform and lifted is not None:
        value = lifted.value
        for path, text in lifted.files.items():
            size = len(text.encode("utf-8"))
            if size > HELM_MAX_FILE:
                line = node.start_mark.line + 1 if node else hit.resource.line
                raise UserError(f"{hit.resource.title} {hit.field} is {size} bytes, over Helm's limit of 5 MiB "
                                f"for one chart file ({path}); shorten it, or keep it out of the chart "
                                "(--exclude)", Where(hit.resource.source, line))
        conv.files.update(lifted.files)
        action = Inline(transform.expression(chart, ref))
    elif rule.present:
        action = Optional(ref, _key_text(hit.found.key), True, present=True)
    elif rule.optional and original and isinstance(original, (dict, list)):
        action = Optional(ref, _key_text(hit.found.key), True)
    elif rule.optional and original is not None and not isinstance(original, (dict, list)):
        # Scalars render whenever set, so 0, false and "" (scale to zero) still reach the manifest.
        action = Optional(ref, _key_text(hit.found.key), False, present=True)
    elif isinstance(node, ScalarNode):
        action = Inline(f"{{{{ {ref} | toJson }}}}")
    else:
        action = Block(ref)
    if not _put(conv, hit, key, value, doc, source):
        return None
    _record(conv, hit, original)
    return action


def file_hint(hit: Hit, env: str | None = None, base: str | None = None, names: FileNames | None = None) -> str:
    """Where a value moved into files/ lives, below files/: ``resource-name/key``, each part
    made safe and the whole unique among ``names``; an environment's copy goes to
    ``env/`` + the place of the base's file (``base``, a path under files/)."""
    if env is not None and isinstance(base, str) and base.startswith("files/"):
        return f"{safe_name(env)}/{base[len('files/'):]}"
    parts = ("files",) + ((env,) if env is not None else ()) + (hit.resource.name, str(hit.found.key))
    owner = f"{env or ''}|{hit.resource.identity}|{hit.field}"
    return (names or FileNames()).claim(parts, owner)[len("files/"):]


def _record(conv: Conversion, hit: Hit, original: Any, unset: bool = False) -> None:
    """Note a lifted field for the report."""
    conv.lifts.append(Lift(hit.resource, hit.found.path, hit.key, hit.rule.id, original, unset))


def _put(conv: Conversion, hit: Hit, key: tuple[str, ...], value: Any, doc: str, source: str) -> bool:
    try:
        conv.values.put(key, value, doc, source)
        return True
    except ValuesConflict as exc:
        message = (f"{hit.resource.title} {hit.field}: values key {'.'.join(exc.path)} already holds "
                   f"a different value (from {exc.existing})")
        if hit.rule.builtin:
            conv.notices.append(Notice(message + "; left as is", hit.resource.where, code="key-conflict"))
            return False
        raise UserError(message + f"; change the key of rule {hit.rule.label}", hit.resource.where) from None


def _doc(hit: Hit) -> str:
    text = hit.rule.doc or hit.rule.description.strip().splitlines()[0]
    bindings = dict(hit.found.bindings)
    for name, value in bindings.items():
        text = text.replace("{" + name + "}", value)
    text = text.replace("{name}", hit.resource.name).replace("{kind}", hit.resource.kind)
    if hit.found.node is None:
        return f"{text}\nNot set in {hit.resource.source} ({hit.resource.title}) {hit.field}"
    return f"{text}\nFrom {hit.resource.source}:{hit.found.node.start_mark.line + 1} {hit.field}"


def _key_text(key: str | int) -> str:
    return kyaml.scalar_text(kyaml.represent(str(key)))


def _block_copy(node: Node) -> Node:
    """A copy of the collections of a tree, all in block style (placeholders need lines)."""
    if isinstance(node, ScalarNode) and node.style in ("|", ">") and node.value.endswith("\n\n"):
        # A "|+" scalar ends in blank lines, which an action line after it ("{{- end }}", an
        # optional key) would trim away; double quotes keep the same string on one line.
        return ScalarNode(node.tag, node.value, node.start_mark, node.end_mark, style='"')
    if isinstance(node, MappingNode):
        return MappingNode(node.tag, [(k, _block_copy(v)) for k, v in node.value],
                           node.start_mark, node.end_mark, flow_style=False)
    if isinstance(node, SequenceNode):
        return SequenceNode(node.tag, [_block_copy(v) for v in node.value],
                            node.start_mark, node.end_mark, flow_style=False)
    return node


def _place(tree: Node, hit: Hit, token: str, action: templating.Action) -> None:
    """Put the placeholder where the field is: as the value, or (optional keys) as the key."""
    chain = hit.found.path.nodes(tree)
    node = chain[-2]
    in_list = len(chain) > 2 and isinstance(chain[-3], SequenceNode)
    last = hit.parts[-1]
    placeholder = ScalarNode(kyaml.STR, token, style=None)
    if isinstance(action, Append):
        target = chain[-1]
        names = [item_name(item) for item in target.value]
        at = names.index(hit.slot) if hit.slot is not None and hit.slot in names else len(target.value)
        target.value.insert(at, placeholder)
        return
    if isinstance(node, SequenceNode):
        node.value[last] = placeholder
        return
    as_key = isinstance(action, Optional)
    for i, (k, _) in enumerate(node.value):
        if isinstance(k, ScalarNode) and k.value == last:
            if not as_key:
                node.value[i] = (k, placeholder)
                return
            # A `with` block cannot open a list item, so there a first key moves to the end.
            del node.value[i]
            at = len(node.value) if (i == 0 and in_list) else i
            node.value.insert(at, (placeholder, ScalarNode(kyaml.NULL, "null")))
            return
    node.value.append((placeholder, ScalarNode(kyaml.NULL, "null")))


def _guard_item(tree: Node, hit: Hit, start: str, end: str) -> None:
    """Surround the named item with placeholder items that become ``if`` and ``end``."""
    node = hit.found.path.node(tree)
    names = [item_name(item) for item in node.value]
    if hit.slot not in names:
        return
    at = names.index(hit.slot)
    node.value.insert(at + 1, ScalarNode(kyaml.STR, end, style=None))
    node.value.insert(at, ScalarNode(kyaml.STR, start, style=None))
