"""Credentials -> Secret: credential-looking literal env values move to a Secret of the chart,
read with ``secretKeyRef``.

The entry keeps its place in ``env`` (only where its value comes from changes), so no other
variable's meaning moves; a value that expands ``$(VAR)`` stays literal, since a value read from
a Secret is not expanded. The chart's Secret gets the usual ``existingSecret`` switch, which
names a Secret of the user's with the same keys instead. The Secret renders from a template file
of its own, whose sha256 the pod template's ``checksum/<secret>`` annotation holds, so that changing
a credential rolls the pods; with existingSecret set the chart renders neither the Secret nor the
annotation (the user's Secret is outside the chart, so there is nothing of it to hash).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from ..records import record
from ..templating import ref
from . import envrefs
from .base import Context, TemplateChanges
from .checksum_roll import annotations, template_path
from .envmove import EnvMove
from .extract import MoveEnvToSecret
from .objects import (
    Change,
    Identity,
    Outcome,
    container_pointer,
    containers,
    copied,
    find,
    identity,
    is_workload,
    labels_of,
    name_of,
    namespace_of,
    new_metadata,
    pod_spec,
    unique_name,
)
from .release_names import full

RULE = "env-credentials"


@record
class Move:
    """Credential-looking env values of one container that move to one Secret."""

    workload: Identity
    container: str
    secret: str
    names: tuple[str, ...]


def plan(
    objects: Mapping[Identity, dict],
    selected: Callable[[Identity], bool] = lambda _: True,
    is_credential: Callable[[str, str], bool] = envrefs.credential,
    reserved: Collection[Identity] = (),
) -> tuple[Move, ...]:
    """Which credential-looking values move to which Secret (made once, on the base folder);
    ``reserved``: identities no new Secret may take besides the objects' own."""
    moves = []
    taken: dict[Identity, dict] = {**dict.fromkeys(reserved, {}), **objects}
    for ident in sorted(objects):
        obj = objects[ident]
        spec = pod_spec(obj) if is_workload(obj) and selected(ident) else None
        if spec is None:
            continue
        ns = namespace_of(obj)
        for i, container in enumerate(containers(spec)):
            name = container.get("name")
            env = container.get("env")
            if not isinstance(name, str) or not isinstance(env, list):
                continue
            literal = [e for e in env if envrefs.is_literal(e)]
            counts = [e["name"] for e in literal]
            names = tuple(
                e["name"]
                for e in literal
                if is_credential(e["name"], e["value"])
                and "$(" not in e["value"]
                and envrefs.ENV_NAME.match(e["name"])
                and counts.count(e["name"]) == 1
            )
            if not names:
                continue
            wanted = f"{name_of(obj)}-credentials" if i == 0 else f"{name_of(obj)}-{name}-credentials"
            secret = unique_name(taken, "Secret", ns, wanted)
            taken[("", "Secret", ns, secret)] = {}
            moves.append(Move(ident, name, secret, names))
    return tuple(moves)


def apply(objects: Mapping[Identity, dict], moves: tuple[Move, ...], rule: str = RULE) -> Outcome:
    """The objects with each planned value read from its Secret; a name this folder does not hold
    as a literal value is left as it is, with a warning."""
    out = copied(objects)
    added, warnings = [], []
    for move in moves:
        obj = out.get(move.workload)
        spec = pod_spec(obj) if obj is not None else None
        container = next((c for c in containers(spec) if c.get("name") == move.container), None) if spec else None
        if container is None or not isinstance(container.get("env"), list):
            continue
        ns = namespace_of(obj)
        if find(out, "Secret", ns, move.secret) is not None:
            warnings.append(f"Secret/{move.secret} exists already; {move.workload[3]} keeps its env values")
            continue
        data = {}
        env = []
        for entry in container["env"]:
            if entry.get("name") in move.names and envrefs.is_literal(entry) and "$(" not in entry["value"]:
                data[entry["name"]] = entry["value"]
                # a new entry, not the old one changed: other containers may share it (a YAML alias)
                entry = {k: v for k, v in entry.items() if k != "value"}
                entry["valueFrom"] = {"secretKeyRef": {"name": move.secret, "key": entry["name"]}}
            env.append(entry)
        container["env"] = env
        for name in move.names:
            if name not in data:
                warnings.append(
                    f"{obj['kind']}/{name_of(obj)} container {move.container}: {name} is not a plain value "
                    "here, so it stays as it is"
                )
        if not data:
            continue
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": new_metadata(move.secret, ns, labels_of(obj)),
            "type": "Opaque",
            "stringData": data,
        }
        ident = identity(secret)
        out[ident] = secret
        added.append(
            Change(
                ident,
                rule,
                f"credential-looking env values of {obj['kind']}/{name_of(obj)} ({move.container})",
                move.workload,
            )
        )
    return Outcome(out, added=tuple(added), warnings=tuple(warnings))


