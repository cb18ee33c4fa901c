"""Hits -> values and template text. Pure: nothing here reads or writes files."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import kyaml, templating
from .components import Component
from .decisions import Accept, Decline, decide
from .decisions import file_hint as file_hint
from .decisions import liftable as liftable
from .errors import Notice, UserError
from .filenames import HELM_MAX_FILE, FileNames, fold, safe_name
from .manifests import Resource
from .match import Hit, Mode
from .paths import FieldPath, Item, item_name
from .plan import ResourcePlan
from .records import record
from .templating import Append, ItemGuard, OptionalKey, Placeholders
from .values import Values, ValuesConflict, dotted


@record
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


@record(frozen=False)
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
    moved: dict[Resource, str] = field(default_factory=dict)  # resources in a template of their own


def build_templates(plans: tuple[ResourcePlan, ...], chart: str, env_names: tuple[str, ...] = ()) -> Conversion:
    """Build values and one template text per component file.

    A plan's guards render its resource only under a condition: resources that only some
    environments have, or that users may replace with their own (existingSecret).
    ``env_names`` keep files/<env>/ free for the environments' own files."""
    conv = _start(plans, env_names)
    plan_of = {p.resource: p for p in plans}
    for file, decided in _apply(conv, plan_of, chart):
        docs = []
        own: dict[str, list[str]] = {}  # template files of their own, for a refactoring
        for res, has_hits, actions in decided:
            doc, split = _document(res, has_hits, actions, plan_of[res].edits)
            for guard in plan_of[res].guards:
                condition = templating.condition(guard.key, guard.negate)
                doc = templating.guard(condition, doc)
                split = [(path, templating.guard(condition, piece)) for path, piece in split]
                conv.conditions.setdefault(res, []).append(condition)
            for path, piece in split:  # objects a refactoring adds in a template of their own
                own.setdefault(path, []).append(piece)
            if plan_of[res].own_file:
                own.setdefault(plan_of[res].own_file, []).append(doc)
                conv.moved[res] = plan_of[res].own_file
            else:
                docs.append(doc)
        comp = conv.component_of_file[file]
        for path, own_docs in own.items():
            body = "\n---\n".join(doc.rstrip("\n") for doc in own_docs)
            conv.templates[path] = templating.guard(templating.ref(comp.key + ("enabled",)), body)
        if not docs:
            # Every object of the component renders from a template of its own (checksum-roll's):
            # its file would hold nothing and render nothing, so the chart does not ship it.
            continue
        body = "\n---\n".join(doc.rstrip("\n") for doc in docs)
        text = templating.guard(templating.ref(comp.key + ("enabled",)), body)
        _check_size(f"templates/{file}.yaml", text, conv.components[file])
        conv.templates[f"templates/{file}.yaml"] = text
    return conv


def lifted_values(plans: tuple[ResourcePlan, ...], chart: str, env_names: tuple[str, ...] = ()) -> Conversion:
    """The values and lifts :func:`convert` makes of these plans, without templates: which hits
    really lift (a values key another field holds declines a built-in rule) and the keys in use."""
    conv = _start(plans, env_names)
    for _file, decided in _apply(conv, {p.resource: p for p in plans}, chart):
        for _ in decided:
            pass
    return conv


def _start(plans: tuple[ResourcePlan, ...], env_names: tuple[str, ...]) -> Conversion:
    """A conversion with its components and switches in values, no fields lifted yet."""
    values = Values()
    by_file: dict[str, list[Resource]] = {}
    comp_of_file: dict[str, Component] = {}
    for plan in plans:
        by_file.setdefault(plan.component.file, []).append(plan.resource)
        comp_of_file.setdefault(plan.component.file, plan.component)
    for file in sorted(by_file):
        comp = comp_of_file[file]
        titles = ", ".join(r.title for r in by_file[file])
        try:
            values.put(comp.key + ("enabled",), True, f"Render {comp.dotted}: {titles}", "")
        except ValuesConflict as exc:
            raise UserError(
                f"component {comp.dotted} clashes with the values key {'.'.join(exc.path)} "
                f"({exc.existing}); give it another name with a component rule"
            ) from None
    for plan in plans:
        for guard in plan.guards:
            try:
                values.put(guard.key, guard.default, guard.doc, "")
            except ValuesConflict as exc:
                raise UserError(
                    f"the switch for {plan.resource.title} clashes with the values key "
                    f"{dotted(exc.path)} ({exc.existing})",
                    plan.resource.where,
                ) from None
    names = FileNames(frozenset(fold(f"files/{safe_name(env)}") for env in env_names))
    return Conversion(values, {}, by_file, comp_of_file, names=names)


