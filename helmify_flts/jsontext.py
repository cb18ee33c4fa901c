"""Indented JSON text, byte for byte as ``json.dumps(value, indent=...)`` writes it, faster.

The standard library writes indented JSON with its pure-Python encoder (its C encoder does
only compact text), a chain of generators that took a tenth of a conversion for
values.schema.json and the review report. Strings are still quoted by the C functions.
"""

from __future__ import annotations

from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any

_INFINITY = float("inf")


def dumps(value: Any, indent: int = 2, ensure_ascii: bool = True, allow_nan: bool = True) -> str:
    """``json.dumps(value, indent=indent, ensure_ascii=..., allow_nan=...)`` (keys in their order)."""
    quote = encode_basestring_ascii if ensure_ascii else encode_basestring
    step = " " * indent
    parts: list[str] = []
    add = parts.append

    def number(o: float) -> str:
        if o != o:
            text = "NaN"
        elif o == _INFINITY:
            text = "Infinity"
        elif o == -_INFINITY:
            text = "-Infinity"
        else:
            return float.__repr__(o)
        if not allow_nan:
            raise ValueError("Out of range float values are not JSON compliant: " + repr(o))
        return text

    def scalar(o: Any) -> str:
        if o is None:
            return "null"
        if o is True:
            return "true"
        if o is False:
            return "false"
        if isinstance(o, int):
            return int.__repr__(o)
        if isinstance(o, float):
            return number(o)
        raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")

    def key_text(key: Any) -> str:
        if isinstance(key, str):
            return key
        if isinstance(key, float):
            return number(key)
        if key is True or key is False or key is None or isinstance(key, int):
            return scalar(key)
        raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")

    def write(o: Any, pad: str) -> None:
        if isinstance(o, str):
            add(quote(o))
        elif isinstance(o, dict):
            if not o:
                add("{}")
                return
            inner = "\n" + pad + step
            head = "{" + inner
            for key, item in o.items():
                add(head + quote(key_text(key)) + ": ")
                head = "," + inner
                if isinstance(item, str):
                    add(quote(item))
                elif isinstance(item, (dict, list, tuple)):
                    write(item, pad + step)
                else:
                    add(scalar(item))
            add("\n" + pad + "}")
        elif isinstance(o, (list, tuple)):
            if not o:
                add("[]")
                return
            inner = "\n" + pad + step
            head = "[" + inner
            for item in o:
                add(head)
                head = "," + inner
                if isinstance(item, str):
                    add(quote(item))
                elif isinstance(item, (dict, list, tuple)):
                    write(item, pad + step)
                else:
                    add(scalar(item))
            add("\n" + pad + "]")
        else:
            add(scalar(o))

    write(value, "")
    return "".join(parts)
