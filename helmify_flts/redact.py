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

REDACTED = "<redacted>"
MAX_NAME = 128  # characters of a name that are classified; longer names are read from their end
# Embedded documents larger than this are scanned line by line instead. YAML is built by a
# Python constructor (about 10 us a node), JSON by C: a 300 KB value stays well under a second.
MAX_JSON = 1 << 20
MAX_YAML = 1 << 16


class Kind(Enum):
    """What a name says about the value under it."""

    CREDENTIAL = "credential"
    POINTER = "pointer"  # names a credential held elsewhere (a Secret's name, a file path)


# Words are read from camelCase, snake_case, kebab-case and dotted names alike.
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# Whole names that point at a Secret or ConfigMap rather than hold a credential.
_POINTER_NAMES = frozenset(
    {
        "secretkeyref",
        "secretref",
        "secretname",
        "existingsecret",
        "imagepullsecrets",
        "configmapkeyref",
        "configmapref",
        "secretproviderclass",
        "serviceaccountname",
        "tokensecretref",
    }
)
# A last word that makes the value a place or a name, not the credential itself.
_POINTER_LAST = frozenset(
    {
        "ref",
        "name",
        "names",
        "file",
        "files",
        "path",
        "dir",
        "location",
        "mount",
        "namespace",
        "url",
        "uri",
        "endpoint",
        "stdin",
    }
)
# Endings of a name run together in one word that make it a file's place (``PGPASSFILE``,
# ``keyfile``, ``KEYSTOREPATH``); ``profile`` only ends like one.
_POINTER_ENDS = ("file", "path")
# A last word naming a key or trust store, which options and variables give as a file
# (``keytool -keystore ks.jks``, ``SSL_TRUSTSTORE=/etc/ts.jks``); before another word
# (``KEYSTORE_BASE64``) it is the store's content, a credential.
_STORES = frozenset({"keystore", "truststore"})
# Whole names that programs read as a file's place though a word in them marks a credential.
_FILE_NAMES = frozenset({"googleapplicationcredentials"})
# Command-line options of TLS clients that take the client key's file (``mysql --ssl-key=``,
# ``kubectl --client-key``, ``docker --tlskey``); as a key of its own (``tls.key``) the same name
# holds the key itself.
_FILE_OPTIONS = frozenset({"ssl-key", "tls-key", "tlskey", "client-key"})
# A last word that makes the value a setting about a credential (``TOKEN_TTL``, ``passwordPolicy``).
_SETTING_LAST = frozenset(
    {
        "enabled",
        "type",
        "mode",
        "ttl",
        "expiry",
        "expiration",
        "length",
        "policy",
        "format",
        "header",
        "algorithm",
        "version",
        "kind",
        "required",
        "lifetime",
    }
)
# Fragments that mark a credential anywhere in a name, even run together (``DBPASSWORD``).
_STRONG = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "credential",
    "apikey",
    "privatekey",
    "accesskey",
    "pgpass",
    "netrc",
)
# Whole words that mark a credential.
_WEAK = frozenset(
    {
        "pass",
        "pwd",
        "creds",
        "dsn",
        "private",
        "authorization",
        "pem",
        "p12",
        "pfx",
        "jks",
        "keystore",
        "rsa",
        "ecdsa",
        "ed25519",
        "htpasswd",
    }
)
# Last words that mark a credential after another word (``SSH_KEY``, ``BASIC_AUTH``).
_LAST = frozenset({"key", "keys", "auth", "auths"})
_NOT_KEY = frozenset(
    {
        "public",
        "sort",
        "partition",
        "primary",
        "foreign",
        "cache",
        "routing",
        "shard",
        "group",
        "label",
        "annotation",
        "map",
        "lookup",
        "index",
        "hash",
        "idempotency",
    }
)


def classify(name: str, leaf: bool = True) -> Kind | None:
    """What ``name`` (a key, env var or annotation name) says about its value.

    ``leaf`` is False when the value is a mapping or list: a ``secret:`` mapping is a volume
    source naming a Secret, a ``secret:`` string is a credential."""
    return _classify(name[-MAX_NAME:], leaf)


