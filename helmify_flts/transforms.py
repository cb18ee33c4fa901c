"""Named value transforms: how one source value is held by the chart, and read back.

``image`` splits a container image into repository, tag and digest; ``file`` moves a multi-line
config (a dashboard, haproxy.cfg, prometheus.yml) into the chart's ``files/`` folder, read with
``.Files.Get`` so its text is never evaluated as a template. A transform is used only when
reading it back gives the exact original value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_IMAGE = re.compile(
    r"^(?P<repository>[^@\s]+?)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z0-9+._-]+:[A-Fa-f0-9]+))?$"
)


@dataclass(frozen=True)
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
    if not isinstance(value, str) or value.rstrip("\n").count("\n") < 1:
        return None
    return _keep_file(value, where)


def _keep_file(value: Any, where: str) -> Lifted | None:
    if not isinstance(value, str):
        return None
    path = f"files/{where}"
    return Lifted(path, {path: value})


def _keep_image(value: Any, where: str) -> Lifted | None:
    if not isinstance(value, str):
        return None
    return _lift_image(value, where) or Lifted({"repository": value, "tag": ""})


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


@dataclass(frozen=True)
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
