"""A container's args that an environment changes are read whole from values, and the release
prefix follows the host names in them in the list's JSON text: only the items the finder takes
for host names (``kafka`` after ``--kafka-host``) are renamed, not another item of the same text
(a topic named ``kafka``), in the base and in every environment."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import render_objects, run, write_tree

from helmify_flts import render

NS = "shop"


def _folder(args: list[str]) -> str:
    """A Service kafka selecting the Deployment kafka, and a client Deployment run with ``args``."""

    def deployment(name: str, args: list[str] | None = None) -> dict:
        container: dict = {"name": name, "image": "x:1"}
        if args is not None:
            container["args"] = args
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": NS},
            "spec": {
                "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}},
            },
        }

    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "kafka", "namespace": NS},
        "spec": {"selector": {"app": "kafka"}, "ports": [{"port": 9092}]},
    }
    return yaml.safe_dump_all([service, deployment("kafka"), deployment("client", args)], sort_keys=False)


def _convert(tmp_path: Path, base_args: list[str], prod_args: list[str]) -> Path:
    base = write_tree(tmp_path / "base", {"all.yaml": _folder(base_args)})
    prod = write_tree(tmp_path / "prod", {"all.yaml": _folder(prod_args)})
    out = tmp_path / "chart"
    result = run("convert", base, out, "--rules", "conventions", "--env", f"prod={prod}")
    assert result.exit_code == 0, result.stderr
    assert "bug" not in result.stderr
    assert run("verify", out, base, "--env", f"prod={prod}", "-q").exit_code == 0
    # The list is read whole from values: each environment's values hold its own args as written.
    assert render.load_values_file(out / "values-prod.yaml")["client"]["args"] == prod_args
    return out


def _args(chart: Path, env: str | None) -> list[str]:
    values = render.load_values_file(chart / f"values-{env}.yaml") if env else None
    objects = render_objects(chart, release="rel", namespace=NS, values=values)
    return objects[("apps", "Deployment", NS, "rel-client")]["spec"]["template"]["spec"]["containers"][0]["args"]


def test_a_topic_an_environment_names_like_a_service_keeps_its_name(tmp_path: Path) -> None:
    out = _convert(
        tmp_path,
        ["--kafka-host", "kafka", "--topic", "events"],
        ["--kafka-host", "kafka", "--topic", "kafka"],
    )
    assert _args(out, None) == ["--kafka-host", "rel-kafka", "--topic", "events"]
    assert _args(out, "prod") == ["--kafka-host", "rel-kafka", "--topic", "kafka"]


CASES = {
    # (base args, prod args, base rendered, prod rendered)
    "host first, the same word later": (
        ["--kafka-host", "kafka", "--topic", "kafka"],
        ["--kafka-host", "kafka", "--topic", "kafka", "--verbose"],
        ["--kafka-host", "rel-kafka", "--topic", "kafka"],
        ["--kafka-host", "rel-kafka", "--topic", "kafka", "--verbose"],
    ),
    "the same word first, host later": (
        ["--topic", "kafka", "--kafka-host", "kafka"],
        ["--topic", "kafka", "--kafka-host", "kafka", "--verbose"],
        ["--topic", "kafka", "--kafka-host", "rel-kafka"],
        ["--topic", "kafka", "--kafka-host", "rel-kafka", "--verbose"],
    ),
    # Items before the host hold quotes, commas and brackets, which the JSON text escapes or
    # holds inside a string: the host's place is still counted right.
    "items with quotes, commas and brackets before": (
        ["--label", 'say "hi", [kafka]', "--topic", "kafka", "--kafka-host", "kafka"],
        ["--label", 'say "hi", [kafka]', "--topic", "kafka", "--kafka-host", "kafka", "--group", "kafka"],
        ["--label", 'say "hi", [kafka]', "--topic", "kafka", "--kafka-host", "rel-kafka"],
        ["--label", 'say "hi", [kafka]', "--topic", "kafka", "--kafka-host", "rel-kafka", "--group", "kafka"],
    ),
    # The host moves in prod to where the base has another item: the base's place of it does not
    # rename prod's topic there.
    "the host elsewhere in an environment": (
        ["--kafka-host", "kafka", "--topic", "events"],
        ["--topic", "kafka", "--kafka-host", "kafka"],
        ["--kafka-host", "rel-kafka", "--topic", "events"],
        ["--topic", "kafka", "--kafka-host", "rel-kafka"],
    ),
    # The flag as toJson writes it (Go escapes <, > and & in JSON): still read as the item before.
    "a flag toJson escapes": (
        ["--a<b>&kafka-host", "kafka", "--topic", "kafka"],
        ["--a<b>&kafka-host", "kafka", "--topic", "kafka", "-v"],
        ["--a<b>&kafka-host", "rel-kafka", "--topic", "kafka"],
        ["--a<b>&kafka-host", "rel-kafka", "--topic", "kafka", "-v"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_only_the_host_item_of_a_list_with_the_same_word_twice_is_renamed(case: str, tmp_path: Path) -> None:
    base_args, prod_args, base_wanted, prod_wanted = CASES[case]
    out = _convert(tmp_path, base_args, prod_args)
    assert _args(out, None) == base_wanted
    assert _args(out, "prod") == prod_wanted
