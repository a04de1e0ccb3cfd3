"""The `__NAME__` domain: what is special about its text.

Written by `ssl-domains plugins new`; every hook ssl-domains calls is here with what
it is for. Keep this module light: no TensorFlow or Keras import at module level and
no network access at import, because `ssl-domains domains list` imports it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ssl_domains.api import ReadOptions, Rule, TextDomain

DATA = Path(__file__).parent / "data"


@dataclass
class __CLASS__Options:
    """Options users set in the `[domain]` config section (`--set domain.KEY=VALUE`)."""

    min_words: int = 3


class __CLASS__(TextDomain):
    """The `__NAME__` domain.

    Examples:

    ```python
    from collections import Counter
    from __PACKAGE__ import __CLASS__

    __CLASS__().clean("Policy POL-12345678 was renewed.", Counter())
    # 'Policy [POLICY] was renewed.'
    ```
    """

    # -- identity: what `ssl-domains domains list` shows --------------------------------
    name = "__NAME__"
    description = "Describe your data in one line."
    # Which plugin-API version this adapter was written for; ssl-domains refuses others.
    api_version = __API__

    # -- defaults: any config key, overridden by the user's config, flags and --set ------
    default_recipe = "mlm"
    defaults = {"model.size": "tiny", "model.vocabulary_size": 2000, "train.steps": 300}
    Config = __CLASS__Options

    # -- text specifics -------------------------------------------------------------------
    lowercase = False  # case-fold the vocabulary? keep False when case carries meaning
    language = "en"  # language check of the corpus; None to skip it (e.g. source code)
    min_function_words = 0.05  # lower it for terse, list-like text

    def sample_corpus(self) -> list[Path]:
        """Files or folders pretraining reads when the user gives no --corpus."""
        return [DATA / "corpus.txt"]

    def sample_labels(self) -> Path | None:
        """A small labeled file `ssl-domains finetune` uses when given no --data."""
        return DATA / "labels.csv"

    def read(self, path: Path, options: ReadOptions) -> Iterator[str]:
        """Records of one corpus file. The default reads .txt (a document per line),
        .jsonl and .csv; override it for formats of your own."""
        yield from super().read(path, options)

    def redactions(self) -> list[Rule]:
        """Identifiers that must never be trained on, replaced by a [PLACEHOLDER].
        Patterns run in Python and in TensorFlow (RE2): no look-around, no
        back-references in the pattern; `\\1`..`\\9` only in the replacement."""
        return [Rule("policy_number", r"\bPOL-\d{8}\b", "[POLICY]")]

    def normalizations(self) -> list[Rule]:
        """Canonical spellings, applied in training and inside the exported model."""
        return [Rule("deductible", r"(?i)\bdeductable\b", "deductible")]

    def units(self) -> list[str]:
        """Regexes of entities tokenisation keeps whole (no whitespace inside)."""
        return [r"\$\d[\d,]*(?:\.\d+)?"]

    def clean(self, record: str, counts: Counter[str]) -> str | None:
        """Hygiene per record: redact (counting by kind), or return None to drop it."""
        text = super().clean(record, counts)
        if text is not None and len(text.split()) < self.config.min_words:
            return None
        return text

    def split(self, text: str) -> list[str]:
        """One cleaned document into training records (all on one side of the split)."""
        return [text]
