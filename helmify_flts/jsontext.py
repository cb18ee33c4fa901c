"""Indented JSON text, byte for byte as ``json.dumps(value, indent=...)`` writes it, faster.

The standard library writes indented JSON with its pure-Python encoder (its C encoder does
only compact text), a chain of generators that took a tenth of a conversion for
values.schema.json and the review report. Strings are still quoted by the C functions.
"""

from __future__ import annotations

from collections.abc import Callable
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any

_INFINITY = float("inf")


def dumps(
    value: Any,
    indent: int = 2,
    ensure_ascii: bool = True,
    allow_nan: bool = True,
    end: str = "",
    str_keys: bool = False,
) -> str:
    """``json.dumps(value, indent=indent, ensure_ascii=..., allow_nan=...) + end`` (keys in their
    order). ``end`` is joined with the rest: adding it afterwards would copy the whole text.
    ``str_keys``: a key that is not a string raises ValueError, as a number JSON cannot hold does
    with ``allow_nan=False``, instead of being written as its JSON text."""
    writer = _Writer(encode_basestring_ascii if ensure_ascii else encode_basestring, " " * indent, allow_nan, str_keys)
    writer.write(value, "")
    writer.parts.append(end)
    return "".join(writer.parts)


quote = encode_basestring_ascii  # a string as ``dumps`` writes it (ASCII only)


def quote_key(key: Any) -> str:
    """A mapping key as ``dumps`` writes it (a number, a boolean or None as its JSON text)."""
    return quote(key if type(key) is str else _Writer(quote, "", True).key_text(key))


def entries(mapping: dict, pad: str, indent: int = 2) -> str:
    """The entries of a mapping that ``dumps`` writes at indentation ``pad``, without the braces
    and the line breaks next to them ("" for an empty mapping): text to write inside a mapping
    of one's own (see schema.for_values)."""
    if not mapping:
        return ""
    writer = _Writer(quote, " " * indent, True)
    writer.write(mapping, pad)
    text = "".join(writer.parts)
    return text[len(pad) + indent + 2 : -(len(pad) + 2)]


class _Writer:
    def __init__(self, quote: Callable[[str], str], step: str, allow_nan: bool, str_keys: bool = False) -> None:
        self.quote, self.step, self.allow_nan, self.str_keys = quote, step, allow_nan, str_keys
        self.parts: list[str] = []

    def number(self, o: float) -> str:
        if o != o:
            text = "NaN"
        elif o == _INFINITY:
            text = "Infinity"
        elif o == -_INFINITY:
            text = "-Infinity"
        else:
            return float.__repr__(o)
        if not self.allow_nan:
            raise ValueError("Out of range float values are not JSON compliant: " + repr(o))
        return text

    def scalar(self, o: Any) -> str:
        if o is None:
            return "null"
        if o is True:
            return "true"
        if o is False:
            return "false"
        if isinstance(o, int):
            return int.__repr__(o)
        if isinstance(o, float):
            return self.number(o)
        raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")

    def key_text(self, key: Any) -> str:
        if isinstance(key, str):
            return key
        if self.str_keys:
            raise ValueError(f"key {key!r} is not a string")
        if isinstance(key, float):
            return self.number(key)
        if key is True or key is False or key is None or isinstance(key, int):
            return self.scalar(key)
        raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")

    def write(self, o: Any, pad: str) -> None:
        add, quote = self.parts.append, self.quote
        if isinstance(o, str):
            add(quote(o))
        elif isinstance(o, dict):
            if not o:
                add("{}")
                return
            deeper = pad + self.step
            head = "{\n" + deeper
            for key, item in o.items():
                # One part per entry where the value is text or a list of text (most of a
                # schema: descriptions, types): fewer parts, fewer calls. The exact types first:
                # a schema holds tens of thousands of values.
                key = quote(key if type(key) is str else self.key_text(key))
                kind = type(item)
                if kind is str:
                    add(f"{head}{key}: {quote(item)}")
                elif kind is dict:
                    add(f"{head}{key}: ")
                    self.write(item, deeper)
                elif kind is list:
                    add(f"{head}{key}: ")
                    self.items(item, deeper)
                elif isinstance(item, (str, dict, list, tuple)):
                    add(f"{head}{key}: ")
                    self.write(item, deeper)
                else:
                    add(f"{head}{key}: {self.scalar(item)}")
                head = ",\n" + deeper
            add("\n" + pad + "}")
        elif isinstance(o, (list, tuple)):
            self.items(o, pad)
        else:
            add(self.scalar(o))

    def items(self, o: list | tuple, pad: str) -> None:
        add, quote = self.parts.append, self.quote
        if not o:
            add("[]")
            return
        deeper = pad + self.step
        try:  # a list of text (a schema's types) written whole; the C quoting takes only str
            add(f"[\n{deeper}{(',' + chr(10) + deeper).join(map(quote, o))}\n{pad}]")
            return
        except TypeError:
            pass
        head = "[\n" + deeper
        for item in o:
            add(head)
            head = ",\n" + deeper
            if isinstance(item, str):
                add(quote(item))
            elif isinstance(item, dict):
                self.write(item, deeper)
            elif isinstance(item, (list, tuple)):
                self.items(item, deeper)
            else:
                add(self.scalar(item))
        add("\n" + pad + "]")
