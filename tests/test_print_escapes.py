"""What the CLI prints is escaped as before when it takes the path that compiles no pattern."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from helmify_flts.cli import safe_to_print


def _escaped(message: str) -> str:
    """The rule itself: a line break before a CI runner's command shown as "\\n", and every
    control character (and the Unicode line separators) as an escape."""
    message = re.sub(r"\n(?=[ \t]*(?:::|##))", r"\\n", message)
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]", lambda m: f"\\u{ord(m.group()):04x}", message)


@settings(max_examples=4000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab :#\n\t\x1b\x7f\x85\u2028é[]")), max_size=16))
def test_every_message_is_escaped_by_the_rule(message: str) -> None:
    assert safe_to_print(message) == _escaped(message)


def test_a_runner_command_after_a_line_break_is_not_printed_as_one() -> None:
    for message in ("x\n::add-mask::y", "x\n  ##vso[task]", "x\n\t::set-output", "a\x1b[2Jb"):
        assert "\n::" not in safe_to_print(message) and "\x1b" not in safe_to_print(message)
    assert safe_to_print("wrote .helm: 51 resources\nnext line") == "wrote .helm: 51 resources\nnext line"