class EnvCredentials(EnvMove):
    """The ``env-credentials`` refactoring: both halves, from one plan made on the chart's objects."""

    name = "env-credentials"
    summary = (
        "move credential-looking literal env values (*PASSWORD*, *SECRET*, *TOKEN*, *_KEY, URLs and DSNs with a "
        "password) into a Secret (<workload>-credentials) read with secretKeyRef, behind an existingSecret switch; a "
        "checksum/<secret> pod annotation rolls the pods when the chart's Secret changes"
    )
    made_kind = "Secret"
    made_field = "secret"
    why = "credential-looking env values are read from a Secret"
    roll_why = "pods roll when their credentials change"
    plan_moves = staticmethod(plan)
    apply_moves = staticmethod(apply)

    def stays(self, entry: Any, pinned: set[str], folder: Mapping[Identity, dict], namespace: str) -> bool:
        # apply moves a literal value that expands nothing; an environment that reads the names from
        # a Secret its folder does not have provides that Secret (provided.secrets) and is compared
        # with the base's literal values
        if envrefs.is_literal(entry):
            return "$(" in entry["value"]
        source = entry.get("valueFrom")
        key_ref = source.get("secretKeyRef") if isinstance(source, dict) else None
        provided = (
            isinstance(key_ref, dict)
            and key_ref.get("key") == entry["name"]
            and isinstance(key_ref.get("name"), str)
            and find(folder, "Secret", namespace, key_ref["name"]) is None
        )
        return not provided

    def made_name(self, move: Move) -> str:
        return move.secret

    def template(
        self, objects: Mapping[Identity, dict], ctx: Context, rule: Any, chart: str, out: TemplateChanges
    ) -> None:
        out.warnings.extend(self._declined(objects, ctx, rule))
        for move in self._plan(objects, ctx, rule):
            obj = objects[move.workload]
            pointer = container_pointer(obj, move.container)
            if pointer is None:
                continue
            key = existing_key(objects, ctx, move.workload)
            out.values.append(
                (
                    key,
                    "",
                    f"Name of an existing Secret holding {', '.join(move.names)} "
                    f"(keys of those names) to use instead of {move.secret}; empty renders {move.secret}",
                )
            )
            secret = {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": new_metadata(move.secret, namespace_of(obj), labels_of(obj)),
                "type": "Opaque",
            }
            made = identity(secret)
            named = full(chart, move.secret) if move.workload in out.names else None  # release-names before
            out.edit(move.workload, MoveEnvToSecret(pointer, move.names, secret, ref(key), template_path(made), named))
            merge = annotations(obj, move.workload, [made], ref(key))
            if merge is not None:
                out.edit(move.workload, merge)


def existing_key(objects: Mapping[Identity, dict], ctx: Context, workload: Identity) -> tuple[str, ...]:
    """``<base>.existingSecret``, or ``<base>.credentials.existingSecret`` where a Secret of the
    folder already has the first (the existing-secret rule gives each Secret one)."""
    base = tuple(ctx.bases.get(workload) or ctx.component_keys.get(workload) or (workload[3],))
    if any(i[1] == "Secret" and tuple(ctx.bases.get(i, ())) == base for i in objects):
        return (*base, "credentials", "existingSecret")
    return (*base, "existingSecret")
