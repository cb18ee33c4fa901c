"""Template text: the one place where Helm actions are written, and input text is escaped.

A template is built as a YAML node tree in which each templated spot is a placeholder scalar.
libyaml emits the tree; then, in :func:`finish`, literal ``{{`` from the data is escaped and
each placeholder becomes its Helm action. Indentation for block values comes from the emitted
line itself, so no YAML is assembled or re-indented by hand.

No text from the input is ever evaluated as a template. Helm reads a template as text before
any YAML is parsed, so one escape, :func:`escape`, is right in every YAML context (plain, single-
or double-quoted, block scalar, comment, NOTES.txt). Every input-derived text that goes into
template text outside an action passes through it: :func:`finish` applies it to the emitted tree
(file names in its ``# Source`` comment included, made one line by :func:`comment`) and to
key texts; NOTES.txt lines come through :func:`one_line`.
Inside actions, input text is only ever a quoted string (:func:`quote`).
"""

from __future__ import annotations

import functools
import json
import re

from .records import record

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # used whole (fullmatch)
ESCAPED_OPEN = '{{ "{{" }}'


# YAML ends a comment at any of its line breaks (YAML 1.1 has five; Kubernetes reads YAML 1.1)
# and refuses unprintable characters; both are written as escapes where text must stay on one line.
_NOT_ONE_LINE = r"[^\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"


@functools.cache
def _not_one_line() -> re.Pattern:
    # Compiled when first needed: its ranges take longer to compile than a small conversion's
    # templates, and printable ASCII (nearly every text) never needs it.
    return re.compile(_NOT_ONE_LINE)


def _ident(part: str) -> bool:
    """``IDENT.fullmatch(part)``, asked for every part of every values reference without a match.
    A key ending in a line break (a team's values file can hold one) is not an identifier: written
    after a dot, the break would end the name and the reference would read another key."""
    return part.isascii() and part.isidentifier()


def ref(path: tuple[str, ...]) -> str:
    """Go template reference to a values key: ``.Values.a.b`` or ``(index .Values.a "b-c")``."""
    head = [".Values"]
    rest: list[str] = []
    for part in path:
        # _ident(part), inline: asked for every part of every lifted field's key.
        if not rest and part.isascii() and part.isidentifier():
            head.append(part)
        else:
            rest.append(part)
    base = ".".join(head)
    if not rest:
        return base
    return f"(index {base} {' '.join(quote(r) for r in rest)})"


def quote(value: str | int | float | bool) -> str:
    """A Go literal inside an action (a string, mostly): its text is data, whatever braces it holds."""
    return json.dumps(value, ensure_ascii=False)


def escape(text: str) -> str:
    """Make literal ``{{`` print as itself instead of starting a Helm action.

    This is the one escape for input text outside actions. ``{{-``, ``{{/*`` and ``{{{`` all
    start with ``{{``, and ``}}`` means nothing outside an action, so nothing else needs it."""
    return text.replace("{{", ESCAPED_OPEN)


def one_line(text: str) -> str:
    """Input text for a single line of a template (NOTES.txt): escaped, and unable to end the
    line: line breaks and unprintable characters become visible ``\\uXXXX`` escapes."""
    return escape(printable(text))


def comment(text: str) -> str:
    """A ``# ...`` YAML comment line holding input text (a file name) that cannot end early.

    It is part of the emitted text that :func:`finish` escapes, so it is not escaped here."""
    return f"# {printable(text)}\n"


def printable(text: str) -> str:
    """Text that stays on one line in any YAML file, a comment included: line breaks and
    characters YAML refuses become visible ``\\uXXXX`` escapes. Not a template escape."""
    if text.isascii() and text.replace("\t", " ").isprintable():
        return text
    return _not_one_line().sub(_visible, text)


