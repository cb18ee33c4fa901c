"""YAML as Kubernetes reads it.

Kubernetes (and Helm's values parser) decode YAML with go-yaml v2 rules: YAML 1.1 booleans
including ``y``/``n``/``on``/``off``, base-prefixed and underscore integers, floats such as
``1e4``, timestamps kept as strings, and ``=`` as a plain string. PyYAML's own resolver differs
in several of these, so this module defines the one resolver used everywhere: to compose input,
to decide quoting when emitting, and to construct objects for comparison.

libyaml (through PyYAML's C parser and emitter) does the heavy lifting; Python only resolves
tags and constructs values.
"""

from __future__ import annotations

import bisect
import copy
import functools
import io
import math
import operator
import re
import struct
from collections.abc import Iterator, Sequence
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.cyaml import CEmitter, CParser
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError
from yaml.representer import SafeRepresenter
from yaml.resolver import BaseResolver
from yaml.serializer import Serializer

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"
MERGE = "tag:yaml.org,2002:merge"
_VALUE = "tag:yaml.org,2002:value"  # YAML 1.1 "=" as a key; go-yaml reads it as the text
TIMESTAMP = "tag:yaml.org,2002:timestamp"
BINARY = "tag:yaml.org,2002:binary"

_BOOL_TRUE = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}
_BOOL_FALSE = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}
_NULLS = {"", "~", "null", "Null", "NULL"}
# go-yaml removes underscores, then tries Go's ParseInt/ParseUint (base prefixes allowed), then
# its float pattern with ParseFloat; what none of them accepts is a string ("0x_", "1e400").
_INT_RE = re.compile(r"[-+]?(?:0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
_FLOAT_RE = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INT_MIN, _UINT_MAX = -(2**63), 2**64 - 1
_SPECIAL_FLOATS = {
    ".inf": math.inf,
    ".Inf": math.inf,
    ".INF": math.inf,
    "+.inf": math.inf,
    "+.Inf": math.inf,
    "+.INF": math.inf,
    "-.inf": -math.inf,
    "-.Inf": -math.inf,
    "-.INF": -math.inf,
    ".nan": math.nan,
    ".NaN": math.nan,
    ".NAN": math.nan,
}


@functools.lru_cache(maxsize=65536)
def resolve_plain(value: str) -> str:
    """Return the tag go-yaml v2 gives a plain scalar with this text."""
    if value in _NULLS:
        return NULL
    if value in _BOOL_TRUE or value in _BOOL_FALSE:
        return BOOL
    if value == "<<":
        return MERGE
    if value in _SPECIAL_FLOATS:
        return FLOAT
    first = value[0]
    if first.isdigit() or first in "+-.":
        digits = value.replace("_", "")
        if _INT_RE.fullmatch(digits) and _fits(digits) and _INT_MIN <= int_value(digits) <= _UINT_MAX:
            return INT
        if _FLOAT_RE.fullmatch(digits) and math.isfinite(float(digits)):
            return FLOAT  # ParseFloat fails on overflow, so "1e400" stays text
    return STR


class K8sResolver(BaseResolver):
    """Resolver that implements :func:`resolve_plain` for plain scalars."""

    # libyaml's composer and emitter call these around every node, for path-based resolvers;
    # Kubernetes has none, so they do nothing. Builtins that ignore their result (``is_`` takes
    # the parent and index) save a Python call per node and hook.
    descend_resolver = staticmethod(operator.is_)
    ascend_resolver = staticmethod(tuple)

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:  # noqa: D401
        # Called for every node of every manifest: kept to the few cases Kubernetes has
        # (no path-based resolvers).
        if kind is ScalarNode:
            return resolve_plain(value) if implicit[0] else STR
        return SEQ if kind is SequenceNode else MAP


def _fits(digits: str) -> bool:
    """Whether an integer's text has few enough digits to be read at all: no 64-bit number has
    more than 64 after its sign, base prefix and leading zeros, and Python refuses to read a
    decimal of over 4,300 digits (a 5,000-digit number in a CRD ended the run)."""
    body = digits.lstrip("+-")
    if body[:2] in ("0b", "0B", "0o", "0O", "0x", "0X"):
        body = body[2:]
    return len(body.lstrip("0")) <= 64


def int_value(text: str) -> int:
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    if len(digits) > 1 and digits[0] == "0" and digits[1] in "01234567_":
        return sign * int(digits, 8)
    return sign * int(digits, 0)


class K8sConstructor(SafeConstructor):
    """Builds plain Python objects the way Kubernetes' JSON conversion sees them."""

    def construct_k8s_int(self, node: ScalarNode) -> int:
        return int_value(node.value)

    def construct_k8s_float(self, node: ScalarNode) -> float:
        if node.value in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[node.value]
        return float(node.value.replace("_", ""))

    def construct_k8s_bool(self, node: ScalarNode) -> bool:
        return node.value in _BOOL_TRUE

    def construct_k8s_mapping(self, node: MappingNode) -> dict:
        self.flatten_mapping(node)
        result: dict = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            result[json_key(key)] = self.construct_object(value_node, deep=True)
        return result

    def flatten_mapping(self, node: MappingNode) -> None:
        """Resolve merge keys (``<<``) as sigs.k8s.io/yaml does (go-yaml v2): keys are set in
        the order written, a merge sets its mapping's keys where it stands, and of a list of
        mappings the earlier ones win. The node keeps one pair per key, the one that wins: it is
        also what the chart is written from. (PyYAML's own keeps overridden pairs, and tells
        keys apart by the identity of their text, so what won depended on string interning.)"""
        if not any(type(key) is ScalarNode and key.tag in (MERGE, _VALUE) for key, _ in node.value):
            return
        pairs: dict[str, tuple[Node, Node]] = {}
        for key, value in node.value:
            if type(key) is ScalarNode and key.tag == MERGE:
                sources = value.value if isinstance(value, SequenceNode) else [value]
                for source in reversed(sources):
                    if not isinstance(source, MappingNode):
                        raise ConstructorError(
                            "while constructing a mapping",
                            node.start_mark,
                            f"expected a mapping or list of mappings for merging, but found {source.id}",
                            source.start_mark,
                        )
                    self.flatten_mapping(source)
                    # Copies: lifting a field where it is merged must leave the source alone.
                    for k, v in source.value:
                        pairs[json_key(self.construct_object(k, deep=True))] = (copy.deepcopy(k), copy.deepcopy(v))
                continue
            if type(key) is ScalarNode and key.tag == _VALUE:
                key.tag = STR
            pairs[json_key(self.construct_object(key, deep=True))] = (key, value)
        node.value = list(pairs.values())

    def construct_undefined(self, node: Node) -> Any:
        # Custom tags are rare in manifests; keep the data, drop the tag.
        if isinstance(node, ScalarNode):
            return node.value
        if isinstance(node, SequenceNode):
            return [self.construct_object(n, deep=True) for n in node.value]
        return self.construct_k8s_mapping(node)


K8sConstructor.add_constructor(INT, K8sConstructor.construct_k8s_int)
K8sConstructor.add_constructor(FLOAT, K8sConstructor.construct_k8s_float)
K8sConstructor.add_constructor(BOOL, K8sConstructor.construct_k8s_bool)
K8sConstructor.add_constructor(MAP, K8sConstructor.construct_k8s_mapping)
# Timestamps and the YAML 1.1 value tag stay the text they were written as.
K8sConstructor.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)
K8sConstructor.add_constructor("tag:yaml.org,2002:value", SafeConstructor.construct_yaml_str)
# "<<" merges only as a key; as a value it is the text "<<".
K8sConstructor.add_constructor(MERGE, SafeConstructor.construct_yaml_str)
K8sConstructor.add_constructor(None, K8sConstructor.construct_undefined)


