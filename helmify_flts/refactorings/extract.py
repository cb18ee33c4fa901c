"""Tree edits that split values off a workload into an object of their own, in the same template:
literal env values into a ConfigMap read by envFrom, credentials into a Secret read by
secretKeyRef.

The values move as the nodes they are, placeholders included, so a value lifted into values.yaml
(``.Values.web.env.MODE``, or ``.Values.train.gru.training.epochs`` where a rule names it) is read
from the same key in its new place, and each environment's override of that key still applies.
An env item that renders only in some environments (``envItems.DEBUG``) keeps that switch in its
new place too.
"""

from __future__ import annotations

import copy

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .. import kyaml
from ..records import record
from ..templating import Append, Block, Inline, ItemGuard, OptionalKey, Placeholders, quote
from .base import Expr
from .tree import _node, _reach

Pointer = tuple[str | int, ...]


def _get(mapping: Node, key: str) -> Node | None:
    if not isinstance(mapping, MappingNode):
        return None
    return next((v for k, v in mapping.value if isinstance(k, ScalarNode) and k.value == key), None)


def _drop_key(mapping: MappingNode, key: str) -> None:
    mapping.value = [(k, v) for k, v in mapping.value if not (isinstance(k, ScalarNode) and k.value == key)]


def _null() -> ScalarNode:
    """A fresh null for a placeholder key (a node used twice would be written as an alias)."""
    return ScalarNode(kyaml.NULL, "null")


def _action(node: Node, marks: Placeholders) -> object | None:
    return marks.actions.get(node.value) if isinstance(node, ScalarNode) else None


def _env_of(
    tree: Node, pointer: Pointer, names: tuple[str, ...], marks: Placeholders
) -> tuple[MappingNode, SequenceNode, dict[str, tuple[int, str | None]]] | None:
    """The container at ``pointer``, its env list and the named items' places in it (see
    :func:`_items`); None when the container or its env list is not there to move from."""
    container = _reach(tree, pointer, create=False, marks=marks)
    env = _get(container, "env")
    if not isinstance(container, MappingNode) or not isinstance(env, SequenceNode):
        return None
    return container, env, _items(env, names, marks)


def _items(env: SequenceNode, names: tuple[str, ...], marks: Placeholders) -> dict[str, tuple[int, str | None]]:
    """Position of each named item in the list, and the switch it renders under (if any)."""
    out: dict[str, tuple[int, str | None]] = {}
    for i, item in enumerate(env.value):
        name = _get(item, "name")
        if isinstance(name, ScalarNode) and name.value in names and name.value not in out:
            before = _action(env.value[i - 1], marks) if i else None
            out[name.value] = (i, before.ref if isinstance(before, ItemGuard) and before.ref else None)
    return out


def _guarded(data: MappingNode, key: str, value: Node, condition: str | None, marks: Placeholders) -> None:
    """Add ``key: value`` to ``data``, between ``if``/``end`` lines when ``condition`` is given."""
    if condition:
        data.value.append((ScalarNode(kyaml.STR, marks.new(ItemGuard(condition))), _null()))
    data.value.append((kyaml.represent(key), value))
    if condition:
        data.value.append((ScalarNode(kyaml.STR, marks.new(ItemGuard(None))), _null()))


def _document(
    obj: dict, data_key: str, tree: Node | None = None, named: str | None = None, marks: Placeholders | None = None
) -> MappingNode:
    node = kyaml.represent(obj)
    node.flow_style = False
    meta = _get(node, "metadata")
    if named and marks is not None and isinstance(meta, MappingNode):
        meta.value = [(k, _node(Expr(f"{named} | quote"), marks) if k.value == "name" else v) for k, v in meta.value]
    if tree is not None:
        _inherit(node, tree)
    data = MappingNode(kyaml.MAP, [], flow_style=False)
    node.value.append((kyaml.represent(data_key), data))
    return node


def _inherit(doc: MappingNode, tree: Node) -> None:
    """The split-off object takes the workload's labels and namespace as its template renders
    them, as its declaration copies them from the workload as earlier rules left it: a standard
    label or the release namespace an earlier rule put there follows."""
    source, meta = _get(tree, "metadata"), _get(doc, "metadata")
    if not isinstance(source, MappingNode) or not isinstance(meta, MappingNode):
        return
    for key in ("namespace", "labels"):
        node = _get(source, key)
        if node is None:
            continue
        node = copy.deepcopy(node)  # a node written twice would be emitted as an anchor and an alias
        at = next((i for i, (k, _) in enumerate(meta.value) if isinstance(k, ScalarNode) and k.value == key), None)
        if at is None:
            meta.value.append((kyaml.represent(key), node))
        else:
            meta.value[at] = (meta.value[at][0], node)