@functools.lru_cache(maxsize=4096)  # names repeat a lot; the cache holds only bounded names
def _classify(name: str, leaf: bool) -> Kind | None:
    words = [w.lower() for w in _WORDS.findall(name)]
    if not words:
        return None
    flat = "".join(words)
    if flat in _POINTER_NAMES or words[-1] in _POINTER_LAST or words[0] == "existing":
        return Kind.POINTER
    if flat in _FILE_NAMES or flat.endswith(_POINTER_ENDS) and not flat.endswith("profile"):
        return Kind.POINTER
    if words[-1] in _STORES:
        return None
    if words[-1] in _SETTING_LAST:
        return None
    if flat in ("secret", "secrets") and not leaf:
        return None
    if flat.startswith("securejson"):  # Grafana keeps a datasource's credentials under secureJsonData
        return Kind.CREDENTIAL
    if any(part in flat for part in _STRONG) or _has_token(flat) or not _WEAK.isdisjoint(words):
        return Kind.CREDENTIAL
    if len(words) > 1 and words[-1] in _LAST and words[-2] not in _NOT_KEY:
        return Kind.CREDENTIAL
    return None


def _has_token(flat: str) -> bool:
    at = flat.find("token")
    while at >= 0:
        if not flat.startswith("iz", at + 5):  # tokenizer, tokenize
            return True
        at = flat.find("token", at + 5)
    return False


# ----------------------------------------------------------------------------- structured values


def field(kind: str, names: Sequence[str], value: Any) -> Any:
    """``value`` found under ``names`` (keys, and the names of name/value items) in a resource of
    ``kind``, with every credential in it redacted."""
    state = _State.NONE
    secret_data = kind == "Secret" and bool(names) and names[0] in ("data", "stringData")
    for i, name in enumerate(names):
        state = _step(state, str(name), leaf=i == len(names) - 1 and not isinstance(value, (dict, list)))
    if secret_data and state is not _State.POINTER:
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
            return value[:hide] + REDACTED
    shown = field(kind, path_names(obj, parts), value)
    if parts and parts[-1] == "args" and isinstance(value, list) and isinstance(shown, list):
        command = _parent(obj, parts)
        command = command.get("command") if isinstance(command, dict) else None
        if isinstance(command, list) and len(shown) == len(value):
            for i, hide in _argv(command + value).items():
                if i >= len(command):
                    shown[i - len(command)] = value[i - len(command)][:hide] + REDACTED
    return shown


def _parent(obj: Any, parts: Sequence[str | int]) -> Any:
    """What holds the value at ``parts``: a list or a mapping, or None."""
    cursor = obj
    for part in parts[:-1]:
        if isinstance(cursor, list):
            index = int(part) if str(part).isdigit() else -1
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
    if not isinstance(words, list) or not str(last).isdigit() or int(last) > len(words):
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
    return states[int(last)].copy().word(value)


def _is_credential_flag(flag: Any) -> bool:
    return (
        isinstance(flag, str)
        and flag.startswith("-")
        and "=" not in flag
        and len(flag) <= MAX_NAME
        and _credential_option(flag)
    )


def _credential_option(option: str) -> bool:
    """Whether ``option`` (``--db-password``, ``-keystore``; ``db_password`` in a pair) names a
    credential rather than the file that holds one."""
    name = option.lstrip("-/")
    if option[:1] == "-" and name.lower() in _FILE_OPTIONS:
        return False
    return classify(name) is Kind.CREDENTIAL


def path_names(obj: Any, parts: Sequence[str | int]) -> tuple[str, ...]:
    """The names along a path (JSON-pointer parts, list indices as ints or digits) through ``obj``
    that :func:`field` classifies: map keys, and a list item's ``name`` where the path goes on
    into its ``value`` (an env var's name says what its value is)."""
    names: list[str] = []
    cursor = obj
    for i, part in enumerate(parts):
        if isinstance(cursor, list):
            index = part if isinstance(part, int) else int(part) if str(part).isdigit() else -1
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


# ----------------------------------------------------------------------------- text


def text(data: str) -> str:
    """A string with every credential shape inside it redacted: embedded YAML or JSON is parsed
    and walked, anything else is read line by line."""
    data = _pem(data)
    if "\n" in data or data.lstrip()[:1] in ("{", "["):
        structured = _structured(data)
        if structured is not None:
            return structured
    return _lines(data) if "\n" in data else inline(data)