def json_key(key: Any) -> str:
    """Map keys become JSON object keys: strings, as sigs.k8s.io/yaml converts them."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, float):
        return _go_float32_text(key)
    return str(key)


def _go_float32_text(value: float) -> str:
    """A float key as sigs.k8s.io/yaml spells it: Go's FormatFloat(v, 'g', -1, 32)."""
    if math.isnan(value):
        return ".nan"
    try:
        single = struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:
        single = math.copysign(math.inf, value)
    if math.isinf(single):
        return ".inf" if single > 0 else "-.inf"
    sign = "-" if math.copysign(1.0, single) < 0 else ""
    if single == 0:
        return sign + "0"
    for precision in range(9):  # the fewest digits that read back as the same float32
        text = f"{abs(single):.{precision}e}"
        if struct.unpack("<f", struct.pack("<f", float(text)))[0] == abs(single):
            break
    mantissa, _, exp_text = text.partition("e")
    digits = mantissa.replace(".", "").rstrip("0") or "0"
    exp = int(exp_text)
    if exp < -4 or exp >= 6:  # Go's %g switches to an exponent outside these bounds
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{body}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp < 0:
        return f"{sign}0.{'0' * (-exp - 1)}{digits}"
    whole = digits[: exp + 1].ljust(exp + 1, "0")
    rest = digits[exp + 1 :]
    return sign + whole + ("." + rest if rest else "")