def _after_values(container: MappingNode, name: str, named: str | None, marks: Placeholders) -> bool:
    """Where values give the container's envFrom (an environment's own list, or one that differs
    between environments, read whole), read it with the ConfigMap ``name`` (or the Go expression
    ``named``) appended, as the declaration appends it; False where the container has no such key.
    One value read whole, so that a later rule renames in it as in any other (release-names)."""
    for at, (key, value) in enumerate(container.value):
        action = _action(key, marks)
        if isinstance(action, OptionalKey) and action.key_text == "envFrom":
            ref = action.ref
        elif isinstance(key, ScalarNode) and key.value == "envFrom" and isinstance(_action(value, marks), Block):
            ref = _action(value, marks).ref
        else:
            continue
        item = f'(list (dict "configMapRef" (dict "name" {f"({named})" if named else quote(name)})))'
        whole = ScalarNode(kyaml.STR, marks.new(Block(f"(concat (default (list) {ref}) {item})")))
        container.value[at] = (kyaml.represent("envFrom"), whole)
        return True
    return False


@record
class MoveEnvToConfigMap:
    """Take the named env items out of the container at ``container`` (a pointer), read
    ``configmap`` (an object without data) by envFrom instead, and render it with their values."""

    container: Pointer
    names: tuple[str, ...]
    configmap: dict
    own_file: str | None = None  # the chart path the ConfigMap renders from (a checksum hashes it)
    named: str | None = None  # the Go expression its rendered name is (release-names before), if any

    @property
    def origin(self) -> tuple[str, str]:
        return "ConfigMap", self.configmap["metadata"]["name"]

    def apply(self, tree: Node, marks: Placeholders) -> list[tuple[Node, str | None]]:
        reached = _env_of(tree, self.container, self.names, marks)
        if reached is None:
            return []
        container, env, found = reached
        doc = _document(self.configmap, "data", tree, self.named, marks)
        data = _get(doc, "data")
        drop: set[int] = set()
        for name in self.names:
            if name not in found:
                continue
            at, condition = found[name]
            value = _get(env.value[at], "value")
            if value is None:
                continue
            _guarded(data, name, value, condition, marks)
            drop |= {at, at - 1, at + 1} if condition else {at}
        env.value = [item for i, item in enumerate(env.value) if i not in drop]
        self._tidy(container, env, marks)
        sources = _get(container, "envFrom")
        item = kyaml.represent({"configMapRef": {"name": self.configmap["metadata"]["name"]}})
        if self.named:
            item = _node({"configMapRef": {"name": Expr(f"{self.named} | quote")}}, marks)
        item.flow_style = False
        if isinstance(sources, SequenceNode):
            sources.flow_style = False
            sources.value.append(item)
        elif not _after_values(container, self.configmap["metadata"]["name"], self.named, marks):
            container.value.append((kyaml.represent("envFrom"), SequenceNode(kyaml.SEQ, [item], flow_style=False)))
        return [(doc, None)]

    @staticmethod
    def _tidy(container: MappingNode, env: SequenceNode, marks: Placeholders) -> None:
        """An env list left with no items goes; one left with only the items values may add
        (extraEnv, extraEnvBefore) renders only when they add some."""
        if not env.value:
            _drop_key(container, "env")
            return
        appends = [_action(item, marks) for item in env.value]
        if not all(isinstance(a, Append) for a in appends):
            return
        at = next(i for i, (k, _) in enumerate(container.value) if isinstance(k, ScalarNode) and k.value == "env")
        entry = container.value.pop(at)
        condition = appends[0].ref if len(appends) == 1 else "or " + " ".join(f"({a.ref})" for a in appends)
        guarded = [
            (ScalarNode(kyaml.STR, marks.new(ItemGuard(condition))), _null()),
            entry,
            (ScalarNode(kyaml.STR, marks.new(ItemGuard(None))), _null()),
        ]
        # An ``if`` cannot open a list item (the container), so there the key goes last.
        at = at if at else len(container.value)
        container.value[at:at] = guarded