def inline(data: str) -> str:
    """Credentials inside one line of free text (a message, a command line): URL userinfo,
    ``key=value`` pairs, bearer tokens, ``--flag value`` arguments and tokens whose own shape
    gives them away (a JWT, an AWS access key id, GitHub, GitLab, Slack and Stripe tokens)."""
    return _known(_flags(_bearer(_pairs(_commands(_urls(data))))))


def message(data: str) -> str:
    """An error message that may quote input (a parser's snippet of the offending lines):
    read line by line, never re-written from a parse."""
    return _lines(data)


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
        if sep is not None:
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
    rest = prefix.strip(" \t-#;\"'")
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
_QUERY_END = re.compile(r"[&#\s\"'<>]")  # URL query strings
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
_BEARER = re.compile(r"(?i)\b(?:bearer|basic)[ \t]{1,8}([^\s\"'`<>,;]{8,})")


def _bearer(data: str) -> str:
    lowered = data.lower()
    if "bearer" not in lowered and "basic" not in lowered and data.isascii():  # (?i) folds some non-ASCII
        return data

    def hide(m: re.Match) -> str:
        token = m.group(1)
        if token.isalpha() and token.islower():  # prose: "basic authentication"
            return m.group(0)
        return m.group(0)[: m.start(1) - m.start(0)] + REDACTED

    return _BEARER.sub(hide, data)


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
            return keep + value[: value.index(":") + 1] + REDACTED
        if not _credential_option("-" + name) or value == REDACTED:
            return m.group(0)
        return keep + REDACTED

    return _FLAG.sub(hide, data)


_KNOWN = re.compile(
    # A JWT (header.payload.signature); it starts only where a run of its characters starts, so
    # a failed attempt is never retried inside the same run.
    r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+"
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"  # AWS access key id
    r"|\b(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{30,}"
    r"|\bglpat-[A-Za-z0-9_-]{20,}|\bxox[abprs]-[A-Za-z0-9-]{10,}|\b[rs]k_live_[A-Za-z0-9]{16,}"
)


# Text every match of _KNOWN holds: a plain search for them is far cheaper than the pattern,
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
    return _KNOWN.sub(REDACTED, data)


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


# ----------------------------------------------------------------------------- commands

