"""Regex rewrite rules that run the same in Python and inside a TensorFlow graph.

A domain's redactions and normalisations are lists of `Rule`s. Pretraining applies
redactions in Python while it reads the corpus (so it can count them), and the
exported SavedModel applies every rule with `tf.strings.regex_replace` (so serving
needs no Python code). Both engines must agree, so a pattern must stay inside the
common subset of Python's `re` and RE2: no look-around, no back-references in the
pattern, and only `\\1`..`\\9` in the replacement.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

_FORBIDDEN = re.compile(r"\(\?[=!<]|\(\?P|\\[1-9]")


@dataclass(frozen=True)
class Rule:
    """One rewrite: every match of `pattern` is replaced by `replacement`.

    Args:
        name: what the rule finds, e.g. `"iban"`; redaction reports count by name.
        pattern: a regex in the shared subset of Python `re` and RE2.
        replacement: the text to put instead; may use `\\1`..`\\9`.

    Examples:

    ```python
    from ssl_domains import Rule

    rule = Rule("percent", r"(\\d)\\s?(?:percent|per cent)\\b", r"\\1%")
    rule.apply("margins fell 3 per cent")  # 'margins fell 3%'
    ```
    """

    name: str
    pattern: str
    replacement: str

    def __post_init__(self) -> None:
        if _FORBIDDEN.search(self.pattern):
            raise ValueError(
                f"rule {self.name!r}: look-around, named groups and back-references "
                "are not portable to RE2"
            )
        re.compile(self.pattern)

    @cached_property
    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    def apply(self, text: str) -> str:
        return self.compiled.sub(self.replacement, text)

    def apply_counting(self, text: str) -> tuple[str, int]:
        return self.compiled.subn(self.replacement, text)


def apply_rules(rules: Iterable[Rule], text: str) -> str:
    """Apply `rules` in order to one string."""
    for rule in rules:
        text = rule.apply(text)
    return text


def apply_rules_counting(rules: Sequence[Rule], text: str, counts: Counter[str]) -> str:
    """Apply `rules` in order, adding how often each one matched to `counts`."""
    for rule in rules:
        text, n = rule.apply_counting(text)
        if n:
            counts[rule.name] += n
    return text


def units_pattern(patterns: Sequence[str]) -> str | None:
    """One alternation of unit patterns, or None when a domain has none."""
    return "|".join(f"(?:{p})" for p in patterns) if patterns else None