@record
class MoveEnvToSecret:
    """Read the named env items of the container at ``container`` from ``secret`` (an object
    without data) by secretKeyRef, and render it with their values (as stringData) unless
    ``existing`` (a Go reference to the existingSecret value) names a Secret of the user's."""

    container: Pointer
    names: tuple[str, ...]
    secret: dict
    existing: str
    own_file: str | None = None  # the chart path the Secret renders from (a checksum hashes it)
    named: str | None = None  # the Go expression its rendered name is (release-names before), if any

    @property
    def origin(self) -> tuple[str, str]:
        return "Secret", self.secret["metadata"]["name"]

    def apply(self, tree: Node, marks: Placeholders) -> list[tuple[Node, str | None]]:
        reached = _env_of(tree, self.container, self.names, marks)
        if reached is None:
            return []
        container, env, found = reached
        doc = _document(self.secret, "stringData", tree, self.named, marks)
        data = _get(doc, "stringData")
        name = f"({self.named})" if self.named else quote(self.secret["metadata"]["name"])
        for key in self.names:
            if key not in found:
                continue
            at, condition = found[key]
            item = env.value[at]
            value = _get(item, "value")
            if value is None:
                continue
            _guarded(data, key, value, condition, marks)
            _drop_key(item, "value")
            item.flow_style = False
            ref_name = ScalarNode(kyaml.STR, marks.new(Inline(f"{{{{ {self.existing} | default {name} | toJson }}}}")))
            ref = MappingNode(
                kyaml.MAP,
                [(kyaml.represent("name"), ref_name), (kyaml.represent("key"), kyaml.represent(key))],
                flow_style=False,
            )
            value_from = MappingNode(kyaml.MAP, [(kyaml.represent("secretKeyRef"), ref)], flow_style=False)
            item.value.append((kyaml.represent("valueFrom"), value_from))
        return [(doc, f"not {self.existing}")]


@record
class InsertWaits:
    """Put wait-for init containers before the pod's own (``spec``: a pointer to the pod spec),
    each rendered only while ``condition`` holds. ``image``, ``timeout`` and ``resources`` are Go
    expressions; each wait is ``(name, host, port)``."""

    spec: Pointer
    waits: tuple[tuple[str, str | Expr, int], ...]  # the host: a name, or the Go expression printing it
    condition: str
    image: str
    timeout: str
    resources: str
    script: str
    # Per wait, a Go condition it renders under besides ``condition`` (its Service's, where not
    # every folder has that Service), or None.
    only: tuple[str | None, ...] = ()

    def apply(self, tree: Node, marks: Placeholders) -> list[tuple[Node, str | None]]:
        spec = _reach(tree, self.spec, create=False, marks=marks)
        if not isinstance(spec, MappingNode):
            return []
        only = self.only or (None,) * len(self.waits)
        items: list[Node] = []
        for (name, host, port), extra in zip(self.waits, only, strict=True):
            command = SequenceNode(
                kyaml.SEQ,
                [
                    kyaml.represent("timeout"),
                    self._expr(f"toString ({self.timeout})", marks),
                    *(kyaml.represent(word) for word in ("sh", "-c", self.script)),
                    self._expr(host.text, marks) if isinstance(host, Expr) else kyaml.represent(host),
                    kyaml.represent(str(port)),
                ],
                flow_style=False,
            )
            item = MappingNode(
                kyaml.MAP,
                [
                    (kyaml.represent("name"), kyaml.represent(name)),
                    (kyaml.represent("image"), self._expr(self.image, marks)),
                    (kyaml.represent("command"), command),
                    (kyaml.represent("resources"), self._expr(self.resources, marks)),
                ],
                flow_style=False,
            )
            condition = f"and ({self.condition}) ({extra})" if extra else self.condition
            items += [ScalarNode(kyaml.STR, marks.new(ItemGuard(condition))), item]
            items.append(ScalarNode(kyaml.STR, marks.new(ItemGuard(None))))
        existing = _get(spec, "initContainers")
        if isinstance(existing, SequenceNode):
            existing.flow_style = False
            existing.value[0:0] = items
            return []
        # A list of its own renders where one of its items does.
        key = self.condition
        if all(only):
            some = only[0] if len(only) == 1 else "or " + " ".join(f"({c})" for c in only)
            key = f"and ({self.condition}) ({some})"
        at = len(spec.value)
        spec.value[at:at] = [
            (ScalarNode(kyaml.STR, marks.new(ItemGuard(key))), _null()),
            (kyaml.represent("initContainers"), SequenceNode(kyaml.SEQ, items, flow_style=False)),
            (ScalarNode(kyaml.STR, marks.new(ItemGuard(None))), _null()),
        ]
        return []

    @staticmethod
    def _expr(expression: str, marks: Placeholders) -> ScalarNode:
        return ScalarNode(kyaml.STR, marks.new(Inline(f"{{{{ {expression} | toJson }}}}")))