# Programs whose own options or arguments carry a password, by the family of rules they follow.
_PROGRAMS = {
    **dict.fromkeys(
        (
            "mysql",
            "mysqladmin",
            "mysqldump",
            "mysqlcheck",
            "mysqlimport",
            "mysqlshow",
            "mysqlpump",
            "mysqlslap",
            "mysqlbinlog",
            "mysql_upgrade",
            "mariadb",
            "mariadb-admin",
            "mariadb-dump",
            "mariadb-check",
            "mariadb-import",
            "mariadb-show",
            "mariadb-slap",
            "mariadb-binlog",
        ),
        "mysql",
    ),
    **dict.fromkeys(
        ("mongo", "mongosh", "mongodump", "mongorestore", "mongoexport", "mongoimport", "mongostat", "mongotop"),
        "mongo",
    ),
    **dict.fromkeys(("redis-cli", "redis-benchmark", "keydb-cli", "valkey-cli"), "redis"),
    **dict.fromkeys(("keytool", "jarsigner"), "keytool"),
    **dict.fromkeys(("kubectl", "oc"), "kubectl"),
    # Their -p is a password only after ``login`` (``docker run -p 8080:80`` publishes a port).
    **dict.fromkeys(("docker", "podman", "nerdctl", "buildah", "skopeo", "helm", "oras", "crane", "az"), "registry"),
    # Oracle logons: user/password@database.
    **dict.fromkeys(("sqlplus", "sqlldr", "expdp", "impdp", "exp", "imp", "rman", "dgmgrl"), "oracle"),
    **dict.fromkeys(
        ("ldapsearch", "ldapadd", "ldapmodify", "ldapdelete", "ldapwhoami", "ldapcompare", "ldapmodrdn"), "ldap"
    ),
    "ldappasswd": "ldappasswd",
    **dict.fromkeys(("mosquitto_pub", "mosquitto_sub", "mosquitto_rr"), "mosquitto"),
    **dict.fromkeys(("zip", "unzip", "zipcloak"), "zip"),
    **dict.fromkeys(("7z", "7za", "7zr", "rar", "unrar"), "7z"),
    **dict.fromkeys(("snmpwalk", "snmpget", "snmpset", "snmpbulkwalk", "snmptrap"), "snmp"),
    "ipmitool": "ipmitool",
    "lftp": "lftp",
    **dict.fromkeys(("sqlcmd", "bcp"), "sqlcmd"),
    "cqlsh": "cqlsh",
    "ssh-keygen": "ssh-keygen",
    "curl": "curl",
    "smbclient": "smbclient",
    "sshpass": "sshpass",
    "htpasswd": "htpasswd",
    "openssl": "openssl",
    "mc": "mc",
    "vault": "vault",
    "rabbitmqctl": "rabbitmqctl",
}
# Families whose rules below apply only after a subcommand word (``docker login``, ``vault login``).
_SUBCOMMANDS = {
    "registry": frozenset({"login"}),
    "vault": frozenset({"login"}),
    "rabbitmqctl": frozenset({"add_user", "change_password", "authenticate_user"}),
    "openssl": frozenset({"passwd"}),
    "mc": frozenset({"set", "add"}),
}
# ``-pX``: the password glued to a short option. (mysql's ``-p X`` prompts and X is the database.)
_GLUED = {
    "mysql": ("-p",),
    "mongo": ("-p",),
    "sshpass": ("-p",),
    "ldap": ("-w",),
    "ldappasswd": ("-w", "-s", "-a"),
    "7z": ("-p",),
    "registry": ("-p",),
    "ssh-keygen": ("-N", "-P"),  # new and old passphrase
}
# ``-a X``: an option whose next word is the password.
_SPACED = {
    "mongo": ("-p",),
    "redis": ("-a",),
    "sshpass": ("-p",),
    "openssl": ("-k", "-K"),
    "ldap": ("-w",),
    "ldappasswd": ("-w", "-s", "-a"),  # bind, new and old password
    "mosquitto": ("-P",),
    "zip": ("-P",),
    "sqlcmd": ("-P",),
    "cqlsh": ("-p",),
    "registry": ("-p",),
    "ssh-keygen": ("-N", "-P"),
    "ipmitool": ("-P",),
    "snmp": ("-A", "-X", "-c"),  # v3 pass phrases, v1/v2c community
    "curl": ("--oauth2-bearer",),
}
# ``-U user%X``: an option whose argument is a user and the password after a separator, as the next
# word or glued (``-uuser:X``, ``--user=user%X``).
_USERPASS = {
    "curl": (("-u", ":"), ("-U", ":"), ("--proxy-user", ":")),
    "smbclient": (("-U", "%"), ("--user", "%")),
    "lftp": (("-u", ","), ("--user", ",")),
}
# A subcommand's positional arguments that are credentials, counted from 1 (None: every one).
_POSITIONAL: dict[str, tuple[int, ...] | None] = {
    "vault": (1,),  # vault login TOKEN
    "rabbitmqctl": (2,),  # add_user NAME PASSWORD
    "mc": (3, 4),  # alias set NAME URL ACCESS SECRET; admin user add NAME USER SECRET
    "openssl": None,  # openssl passwd [options] PASSWORD...
}
# Words that make the next one a password in any command: netrc's (once an entry is seen), HAProxy's
# ``insecure-password``, and Redis config directives at the start of a line.
_NETRC = frozenset({"password", "account"})
_NETRC_WORDS = frozenset({"login", "password", "account", "port", "macdef"})
_DIRECTIVES = frozenset({"requirepass", "masterauth"})
# Options of ``openssl passwd`` and ``mc alias set`` that take an argument which is not the password.
_ARG_OPTIONS = {
    "openssl": frozenset({"-salt", "-in", "-rand", "-writerand", "-provider", "-provider-path", "-propquery"}),
    "mc": frozenset({"--api", "--path", "--lookup"}),
}
_SEPARATORS = ("&&", "||", ";", "|", "&")
_KEYWORDS = frozenset({"then", "do", "else", "elif"})
_SHELL_OPERATORS = "<>|;&"
# A reference the exec form expands (``$(VAR)``): not the credential itself.
_EXEC_REF = re.compile(r"\$\([A-Za-z_][A-Za-z0-9_]*\)")
# The words one of which a text must hold for the scan to find anything: program names and the
# keywords the rules start from, as they stand between spaces, quotes, paths and ``$(``.
_TRIGGERS = frozenset(_PROGRAMS) | {
    "password",
    "account",
    "insecure-password",
    "requirepass",
    "masterauth",
    "set",
    "SET",
    "auth",
    "AUTH",
    "-H",
    "--header",
    "--password-stdin",
    "--passphrase-stdin",
    "PASSWORD",
    "Password",
    "pwd",
    "passwd",
    ".pgpass",
    "PGPASSFILE",
    "IDENTIFIED",
    "identified",
    "CONNECT",
    "connect",
    "conn",
    "-auth",
    "--auth",
}
_GAPS = str.maketrans(dict.fromkeys("\"'`();|&$/=:{},", " "))
_CHUNK = 1 << 16
_SPACE = re.compile(r"\s")


