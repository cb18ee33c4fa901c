"""What a container's env entries mean where they sit: ``$(VAR)`` references, envFrom keys,
and credential-looking names and values. Shared by the env refactorings, which must leave in
``env`` every entry whose meaning depends on its position."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .objects import Identity, find

# A name envFrom can carry: Kubernetes skips ConfigMap keys that are not, and so must we.
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# Credential-looking names (the list: *PASSWORD*, *SECRET*, *TOKEN*, *_KEY), matched on
# the upper-cased name so dbPassword counts too.
_CREDENTIAL_WORDS = ("PASSWORD", "PASSWD", "SECRET", "TOKEN")
# scheme://user:password@host, the password not empty.
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:[^\s@/]+@")
# key=value connection strings (DSNs, JDBC) that carry a password.
_DSN_PASSWORD = re.compile(r"(?i)(?:^|[\s;?&])(?:password|pwd)=[^\s;&]+")


def expanded_names(text: str) -> set[str]:
    """The variables a ``$(VAR)`` expansion in ``text`` names; ``$$`` is an escaped ``$``."""
    out: set[str] = set()
    i = 0
    while i < len(text):
        if text[i] == "$" and i + 1 < len(text):
            if text[i + 1] == "$":
                i += 2
                continue
            if text[i + 1] == "(":
                end = text.find(")", i + 2)
                if end < 0:
                    break
                out.add(text[i + 2 : end])
                i = end + 1
                continue
        i += 1
    return out


def is_literal(entry: Any) -> bool:
    """An env entry that holds its value itself (not valueFrom)."""
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("name"), str)
        and isinstance(entry.get("value"), str)
        and "valueFrom" not in entry
    )


def credential_name(name: str) -> bool:
    """The issue's list, and whatever the report redacts as a credential (AWS_ACCESS_KEY_ID): an
    environment's values file must not be left holding what the credential warning names."""
    from ..redact import Kind, classify

    upper = name.upper()
    return (
        any(word in upper for word in _CREDENTIAL_WORDS) or upper.endswith("_KEY") or classify(name) is Kind.CREDENTIAL
    )


def credential_value(value: str) -> bool:
    """A URL or DSN with a password in it."""
    return bool(_URL_PASSWORD.search(value) or _DSN_PASSWORD.search(value))


def credential(name: str, value: str) -> bool:
    """Whether a literal env value looks like a credential (by its name, or a password inside)."""
    return credential_name(name) or credential_value(value)


def env_from_keys(container: dict, objects: Mapping[Identity, dict], namespace: str) -> set[str] | None:
    """The variable names the container's envFrom sources give, or None where one of them
    cannot be read from ``objects`` (not there: its keys are unknown)."""
    out: set[str] = set()
    sources = container.get("envFrom")
    for source in sources if isinstance(sources, list) else []:
        if not isinstance(source, dict):
            return None
        prefix = source.get("prefix") if isinstance(source.get("prefix"), str) else ""
        for ref_key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            ref = source.get(ref_key)
            if not isinstance(ref, dict):
                continue
            obj = find(objects, kind, namespace, ref.get("name") if isinstance(ref.get("name"), str) else "")
            if obj is None:
                return None
            for data_key in ("data", "stringData", "binaryData"):
                data = obj.get(data_key)
                if isinstance(data, dict):
                    out.update(prefix + str(k) for k in data)
    return out


def positional(container: dict, objects: Mapping[Identity, dict], namespace: str) -> set[str]:
    """Names of the container's env entries whose meaning depends on their place in ``env``:
    values that expand ``$(VAR)``, variables an expansion in ``env`` names (an earlier entry
    would start to see them), names given twice, names envFrom already gives (which one wins
    depends on the order), and names envFrom cannot carry. Unknown envFrom sources pin all."""
    env = container.get("env")
    entries = [e for e in env if isinstance(e, dict)] if isinstance(env, list) else []
    names = [e.get("name") for e in entries]
    pinned = {n for n in names if isinstance(n, str) and names.count(n) > 1}
    for entry in entries:
        value = entry.get("value")
        if isinstance(value, str) and "$(" in value:
            pinned.add(entry.get("name"))
            pinned |= expanded_names(value)
    from_keys = env_from_keys(container, objects, namespace)
    if from_keys is None:
        return {n for n in names if isinstance(n, str)}
    pinned |= from_keys & set(names)
    pinned |= {n for n in names if isinstance(n, str) and not ENV_NAME.match(n)}
    return pinned
