"""helmify_flts.globs matches exactly as fnmatch.fnmatchcase, without regular expressions for
``*``-only patterns."""

from __future__ import annotations

import fnmatch
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helmify_flts import globs

# Few letters, so that patterns and names meet often; the pattern characters fnmatch knows.
_NAME = st.text(alphabet="ab-.*?[]!/\n", max_size=10)
_PATTERN = st.text(alphabet="ab-.*?[]!/\n", max_size=8)


@settings(max_examples=3000, deadline=None)
@given(name=_NAME, pattern=_PATTERN)
def test_matches_as_fnmatch_does(name: str, pattern: str) -> None:
    assert globs.fnmatchcase(name, pattern) == fnmatch.fnmatchcase(name, pattern)


@pytest.mark.parametrize(
    ("name", "pattern", "matched"),
    [
        ("kafka", "kafka", True),
        ("kafka-0", "kafka*", True),
        ("db-init", "*-init", True),
        ("a", "a*a", False),
        ("aa", "a*a", True),
        ("flts-gru-worker", "flts-*-worker", True),
        ("flts-worker", "flts-*-worker", False),
        ("abcabd", "*ab*d", True),
        ("abc", "*", True),
        ("", "*", True),
        ("x\ny", "x*y", True),
        ("Kafka", "kafka*", False),
    ],
)
def test_star_patterns(name: str, pattern: str, matched: bool) -> None:
    assert globs.fnmatchcase(name, pattern) is matched


def test_a_star_only_pattern_compiles_no_regular_expression(monkeypatch: pytest.MonkeyPatch) -> None:
    globs._matcher.cache_clear()

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("a regular expression was compiled")

    monkeypatch.setattr(re, "compile", refused)
    monkeypatch.setattr(fnmatch, "_compile_pattern", refused)
    assert globs.fnmatchcase("flts-lstm-trainer", "flts-*-trainer")
    assert not globs.fnmatchcase("kafka", "zookeeper*")