def _mentions_trigger(data: str) -> bool:
    """Whether ``data`` holds one of the words the command scan starts from. Splitting runs in C,
    some ten times faster than a pattern of alternatives; a chunk at a time keeps the word lists
    small."""
    pos = 0
    while pos < len(data):
        end = pos + _CHUNK
        if end < len(data):  # cut at a space, so that no word is split
            space = _SPACE.search(data, end)
            end = space.start() if space else len(data)
        if not _TRIGGERS.isdisjoint(data[pos:end].translate(_GAPS).split()):
            return True
        pos = end
    return False


class _Command:
    """What is known of the command being read, one word at a time: the program family and the
    options and arguments it has had. ``shell``: the words come from shell text, where ``$X``
    expands; otherwise from an exec-form list (``command:``/``args:``), where only ``$(X)`` does."""

    def __init__(self, shell: bool) -> None:
        self.shell = shell
        self.quoted = False  # the word being read had a quote before it (shell text)
        # netrc: ``machine HOST login U password P`` (on one line or several); ``password`` words
        # count once a ``machine`` or ``default`` entry is seen.
        self.netrc = False
        self.pgpass = False  # a .pgpass file is named: host:port:db:user:password lines follow
        self.entry = 0  # words since ``machine`` (1: the host, 2: a netrc keyword is due)
        self.end()

    def end(self) -> None:
        """A new command starts (a separator, a new line)."""
        self.family: str | None = None
        self.prev = ""  # the previous word of this command
        self.before = ""  # the word before that
        # How the next word holds a credential: "any" (whole), "literal" (whole, unless it refers
        # to one), or a separator after which it starts (``user:X``, ``key=X``).
        self.pending = ""
        self.skip = False  # the next word is an option's argument that is not a credential
        self.batch = False  # htpasswd -b: the password is an argument
        self.to_stdout = False  # htpasswd -n: no file argument before the user
        self.positional = 0  # arguments counted (htpasswd, mc alias set, openssl passwd)
        self.counting = False  # positional arguments after a subcommand are counted
        self.secret = False  # kubectl create secret
        self.setting = False  # ``set NAME VALUE``: the next word is a setting's name
        self.auth = False  # redis-cli AUTH: every argument after it
        self.identified = False  # SQL IDENTIFIED ... BY 'X'

    def copy(self) -> _Command:
        twin = _Command.__new__(_Command)
        twin.__dict__.update(self.__dict__)
        return twin

    def word(self, w: str, fresh: bool = False, quoted: bool = False) -> int | None:
        """Where a credential starts in the word ``w`` (None: it holds none). ``fresh``: the word
        opens a quoted or substituted command (``sh -c "mysql ..."``, ``$(mysql ...)``);
        ``quoted``: a quote before it was taken off (``'X'`` in ``PASSWORD 'X'``)."""
        self.quoted = quoted
        prev, before = self.prev, self.before
        self.before, self.prev = prev, w
        pending, self.pending = self.pending, ""
        if pending:
            return self._value(w, pending)
        if self.skip:
            self.skip = False
            return None
        name = _program(w)
        # A program's name starts a command where none runs yet, after ``--`` or ``-c``, or where
        # a container runtime runs it (``docker exec db mysql``); after an option it is the option's
        # value (``redis-cli -h mongo``).
        runs = self.family is None or fresh or prev in ("--", "-c")
        if name in _PROGRAMS and (runs or self.family == "registry" and not prev.startswith("-")):
            self.end()
            self.family, self.prev = _PROGRAMS[name], w
            return None
        entry, self.entry = self.entry, 0
        if w in ("machine", "default"):
            self.entry = 1 if w == "machine" else 2
        elif entry == 1:
            self.entry = 2
        elif entry == 2 and w in _NETRC_WORDS:
            self.netrc = True
        if w in _NETRC and self.netrc or w == "insecure-password" or w in _DIRECTIVES and prev in ("", "#"):
            self.pending = "literal"
        elif ".pgpass" in w or "PGPASSFILE" in w:
            self.pgpass = True
        elif self.pgpass and not prev and w.count(":") == 4:  # host:port:db:user:password
            return self._value(w, "literal", w.rfind(":") + 1)
        elif w.lower() in ("password", "pwd:", "password:", "passwd:") or w.lower() == "by" and self.identified:
            self.pending = "quoted"  # SQL: WITH PASSWORD 'X', IDENTIFIED [WITH plugin] BY 'X'; JS: {pwd: "X"}
        elif w.lower() == "identified":
            self.identified = True
        elif w[:9].lower() == "password(":  # SET PASSWORD = PASSWORD('X')
            return self._value(w, "quoted", 9)
        elif w == "auth" and prev == "stats":  # HAProxy: stats auth user:password
            self.pending = ":"
        elif self.setting:
            self.setting = False
            if not w.startswith("-") and _credential_name(w):
                self.pending = "literal"
        elif w in ("set", "SET") and self.family != "mc":
            self.setting = True
        elif w in ("-auth", "--auth"):  # jenkins-cli -auth user:X
            self.pending = ":"
        elif w.lower() in ("connect", "conn"):  # SQL*Plus: CONNECT user/X@db
            self.pending = "logon"
        elif w in ("-H", "--header"):  # curl, wget: -H "X-Vault-Token: X"
            self.pending = "header"
        elif w.startswith("--header="):
            return self._value(w, "header", len("--header="))
        elif not self.shell and _is_credential_flag(w):
            self.pending = "any"
        elif self.family is not None:
            return self._option(w, prev, before)
        return None

    def _option(self, w: str, prev: str, before: str) -> int | None:
        family = self.family
        if w.startswith("pass:") and family == "openssl":  # -passin pass:X, in any subcommand
            return self._value(w, "literal", len("pass:"))
        if family in _SUBCOMMANDS and not self.counting:
            self.counting = w in _SUBCOMMANDS[family]
            if family != "openssl":
                return None
        elif family in _POSITIONAL and self.counting:
            return self._positional(w, family)
        for glued in _GLUED.get(family, ()):
            if w.startswith(glued) and len(w) > len(glued):
                return self._value(w, "literal", len(glued))
        if w in _SPACED.get(family, ()):
            self.pending = "literal"
            return None
        for flag, separator in _USERPASS.get(family, ()):
            if w == flag:
                self.pending = separator
                return None
            if w.startswith(flag) and len(w) > len(flag):  # -uuser:X, --user=user%X
                split = w.find(separator, len(flag))
                return None if split < 0 else self._value(w, "literal", split + 1)
        if family == "oracle":
            return self._value(w, "logon")
        if family == "keytool":
            if w.startswith("-") and (w.endswith("pass") or w == "-new"):  # -storepass:env NAME is a pointer
                self.pending = "literal"
        elif family == "redis":
            if w.lower() == "auth":
                self.auth = True
            elif self.auth and not w.startswith("-"):
                return self._value(w, "literal")
            elif w.startswith(">") and before.lower() == "setuser" or w.startswith(">") and prev.lower() == "on":
                return self._value(w, "literal", 1)  # ACL SETUSER name on >password
        elif family == "htpasswd":
            return self._htpasswd(w)
        elif family == "kubectl":
            if w == "secret":
                self.secret = True
            elif self.secret and w.startswith("--from-literal="):
                pair = w.find("=", len("--from-literal="))
                return None if pair < 0 else self._value(w, "literal", pair + 1)
            elif self.secret and w == "--from-literal":
                self.pending = "="
        return None

    def _positional(self, w: str, family: str) -> int | None:
        if w in _ARG_OPTIONS.get(family, ()):
            self.skip = True
        elif not w.startswith("-") and not (family == "vault" and "=" in w):  # vault's k=v: pairs
            self.positional += 1
            wanted = _POSITIONAL[family]
            if wanted is None or self.positional in wanted:
                return self._value(w, "literal")
        return None

    def _htpasswd(self, w: str) -> int | None:
        if w.startswith("-") and len(w) > 1 and w[1:].isalpha():
            self.batch = self.batch or "b" in w
            self.to_stdout = self.to_stdout or "n" in w
            self.skip = w[-1] in "Cr"  # -C cost, -r rounds
            return None
        self.positional += 1
        if self.batch and self.positional == (2 if self.to_stdout else 3):
            return self._value(w, "literal")
        return None

    def _value(self, w: str, how: str, at: int = 0) -> int | None:
        """Where the credential in a value word starts, unless the word is no value (an option, a
        shell operator) or only refers to one (``$PASSWORD`` in a shell, ``$(PASSWORD)``)."""
        if how == "header":
            return _header(self.shell, w, at)
        if how == "logon":  # user/X@db, userid=user/X; not /nolog, @script.sql or -L
            start = w.find("=") + 1
            slash = w.find("/", start)
            if slash <= start or w[:1] in "-@" or ":" in w[start:slash]:
                return None
            return self._value(w, "literal", slash + 1)
        if how == "quoted":  # only a string literal: PASSWORD NULL, "password is" stay
            if w == "=":
                self.pending = how
                return None
            if w[at : at + 1] not in ("'", '"') and not (at == 0 and self.quoted):
                return None
            how = "literal"
        if how not in ("any", "literal"):  # user:X, key=X, user%X: the part after the separator
            split = w.find(how)
            return None if split < 0 else self._value(w, "literal", split + 1)
        value = w[at:]
        if not value or value.startswith(REDACTED) or value.strip("\"'") == REDACTED:
            return None
        if at == 0 and (value.startswith("-") or value[0] in _SHELL_OPERATORS):
            return None
        if how == "literal" and _reference(value, self.shell):
            return None
        return at