def _apply(conv: Conversion, plan_of: dict[Resource, ResourcePlan], chart: str):  # noqa: ANN202
    """Per file, per resource: decide each hit and apply the decision to values, in the order
    values are written (files sorted, resources in file order, hits in placement order)."""
    for file in sorted(conv.components):
        yield (
            file,
            (
                (res, bool(plan_of[res].hits), _applied(res, list(plan_of[res].hits), chart, conv))
                for res in conv.components[file]
            ),
        )


def _applied(res: Resource, hits: list[Hit], chart: str, conv: Conversion) -> list[tuple[Hit, templating.Action]]:
    # Items inserted in the middle of a list shift the indices of later items: place them last,
    # deepest lists first, so no insertion moves a list another one still has to find.
    out = []
    for hit in sorted(hits, key=lambda h: (h.slot is not None, -len(h.parts) if h.slot else 0, h.mode is Mode.ITEM)):
        decision = decide(hit, chart, conv.names)
        if isinstance(decision, Decline):
            if decision.reason:
                conv.notices.append(Notice(decision.reason, hit.resource.where, code="not-lifted"))
            continue
        conv.files.update(decision.files)
        if _put(conv, hit, decision):
            conv.lifts.append(
                Lift(hit.resource, hit.found.path, hit.key, hit.rule.id, decision.original, decision.unset)
            )
            out.append((hit, decision.action))
    return out


def _check_size(path: str, text: str, members: list[Resource]) -> None:
    """Helm refuses to load a chart with a file over 5 MiB: say which resource makes it so."""
    size = len(text.encode("utf-8"))
    if size <= HELM_MAX_FILE:
        return
    biggest = max(members, key=_span)
    raise UserError(
        f"the chart file {path} would be {size} bytes, over Helm's limit of 5 MiB per file; "
        f"its largest resource is {biggest.title}: split the component with a component rule, "
        "or leave the resource out (--exclude)",
        biggest.where,
    )


def _span(res: Resource) -> int:
    """How many characters of its source file a resource takes (0 where not known)."""
    start, end = res.node.start_mark, res.node.end_mark
    return end.index - start.index if start is not None and end is not None else 0


def _document(
    res: Resource, has_hits: bool, actions: list[tuple[Hit, templating.Action]], edits: tuple = ()
) -> tuple[str, list[tuple[str, str]]]:
    """The resource's template text, and the (path, text) of documents split off it that go to
    a template file of their own."""
    header = templating.comment(f"Source: {res.source}")
    if not has_hits and not edits:
        return templating.finish(header + kyaml.serialize(res.node), Placeholders("")), []
    if not edits:
        # Placeholders need a stem that the template's text holds nowhere else. Each placeholder
        # is emitted once, so the emitted text holding the stem exactly that often proves it,
        # without gathering every scalar of the source first; the rare source that holds the
        # stem is placed again with one it does not hold.
        marks = Placeholders(header)
        text = header + kyaml.serialize(_placed(res.node, actions, marks))
        if text.count(marks.stem) == len(marks.actions):
            return templating.finish(text, marks), []
    marks = Placeholders(header + kyaml.scalar_values(res.node))  # what the emitted text can hold
    tree = _placed(res.node, actions, marks)
    if edits:  # a refactoring's, after the lifts: it may put an expression where a value was lifted
        from .refactorings.tree import apply_edits

        extra = apply_edits(tree, list(edits), marks)
        text = templating.finish(header + kyaml.serialize(tree), marks)
        split = []
        for doc, condition, own_file in extra:
            note = templating.comment(f"Made from: {res.source}") if own_file else ""
            piece = templating.finish(note + kyaml.serialize(doc), marks)
            piece = templating.guard(condition, piece) if condition else piece
            if own_file:
                split.append((own_file, piece))
            else:
                text = text.rstrip("\n") + "\n---\n" + piece
        return text, split
    return templating.finish(header + kyaml.serialize(tree), marks), []


def _placed(node: Node, actions: list[tuple[Hit, templating.Action]], marks: Placeholders) -> Node:
    """A block-style copy of ``node`` with a placeholder where each action goes."""
    copies: dict[int, Node | None] = {}
    tree = _block_copy(node, copies)
    for hit, action in actions:
        if isinstance(action, ItemGuard):
            _guard_item(tree, hit, action, marks, copies)
        else:
            _place(tree, hit, marks.new(action), action, copies)
    return tree


