"""Named value transforms: how one source value becomes several values keys and back.

Each transform splits a value into a small mapping for values.yaml and names the helper template
that joins it again. A transform is used only when joining its split gives back the exact
original value; otherwise the value is lifted unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_IMAGE = re.compile(
    r"^(?P<repository>[^@\s]+?)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?P<digest>[A-Za-z0-9+._-]+:[A-Fa-f0-9]+))?$"
)


def split_image(value: Any) -> dict[str, str] | None:
    """``registry:5000/team/app:1.2@sha256:ab`` -> repository, tag, digest."""
    if not isinstance(value, str):
        return None
    m = _IMAGE.match(value)
    if not m or "/" in (m.group("tag") or ""):
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


IMAGE_HELPER = '''{{/*
Container image reference from repository, tag and optional digest, as a JSON string.
*/}}
{{- define "CHART.image" -}}
{{- $ref := .repository -}}
{{- with .tag }}{{ $ref = printf "%s:%v" $ref . }}{{ end -}}
{{- with .digest }}{{ $ref = printf "%s@%s" $ref . }}{{ end -}}
{{- $ref | toJson -}}
{{- end -}}
'''


@dataclass(frozen=True)
class Transform:
    name: str
    description: str
    split: Callable[[Any], dict | None]
    join: Callable[[dict], Any]
    helper: str

    def lift(self, value: Any) -> dict | None:
        """The split of ``value`` if it joins back exactly, else None."""
        parts = self.split(value)
        if parts is None or self.join(parts) != value:
            return None
        return parts

    def expression(self, chart: str, ref: str) -> str:
        return f'{{{{ include "{chart}.{self.name}" {ref} }}}}'


TRANSFORMS: dict[str, Transform] = {
    "image": Transform(
        name="image",
        description="split a container image into repository, tag and digest",
        split=split_image,
        join=join_image,
        helper=IMAGE_HELPER,
    ),
}
