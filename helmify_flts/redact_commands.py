"""The command scanner of the redaction: credentials that command lines hand to programs as options
or arguments, read word by word as a shell splits them (``_commands``, over text) and item by item
in exec-form lists (``_argv``, ``_Command``, over ``command:``/``args:``). See ``redact`` for the
forms it knows."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

from helmify_flts.redact_names import MAX_NAME, REDACTED, Kind, _is_credential_flag, classify

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


@functools.cache  # compiled when first needed: a reference only a credential-looking word reaches
def _exec_ref_re() -> re.Pattern[str]:
    return re.compile(r"\$\([A-Za-z_][A-Za-z0-9_]*\)")


def _reference(value: str, shell: bool) -> bool:
    if shell:  # "$X", ${X}, $(cat file): the shell puts the credential there; '$X' is literal text
        return value.lstrip('"')[:1] == "$"
    return _exec_ref_re().fullmatch(value) is not None


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