def _put(conv: Conversion, hit: Hit, decision: Accept) -> bool:
    try:
        conv.values.put(hit.key, decision.value, decision.doc, decision.source, decision.origin)
        return True
    except ValuesConflict as exc:
        message = (
            f"{hit.resource.title} {hit.field}: values key {dotted(exc.path)} already holds "
            f"a different value (from {exc.existing})"
        )
        if hit.rule.builtin:
            conv.notices.append(Notice(message + "; left as is", hit.resource.where, code="key-conflict"))
            return False
        raise UserError(message + f"; change the key of rule {hit.rule.label}", hit.resource.where) from None


_BLOCK_STYLES = ("|", ">")


def _block_copy(node: Node, copies: dict[int, Node | None] | None = None) -> Node:
    """A copy of the collections of a tree, all in block style (placeholders need lines).

    ``copies`` receives the copy of each collection by the original's id (None for one met
    twice, through an alias: it has several copies)."""
    kind = type(node)
    if kind is ScalarNode:
        if node.style in _BLOCK_STYLES and node.value.endswith("\n\n"):
            # A "|+" scalar ends in blank lines, which an action line after it ("{{- end }}", an
            # optional key) would trim away; double quotes keep the same string on one line.
            return ScalarNode(node.tag, node.value, node.start_mark, node.end_mark, style='"')
        return node
    # A scalar outside block style is its own copy: most of a tree, kept without a call each.
    if kind is MappingNode:
        copy: Node = MappingNode(
            node.tag,
            [
                (k, v if type(v) is ScalarNode and v.style not in _BLOCK_STYLES else _block_copy(v, copies))
                for k, v in node.value
            ],
            node.start_mark,
            node.end_mark,
            flow_style=False,
        )
    elif kind is SequenceNode:
        copy = SequenceNode(
            node.tag,
            [
                v if type(v) is ScalarNode and v.style not in _BLOCK_STYLES else _block_copy(v, copies)
                for v in node.value
            ],
            node.start_mark,
            node.end_mark,
            flow_style=False,
        )
    else:
        return node
    if copies is not None:
        copies[id(node)] = None if id(node) in copies else copy
    return copy


def _copy_of(found: Node | None, copies: dict[int, Node | None]) -> Node | None:
    """The copy of a node of the source tree, or None where it has none or several."""
    return copies.get(id(found)) if found is not None else None


def _place(tree: Node, hit: Hit, token: str, action: templating.Action, copies: dict[int, Node | None]) -> None:
    """Put the placeholder where the field is: as the value, or (optional keys) as the key.

    The field's parent is found through the copy of the node it was found in, without following
    its path from the root, where that copy is unique; placements that insert items come last,
    so the path finds the same parent."""
    steps = hit.found.path.steps
    node = _copy_of(hit.found.parent, copies)
    if node is None:
        chain = hit.found.path.nodes(tree)
        node, target = chain[-2], chain[-1]
    else:
        target = _copy_of(hit.found.node, copies) if isinstance(action, Append) else None
        if isinstance(action, Append) and target is None:
            target = hit.found.path.node(tree)
    # The parent is an item of a list where the step before the last is an item.
    in_list = len(steps) > 1 and isinstance(steps[-2], Item)
    last = hit.parts[-1]
    placeholder = ScalarNode(kyaml.STR, token, style=None)
    if isinstance(action, Append):
        names = [item_name(item) for item in target.value]
        at = names.index(hit.slot) if hit.slot is not None and hit.slot in names else len(target.value)
        target.value.insert(at, placeholder)
        return
    if isinstance(node, SequenceNode):
        node.value[last] = placeholder
        return
    as_key = isinstance(action, OptionalKey)
    for i, (k, _) in enumerate(node.value):
        if k.value == last and isinstance(k, ScalarNode):  # text first, as paths.child
            if not as_key:
                node.value[i] = (k, placeholder)
                return
            # A `with` block cannot open a list item, so there a first key moves to the end.
            del node.value[i]
            at = len(node.value) if (i == 0 and in_list) else i
            node.value.insert(at, (placeholder, ScalarNode(kyaml.NULL, "null")))
            return
    node.value.append((placeholder, ScalarNode(kyaml.NULL, "null")))


def _guard_item(tree: Node, hit: Hit, action: ItemGuard, marks: Placeholders, copies: dict[int, Node | None]) -> None:
    """Surround the named item with placeholder items that become ``if`` and ``end``."""
    node = _copy_of(hit.found.node, copies) or hit.found.path.node(tree)
    names = [item_name(item) for item in node.value]
    if hit.slot not in names:
        return
    at = names.index(hit.slot)
    start, end = marks.new(action), marks.new(ItemGuard(None))  # only placed ones: they are counted
    node.value.insert(at + 1, ScalarNode(kyaml.STR, end, style=None))
    node.value.insert(at, ScalarNode(kyaml.STR, start, style=None))
