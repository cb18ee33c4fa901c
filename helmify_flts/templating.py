"""Template text: the one place where Helm actions are written.

A template is built as a YAML node tree in which each templated spot is a placeholder scalar.
libyaml emits the tree; then, in :func:`finish`, literal ``{{`` from the data is escaped and
each placeholder becomes its Helm action. Indentation for block values comes from the emitted
line itself, so no YAML is assembled or re-indented by hand.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ESCAPED_OPEN = '{{ "{{" }}'


def ref(path: tuple[str, ...]) -> str:
    """Go template reference to a values key: ``.Values.a.b`` or ``(index .Values.a "b-c")``."""
    head = [".Values"]
    rest: list[str] = []
    for part in path:
        if not rest and IDENT.match(part):
            head.append(part)
        else:
            rest.append(part)
    base = ".".join(head)
    if not rest:
        return base
    return f"(index {base} {' '.join(json.dumps(r, ensure_ascii=False) for r in rest)})"


def escape(text: str) -> str:
    """Make literal ``{{`` print as itself instead of starting a Helm action."""
    return text.replace("{{", ESCAPED_OPEN)


@dataclass(frozen=True)
class Inline:
    """A scalar replaced in place by an expression that prints one JSON/YAML flow value."""

    expression: str


@dataclass(frozen=True)
class Block:
    """A mapping value replaced by ``toYaml`` output, indented below its key."""

    ref: str


@dataclass(frozen=True)
class Optional:
    """A key that renders only when its value is set (``with``: not empty), or, with
    ``present``, whenever it is not null (so 0, false and {} still render)."""

    ref: str
    key_text: str
    block: bool
    present: bool = False


@dataclass(frozen=True)
class Append:
    """Items added after a list's own items when the values key holds any."""

    ref: str


@dataclass(frozen=True)
class ItemGuard:
    """Opens (``ref`` set) or closes (``ref`` None) a list item that renders only when ref is true."""

    ref: str | None


Action = Inline | Block | Optional | Append | ItemGuard


class Placeholders:
    """Hands out placeholder tokens that do not occur in the source text."""

    def __init__(self, source_text: str) -> None:
        stem = "HELMIFYTPL"
        while stem in source_text:
            stem += "X"
        self.stem = stem
        self.actions: dict[str, Action] = {}

    def new(self, action: Action) -> str:
        token = f"{self.stem}{len(self.actions):05d}"
        self.actions[token] = action
        return token


def finish(emitted: str, placeholders: Placeholders) -> str:
    """Escape literal braces, then turn each placeholder into its Helm action."""
    text = escape(emitted)
    if not placeholders.actions:
        return text
    pattern = re.compile(
        rf"^(?P<lead>[ ]*(?:- )*)(?P<key>[^\n]*?: )?(?P<token>{placeholders.stem}\d{{5}})(?P<tail>: null)?$|"
        rf"(?P<inline>{placeholders.stem}\d{{5}})",
        re.MULTILINE,
    )
    return pattern.sub(lambda m: _expand(m, placeholders.actions), text)


def _expand(m: re.Match, actions: dict[str, Action]) -> str:
    token = m.group("token") or m.group("inline")
    action = actions[token]
    if m.group("inline"):
        if not isinstance(action, Inline):
            raise AssertionError(f"placeholder {token} in an unsupported position")
        return action.expression
    lead, key = m.group("lead"), m.group("key") or ""
    indent = len(lead)
    if isinstance(action, ItemGuard):
        pad = " " * (indent - 2)
        return f"{pad}{{{{- if {action.ref} }}}}" if action.ref else f"{pad}{{{{- end }}}}"
    if isinstance(action, Append):
        pad = " " * (indent - 2)
        body = f"{pad}{{{{- toYaml . | nindent {indent - 2} }}}}"
        return f"{pad}{{{{- with {action.ref} }}}}\n{body}\n{pad}{{{{- end }}}}"
    if isinstance(action, Inline):
        return f"{lead}{key}{action.expression}{m.group('tail') or ''}"
    if isinstance(action, Block):
        if not key:
            return f"{lead}{{{{ {action.ref} | toJson }}}}"
        return f"{lead}{key.rstrip()} {{{{- toYaml {action.ref} | nindent {indent + 2} }}}}"
    pad = " " * indent
    if action.present:
        value = (f"{{{{- toYaml {action.ref} | nindent {indent + 2} }}}}" if action.block
                 else f"{{{{ {action.ref} | toJson }}}}")
        return (f"{pad}{{{{- if not (kindIs \"invalid\" {action.ref}) }}}}\n"
                f"{pad}{action.key_text}: {value}\n"
                f"{pad}{{{{- end }}}}")
    if action.block:
        body = f"{pad}{action.key_text}: {{{{- toYaml . | nindent {indent + 2} }}}}"
    else:
        body = f"{pad}{action.key_text}: {{{{ . | toJson }}}}"
    return f"{pad}{{{{- with {action.ref} }}}}\n{body}\n{pad}{{{{- end }}}}"


def guard(component_ref: str, body: str) -> str:
    """Wrap a component's documents so they render only when it is enabled."""
    body = body.rstrip("\n")  # only line breaks: a no-break space ending the last value is part of it
    return f"{{{{- if {component_ref} }}}}\n{body}\n{{{{- end }}}}\n"
