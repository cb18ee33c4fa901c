"""Names that say what the value under them is: a credential, a pointer to one (a Secret's name, a
file's path), or neither. Shared by the per-field redaction (``redact``) and the command scanner
(``redact_commands``)."""

from __future__ import annotations

import functools
import re
from enum import Enum
from typing import Any

REDACTED = "<redacted>"
MAX_NAME = 128  # characters of a name that are classified; longer names are read from their end


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
        "topology",  # Kubernetes' topologyKey names a node label (kubernetes.io/hostname)
        "retain",  # a strategic-merge patch's $retainKeys lists field names
    }
)


# Last words of a name whose value is an address: its text is shown (passwords in it hidden) even
# in a Secret, where any other value is hidden whole.
_ADDRESS_LAST = frozenset({"url", "uri", "endpoint"})


def names_address(name: str) -> bool:
    """Whether ``name`` says its value is an address (``DATABASE_URL``, ``api.endpoint``)."""
    words = _WORDS.findall(name[-MAX_NAME:])
    return bool(words) and words[-1].lower() in _ADDRESS_LAST


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
