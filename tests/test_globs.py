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
    globs.matcher.cache_clear()

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("a regular expression was compiled")

    monkeypatch.setattr(re, "compile", refused)
    monkeypatch.setattr(fnmatch, "_compile_pattern", refused)
    assert globs.fnmatchcase("flts-lstm-trainer", "flts-*-trainer")
    assert not globs.fnmatchcase("kafka", "zookeeper*")


# ----------------------------------------------------------------------------- the chart's ignore rules


@settings(max_examples=2000, deadline=None)
@given(name=st.text(alphabet="ab.~_-DSgitwpxj/\n", max_size=12))
def test_a_name_the_helmignore_hides_is_one_fnmatch_would_hide(name: str) -> None:
    from helmify_flts.filenames import IGNORED, ignored

    assert ignored(name) == any(fnmatch.fnmatchcase(name, pattern) for pattern in IGNORED)


@pytest.mark.parametrize("name", [".git", "a.swp", "x~", "helmify-report.md", ".DS_Store", "b.tmproj"])
def test_the_helmignore_names_and_suffixes_are_hidden(name: str) -> None:
    from helmify_flts.filenames import ignored

    assert ignored(name) and not ignored(name + "x")


_RULE = st.text(alphabet="ab.*?/", min_size=1, max_size=6)
_SUBJECT = st.text(alphabet="ab./\n", max_size=8)


@settings(max_examples=3000, deadline=None)
@given(pattern=_RULE, subject=_SUBJECT)
def test_a_chart_ignore_rule_matches_as_go_filepath_match_does(pattern: str, subject: str) -> None:
    """Go's filepath.Match: ``*`` is any run of characters but ``/``, ``?`` one of them."""
    from helmify_flts.chartarchive import _glob

    go = "".join({"*": "[^/]*", "?": "[^/]"}.get(c) or re.escape(c) for c in pattern)
    assert _glob(pattern)(subject) == (re.fullmatch(go, subject) is not None)