class Loader(CParser, K8sConstructor, K8sResolver):
    """libyaml parser with Kubernetes' scalar rules."""

    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        K8sConstructor.__init__(self)
        K8sResolver.__init__(self)


class Dumper(CEmitter, Serializer, SafeRepresenter, K8sResolver):
    """libyaml emitter; quoting decided by the Kubernetes resolver."""

    def __init__(self, stream: Any, **kwargs: Any) -> None:
        CEmitter.__init__(
            self,
            stream,
            canonical=False,
            indent=2,
            width=2**30,
            allow_unicode=True,
            line_break="\n",
            explicit_start=kwargs.get("explicit_start", False),
            explicit_end=False,
            version=None,
            tags=None,
        )
        SafeRepresenter.__init__(self, default_style=None, default_flow_style=False, sort_keys=False)
        K8sResolver.__init__(self)


def compose_all(text: str, moved: Sequence[int] = ()) -> Iterator[Node | None]:
    """Compose every document of a YAML stream into nodes (marks and styles kept).

    Each document is checked as Kubernetes would read it (duplicate keys, explicit tags) and
    bounded (nesting depth, alias expansion); explicit tags are replaced by the plain form
    go-yaml gives them, so ``!!int '42'`` becomes the number 42 everywhere downstream. Raises
    ``yaml.MarkedYAMLError`` naming the line at fault.

    ``moved``: the 0-based lines (ascending) of ``text`` that its reader made by moving a value to
    a line of its own (a JSON stream's value after another on one line); marks and errors then name
    the lines of the file as written."""
    from . import yamldoc  # it builds on this module

    loader = Loader(text)
    aliases, bang = "*" in text, "!" in text  # once per file: a bundle has many documents
    try:
        while True:
            try:
                if not loader.check_node():
                    break
                node = loader.get_node()
            except yaml.MarkedYAMLError as exc:
                if moved:
                    exc.context_mark = _unmoved(exc.context_mark, moved)
                    exc.problem_mark = _unmoved(exc.problem_mark, moved)
                raise
            if node is not None:
                if moved:
                    _unmove(node, moved)
                yamldoc.check(node, text, aliases, bang)
            yield node
    finally:
        loader.dispose()


def _unmove(root: Node, moved: Sequence[int]) -> None:
    """Give every node of ``root`` the marks of the file's lines (see :func:`compose_all`)."""
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:  # an alias's node is shared
            continue
        seen.add(id(node))
        node.start_mark = _unmoved(node.start_mark, moved)
        node.end_mark = _unmoved(node.end_mark, moved)
        if isinstance(node, MappingNode):
            stack.extend(item for pair in node.value for item in pair)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)


def _unmoved(mark: Any, moved: Sequence[int]) -> Any:
    # The index stays the text's: checks slice the text composed with it.
    if mark is None or not (shift := bisect.bisect_right(moved, mark.line)):
        return mark
    return yaml.Mark(mark.name, mark.index, mark.line - shift, mark.column, None, None)


class DocumentError(yaml.MarkedYAMLError):
    """A document libyaml parses but Kubernetes would refuse, or that is too big to handle."""


# libyaml notices these problems only on a later line (the next token, or the end of the file);
# the line at fault is where the key or the quoted text started.
_CONTEXT_AT_FAULT = frozenset({"while scanning a simple key", "while scanning a quoted scalar"})


def error_line(exc: yaml.YAMLError, text: str, moved: Sequence[int] = ()) -> int | None:
    """The 1-based line a YAML error is about, or None; ``moved`` as for :func:`compose_all`,
    whose errors carry marks of the file's lines already."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        if exc.context in _CONTEXT_AT_FAULT and exc.context_mark:
            mark = exc.context_mark
        return mark.line + 1 if mark else None
    if isinstance(exc, ReaderError):
        # libyaml counts bytes of the UTF-8 text it was given
        line = text.encode("utf-8", errors="surrogatepass")[: exc.position].count(b"\n")
        return line - bisect.bisect_right(moved, line) + 1
    return None


def error_problem(exc: yaml.YAMLError, text: str = "") -> str:
    """What a YAML error says is wrong, without its position; given the ``text`` it was read from,
    also that a tab indents the line, which libyaml reports as a character that starts no token."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None and text:
        mark = exc.problem_mark
        lines = text.split("\n")
        line = lines[mark.line] if mark.line < len(lines) else ""
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent and mark.column <= len(indent):
            return f"{exc.problem or exc.context}: a tab indents the line, and YAML indents with spaces only"
    if isinstance(exc, ReaderError):
        char = exc.character
        code = char if isinstance(char, int) else ord(char) if isinstance(char, str) and len(char) == 1 else None
        shown = f"U+{code:04X} " if code is not None else ""
        return f"the control character {shown}is not allowed in YAML; remove it"
    if isinstance(exc, yaml.MarkedYAMLError):
        return exc.problem or exc.context or "invalid YAML"
    return str(exc)


