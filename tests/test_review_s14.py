"""Regressions found reviewing this round's changes (lanes, held values, scopes, release names)."""

from __future__ import annotations

from pathlib import Path

from conftest import render_objects, run, write_tree

MONITOR = (
    "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\n"
    "metadata:\n  name: api\n  labels: {release: prom}\n"
    "spec:\n  selector: {matchLabels: {app: api}}\n  endpoints: [{port: http}]\n"
)
SERVICE = (
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  labels: {app: api}\n"
    "spec:\n  selector: {app: api}\n  ports: [{name: http, port: 80}]\n"
)


def test_a_service_monitor_that_gets_the_prefix_is_not_said_to_keep_its_name(tmp_path: Path) -> None:
    """release-names prefixes the Prometheus operator's monitors (Prometheus picks them by labels):
    the report must not say they keep their names."""
    src = write_tree(tmp_path / "src", {"monitor.yaml": MONITOR, "service.yaml": SERVICE})
    result = run("convert", src, tmp_path / "out", "--rules", "conventions")
    assert result.exit_code == 0, result.output
    names = {
        (obj["kind"], obj["metadata"]["name"]) for obj in render_objects(tmp_path / "out", release="prod").values()
    }
    assert ("ServiceMonitor", "prod-api") in names
    assert "ServiceMonitor/api keeps its name" not in result.stderr + result.stdout


def test_a_custom_resource_that_keeps_its_name_is_still_said_to(tmp_path: Path) -> None:
    """The warning stays for the custom resources release-names leaves as they are."""
    issuer = "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: ca}\nspec: {ca: {secretName: ca-key}}\n"
    src = write_tree(tmp_path / "src", {"monitor.yaml": MONITOR, "service.yaml": SERVICE, "issuer.yaml": issuer})
    result = run("convert", src, tmp_path / "out", "--rules", "conventions")
    assert result.exit_code == 0, result.output
    assert "Issuer/ca keeps its name" in result.stderr
    assert "ServiceMonitor/api keeps its name" not in result.stderr