@record
class ClaimToTemplate:
    """In the pod spec at ``spec``: the claim volume ``volume`` renders only while ``existing`` (a
    Go reference to persistence.existingClaim) is set, and mounts that claim; otherwise the
    workload spec at ``workload`` gets ``template`` (plain data, with ``exprs``: pointers in it
    read from values instead) as a volumeClaimTemplate."""

    workload: Pointer
    spec: Pointer
    volume: str
    existing: str
    template: dict
    exprs: tuple[tuple[Pointer, str], ...]

    def apply(self, tree: Node, marks: Placeholders) -> list[tuple[Node, str | None]]:
        spec, workload = (
            _reach(tree, self.spec, create=False, marks=marks),
            _reach(tree, self.workload, create=False, marks=marks),
        )
        volumes = _get(spec, "volumes")
        if not isinstance(volumes, SequenceNode) or not isinstance(workload, MappingNode):
            return []
        at = next((i for i, v in enumerate(volumes.value) if _scalar(_get(v, "name")) == self.volume), None)
        if at is None:
            return []
        source = _get(volumes.value[at], "persistentVolumeClaim")
        if isinstance(source, MappingNode):
            source.flow_style = False
            source.value = [(k, v) for k, v in source.value if _scalar(k) != "claimName"]
            source.value.insert(0, (kyaml.represent("claimName"), self._expr(self.existing, marks)))
        opened = ScalarNode(kyaml.STR, marks.new(ItemGuard(self.existing)))
        volumes.value[at : at + 1] = [opened, volumes.value[at], ScalarNode(kyaml.STR, marks.new(ItemGuard(None)))]
        if all(isinstance(_action(v, marks), ItemGuard) or v is volumes.value[at + 1] for v in volumes.value):
            # only the claim: the key itself renders with it, so no empty list is left behind
            _guard_entry(spec, "volumes", self.existing, marks)
        node = _node(self.template, marks)
        for pointer, expression in self.exprs:
            parent = _reach(node, pointer[:-1], create=False)
            if isinstance(parent, MappingNode):
                parent.value = [
                    (k, self._expr(expression, marks) if _scalar(k) == pointer[-1] else v) for k, v in parent.value
                ]
        node.flow_style = False
        workload.value.append(
            (kyaml.represent("volumeClaimTemplates"), SequenceNode(kyaml.SEQ, [node], flow_style=False))
        )
        _guard_entry(workload, "volumeClaimTemplates", f"not {self.existing}", marks)
        return []

    @staticmethod
    def _expr(expression: str, marks: Placeholders) -> ScalarNode:
        return ScalarNode(kyaml.STR, marks.new(Inline(f"{{{{ {expression} | toJson }}}}")))


@record
class SplitOff:
    """A plain object (an added headless Service) rendered right after the resource."""

    obj: dict
    named: str | None = None  # the Go expression its rendered name is (release-names before), if any

    @property
    def origin(self) -> tuple[str, str]:
        return self.obj["kind"], self.obj["metadata"]["name"]

    def apply(self, tree: Node, marks: Placeholders) -> list[tuple[Node, str | None]]:
        obj = self.obj
        if self.named:
            obj = {**obj, "metadata": {**obj["metadata"], "name": Expr(f"{self.named} | quote")}}
        node = _node(obj, marks)
        node.flow_style = False
        # the release namespace an earlier rule gave the resource (its own is the source's)
        source, meta = _get(_get(tree, "metadata"), "namespace"), _get(node, "metadata")
        if isinstance(source, ScalarNode) and source.value in marks.actions and isinstance(meta, MappingNode):
            meta.value = [(k, copy.deepcopy(source) if _scalar(k) == "namespace" else v) for k, v in meta.value]
        return [(node, None)]


def _scalar(node: Node | None) -> str | None:
    return node.value if isinstance(node, ScalarNode) else None


def _guard_entry(mapping: MappingNode, key: str, condition: str, marks: Placeholders) -> None:
    """Surround one key of ``mapping`` with ``if``/``end`` lines."""
    at = next((i for i, (k, _) in enumerate(mapping.value) if _scalar(k) == key), None)
    if at is None:
        return
    entry = mapping.value.pop(at)
    at = at if at else len(mapping.value)  # an if cannot open a list item
    mapping.value[at:at] = [
        (ScalarNode(kyaml.STR, marks.new(ItemGuard(condition))), _null()),
        entry,
        (ScalarNode(kyaml.STR, marks.new(ItemGuard(None))), _null()),
    ]