def construct(node: Node) -> Any:
    """Build the plain Python object Kubernetes would see for a node."""
    try:
        return _plain(node, {})
    except _Unusual:
        pass
    loader = Loader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


class _Unusual(Exception):
    """A node :func:`_plain` leaves to PyYAML's constructor (a merge key, a custom tag, a cycle)."""


_TEXT_TAGS = frozenset({STR, TIMESTAMP, MERGE, "tag:yaml.org,2002:value"})
_BUILDING = object()


def _plain(node: Node, built: dict[int, Any]) -> Any:
    """:class:`K8sConstructor`'s result for the nodes documents are made of once checked (plain
    tags only, no merge keys), built directly: PyYAML's general constructor took a third of a
    conversion. Nodes shared through aliases give one shared object, as there."""
    kind = type(node)
    if kind is ScalarNode:
        tag = node.tag
        if tag in _TEXT_TAGS:
            return node.value
        if tag == INT:
            return int_value(node.value)
        if tag == BOOL:
            return node.value in _BOOL_TRUE
        if tag == NULL:
            return None
        if tag == FLOAT:
            text = node.value
            return _SPECIAL_FLOATS[text] if text in _SPECIAL_FLOATS else float(text.replace("_", ""))
        raise _Unusual
    done = built.get(id(node))
    if done is not None:
        if done is _BUILDING:
            raise _Unusual  # a node inside itself: PyYAML's constructor says why it cannot be
        return done
    built[id(node)] = _BUILDING
    if kind is MappingNode and node.tag == MAP:
        out: Any = {}
        for key, value in node.value:
            if type(key) is not ScalarNode or key.tag == MERGE:
                raise _Unusual
            out[key.value if key.tag == STR else json_key(_plain(key, built))] = _plain(value, built)
    elif kind is SequenceNode and node.tag == SEQ:
        out = [_plain(item, built) for item in node.value]
    else:
        raise _Unusual
    built[id(node)] = out
    return out


def load_all(text: str) -> list[Any]:
    """Load every document of a YAML stream under Kubernetes' rules."""
    return [construct(n) if n is not None else None for n in compose_all(text)]


def scalar_values(node: Node) -> str:
    """Every key and scalar of a tree, one per line: a word no scalar holds is not in the tree's
    emitted text either (the emitter writes a scalar's letters together, and separates scalars
    by punctuation and space), and this costs far less than emitting it."""
    values = []
    seen: set[int] = set()  # data shared through aliases is looked at once
    stack = [node]
    while stack:
        current = stack.pop()
        if type(current) is ScalarNode:
            values.append(current.value)
        elif current is not None and id(current) not in seen:
            seen.add(id(current))
            if type(current) is MappingNode:
                stack.extend(part for pair in current.value for part in pair)
            else:
                stack.extend(current.value)
    return "\n".join(values)


class _NodeEmitter(CEmitter, K8sResolver):
    """:class:`Dumper` without the representer, which emitting nodes does not use: setting up
    the whole dumper cost more than emitting a small document."""

    def __init__(self, stream: io.StringIO) -> None:
        CEmitter.__init__(self, stream, canonical=False, indent=2, width=2**30, allow_unicode=True, line_break="\n")


def serialize(node: Node) -> str:
    """Emit one node as a YAML document, keeping each scalar's text and style."""
    stream = io.StringIO()
    emitter = _NodeEmitter(stream)
    try:
        emitter.open()
        emitter.serialize(node)
        emitter.close()
    finally:
        emitter.dispose()
    return stream.getvalue()


class _Representer(SafeRepresenter):
    """The representer half of :class:`Dumper`, without an emitter to set up for each value."""

    def __init__(self) -> None:
        SafeRepresenter.__init__(self, default_style=None, default_flow_style=False, sort_keys=False)


