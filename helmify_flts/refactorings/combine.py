"""Which built-in refactorings can be named together, and in which order.

Each refactoring's template half edits the chart's resources by their source identity. A rule
that follows references or hooks (release-names, release-namespace, init-hooks) after one that
splits objects off a workload or reshapes it (env-configmap, env-credentials, statefulset,
wait-for, init-job-hooks) works on the objects as that rule declared them, and its edits follow
the split-off objects into their workload's template (``refactorings.SEES_DECLARED``). The other
way round does not work yet: those refactorings plan on the source names, so under release-aware
names the objects they add would keep names without the release prefix. Convert then stops before
building anything and says which order to use.
"""

from __future__ import annotations

from typing import Any

from ..errors import UserError

# Refactorings that must come before another (key). Those that add objects to a workload or
# reshape it come before release-names, which then renames what they add; init-job-hooks orders
# Jobs by the source names release-names changes.
MUST_PRECEDE: dict[str, frozenset[str]] = {
    "release-names": frozenset({"env-configmap", "env-credentials", "statefulset", "wait-for", "init-job-hooks"}),
}


def _name(rule: Any) -> str:
    return f"{rule.id} (refactor: {rule.refactor}, {rule.where})"


def check(rules: tuple[Any, ...]) -> None:
    """Stop with exit 2 when ``rules`` (in the order they apply) name refactorings that do not
    work together in that order, naming the rules and what to do instead."""
    errors = []
    for i, first in enumerate(rules):
        for later in rules[i + 1 :]:
            if later.refactor in MUST_PRECEDE.get(first.refactor, ()):
                errors.append(
                    UserError(
                        f"rule {_name(later)} must come before rule {_name(first)}; name the pack or file "
                        f"with {later.id} first on the command line (the built-in packs: "
                        f"--rules production or flts-production before --rules conventions)",
                        later.where,
                    )
                )
    if errors:
        raise UserError.all_of(errors)
