"""Redaction: the one place that decides what of a value people may read.

The review report, ``verify``'s differences and schema messages, and errors that quote a
parser's snippet show values from the manifests. Secret values and anything shaped like a
credential are replaced by ``<redacted>`` here:

- by *name*: a value under a key, env var or annotation whose name looks like a credential
  (``DB_PASS``, ``rootPassword``, ``vault.token``, ``*_KEY``, ``secureJsonData``), and every
  value under ``data``/``stringData`` of a Secret (also a Secret held inside a value);
- by *shape*, inside any text: URL userinfo, ``password=``/``Password=`` keys of query and
  connection strings, ``Bearer``/``Basic`` tokens, ``--db-password=x``, ``--token x`` (also
  ``--token "a b"``) and ``-u user:x`` arguments, PEM private keys, self-evident tokens (JWT,
  AWS, GitHub, ...), ``key=value`` / ``key: value`` lines of files (``PGPASSWORD=x psql``,
  ``export AWS_SECRET_ACCESS_KEY=x``), and credential keys inside embedded YAML or JSON (parsed
  and walked when the text is YAML or JSON);
- by *command*: what programs take as options or arguments, read word by word as a shell splits
  a command line (in ``sh -c "..."`` strings, ``$(...)``, here-docs and continued lines too) and
  item by item in exec-form lists (a container's ``args`` continue its ``command``):
  ``mysql``/``mysqladmin``/``mariadb`` ``-pX``, ``mongo``/``mongosh``/``mongodump`` ``-p X``,
  ``redis-cli -a X`` and ``AUTH X``, ``CONFIG SET requirepass X``, ``ACL SETUSER u on >X``,
  ``sshpass -p X``, ``htpasswd -b file user X``, ``openssl ... pass:X``, ``-k X``, ``-K X`` and
  ``openssl passwd X``, ``keytool``/``jarsigner`` ``-storepass X -keypass X -new X``,
  ``kubectl create secret ... --from-literal=k=X``, ``mc alias set a url KEY SECRET``,
  ``aws configure set <credential> X``, ``docker``/``podman``/``helm registry``/``az``
  ``login -p X`` and ``echo X | ... --password-stdin``, ``ldapsearch -w X``,
  ``mosquitto_pub -P X``, ``zip -P X``, ``7z -pX``, ``sqlcmd -P X``, ``cqlsh -p X``,
  ``ssh-keygen -N X``, ``curl -uuser:X``, ``-U user:X`` and ``--oauth2-bearer X``,
  ``smbclient -U user%X``, ``lftp -u user,X``, ``vault login X``, ``rabbitmqctl add_user u X``,
  ``-auth user:X``, Oracle logons (``sqlplus user/X@db``, ``CONNECT user/X``,
  ``userid=user/X``), ``ipmitool -P X``, ``snmpwalk -A X -X X -c X``, HTTP headers named like a
  credential (``-H "X-Vault-Token: X"``, ``--header "Cookie: X"``); netrc entries
  (``machine h login u password X``, on one line or several), ``.pgpass`` lines after the file is
  named, ``requirepass``/``masterauth`` and HAProxy ``stats auth u:X`` / ``insecure-password X``
  lines, and string literals after SQL's ``PASSWORD``, ``IDENTIFIED [WITH plugin] BY`` and
  ``PASSWORD('X')`` and a script's ``pwd: "X"`` (``db.createUser``). Options that only share a
  letter stay (``mysql -P 3306``, ``docker run -p 8080:80``, ``mysql -p db``, which prompts), and
  so does a value that only refers to the credential: ``$X``/``${X}``/``$(...)`` in shell text,
  ``$(X)`` in an exec-form list.

What a name says is decided in ``redact_names`` and the command scanner lives in
``redact_commands``; callers use this module only.

Names that merely point at a credential (``secretKeyRef``, ``secretName``, ``existingSecret``,
``PASSWORD_FILE``, ``PGPASSFILE``, ``-keystore ks.jks``, ``--ssl-key``) stay readable: a Secret's
name and a file's path are not secret.

Every scan is linear in the input: separators are found with plain searches, names are read
backwards over a bounded window, patterns start only where a run of their characters starts
or have no repetition that can be retried, and embedded documents are parsed only up to a size.
Command lines are read word by word in one pass (a quoted value's closing quote is searched for
once, and an unclosed quote leaves none later on its line), and the items of one list are judged
from the scan's saved state rather than by rescanning the list for each.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from enum import Enum
from typing import Any

import yaml

from helmify_flts import heldvalues
from helmify_flts.errors import UserError, Where
from helmify_flts.redact_commands import _argv, _Command, _commands, _hide_argv
from helmify_flts.redact_names import (  # noqa: F401 - REDACTED, MAX_NAME, Kind and classify are this module's API
    MAX_NAME,
    REDACTED,
    Kind,
    _credential_option,
    classify,
    names_address,
)

# Embedded documents larger than this are scanned line by line instead. YAML is built by a
# Python constructor (about 10 us a node), JSON by C: a 300 KB value stays well under a second.
MAX_JSON = 1 << 20
MAX_YAML = 1 << 16

# ----------------------------------------------------------------------------- structured values


def field(kind: str, names: Sequence[str], value: Any) -> Any:
    """``value`` found under ``names`` (keys, and the names of name/value items) in a resource of
    ``kind``, with every credential in it redacted."""
    state = _State.NONE
    secret_data = kind == "Secret" and bool(names) and names[0] in ("data", "stringData")
    for i, name in enumerate(names):
        state = _step(state, str(name), leaf=i == len(names) - 1 and not isinstance(value, (dict, list)))
    # In a Secret, only an address (a URL) is shown, with its password hidden: a key named like a
    # file (``keyfile``, ``password_file``) holds the file itself, and base64 (``data``) hides nothing.
    if secret_data and (state is not _State.POINTER or names[0] == "data" or not names_address(str(names[-1]))):
        state = _State.CREDENTIAL
    try:
        return _walk(value, state, secret_root=kind == "Secret" and not names)
    except RecursionError:  # a value nested deeper than can be walked is not shown at all
        return REDACTED


def at(kind: str, obj: Any, parts: Sequence[str | int], value: Any) -> Any:
    """``value`` found at ``parts`` (a JSON-pointer-like path) in the resource ``obj`` of ``kind``,
    redacted by where it sits: :func:`field` over :func:`path_names`, and a command's words that
    its earlier words make a credential (``args: [--token, abc]``, ``command: [mysql]`` with
    ``args: [-pX]``)."""
    if parts and isinstance(value, str):
        hide = _argv_item(obj, parts, value)
        if hide is not None:
            return _held(value[:hide]) + REDACTED
    shown = field(kind, path_names(obj, parts), value)
    if parts and parts[-1] == "args" and isinstance(value, list) and isinstance(shown, list):
        command = _parent(obj, parts)
        command = command.get("command") if isinstance(command, dict) else None
        if isinstance(command, list) and len(shown) == len(value):
            for i, hide in _argv(command + value).items():
                if i >= len(command):
                    shown[i - len(command)] = value[i - len(command)][:hide] + REDACTED
    return shown


def _index(part: str | int) -> int:
    """A path part as a list index, -1 when it is none: a key such as "²" or a 5,000-digit one is
    no index, though str.isdigit says yes to the first and int() refuses the second."""
    if isinstance(part, int) and not isinstance(part, bool):
        return part
    text = str(part)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else -1


def _parent(obj: Any, parts: Sequence[str | int]) -> Any:
    """What holds the value at ``parts``: a list or a mapping, or None."""
    cursor = obj
    for part in parts[:-1]:
        if isinstance(cursor, list):
            index = _index(part)
            cursor = cursor[index] if 0 <= index < len(cursor) else None
        else:
            cursor = cursor.get(part, cursor.get(str(part))) if isinstance(cursor, dict) else None
    return cursor


# The last command scanned item by item: (command list, args list, the scan's state before each
# word). A report or a list of differences asks for each item of one list in turn; rescanning the
# list for each would be quadratic.
_ARGV_STATES: list[Any] = [None, None, []]


def _argv_item(obj: Any, parts: Sequence[str | int], value: str) -> int | None:
    """Where the credential in a list item ``value`` at ``parts`` starts, judged by the words before
    it (a container's ``command`` comes before its ``args``)."""
    words = _parent(obj, parts)
    last = parts[-1]
    if not isinstance(words, list) or not 0 <= _index(last) <= len(words):
        return None
    command: Any = None
    if len(parts) > 1 and parts[-2] == "args":
        holder = _parent(obj, parts[:-1])
        command = holder.get("command") if isinstance(holder, dict) else None
        command = command if isinstance(command, list) else None
    cached_command, cached_words, states = _ARGV_STATES
    if cached_command is not command or cached_words is not words or len(states) != len(words) + 1:
        scan = _Command(shell=False)
        _argv(command or [], scan)
        states = [scan.copy()]
        for w in words:
            _argv([w], scan)
            states.append(scan.copy())
        _ARGV_STATES[:] = [command, words, states]
    return states[_index(last)].copy().word(value)


def path_names(obj: Any, parts: Sequence[str | int]) -> tuple[str, ...]:
    """The names along a path (JSON-pointer parts, list indices as ints or digits) through ``obj``
    that :func:`field` classifies: map keys, and a list item's ``name`` where the path goes on
    into its ``value`` (an env var's name says what its value is)."""
    names: list[str] = []
    cursor = obj
    for i, part in enumerate(parts):
        if isinstance(cursor, list):
            index = _index(part)
            item = cursor[index] if 0 <= index < len(cursor) else None
            if (
                i + 1 < len(parts)
                and parts[i + 1] == "value"
                and isinstance(item, dict)
                and isinstance(item.get("name"), str)
            ):
                names.append(item["name"])
            cursor = item
        else:
            names.append(str(part))
            cursor = cursor.get(part, cursor.get(str(part))) if isinstance(cursor, dict) else None
    return tuple(names)


class _State(Enum):
    NONE = 0
    CREDENTIAL = 1
    POINTER = 2


def _step(state: _State, name: str, leaf: bool) -> _State:
    if state in (_State.POINTER, _State.CREDENTIAL):
        return state  # under a pointer everything is a reference; under a credential, secret
    kind = classify(name, leaf)
    if kind is Kind.POINTER:
        return _State.POINTER
    if kind is Kind.CREDENTIAL:
        return _State.CREDENTIAL
    return _State.NONE


def _walk(data: Any, state: _State, secret_root: bool = False) -> Any:
    if isinstance(data, dict):
        # A whole Secret inside a value (kubectl's last-applied-configuration annotation, a List).
        secret_root = secret_root or (data.get("kind") == "Secret" and "apiVersion" in data)
        out = {}
        named = data.get("name") if isinstance(data.get("name"), str) else None
        for key, child in data.items():
            if secret_root and key in ("data", "stringData"):
                sub = _State.CREDENTIAL
            else:
                sub = _step(state, str(key), not isinstance(child, (dict, list)))
                if key == "value" and named is not None:  # an env-style item: its name names the value
                    sub = _step(_step(state, named, True), "value", True)
            out[key] = _walk(child, sub)
        command, args = data.get("command"), out.get("args")
        if state is _State.NONE and isinstance(command, list) and isinstance(args, list):
            # A container: its args continue its command (["mysql"] + ["-pX"]).
            for i, hide in _argv(command + data["args"]).items():
                if i >= len(command):
                    args[i - len(command)] = data["args"][i - len(command)][:hide] + REDACTED
        return out
    if isinstance(data, list):
        items = [_walk(item, state) for item in data]
        if state is _State.NONE:
            _hide_argv(data, items)
        return items
    if state is _State.CREDENTIAL:
        return data if data is None or isinstance(data, bool) else REDACTED
    if isinstance(data, str):
        return text(data)
    return data


# ----------------------------------------------------------------------------- values Secrets hold

# A Secret's value copied elsewhere (into a ConfigMap, an env value, an annotation, a command line)
# is hidden there too, whatever its name or shape. Loading a run's sources teaches the values
# (learn) to the run (heldvalues, which also says how they are found, and what one to three
# characters mean); each command starts a run of its own. Numbers and switches would hide half a
# report; a Secret's keys that name something public (a user, a host, a port, a certificate) keep
# their values readable elsewhere, where the same words name other things.
MIN_HELD = heldvalues.MIN_HELD
_PUBLIC_LAST = frozenset(
    {"user", "username", "login", "host", "hostname", "server", "port", "database", "db", "dbname", "name"}
    | {"namespace", "region", "bucket", "endpoint", "email", "schema", "driver", "mode", "sslmode", "type"}
    | {"crt", "cert", "certificate", "ca", "pub"}
)


def learn(resources: Sequence[Any]) -> None:
    """Hide the values of the Secrets among ``resources`` (loaded manifests) wherever they appear."""
    import base64
    import binascii

    from . import kyaml
    from .redact_names import _WORDS

    run = heldvalues.current()
    # A value that is also an object's name (a token set to its Secret's name) is shown as the
    # name it is: names stay readable, and hiding one would hide it in every message.
    names = {res.name for res in resources} | {res.namespace for res in resources if res.namespace}
    for res in resources:
        if res.kind != "Secret":
            continue
        obj = kyaml.construct(res.node)
        held: set[str] = set()
        for field_name in ("data", "stringData"):
            entries = obj.get(field_name) if isinstance(obj, dict) else None
            for key, value in entries.items() if isinstance(entries, dict) else ():
                words = [w.lower() for w in _WORDS.findall(str(key))]
                if not isinstance(value, str) or (words and words[-1] in _PUBLIC_LAST):
                    continue
                texts = [value]
                if field_name == "data":
                    try:
                        texts.append(base64.b64decode(value, validate=True).decode("utf-8"))
                    except (binascii.Error, ValueError):
                        pass
                for text in texts:
                    for one in {text, text.strip()}:
                        if len(one) < MIN_HELD or one in REDACTED or one in names:
                            continue
                        if kyaml.resolve_plain(one) == kyaml.STR:
                            held.add(one)
        if not run.add(held):
            raise UserError(_too_many("the Secrets of these manifests hold"), Where(str(res.source), res.line))


def _too_many(what: str) -> str:
    return (
        f"{what} more than {heldvalues.MAX_VALUES:,} values, more than a run can hide wherever they "
        "are copied; convert the manifests in parts (--exclude, or one folder at a time)"
    )


def hold_credentials(values: Any, names: tuple[str, ...] = ()) -> None:
    """Also hide, wherever they appear, the texts of ``values`` (a values tree: --set, --values)
    that redaction hides where they sit, as it hides a Secret's: a password given to a chart
    may render where nothing names it one."""
    held = set()
    stack = [(names, values)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack += [(path + (str(k),), v) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(path, v) for v in value]
        elif isinstance(value, str) and len(value) >= MIN_HELD and field("", path, value) == REDACTED:
            held.add(value)
    if not heldvalues.current().add(held):
        raise UserError(_too_many("--set and --values give"))


def forget() -> None:
    """Start a new run in this context: no Secret values are known."""
    heldvalues.begin()


def held(data: str) -> str:
    """``data`` with every value a Secret of the run holds replaced by ``<redacted>``."""
    return _held(data)


def _held(data: str) -> str:
    return heldvalues.hide(data, REDACTED)


# ----------------------------------------------------------------------------- text


def text(data: str) -> str:
    """A string with every credential shape inside it redacted: embedded YAML or JSON is parsed
    and walked, anything else is read line by line."""
    data = _pem(data)
    if "\n" in data or data.lstrip()[:1] in ("{", "["):
        structured = _structured(data)
        if structured is not None:
            return _held(structured)
    return _held(_lines(data)) if "\n" in data else inline(data)


def inline(data: str) -> str:
    """Credentials inside one line of free text (a message, a command line): URL userinfo,
    ``key=value`` pairs, bearer tokens, ``--flag value`` arguments and tokens whose own shape
    gives them away (a JWT, an AWS access key id, GitHub, GitLab, Slack and Stripe tokens)."""
    return _held(_known(_flags(_bearer(_pairs(_commands(_urls(data)))))))


def message(data: str) -> str:
    """An error message that may quote input (a parser's snippet of the offending lines):
    read line by line, never re-written from a parse."""
    return _held(_lines(data))


def _structured(data: str) -> str | None:
    """The text with credentials redacted when it is a JSON or YAML mapping or list: read line
    by line when that hides everything a parse finds (the layout stays as written), else
    re-written from the parsed document. None when it is not such a document."""
    doc = _parse(data)
    if doc is None:
        return None
    try:
        shown = _walk(doc, _State.NONE)
    except RecursionError:
        return None
    lined = _lines(data)
    if shown == doc:
        return lined
    again = _parse(lined)
    try:
        if again is not None and _walk(again, _State.NONE) == again:
            return lined
    except RecursionError:
        pass
    if data.lstrip()[:1] in ("{", "["):
        return json.dumps(shown, indent=2, ensure_ascii=False)
    return yaml.dump(shown, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


def _parse(data: str) -> dict | list | None:
    """A JSON or YAML document held in a string, if it is a mapping or a list; never expands
    YAML aliases (they could grow without bound)."""
    as_json = data.lstrip()[:1] in ("{", "[")
    if len(data) > (MAX_JSON if as_json else MAX_YAML):
        return None
    try:
        if as_json:
            doc = json.loads(data)
        else:
            if "*" in data and any(isinstance(e, yaml.AliasEvent) for e in yaml.parse(data, Loader=_Loader)):
                return None
            doc = yaml.load(data, Loader=_Loader)  # noqa: S506 - a safe loader
    except (ValueError, yaml.YAMLError, RecursionError, TypeError):
        return None
    return doc if isinstance(doc, (dict, list)) else None


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Multi-line strings as block scalars, as people write config files."""


_Dumper.add_representer(
    str,
    lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None),
)
_LINE_SEP = re.compile(r"[=:]")
_BLOCK = frozenset({"|", ">", "|-", ">-", "|+", ">+"})


def _lines(data: str) -> str:
    """``key=value`` and ``key: value`` lines (.env, properties, INI, YAML) whose key looks like a
    credential lose their value; a YAML block scalar under such a key loses its lines too."""
    out = []
    block_indent = -1  # lines indented deeper than this belong to a hidden block scalar
    inlined = inline(data)  # inline shapes never span lines: one pass for all
    hidden = False
    for line in inlined.split("\n"):
        if not line:
            out.append(line)
            continue
        indent = len(line) - len(line.lstrip(" \t"))
        if block_indent >= 0:
            if not line.strip() or indent > block_indent:
                out.append(line[:indent] + REDACTED if line.strip() else line)
                hidden = hidden or bool(line.strip())
                continue
            block_indent = -1
        sep = _LINE_SEP.search(line)
        # A key follows only decoration (see _line_start): a line whose first other character
        # cannot be part of a name (a JSON line, '{"title": ...') holds no key to judge, and
        # reading its name backwards is most of the cost of a long dashboard.
        first = len(line) - len(line.lstrip(_DECORATION)) if sep is not None else 0
        if sep is not None and first < sep.start() and line[first] in _NAME_CHARS:
            at = sep.start()
            start, key = _name_before(line, at, skip=" \t\"'")
            rest = line[at + 1 :]
            if key and rest.strip() and _line_start(line[:start]) and classify(key) is Kind.CREDENTIAL:
                if rest.strip() in _BLOCK:
                    block_indent = indent
                    out.append(line)
                else:
                    body = rest.strip()
                    quote = body[0] if body[0] in "\"'" else ""
                    out.append(
                        line[: at + 1]
                        + (" " if rest[:1] in (" ", "\t") else "")
                        + quote
                        + REDACTED
                        + quote
                        + ("," if body.endswith(",") and len(body) > 1 else "")
                    )
                    hidden = True
                continue
        out.append(line)
    # Unchanged text is returned as it came: a report holds many large config files.
    return "\n".join(out) if hidden else inlined


_DECORATION = " \t-#;\"'"  # what may stand before a line's key (_line_start)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/")


def _name_before(data: str, end: int, skip: str = "") -> tuple[int, str]:
    """Where the name ending at ``end`` starts, and the name (quotes or spaces in ``skip`` stepped
    over first), read over at most MAX_NAME characters, leading dashes (``--db-password``) dropped."""
    stop = max(0, end - MAX_NAME)
    while end > stop and data[end - 1] in skip:
        end -= 1
    start = end
    while start > stop and data[start - 1] in _NAME_CHARS:
        start -= 1
    return start, data[start:end].lstrip("-/")


def _line_start(prefix: str) -> bool:
    """Whether a line's text before a key is only decoration: indentation, a YAML list dash, a
    comment mark (a commented-out password is still a password), quotes or ``export``."""
    rest = prefix.strip(_DECORATION)
    return rest == "" or (rest == "export" and prefix.rstrip(" \t\"'").endswith("export"))


_URL = re.compile(r"://([^\s\"'<>`]*)")


def _urls(data: str) -> str:
    """``scheme://user:password@host``: the password (which may hold ``/``, ``@`` or ``:``)
    is redacted, the user stays; a lone ``key@host`` (a Sentry DSN) is redacted whole."""
    out, last = [], 0
    for m in _URL.finditer(data):
        token = m.group(1)
        head = token[: _first_of(token, "/?#")]
        colon, at_head = head.find(":"), head.find("@")
        if colon >= 0 and (at_head < 0 or colon < at_head):
            end = token.rfind("@")  # user:pass...: the password may hold '/', '@' or ':' unescaped
        else:
            end = head.rfind("@")
        if end < 0:
            continue
        user = token[: colon + 1] if 0 <= colon < end else ""
        out += [data[last : m.start(1)], user, REDACTED]
        last = m.start(1) + end
    return "".join(out) + data[last:] if out else data


def _first_of(data: str, chars: str) -> int:
    found = [i for i in (data.find(c) for c in chars) if i >= 0]
    return min(found) if found else len(data)


_VALUE_END = re.compile(r"[;\s\"'<>]")  # connection strings and arguments
# URL query strings. Not "#": a driver that reads the URL itself (pgjdbc) takes a password up to
# the next "&", fragment marker and all, so hiding to "#" could show the rest of the password.
_QUERY_END = re.compile(r"[&\s\"'<>]")
_CLOSE = {"{": "}", '"': '"', "'": "'"}


def _pairs(data: str) -> str:
    """``password=x`` in query strings, JDBC/MSSQL/ODBC connection strings (``Password=x;``,
    ``PWD={x;y}``) and ``--db-password=x`` arguments."""
    if "=" not in data:  # the scan below would try every word of a long text
        return data
    out, last = [], 0
    for m in _PAIR.finditer(data):
        if m.start() < last or not _credential_option(m.group(1)):
            continue
        start = m.end()
        while start < len(data) and data[start] == " ":
            start += 1
        opener = data[start : start + 1]
        if opener in _CLOSE:  # a quoted or braced value, on its own line
            line_end = data.find("\n", start)
            line_end = len(data) if line_end < 0 else line_end
            close = data.find(_CLOSE[opener], start + 1, line_end)
            end = line_end if close < 0 else close + 1
        else:
            query = m.start() > 0 and data[m.start() - 1] in "?&"
            found = (_QUERY_END if query else _VALUE_END).search(data, start)
            end = found.start() if found else len(data)
        if end > start and data[start:end] != REDACTED:
            out += [data[last:start], REDACTED]
            last = end
    return "".join(out) + data[last:] if out else data


# A name starts where a run of name characters starts (the look-behind keeps the scan linear).
_PAIR = re.compile(r"(?<![A-Za-z0-9_.\-/])([A-Za-z0-9_.\-/]+) ?=")


# The token runs to the next space or quote: a character outside the RFC 6750 set (an '@')
# must not end the hiding early and show the rest.
@functools.cache  # compiled when first needed, as are the other patterns few texts reach
def _bearer_re() -> re.Pattern[str]:
    return re.compile(r"(?i)\b(?:bearer|basic)[ \t]{1,8}([^\s\"'`<>,;]{8,})")


def _bearer(data: str) -> str:
    lowered = data.lower()
    if "bearer" not in lowered and "basic" not in lowered and data.isascii():  # (?i) folds some non-ASCII
        return data

    def hide(m: re.Match) -> str:
        token = m.group(1)
        if token.isalpha() and token.islower():  # prose: "basic authentication"
            return m.group(0)
        return m.group(0)[: m.start(1) - m.start(0)] + REDACTED

    return _bearer_re().sub(hide, data)


# A quoted value runs to its closing quote (it may hold spaces); an unclosed quote leaves no other
# quote later on its line, so a failed attempt is never repeated there.
_FLAG = re.compile(r"""(?<!\S)--?([A-Za-z][A-Za-z0-9_.-]{0,127})[ \t]{1,8}("[^"\n]*"|'[^'\n]*'|[^\s-]\S*)""")


def _flags(data: str) -> str:
    """``--token abc``: a credential flag's separate argument; ``-u user:pass`` (curl): the
    password after the user."""
    if "-" not in data:
        return data

    def hide(m: re.Match) -> str:
        name, value = m.group(1), m.group(2)
        keep = m.group(0)[: m.start(2) - m.start(0)]
        if name in ("u", "user") and ":" in value and not value.endswith(":" + REDACTED):
            # date -u +%H:%M: the format of date's UTC flag, which no user name starts with
            if value.lstrip("\"'").startswith("+"):
                return m.group(0)
            return keep + value[: value.index(":") + 1] + REDACTED
        if not _credential_option("-" + name) or value == REDACTED:
            return m.group(0)
        return keep + REDACTED

    return _FLAG.sub(hide, data)


@functools.cache
def _known_re() -> re.Pattern[str]:
    return re.compile(
        # A JWT (header.payload.signature); it starts only where a run of its characters starts, so
        # a failed attempt is never retried inside the same run.
        r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+"
        r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"  # AWS access key id
        r"|\b(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{30,}"
        r"|\bglpat-[A-Za-z0-9_-]{20,}|\bxox[abprs]-[A-Za-z0-9-]{10,}|\b[rs]k_live_[A-Za-z0-9]{16,}"
    )


# Text every match of _known_re() holds: a plain search for them is far cheaper than the pattern,
# which has no fixed start to skip ahead to.
_KNOWN_MARKS = (
    "eyJ",
    "AKIA",
    "ASIA",
    "ghp_",
    "gho_",
    "ghs_",
    "ghu_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xox",
    "k_live_",
)


def _known(data: str) -> str:
    if not any(mark in data for mark in _KNOWN_MARKS):
        return data
    return _known_re().sub(REDACTED, data)


_PEM_BEGIN = "-----BEGIN "


def _pem(data: str) -> str:
    """The body of a PEM private key block (``-----BEGIN RSA PRIVATE KEY-----``) anywhere in a
    text; certificates and public keys stay."""
    if _PEM_BEGIN not in data:
        return data
    out, last, pos = [], 0, 0
    while True:
        begin = data.find(_PEM_BEGIN, pos)
        if begin < 0:
            break
        header_end = data.find("-----", begin + len(_PEM_BEGIN))
        if header_end < 0:
            break
        label = data[begin + len(_PEM_BEGIN) : header_end]
        pos = header_end + 5
        if "PRIVATE KEY" not in label or len(label) > 64:
            continue
        end = data.find("-----END " + label + "-----", pos)
        end = len(data) if end < 0 else end
        # Keep the block's own indentation so that YAML around it still parses.
        body = data[pos:end].lstrip("\r\n")
        indent = body[: len(body) - len(body.lstrip(" \t"))]
        out += [data[last:pos], "\n" + indent + REDACTED + "\n" + indent]
        last = pos = end
    return "".join(out) + data[last:] if out else data


# ----------------------------------------------------------------------------- a diff for review

_SECRET_KIND = re.compile(r"kind:[ \t]*[\"']?Secret[\"']?[ \t]*(?:#.*)?")
_SECRET_FIELDS = re.compile(r"(?:data|stringData):[ \t]*(?:#.*)?")
_ITEM_VALUE = re.compile(r"([ \t]*(?:-[ \t]+)?(?:\"[^\"]*\"|'[^']*'|[^:#\s][^:#]*?)[ \t]*:)([ \t]+\S.*)?")


def for_review(text: str, key: bytes) -> str:
    """A chart file as ``convert --diff`` shows it: every value in a Secret's ``data`` and
    ``stringData``, every credential the messages hide, and every value a Secret of the run holds
    replaced by ``<redacted:…>``, whose last part is a keyed hash of the line (the key made anew
    each run, so it cannot be looked up): a reviewer sees which lines changed, never what they hold.
    Lines keep their count and order, so the diff's line numbers stay those of the file."""
    import hashlib
    import hmac

    lines = text.split("\n")
    hidden = _lines_of_secret_fields(lines) | _credential_items(lines)
    shown = message(text).split("\n")
    if len(shown) != len(lines):  # a held value of several lines went: no line can be matched up
        shown = [REDACTED] * len(lines)
    out = []
    for i, (line, seen) in enumerate(zip(lines, shown, strict=True)):
        if i in hidden:
            m = _ITEM_VALUE.fullmatch(line)
            if m and m.group(2):
                seen = m.group(1) + " " + REDACTED
            elif not m:
                seen = line[: len(line) - len(line.lstrip(" \t"))] + REDACTED
        if seen != line:
            mark = hmac.new(key, line.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:8]
            seen = seen.replace(REDACTED, f"<redacted:{mark}>")
        out.append(seen)
    return "\n".join(out)


_ITEM_KEY = re.compile(r"([ \t]*)(- )?([A-Za-z]+):(?:[ \t]+(.*))?")


def _credential_items(lines: list[str]) -> set[int]:
    """Indexes of the ``value:`` lines of list items whose ``name:`` looks like a credential (an
    env list written whole, ``- name: DB_PASSWORD`` then ``value: ...``): read line by line, the
    value's own key says nothing."""
    hidden: set[int] = set()
    item: dict[str, int | str] = {}  # the current item's key indent, name and value line
    for i, line in enumerate(lines):
        m = _ITEM_KEY.fullmatch(line)
        indent = len(line) - len(line.lstrip(" \t"))
        if m is None:
            if line.strip() and indent < int(item.get("at", 0)):
                item = {}
            continue
        at = len(m.group(1)) + (2 if m.group(2) else 0)
        if m.group(2) or at < int(item.get("at", 0)):  # a new item, or out of the last one
            item = {"at": at} if m.group(2) else {}
        if not item or at != item["at"]:
            continue
        if m.group(3) == "name":
            item["name"] = (m.group(4) or "").strip("\"' ")
        elif m.group(3) == "value":
            item["value"] = i
        if "name" in item and "value" in item and classify(str(item["name"])) is Kind.CREDENTIAL:
            hidden.add(int(item["value"]))
    return hidden


def _lines_of_secret_fields(lines: list[str]) -> set[int]:
    """Indexes of the lines under ``data:`` or ``stringData:`` of each YAML document whose kind is
    Secret (a chart file's literal text: templates keep both at the top level)."""
    hidden: set[int] = set()
    start = 0
    for end in [*(i for i, line in enumerate(lines) if line.startswith("---")), len(lines)]:
        doc = range(start, end)
        if any(_SECRET_KIND.fullmatch(lines[i]) for i in doc):
            inside = False
            for i in doc:
                line = lines[i]
                if _SECRET_FIELDS.fullmatch(line):
                    inside = True
                elif line and not line[0].isspace() and not line.startswith("{{"):
                    inside = False
                elif inside and line.strip() and not line.lstrip().startswith(("{{", "#")):
                    hidden.add(i)
        start = end + 1
    return hidden
