"""Names the API server refuses, per built-in kind.

A manifest folder is not checked by anything before ``kubectl apply``; a name Kubernetes refuses
(``system:settings`` for a ConfigMap, ``Web`` for a Service) makes a chart that renders, passes
its proof, and then fails at install. convert keeps the object as written (the chart reproduces
the folder) and warns, naming the file and line. Only what the API server's validation of
``metadata.name`` is known to refuse is reported; custom resources, whose rules their own
definitions set, are not checked.
"""

from __future__ import annotations

import functools
import re

_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_MUST = {
    "subdomain": "be lowercase letters, digits, '-' and '.', start and end with a letter or digit, "
    "and be at most {limit} characters",
    "label": "be lowercase letters, digits and '-', start and end with a letter or digit, and be at most 63 characters",
    "label1035": "be lowercase letters, digits and '-', start with a letter, end with a letter or digit, "
    "and be at most 63 characters",
    "segment": "not be '.' or '..' and not hold '/' or '%'",
}
# (API group, kind) -> the rule of its names. A CronJob's name is a subdomain of at most 52
# characters: its Jobs are named after it plus a timestamp.
_RULES: dict[tuple[str, str], str] = {
    **dict.fromkeys(
        (
            ("", "ConfigMap"),
            ("", "Secret"),
            ("", "ServiceAccount"),
            ("", "PersistentVolumeClaim"),
            ("", "PersistentVolume"),
            ("", "Pod"),
            ("", "ReplicationController"),
            ("", "ResourceQuota"),
            ("", "LimitRange"),
            ("", "Endpoints"),
            ("apps", "Deployment"),
            ("apps", "StatefulSet"),
            ("apps", "DaemonSet"),
            ("apps", "ReplicaSet"),
            ("batch", "Job"),
            ("networking.k8s.io", "Ingress"),
            ("networking.k8s.io", "IngressClass"),
            ("networking.k8s.io", "NetworkPolicy"),
            ("autoscaling", "HorizontalPodAutoscaler"),
            ("policy", "PodDisruptionBudget"),
            ("storage.k8s.io", "StorageClass"),
            ("scheduling.k8s.io", "PriorityClass"),
            ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
            ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ),
        "subdomain",
    ),
    ("batch", "CronJob"): "subdomain52",
    ("", "Namespace"): "label",
    ("", "Service"): "label1035",
    **dict.fromkeys(
        (
            ("rbac.authorization.k8s.io", "Role"),
            ("rbac.authorization.k8s.io", "ClusterRole"),
            ("rbac.authorization.k8s.io", "RoleBinding"),
            ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ),
        "segment",
    ),
}


@functools.cache
def _patterns() -> dict[str, re.Pattern[str]]:
    return {
        "subdomain": re.compile(rf"{_LABEL}(\.{_LABEL})*"),
        "label": re.compile(_LABEL),
        "label1035": re.compile("[a-z]([-a-z0-9]*[a-z0-9])?"),
    }


def problem(api_version: str, kind: str, name: str) -> str | None:
    """Why the API server refuses ``name`` for this kind, or None (also for kinds not known here)."""
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    rule = _RULES.get((group, kind))
    if rule is None:
        return None
    if rule == "segment":
        ok = name not in (".", "..") and "/" not in name and "%" not in name
        return None if ok else f"a {kind} name must {_MUST['segment']}"
    limit = {"subdomain": 253, "subdomain52": 52}.get(rule, 63)
    shape = "subdomain" if rule == "subdomain52" else rule
    if len(name) <= limit and _patterns()[shape].fullmatch(name):
        return None
    return f"a {kind} name must {_MUST[shape].format(limit=limit)}"