def _header(shell: bool, w: str, at: int) -> int | None:
    """Where the value of an HTTP header ``Name: value`` starts when its name is a credential's
    (``X-Vault-Token``, ``PRIVATE-TOKEN``, ``Cookie``). In shell text the value may follow in the
    next words of the quoted string, which the caller hides up to its closing quote."""
    colon = w.find(":", at)
    name = w[at:colon].strip()
    if colon < 0 or len(name) > MAX_NAME or not (name.lower() == "cookie" or _credential_name(name)):
        return None
    start = colon + 1
    while start < len(w) and w[start] in " \t":
        start += 1
    return start if start < len(w) or shell else None


def _program(word: str) -> str:
    """The program a word names (``/usr/bin/mysql``, ``"mysql``, ``$(mysql``, ``x=$(mysql``)."""
    return word.rpartition("$(")[2].lstrip("\"'`").rpartition("/")[2]


def _credential_name(name: str) -> bool:
    return len(name) <= MAX_NAME and (name.lower() in _DIRECTIVES or classify(name) is Kind.CREDENTIAL)


def _reference(value: str, shell: bool) -> bool:
    if shell:  # "$X", ${X}, $(cat file): the shell puts the credential there; '$X' is literal text
        return value.lstrip('"')[:1] == "$"
    return _EXEC_REF.fullmatch(value) is not None


