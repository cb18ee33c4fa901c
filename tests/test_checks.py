"""The built-in meaning checks: each one passes an unchanged folder and fires on a deliberately
broken refactoring of it."""

from __future__ import annotations

import copy

from helmify_flts import checks

DEP = ("apps", "Deployment", "ns", "web")
SVC = ("", "Service", "ns", "web")
CM = ("", "ConfigMap", "ns", "cfg")
SECRET = ("", "Secret", "ns", "creds")


def _source() -> dict:
    return {
        DEP: {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "ns"},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "web",
                                "image": "nginx:1.27",
                                "args": ["--port", "80"],
                                "env": [
                                    {"name": "MODE", "value": "fast"},
                                    {
                                        "name": "LEVEL",
                                        "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "level"}},
                                    },
                                    {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "pw"}}},
                                ],
                                "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                            }
                        ]
                    },
                },
            },
        },
        SVC: {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "ns"},
            "spec": {"selector": {"app": "web"}},
        },
        CM: {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cfg", "namespace": "ns"},
            "data": {"level": "3"},
        },
        SECRET: {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "creds", "namespace": "ns"},
            "data": {"pw": "aHVudGVyMg=="},
        },
    }


def _container(objects: dict) -> dict:
    return objects[DEP]["spec"]["template"]["spec"]["containers"][0]


def test_an_unchanged_folder_passes_every_check() -> None:
    assert checks.run(_source(), _source(), {}, frozenset()) == []


def test_effective_environment_resolves_references_on_each_side() -> None:
    env = checks.effective_env(_container(_source()), "ns", _source())
    assert env == {"MODE": ("value", "fast"), "LEVEL": ("value", "3"), "PW": ("value", "hunter2")}


def test_moving_a_value_into_a_configmap_read_with_envfrom_keeps_the_environment() -> None:
    after = _source()
    container = _container(after)
    container["env"] = container["env"][1:]
    container["envFrom"] = [{"configMapRef": {"name": "web-env"}}]
    after[("", "ConfigMap", "ns", "web-env")] = {"kind": "ConfigMap", "data": {"MODE": "fast"}}
    assert checks.environment(_source(), after, {}) == []


def test_environment_fires_when_a_value_changes() -> None:
    after = _source()
    after[CM]["data"]["level"] = "4"
    assert checks.environment(_source(), after, {}) == [
        "Deployment ns/web containers[web]: environment variable LEVEL changes"
    ]


def test_a_reference_renamed_with_its_object_is_fine_but_a_dangling_one_is_not() -> None:
    source = _source()
    del source[CM]  # unresolved on both sides: compared by name
    renamed = copy.deepcopy(source)
    _container(renamed)["env"][1]["valueFrom"]["configMapKeyRef"]["name"] = "rel-cfg"
    assert checks.environment(source, renamed, {CM: ("", "ConfigMap", "ns", "rel-cfg")}) == []
    assert checks.environment(source, renamed, {}) == [
        "Deployment ns/web containers[web]: environment variable LEVEL changes"
    ]


def test_containers_fires_on_image_args_and_mount_paths() -> None:
    after = _source()
    _container(after)["image"] = "nginx:1.28"
    _container(after)["args"] = ["--port", "81"]
    _container(after)["volumeMounts"][0]["mountPath"] = "/srv"
    assert checks.containers(_source(), after, {}) == [
        "Deployment ns/web containers[web]: image changes",
        "Deployment ns/web containers[web]: args changes",
        "Deployment ns/web containers[web]: mount paths change",
    ]


def test_services_fires_when_a_service_selects_other_workloads() -> None:
    after = _source()
    after[SVC]["spec"]["selector"] = {"app": "web", "tier": "front"}
    assert checks.services(_source(), after, {}) == [
        "Service ns/web selects other workloads; no longer Deployment ns/web"
    ]


def test_services_follow_a_renamed_workload() -> None:
    after = _source()
    after[("apps", "Deployment", "ns", "rel-web")] = after.pop(DEP)
    assert checks.services(_source(), after, {DEP: ("apps", "Deployment", "ns", "rel-web")}) == []


def test_selectors_fire_on_any_selector_change() -> None:
    after = _source()
    after[DEP]["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"] = "release"
    assert checks.selectors(_source(), after, {}) == [
        "Deployment ns/web: spec.selector changes (selectors are immutable in a cluster)"
    ]


def test_undeclared_fires_on_a_change_the_report_does_not_declare() -> None:
    after = _source()
    after[CM]["metadata"]["labels"] = {"x": "y"}
    assert checks.undeclared(_source(), after, {}, frozenset()) == [
        "ConfigMap ns/cfg changes, but the report declares no change of it"
    ]
    assert checks.undeclared(_source(), after, {}, frozenset({CM})) == []
