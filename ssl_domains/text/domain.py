"""`TextDomain`: the base of domains whose records are documents of text."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from ssl_domains.data.records import ReadOptions
from ssl_domains.plugin.domain_adapter import DomainAdapter
from ssl_domains.text.rules import Rule, apply_rules_counting

PLACEHOLDER = re.compile(r"\[[A-Z][A-Z0-9_]*\]")


class TextDomain(DomainAdapter):
    """A domain whose records are documents of text.

    Hooks, all optional:
        redactions(): `Rule`s that replace identifiers that must never be trained
            on (account numbers, patient ids, secrets) by a placeholder such as
            `[ACCOUNT]`. They run before anything else, while the corpus is read.
        normalizations(): `Rule`s that put the field's entities into one canonical
            form (`12.5 per cent` -> `12.5%`). They run in the TensorFlow graph, in
            training and in the exported SavedModel alike.
        units(): regexes of entities that tokenisation keeps whole (a currency
            amount, a ticker, a gene symbol) instead of splitting on punctuation.
        split(text): one cleaned document into training records (legal clause
            windows); its pieces stay on one side of the validation split.

    Class attributes:
        lowercase: whether the domain vocabulary is case-folded.
        language: language of the documents, for the corpus language check
            (`"en"`), or None to skip it (source code).
        min_function_words: share of common function words below which a 20+ word
            document counts as another language (lower it for terse text).

    Examples:

    ```python
    from ssl_domains.api import Rule, TextDomain

    class ClaimsDomain(TextDomain):
        name = "claims"
        description = "Insurance claim notes."
        default_recipe = "mlm"
        defaults = {"model.size": "tiny", "model.vocabulary_size": 6000}

        def sample_corpus(self):
            return [Path(__file__).parent / "data" / "claims.txt"]

        def redactions(self):
            return [Rule("policy_number", r"\\bPOL-\\d{8}\\b", "[POLICY]")]

        def units(self):
            return [r"\\$\\d[\\d,]*(?:\\.\\d+)?"]
    ```
    """

    modality: ClassVar[str] = "text"
    lowercase: ClassVar[bool] = False
    language: ClassVar[str | None] = "en"
    min_function_words: ClassVar[float] = 0.05

    def redactions(self) -> list[Rule]:
        return []

    def normalizations(self) -> list[Rule]:
        return []

    def units(self) -> list[str]:
        return []

    def split(self, text: str) -> list[str]:
        return [text]

    def placeholders(self) -> list[str]:
        """Bracketed upper-case tokens the rules write (`[ACCOUNT]`, `[IBAN]`): the
        vocabulary reserves them and tokenisation keeps them whole."""
        rules = self.redactions() + self.normalizations()
        return sorted({m for r in rules for m in PLACEHOLDER.findall(r.replacement)})

    def read(self, path: Path, options: ReadOptions) -> Iterator[str]:
        from ssl_domains.text.reading import read_text_records

        yield from read_text_records(path, options)

    def byte_ranges(self, path: Path, options: ReadOptions, size: int) -> list | None:
        """Line-per-record files in ranges, for the core's reader only: a plugin's own
        `read` need not know `options.byte_range`."""
        if type(self).read is not TextDomain.read:
            return None
        from ssl_domains.text.reading import line_ranges_of

        return line_ranges_of(path, options, size)

    def quality(self, record: str) -> str | None:
        from ssl_domains.text.quality import quality_issue

        return quality_issue(record, self.language, self.min_function_words)

    def dedup_key(self, record: str) -> str | None:
        return record

    def divide(self, record: str, fraction: float) -> tuple[str, str] | None:
        words = record.split()
        held = min(max(1, round(fraction * len(words))), len(words) - 1)
        return (" ".join(words[:-held]), " ".join(words[-held:])) if held > 0 else None

    unit: ClassVar[str] = "words"

    def measure(self, record: str) -> float:
        return float(len(record.split()))

    def clean(self, record: str, counts: Counter[str]) -> str | None:
        if not hasattr(self, "_redaction_rules"):
            self._redaction_rules = self.redactions()
        text = apply_rules_counting(self._redaction_rules, record, counts).strip()
        return text or None