_WORD = re.compile(r"\S+")
_SPACED_WORDS = re.compile(r"\S\s")  # a word and a space: a lone word holds nothing to find
_LEAD = "\"'`("  # quoting and grouping before a word
_TRAIL = "\"'`;)&|,"  # quoting and separators after it


def _commands(data: str) -> str:
    """Credentials that command lines pass to programs which take them as options or arguments
    (``mysql -pX``, ``redis-cli -a X``, ``htpasswd -b f u X``, ``openssl -passin pass:X``, ...),
    netrc entries and Redis/HAProxy directives, read word by word as a shell splits them."""
    if _SPACED_WORDS.search(data) is None or not _mentions_trigger(data):  # one word alone holds none
        return data
    scan, piped = _Command(shell=True), _Piped()
    spans: list[tuple[int, int]] = []
    prev_end = skip_to = line_end = 0
    continued = False
    for m in _WORD.finditer(data):
        start, end = m.span()
        if start < skip_to:  # inside a quoted value already hidden
            prev_end = end
            continue
        if not continued and "\n" in data[prev_end:start]:
            scan.end()
            piped.separator(pipe=False)
        prev_end = end
        raw = m.group()
        continued = raw.endswith("\\")
        if raw == "\\":
            continue
        lead = len(raw) - len(raw.lstrip(_LEAD))
        core = raw[lead:].rstrip(_TRAIL)
        if core in _KEYWORDS:
            scan.end()
            piped.separator(pipe=False)
            continue
        fed = piped.word(data, core, start + lead, first=not scan.prev) if core else None
        if fed is not None:
            spans.append(fed)
        fresh = lead > 0 or "$(" in core or "`" in core
        hide = scan.word(core, fresh, quoted=lead > 0 and raw[lead - 1] in "\"'") if core else None
        if raw.endswith(_SEPARATORS):
            scan.end()
            piped.separator(pipe=raw.endswith("|") and not raw.endswith("||"))
        if hide is None:
            continue
        begin, stop = start + lead + hide, start + lead + len(core)
        quote = ""
        if data[begin : begin + 1] in ('"', "'"):
            quote, begin = data[begin], begin + 1
        else:  # a quote opened before the value ("-pX Y", --header="Name: X Y") goes on after it
            head = raw[: lead + hide]
            quote = next((q for q in "\"'" if head.count(q) % 2), "")
        if quote:  # a quoted value may hold spaces: hide up to its closing quote
            if line_end < begin:
                line_end = data.find("\n", begin)
                line_end = len(data) if line_end < 0 else line_end
            close = data.find(quote, begin, line_end)
            stop = max(stop, close)  # "ab"cd is one word: hide up to its end
            skip_to = stop + 1
            while begin < stop and data[begin] in " \t":
                begin += 1
            if data[begin : begin + 1] == "$" and quote == '"':  # "X-Token: $TOKEN" only refers to it
                continue
        if stop > begin:
            spans.append((begin, stop))
    if not spans:
        return data
    out, last = [], 0
    for begin, stop in sorted(spans):  # in order, except what an echo fed into a pipe
        if stop > last:
            out += [data[last : max(begin, last)], REDACTED]
            last = stop
    return "".join(out) + data[last:]


