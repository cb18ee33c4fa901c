"""Field paths: the small language rules use to point at fields, and one walker for it.

Grammar (``.`` separates steps)::

    spec.template.spec.containers[0].image          key steps and a list index
    containers[name=inference].env[name={env}].value  select items; bind a name
    volumeClaimTemplates[metadata.name={claim}]      select by a nested field
    containers[{container}]                          every item, bound to its name (or index)
    containers[1:]  containers[]                     a slice; every item
    containers[{container} in 1:]                    a slice, each item bound to its name
    metadata.annotations["prometheus.io/scrape"]     a key containing dots
    data.{key}   data.*                              every key of a mapping (bound or not)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import kyaml
from .records import record


class PathError(ValueError):
    """A path that does not follow the grammar."""


@record
class Key:
    name: str


@record
class AnyKey:
    bind: str | None


@record
class Items:
    """A list step: ``start``/``stop`` slice, or ``field`` equal to ``value`` or bound to ``bind``."""

    start: int | None = None
    stop: int | None = None
    field: str | None = None
    value: str | None = None
    bind: str | None = None


Step = Key | AnyKey | Items


@record
class Item:
    """A list item in a concrete path: its index and, when it has one, its name."""

    index: int
    name: str | None = None

    def __str__(self) -> str:
        return f"[{self.name}]" if self.name is not None else f"[{self.index}]"


PathPart = str | Item

_TOKEN = re.compile(
    r"""
    (?P<quoted>\["(?P<qkey>[^"]*)"\])
  | (?P<bracket>\[(?P<inner>[^\]]*)\])
  | (?P<bindkey>\{(?P<bname>[A-Za-z_][A-Za-z0-9_]*)\})
  | (?P<star>\*)
  | (?P<key>[^.\[\]{}*"]+)
  | (?P<dot>\.)
    """,
    re.VERBOSE,
)
_BINDING = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def parse(text: str) -> tuple[Step, ...]:
    """Parse a path; raise :class:`PathError` saying what is wrong."""
    if not text or not text.strip():
        raise PathError("empty path")
    steps: list[Step] = []
    pos = 0
    expect_step = True
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise PathError(f"unexpected {text[pos]!r} at column {pos + 1} of {text!r}")
        pos = m.end()
        token = m.lastgroup  # the alternative that matched (its inner group closes first)
        if token == "dot":
            if expect_step:
                raise PathError(f"empty step before column {pos} of {text!r}")
            expect_step = True
            continue
        if token == "quoted":
            steps.append(Key(m.group("qkey")))
        elif token == "bracket":
            if expect_step and steps:
                raise PathError(f"a list selector must follow a key, in {text!r}")
            steps.append(_parse_items(m.group("inner"), text))
        elif not expect_step:
            raise PathError(f"missing '.' before column {m.start() + 1} of {text!r}")
        elif token == "bindkey":
            steps.append(AnyKey(m.group("bname")))
        elif token == "star":
            steps.append(AnyKey(None))
        else:
            steps.append(Key(m.group("key")))
        expect_step = False
    if expect_step:
        raise PathError(f"path ends with '.': {text!r}")
    return tuple(steps)


def _number(digits: str, text: str) -> int:
    """A list index of a path: no list has a billion items, and a number of thousands of digits
    is more than Python will read."""
    if len(digits.lstrip("-")) > 9:
        raise PathError(
            f"list index {digits[:20]}... in {text[:200]!r} is too large (no list is that long); give a smaller one"
        )
    return int(digits)


def _parse_items(inner: str, text: str) -> Items:
    inner = inner.strip()
    if inner == "":
        return Items()
    if re.fullmatch(r"-?[0-9]+", inner):
        index = _number(inner, text)
        return Items(start=index, stop=index + 1 if index != -1 else None)
    m = re.fullmatch(r"(-?[0-9]*):(-?[0-9]*)", inner)
    if m:
        return Items(
            start=_number(m.group(1), text) if m.group(1) else None,
            stop=_number(m.group(2), text) if m.group(2) else None,
        )
    b = _BINDING.match(inner)
    if b:
        return Items(bind=b.group(1))
    m = re.fullmatch(r"\{([A-Za-z_][A-Za-z0-9_]*)\}\s+in\s+(-?[0-9]*):(-?[0-9]*)", inner)
    if m:
        return Items(
            start=_number(m.group(2), text) if m.group(2) else None,
            stop=_number(m.group(3), text) if m.group(3) else None,
            bind=m.group(1),
        )
    if "=" in inner:
        field, _, value = inner.partition("=")
        field, value = field.strip(), value.strip()
        if not field:
            raise PathError(f"selector [{inner}] has no field name, in {text!r}")
        b = _BINDING.match(value)
        if b:
            return Items(field=field, bind=b.group(1))
        return Items(field=field, value=value.strip("\"'"))
    raise PathError(
        f"bad list selector [{inner}] in {text!r}: use [], [N], [N:], [{{name}}], "
        "[{name} in N:], [field=value] or [field={name}]"
    )


def bindings_of(steps: tuple[Step, ...]) -> list[str]:
    """Names that a path binds, in order."""
    return [s.bind for s in steps if isinstance(s, (AnyKey, Items)) and s.bind]


def child(node: Node | None, key: str) -> Node | None:
    """The value under ``key`` in a mapping node, or None."""
    if not isinstance(node, MappingNode):
        return None
    # Text first: a collection key's value is a list, never equal to text; most keys differ,
    # and the type is then asked only of the one that matches.
    for k, v in node.value:
        if k.value == key and isinstance(k, ScalarNode):
            return v
    return None


def text_at(node: Node | None, *keys: str) -> str | None:
    """The scalar text found by following ``keys``, or None."""
    for key in keys:
        node = child(node, key)
    return node.value if isinstance(node, ScalarNode) else None


def kube_text(node: Node | None) -> str | None:
    """A scalar as Kubernetes reads it where it names something (a map key, an item's name):
    ``yes`` is ``true`` and ``-0`` is ``0``, so the node's text is not the name."""
    if not isinstance(node, ScalarNode):
        return None
    return node.value if node.tag == kyaml.STR else _kube_text(node.tag, node.value)


@functools.lru_cache(maxsize=4096)
def _kube_text(tag: str, value: str) -> str:
    return kyaml.json_key(kyaml.construct(ScalarNode(tag, value)))


def item_name(item: Node | None) -> str | None:
    """A list item's ``name`` as Kubernetes reads it, or None when it has no scalar name."""
    name = child(item, "name")
    return None if isinstance(name, ScalarNode) and name.tag == kyaml.NULL else kube_text(name)


MISSING = object()  # what a path resolves to in a plain object that does not have it


@record
class FieldPath:
    """A concrete field path: keys and list items (``Item(index, name)``).

    It renders itself as the report and messages show it, gives its RFC 6901 pointer, and
    resolves against a node tree (keys as written, items by position: the path was read from
    that tree) and against plain objects (items by name where the name is unique in the list,
    since another environment may have inserted items before them, else by position)."""

    steps: tuple[PathPart, ...] = ()

    @classmethod
    def of(cls, *steps: str | int | Item) -> FieldPath:
        """A path from keys, items and plain list indices (an int is an item without a name)."""
        return cls(tuple(Item(s) if isinstance(s, int) else s for s in steps))

    @classmethod
    def from_pointer(cls, text: str) -> FieldPath:
        """The keys of an RFC 6901 pointer (list indices stay text: a pointer does not say)."""
        return cls(tuple(p.replace("~1", "/").replace("~0", "~") for p in text.split("/")[1:]))

    @classmethod
    def named(cls, parts: Iterable[str | int], *objects: Any) -> FieldPath:
        """A plain path (keys and indices) with each index named after the item's ``name``, taken
        from the first of ``objects`` whose item at that place has a string name."""
        out: list[PathPart] = []
        cursors = list(objects)
        for part in parts:
            if isinstance(part, int):
                name = next(
                    (
                        c[part].get("name")
                        for c in cursors
                        if isinstance(c, list)
                        and part < len(c)
                        and isinstance(c[part], dict)
                        and isinstance(c[part].get("name"), str)
                    ),
                    None,
                )
                out.append(Item(part, name))
            else:
                out.append(str(part))
            cursors = [_plain_child(c, part) for c in cursors]
        return cls(tuple(out))

    def __str__(self) -> str:
        # Kept once made: a hit's field is named in its source, its origin and its messages.
        # (By hand: functools.cached_property costs more than the text for a path read once.)
        text = self.__dict__.get("_text")
        if text is None:
            text = self.__dict__["_text"] = path_text(self.steps)
        return text

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[PathPart]:
        return iter(self.steps)

    def __getitem__(self, at: int | slice) -> Any:
        return FieldPath(self.steps[at]) if isinstance(at, slice) else self.steps[at]

    def __add__(self, other: FieldPath | tuple[PathPart, ...]) -> FieldPath:
        return FieldPath(self.steps + tuple(other))

    def pointer(self) -> str:
        """RFC 6901 JSON Pointer: ``/spec/template/spec/containers/0/image``."""
        return pointer(self.steps)

    @property
    def plain(self) -> tuple[str | int, ...]:
        """Keys and list indices, the path as a JSON pointer or deepdiff lists its steps."""
        # Kept once made, as the text is: hit matching compares every pair of a resource's paths.
        plain = self.__dict__.get("_plain")
        if plain is None:
            plain = self.__dict__["_plain"] = tuple([p.index if type(p) is Item else p for p in self.steps])
        return plain

    @property
    def names(self) -> tuple[str, ...]:
        """Key and item names along the path (used to spot credentials)."""
        return tuple(
            str(p.name if isinstance(p, Item) else p)
            for p in self.steps
            if not isinstance(p, Item) or p.name is not None
        )

    def within(self, other: FieldPath) -> bool:
        """Whether this path is ``other`` or lies under it (items compared by position)."""
        mine, theirs = self.plain, other.plain
        return len(theirs) <= len(mine) and mine[: len(theirs)] == theirs

    def overlaps(self, other: FieldPath) -> bool:
        """Whether one of the two paths lies under the other (or they are the same)."""
        return self.within(other) or other.within(self)

    # -- node trees ------------------------------------------------------------------------

    def nodes(self, root: Node, as_read: bool = False) -> tuple[Node | None, ...]:
        """``root`` and the node at each step (None from the first absent one). Keys match as
        written, or, ``as_read``, as Kubernetes reads them (a ``yes:`` key is the key "true")."""
        out: list[Node | None] = [root]
        node: Node | None = root
        for step in self.steps:
            node = _step_node(node, step, as_read) if node is not None else None
            out.append(node)
        return tuple(out)

    def node(self, root: Node, as_read: bool = False) -> Node | None:
        """The node the path reaches in ``root``, or None."""
        return self.nodes(root, as_read)[-1]

    def locate(self, root: Node, as_read: bool = False) -> Found:
        """The :class:`Found` for this path in ``root``, labelled as :func:`walk` labels paths (keys
        and item names as written); the last step may be absent, not the ones before it."""
        node, labels = root, []
        for i, step in enumerate(self.steps):
            label, value = _node_child(node, step, as_read)
            if value is None and i < len(self.steps) - 1:
                raise KeyError(str(self))
            labels.append(label)
            if i == len(self.steps) - 1:
                key = label.index if isinstance(label, Item) else label
                return Found(FieldPath(tuple(labels)), node, key, value, ())
            node = value
        raise ValueError("an empty path has no place")

    def as_read(self, root: Node) -> FieldPath:
        """This path (keys and item names as written in ``root``) as Kubernetes reads them: a
        ``yes:`` key is the key "true" in the object, an item ``name: -0`` is named "0"."""
        node: Node | None = root
        out: list[PathPart] = []
        for part in self.steps:
            if isinstance(part, Item):
                inside = isinstance(node, SequenceNode) and part.index < len(node.value)
                item = node.value[part.index] if inside else None
                out.append(Item(part.index, item_name(item) if item is not None else part.name))
                node = item
            else:
                pairs = node.value if isinstance(node, MappingNode) else []
                pair = next(((k, v) for k, v in pairs if k.value == part), None)
                out.append(kube_text(pair[0]) if pair is not None else part)
                node = pair[1] if pair is not None else None
        return FieldPath(tuple(out))

    # -- plain objects ---------------------------------------------------------------------

    def resolve(self, obj: Any) -> Any:
        """The value at this path in an object as Kubernetes reads it, or :data:`MISSING`."""
        for part in self.steps:
            if isinstance(part, Item) and isinstance(obj, list):
                named = [x for x in obj if part.name is not None and plain_name(x) == part.name]
                # A name two items share (Kubernetes refuses that, but a folder may have it) says
                # nothing about which one is meant: the position does.
                obj = named[0] if len(named) == 1 else obj[part.index] if part.index < len(obj) else MISSING
            elif isinstance(obj, dict) and not isinstance(part, Item) and part in obj:
                obj = obj[part]
            else:
                return MISSING
            if obj is MISSING:
                return MISSING
        return obj

    def indices(self, obj: Any) -> tuple[str | int, ...] | None:
        """This path's keys and list indices in ``obj``, which may hold its items elsewhere (another
        folder's copy of an object): a named item at the place of the one item of that name, an
        item without a name at its own place. None where ``obj`` has no item of that name, or
        several."""
        out: list[str | int] = []
        for part in self.steps:
            if isinstance(part, Item):
                index = part.index
                if part.name is not None:
                    at = [j for j, x in enumerate(obj if isinstance(obj, list) else []) if plain_name(x) == part.name]
                    if len(at) != 1:
                        return None
                    index = at[0]
                out.append(index)
                obj = obj[index] if isinstance(obj, list) and 0 <= index < len(obj) else None
            else:
                out.append(part)
                obj = obj.get(part) if isinstance(obj, dict) else None
        return tuple(out)

    def left_out(self, obj: Any) -> bool:
        """Whether the path goes through a named list item that ``obj`` does not have."""
        for part in self.steps:
            if isinstance(part, Item) and isinstance(obj, list):
                names = [plain_name(x) for x in obj]
                if part.name is not None and None not in names and part.name not in names:
                    return True
                # The step resolve() takes, from the names just read rather than reading them again.
                named = [x for x, n in zip(obj, names, strict=True) if part.name is not None and n == part.name]
                obj = named[0] if len(named) == 1 else obj[part.index] if part.index < len(obj) else MISSING
            elif isinstance(obj, dict) and not isinstance(part, Item):
                obj = obj.get(part)
            else:
                return False
        return False


def plain_name(item: Any) -> str | None:
    """An item's name as Kubernetes reads it: ``name: 0`` names the item "0", as ``name: "0"``
    does; an item without a scalar name has none."""
    name = item.get("name") if isinstance(item, dict) else None
    return kyaml.json_key(name) if isinstance(name, (str, int, float)) else None


def _plain_child(obj: Any, part: Any) -> Any:
    if isinstance(obj, dict):
        return obj.get(part)
    if isinstance(obj, list) and isinstance(part, int) and part < len(obj):
        return obj[part]
    return None


def _step_node(node: Node, step: PathPart, as_read: bool) -> Node | None:
    """:func:`_node_child`'s node alone: placing every lifted field follows its path, and an
    item's label is not needed there."""
    if isinstance(step, Item):
        if isinstance(node, SequenceNode) and -len(node.value) <= step.index < len(node.value):
            return node.value[step.index]
        return None
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and (kube_text(k) if as_read else k.value) == step:
                return v
    return None


def _node_child(node: Node, step: PathPart, as_read: bool) -> tuple[PathPart, Node | None]:
    """One step in a node tree: the step as :func:`walk` labels it, and the node (or None)."""
    if isinstance(step, Item):
        if isinstance(node, SequenceNode) and -len(node.value) <= step.index < len(node.value):
            item = node.value[step.index]
            return Item(step.index, text_at(item, "name")), item
        return step, None
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and (kube_text(k) if as_read else k.value) == step:
                return k.value, v
    return step, None


@record
class Found:
    """One place a path reached: its concrete path, its parent, and the node (None if absent)."""

    path: FieldPath
    parent: Node
    key: str | int
    node: Node | None
    bindings: tuple[tuple[str, str], ...]


def walk(root: Node, steps: tuple[Step, ...], missing_last: bool = False) -> Iterator[Found]:
    """Yield every place ``steps`` reach from ``root``, in document order.

    With ``missing_last``, a final key step that is absent from an existing mapping is given
    with ``node=None`` (used for optional fields that render nothing until set).
    """
    out: list[Found] = []
    _walk(root, steps, 0, (), (), missing_last, out)
    return iter(out)


def _walk(node, steps, i, path, binds, missing_last, out) -> None:  # noqa: ANN001
    # Hit matching walks every path of every rule through every resource: a list, not nested
    # generators, and key steps (most of them) without the general expansion, one after the
    # other in a loop, each looked up as child() does, inline.
    last_at = len(steps) - 1
    step = steps[i]
    while type(step) is Key:
        name = step.name
        value = None
        if type(node) is MappingNode:
            for k, v in node.value:
                if k.value == name and type(k) is ScalarNode:
                    value = v
                    break
        if value is None:
            if i == last_at and missing_last and type(node) is MappingNode:
                out.append(Found(FieldPath(path + (name,)), node, name, None, binds))
            return
        path += (name,)
        if i == last_at:
            out.append(Found(FieldPath(path), node, name, value, binds))
            return
        node = value
        i += 1
        step = steps[i]
    last = i == last_at
    for part, key, value, bind in _expand(node, step):
        if last:
            out.append(Found(FieldPath(path + (part,)), node, key, value, binds + bind))
        elif value is not None:
            _walk(value, steps, i + 1, path + (part,), binds + bind, missing_last, out)


def _expand(node: Node, step: Step):  # noqa: ANN202
    if isinstance(step, Key):
        value = child(node, step.name)
        if value is not None:
            yield step.name, step.name, value, ()
    elif isinstance(step, AnyKey):
        if isinstance(node, MappingNode):
            for k, v in node.value:
                if isinstance(k, ScalarNode):
                    bind = ((step.bind, k.value),) if step.bind else ()
                    yield k.value, k.value, v, bind
    elif isinstance(node, SequenceNode):
        items = node.value
        indices = range(len(items))[slice(step.start, step.stop)]
        for index in indices:
            item = items[index]
            name = text_at(item, "name")
            if step.field is not None:
                actual = _selected(item, step.field, step.value)
                if actual is None:
                    continue
                bound = actual
            else:
                bound = name if name is not None else str(index)
            bind = ((step.bind, bound),) if step.bind else ()
            yield Item(index, name), index, item, bind


def _selected(item: Node, field: str, value: str | None) -> str | None:
    """What a ``[field=value]`` (or ``[field={name}]``, ``value`` None) selector reads of a list
    item, None where the item is not selected. A field holding a list of texts is selected by one
    of them: ``rules[resources=secrets]`` is a Role's rule over Secrets, whatever else it grants."""
    node = item
    for key in field.split("."):
        node = child(node, key)
    if isinstance(node, ScalarNode):
        return node.value if value is None or node.value == value else None
    if value is not None and isinstance(node, SequenceNode):
        return value if any(isinstance(n, ScalarNode) and n.value == value for n in node.value) else None
    return None


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")  # compiled once: re's cache lookup cost more than the match


def _bare(key: str) -> bool:
    """``_BARE_KEY.fullmatch(key)``, without the cost of a match for every key of every field:
    ASCII letters and digits are what ``isalnum`` accepts in ASCII text."""
    return key.isascii() and (key.isalnum() or key.replace("-", "a").replace("_", "a").isalnum())


@functools.lru_cache(maxsize=4096)  # the same few keys (spec, template, containers) make most paths
def _key_part(key: str) -> str:
    return "." + key if _bare(key) else f'["{key}"]'


def path_text(path: tuple[PathPart, ...]) -> str:
    """Human form of a concrete path: ``spec.template.spec.containers[inference].image``."""
    # Each bare key after a dot, the first one's dot dropped: one join instead of a growing text.
    out = [
        (f"[{part.name}]" if part.name is not None else f"[{part.index}]") if type(part) is Item else _key_part(part)
        for part in path
    ]
    text = "".join(out)
    return text[1:] if text.startswith(".") else text


def pointer(path: tuple[PathPart, ...]) -> str:
    """RFC 6901 JSON Pointer for a concrete path."""
    out = []
    for part in path:
        text = str(part.index) if isinstance(part, Item) else part
        out.append(text.replace("~", "~0").replace("/", "~1"))
    return "/" + "/".join(out)
