"""Which built-in refactorings can be named together, and in which order.

Each refactoring's template half edits the chart's resources by their source identity. The
production refactorings split objects off a workload into its template (a ``<workload>-env``
ConfigMap, a ``<workload>-credentials`` Secret, a headless Service) and reshape it (env moved,
wait-for init containers, a StatefulSet); the conventions refactorings reach what they add in
either order:

- after them, a rule that follows references, namespaces or hooks works on the objects as they
  declared them (``refactorings.SEES_DECLARED``), and its edits follow the split-off objects into
  their workload's template;
- before them, release-names has renamed the workloads and Services they plan on: they follow
  each workload by its new name (``Context.now``), give what they add the release prefix
  (``Context.prefixed``) and render those names with the fullname helper;
- the checksum roll leaves an annotation a refactoring already made as it is, and init-hooks and
  init-job-hooks leave a Job the other made a hook.

A pair that works in one order only goes into :data:`MUST_PRECEDE`: convert then stops before
building anything and names the order to use.
"""

from __future__ import annotations

from typing import Any

from ..errors import UserError

# Refactorings that must come before another (key); none at present, every built-in pair works
# in either order (tests/test_combine_packs.py converts and proves each).
MUST_PRECEDE: dict[str, frozenset[str]] = {}


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
                        f"with {later.id} first on the command line",
                        later.where,
                    )
                )
    if errors:
        raise UserError.all_of(errors)