class _Piped:
    """``echo X | docker login --password-stdin``: what ``echo`` or ``printf`` writes into a pipe
    is the password when a later command of the pipeline reads a credential from stdin."""

    def __init__(self) -> None:
        self.program = ""  # echo or printf, while its arguments are read
        self.args = 0
        self.first = self.last = -1  # where the written words start and end
        self.fed: tuple[int, int] | None = None  # what went into the pipe

    def word(self, data: str, core: str, at: int, first: bool) -> tuple[int, int] | None:
        """The span fed into the pipe, when ``core`` (at ``at``) is the option that reads it."""
        if first:
            self.program, self.args, self.first = (core if core in ("echo", "printf") else ""), 0, -1
            return None
        if self.program and not (self.first < 0 and core.startswith("-")):  # echo -n, printf --
            self.args += 1
            if self.first < 0 and self.args > (self.program == "printf"):  # printf's format is no secret
                self.first = at
            if self.first >= 0:
                self.last = at + len(core)
        name = core.lstrip("-")
        if self.fed is not None and core.startswith("-") and name.endswith("-stdin"):
            fed, self.fed = self.fed, None
            if _credential_name(name[: -len("-stdin")]) and data[fed[0] : fed[0] + 1] != "$":
                return fed
        return None

    def separator(self, pipe: bool) -> None:
        if not pipe:
            self.fed = None
        elif self.program and self.first >= 0:
            self.fed = (self.first, self.last)
        self.program = ""


def _argv(words: Sequence[Any], scan: _Command | None = None) -> dict[int, int]:
    """The words of an exec-form command (``command:`` + ``args:``) that hold a credential: index
    and where in the word it starts."""
    scan = scan or _Command(shell=False)
    hidden = {}
    for i, w in enumerate(words):
        if not isinstance(w, str):
            scan.end()
            continue
        at = scan.word(w)
        if at is not None:
            hidden[i] = at
    return hidden


def _hide_argv(data: Sequence[Any], items: list) -> None:
    """``["mysql", "-pX"]``, ``["--token", "abc"]``: list items a command's earlier items make a
    credential."""
    for i, at in _argv(data).items():
        items[i] = data[i][:at] + REDACTED
