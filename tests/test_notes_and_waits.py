"""NOTES.txt names objects as a release renders them; wait-for sees host names in the Secrets a
workload reads."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import FIXTURES, convert_ok, render_objects, write_tree

from helmify_flts import render


def _listed(notes: str) -> list[str]:
    """The ``Kind/namespace/name`` titles of the "Components rendered" lines."""
    section = notes.split("Components rendered:", 1)[1].split("\n\n", 1)[0]
    titles = []
    for line in section.splitlines():
        m = re.match(r"  - [^:]+: (.*)$", line)
        if m:
            titles += m.group(1).split(", ")
    return titles


def _titles(objects: dict) -> set[str]:
    return {f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}" for _, kind, ns, name in objects}


def test_notes_name_objects_as_the_release_renders_them(tmp_path: Path) -> None:
    out = tmp_path / "chart"
    convert_ok(FIXTURES / ".kubernetes", out, "--rules", "conventions", "--chart-name", "flts")
    values = {"namespace": {"create": True}}
    notes = render.render_chart(out, values, "foo", "bar")["flts/templates/NOTES.txt"]
    listed = _listed(notes)
    assert "Service/bar/foo-eda" in listed and "Namespace/bar" in listed
    assert len(listed) >= 50
    missing = set(listed) - _titles(render_objects(out, "foo", "bar", values))
    assert not missing, missing
    template = (out / "templates" / "NOTES.txt").read_text(encoding="utf-8")
    # The Namespace is the component's only object: the component's condition says it once.
    assert "  - flts: Namespace/{{ .Release.Namespace }}\n" in template
    assert "$sep" not in template.split("  - flts:", 1)[1].splitlines()[0]


def test_notes_without_refactorings_name_the_sources(tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "src",
        {
            "svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\n"
            "spec:\n  ports:\n  - port: 80\n",
        },
    )
    out = tmp_path / "chart"
    convert_ok(src, out, "--chart-name", "c")
    notes = render.render_chart(out, None, "foo", "bar")["c/templates/NOTES.txt"]
    assert _listed(notes) == ["Service/shop/web"]