def represent(value: Any) -> Node:
    """Turn a plain Python value into a node, quoting what would otherwise change type."""
    try:
        return _represented(value, {})
    except _Unusual:
        return _Representer().represent_data(value)


def _represented(value: Any, made: dict[int, Node]) -> Node:
    """:class:`_Representer`'s node for the values lifts put in values (text, numbers, switches,
    maps and lists of them), built directly: PyYAML's representer cost more than the lifts.
    A map or list met twice gives one node, as there; anything else is left to it."""
    kind = type(value)
    if kind is str:
        return ScalarNode(STR, value)
    if value is None:
        return ScalarNode(NULL, "null")
    if kind is bool:
        return ScalarNode(BOOL, "true" if value else "false")
    if kind is int:
        return ScalarNode(INT, str(value))
    if kind is not dict and kind is not list:
        raise _Unusual
    node = made.get(id(value))
    if node is not None:
        return node
    if kind is dict:
        pairs: list = []
        node = made[id(value)] = MappingNode(MAP, pairs, flow_style=False)
        for key, item in value.items():
            pairs.append((_represented(key, made), _represented(item, made)))
    else:
        items: list = []
        node = made[id(value)] = SequenceNode(SEQ, items, flow_style=False)
        for item in value:
            items.append(_represented(item, made))
    return node


# Texts libyaml writes unchanged as a plain scalar in block context (no indicator, space, quote
# or line break; not a document marker; no ':' at the end), and inside quotes (printable ASCII
# without quotes or backslashes): the emitter need not be asked.
_PLAIN_AS_IS = re.compile(r"(?!\.\.)[A-Za-z0-9_./][A-Za-z0-9_./=+:-]*(?<!:)")
_QUOTED_AS_IS = re.compile(r"[ !#-&(-\[\]-~]*")


def scalar_text(node: ScalarNode) -> str:
    """Render a scalar node as single-line YAML text, keeping plain or quoted style if possible."""
    value = node.value
    if node.tag == NULL and value == "" and not node.style:
        return "null"  # an empty value would leave "key: " with a trailing space
    style = node.style or None  # libyaml reports plain style as ""
    if style in ("|", ">") or (style is None and "\n" in value):
        style = '"'
    if not value.isascii() and any(ch in value for ch in "\x85\u2028\u2029"):
        style = '"'  # YAML 1.1 line breaks: only escapes inside double quotes keep them
    plain_ok = style is None and resolve_plain(value) == node.tag
    if plain_ok and _PLAIN_AS_IS.fullmatch(value):
        return value
    if style is None and not plain_ok:
        style = '"'
    if node.tag == STR and style in ('"', "'") and _QUOTED_AS_IS.fullmatch(value):
        return style + value + style
    return _emitted_scalar(node, style, plain_ok)


def _emitted_scalar(node: ScalarNode, style: str | None, plain_ok: bool) -> str:
    implicit = (plain_ok, node.tag == STR)
    events = [
        yaml.StreamStartEvent(),
        yaml.DocumentStartEvent(explicit=False),
        # A tag is written only when no plain or quoted text could mean the value (an integer
        # beyond 64 bits): go-yaml then refuses it rather than reading another type.
        yaml.ScalarEvent(None, None if any(implicit) else node.tag, implicit, node.value, style=style),
        yaml.DocumentEndEvent(explicit=False),
        yaml.StreamEndEvent(),
    ]
    text = yaml.emit(events, Dumper=Dumper)
    if text.endswith("\n...\n"):
        text = text[: -len("\n...\n")]
    return text.rstrip("\n")


def same(a: Any, b: Any, _equal: set | None = None) -> bool:
    """Equal as Kubernetes sees it: 1 == 1.0, but true is not 1 and "1" is not 1.

    Pairs of containers found equal are remembered, so data shared through YAML aliases is
    compared once, not once per use (a difference ends the whole comparison anyway)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if type(a) is not type(b):
        return False
    if not isinstance(a, (dict, list)):
        return a == b
    if a is b:
        return True
    equal = set() if _equal is None else _equal
    pair = (id(a), id(b))
    if pair in equal:
        return True
    if isinstance(a, dict):
        if a.keys() != b.keys() or not all(same(a[k], b[k], equal) for k in a):
            return False
    elif len(a) != len(b) or not all(same(x, y, equal) for x, y in zip(a, b, strict=True)):
        return False
    equal.add(pair)
    return True
