"""Named value transforms: how one source value is held by the chart, and read back.

``image`` splits a container image into repository, tag and digest; ``file`` moves a multi-line
config (a dashboard, haproxy.cfg, prometheus.yml) into the chart's ``files/`` folder, read with
``.Files.Get`` so its text is never evaluated as a template. A transform is used only when
reading it back gives the exact original value.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import field
from typing import Any

from .records import record

_IMAGE = re.compile(
    r"^(?P<repository>[^@\s]+?)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z0-9+._-]+:[A-Fa-f0-9]+))?$"
)


@record
class Lifted:
    """What the chart holds instead of the value: a values entry and any files it needs."""

    value: Any
    files: dict[str, str] = field(default_factory=dict)


def split_image(value: Any) -> dict[str, str] | None:
    """``registry:5000/team/app:1.2@sha256:ab`` -> repository, tag, digest."""
    if not isinstance(value, str):
        return None
    m = _IMAGE.match(value)
    if not m:
        return None
    parts = {"repository": m.group("repository"), "tag": m.group("tag") or ""}
    if m.group("digest"):
        parts["digest"] = m.group("digest")
    return parts


def join_image(parts: dict[str, str]) -> str:
    ref = parts["repository"]
    if parts.get("tag"):
        ref += ":" + parts["tag"]
    if parts.get("digest"):
        ref += "@" + parts["digest"]
    return ref


def _lift_image(value: Any, where: str) -> Lifted | None:
    parts = split_image(value)
    if parts is None or join_image(parts) != value:
        return None
    return Lifted(parts)


def _lift_file(value: Any, where: str) -> Lifted | None:
    if not isinstance(value, str) or "\n" not in value.rstrip("\n"):  # one line: nothing to keep as a file
        return None
    return _keep_file(value, where)


def _keep_file(value: Any, where: str) -> Lifted | None:
    # Helm drops a byte order mark that starts a chart file: such text would lose it.
    if not isinstance(value, str) or value.startswith("\ufeff"):
        return None
    path = f"files/{where}"
    return Lifted(path, {path: value})


def _keep_image(value: Any, where: str) -> Lifted | None:
    if not isinstance(value, str):
        return None
    return _lift_image(value, where) or Lifted({"repository": value, "tag": ""})


def split_registry(value: Any) -> dict[str, str] | None:
    """``docker.io/bitnami/redis:7.2`` -> registry, repository, tag (and digest), as Docker reads a
    registry: the first path part when it has a dot or a port, or is ``localhost``."""
    parts = split_image(value)
    if parts is None:
        return None
    first, sep, rest = parts["repository"].partition("/")
    registry = ""
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, parts["repository"] = first, rest
    return {"registry": registry, **parts}


def _lift_registry(value: Any, where: str) -> Lifted | None:
    parts = split_registry(value)
    if parts is None:
        return None
    joined = dict(parts, repository="/".join(p for p in (parts["registry"], parts["repository"]) if p))
    return Lifted(parts) if join_image(joined) == value else None


def _lift_base64(value: Any, where: str) -> Lifted | None:
    """A Secret's ``data`` entry as the text it encodes (what the team writes in values)."""
    if not isinstance(value, str):
        return None
    try:
        text = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return Lifted(text) if base64.b64encode(text.encode("utf-8")).decode("ascii") == value else None


def _lift_text(value: Any, where: str) -> Lifted | None:
    """A text field (an env value) that a team writes as a number or a boolean."""
    return Lifted(value) if isinstance(value, str) else None


def go_json(value: Any) -> str | None:
    """How Helm's toJson writes a number or a boolean read from values (float64 for numbers);
    None where Python's spelling may differ from Go's."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) <= 2**53 else None
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value)) if abs(value) <= 2**53 else None
        text = repr(value)
        return text if "e" not in text and "n" not in text else None
    return None


def _joined(separator: str) -> Callable[[Any, str], Lifted | None]:
    def lift(value: Any, where: str) -> Lifted | None:
        if not isinstance(value, str) or not value:
            return None
        items = value.split(separator)
        return Lifted(items) if all(i and i == i.strip() for i in items) else None

    return lift


def _join(name: str, separator: str, description: str) -> Transform:
    """A transform that holds a text joined with ``separator`` as a list of its parts."""
    return Transform(
        name=name,
        description=description,
        lift=_joined(separator),
        keep=_joined(separator),
        template=f'{{{{ join "{separator}" REF | toJson }}}}',
    )


IMAGE_HELPER = """{{/*
Container image reference from repository, tag and optional digest, as a JSON string.
*/}}
{{- define "CHART.image" -}}
{{- $ref := .repository -}}
{{- with .tag }}{{ $ref = printf "%s:%v" $ref . }}{{ end -}}
{{- with .digest }}{{ $ref = printf "%s@%s" $ref . }}{{ end -}}
{{- $ref | toJson -}}
{{- end -}}
"""


@record
class Transform:
    name: str
    description: str
    lift: Callable[[Any, str], Lifted | None]
    template: str  # the Helm action, with CHART and REF to fill in
    # Where the base already uses the transform, an environment's value must fit it too.
    keep: Callable[[Any, str], Lifted | None] = lambda value, where: None
    helper: str = ""
    required: bool = False  # when it does not apply, leave the field as it is
    writes_files: bool = False  # ``where`` names a chart file (below files/), made by rewrite.file_hint

    def expression(self, chart: str, ref: str) -> str:
        return self.template.replace("CHART", chart).replace("REF", ref)


TRANSFORMS: dict[str, Transform] = {
    "image": Transform(
        name="image",
        description="split a container image into repository, tag and digest",
        lift=_lift_image,
        keep=_keep_image,
        template='{{ include "CHART.image" REF }}',
        helper=IMAGE_HELPER,
    ),
    "image-registry": Transform(
        name="image-registry",
        description="split a container image into registry, repository, tag and digest",
        lift=_lift_registry,
        keep=_lift_registry,
        # Built on the image helper, so charts without it need no helper of their own.
        template=(
            '{{ with REF }}{{ include "CHART.image" (merge (dict "repository" (ternary (printf "%s/%s" .registry '
            ".repository) .repository (not (empty .registry)))) .) }}{{ end }}"
        ),
    ),
    "base64": Transform(
        name="base64",
        description="hold a Secret's data entry as the text it encodes",
        lift=_lift_base64,
        keep=_lift_base64,
        template="{{ REF | b64enc | toJson }}",
    ),
    "text": Transform(
        name="text",
        description="a text field that values may hold as a number or a boolean",
        lift=_lift_text,
        keep=_lift_text,
        template='{{ if kindIs "string" REF }}{{ REF | toJson }}{{ else }}{{ REF | toJson | toJson }}{{ end }}',
    ),
    "join-space": _join("join-space", " ", "hold a space-separated text as a list"),
    "join-comma": _join("join-comma", ",", "hold a comma-separated text as a list"),
    "join-comma-space": _join("join-comma-space", ", ", "hold a text separated by a comma and a space as a list"),
    "file": Transform(
        name="file",
        description="keep a multi-line config as a file under files/, read with .Files.Get",
        lift=_lift_file,
        keep=_keep_file,
        template="{{ .Files.Get REF | toJson }}",
        required=True,
        writes_files=True,
    ),
}