def _visible(m: re.Match) -> str:
    code = ord(m.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


@record
class Inline:
    """A scalar replaced in place by an expression that prints one JSON/YAML flow value."""

    expression: str


@record
class Block:
    """A mapping value replaced by ``toYaml`` output, indented below its key."""

    ref: str


@record
class OptionalKey:
    """A key that renders only when its value is set (``with``: not empty), or, with
    ``present``, whenever it is not null (so 0, false and {} still render)."""

    ref: str
    key_text: str
    block: bool
    present: bool = False


@record
class Append:
    """Items added after a list's own items when the values key holds any."""

    ref: str


@record
class ItemGuard:
    """Opens (``ref`` set) or closes (``ref`` None) a list item that renders only when ref is true."""

    ref: str | None


Action = Inline | Block | OptionalKey | Append | ItemGuard


class Placeholders:
    """Hands out placeholder tokens that occur nowhere else in the template text.

    ``text`` must hold all the text that goes into the template besides the tokens (the
    ``# Source`` header with the file name included); texts that actions put in place of the
    tokens are never searched again, so they need not be unique."""

    def __init__(self, text: str) -> None:
        stem = "HELMIFYTPL"
        while stem in text:
            stem += "X"
        self.stem = stem
        self.actions: dict[str, Action] = {}
        # Per token of a value read whole and renamed inside (refactorings.tree): its JSON text
        # so far, the value it is made from, and the reference the action reads now.
        self.json_texts: dict[str, tuple[str, str, str]] = {}

    def new(self, action: Action) -> str:
        token = f"{self.stem}{len(self.actions):05d}"
        self.actions[token] = action
        return token


def finish(emitted: str, placeholders: Placeholders) -> str:
    """Escape literal braces, then turn each placeholder into its Helm action."""
    text = escape(emitted)
    if not placeholders.actions:
        return text
    stem = placeholders.stem
    pattern = re.compile(
        rf"^(?P<lead>[ ]*(?:- )*)(?P<key>[^\n]*?: )?(?P<token>{stem}\d{{5}})(?P<tail>: null)?$|"
        rf"(?P<inline>{stem}\d{{5}})",
        re.MULTILINE,
    )
    # No match spans a line break, so only the lines that hold a placeholder are searched: the
    # pattern tried at every character of a whole template took most of this function's time.
    out, done = [], 0
    at = text.find(stem)
    while at != -1:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end == -1 else end
        out.append(text[done:start])
        out.append(pattern.sub(lambda m: _expand(m, placeholders.actions), text[start:end]))
        done = end
        at = text.find(stem, end)
    out.append(text[done:])
    return "".join(out)


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
    # The key comes from the input (an annotation only one environment has, say), not from the
    # emitted text that was escaped above.
    key_text = escape(action.key_text)
    if long_key(action.key_text):  # written explicit, as key_line writes it
        key_text = f"? {key_text}\n{pad}"
    if action.present:
        value = (
            f"{{{{- toYaml {action.ref} | nindent {indent + 2} }}}}"
            if action.block
            else f"{{{{ {action.ref} | toJson }}}}"
        )
        return f'{pad}{{{{- if not (kindIs "invalid" {action.ref}) }}}}\n{pad}{key_text}: {value}\n{pad}{{{{- end }}}}'
    if action.block:
        body = f"{pad}{key_text}: {{{{- toYaml . | nindent {indent + 2} }}}}"
    else:
        body = f"{pad}{key_text}: {{{{ . | toJson }}}}"
    return f"{pad}{{{{- with {action.ref} }}}}\n{body}\n{pad}{{{{- end }}}}"


# YAML reads a key written without "? " only up to 1024 characters (libyaml and go-yaml alike):
# Helm could not read values.yaml back with a longer one (an env var's name, a map's key).
SIMPLE_KEY_MAX = 1000


def long_key(key_text: str) -> bool:
    """Whether YAML would refuse ``key_text`` written as a key without "? "."""
    return len(key_text) > SIMPLE_KEY_MAX or (
        not key_text.isascii() and len(key_text.encode("utf-8", "surrogatepass")) > SIMPLE_KEY_MAX
    )


def key_line(pad: str, key_text: str, rest: str) -> list[str]:
    """``key:`` and ``rest`` (" value", or "" when the value follows on the next lines); a key too
    long for YAML to read as it stands is written explicit, ``? key`` then ``: rest``."""
    return [f"{pad}? {key_text}", f"{pad}:{rest}"] if long_key(key_text) else [f"{pad}{key_text}:{rest}"]


def guard(component_ref: str, body: str) -> str:
    """Wrap a component's documents so they render only when it is enabled."""
    body = body.rstrip("\n")  # only line breaks: a no-break space ending the last value is part of it
    return f"{{{{- if {component_ref} }}}}\n{body}\n{{{{- end }}}}\n"


def condition(key: tuple[str, ...], negate: bool = False) -> str:
    """The test that a values switch is set (or, negated, not set)."""
    return f"not {ref(key)}" if negate else ref(key)


def all_of(conditions: list[str]) -> str:
    """One condition that holds when all of them do."""
    return conditions[0] if len(conditions) == 1 else "and " + " ".join(f"({c})" for c in conditions)


def any_of(conditions: list[str]) -> str:
    """One condition that holds when any of them does."""
    return conditions[0] if len(conditions) == 1 else "or " + " ".join(f"({c})" for c in conditions)


def joined(items: list[tuple[str, str | None]], *, escaped: bool = False) -> str:
    """Template text that prints, on one line and joined by ", ", each input text whose condition
    holds (None: always). ``escaped``: the texts are template text already (made with
    :func:`one_line` around the expressions they hold)."""
    texts = [(text if escaped else one_line(text), cond) for text, cond in items]
    always = next((i for i, (_, cond) in enumerate(texts) if cond is None), None)
    if always is not None:
        # Kept plain where one text always prints: those before it are followed by a comma, those
        # after it follow one.
        return (
            "".join(f"{{{{ if {cond} }}}}{text}, {{{{ end }}}}" for text, cond in texts[:always])
            + texts[always][0]
            + "".join(
                f", {text}" if cond is None else f"{{{{ if {cond} }}}}, {text}{{{{ end }}}}"
                for text, cond in texts[always + 1 :]
            )
        )
    each = [f'{{{{ $sep }}}}{text}{{{{ $sep = ", " }}}}' for text, _ in texts]
    return '{{ $sep := "" }}' + "".join(
        part if cond is None else f"{{{{ if {cond} }}}}{part}{{{{ end }}}}"
        for part, (_, cond) in zip(each, texts, strict=True)
    )
