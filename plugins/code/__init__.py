"""The `code` domain: source files and config files, in many languages at once.

What is special about source code:
- a record is a file: one document per source file, in the language its name
  says (`languages.py`), tagged `[LANG_PYTHON]`, `[LANG_GO]`, ... at its start so
  that one model can learn many languages; files of unknown type are skipped with
  their reason, and very long files are cut at top-level boundaries;
- secrets (keys, tokens, passwords) are redacted while the corpus is read, and
  again in the model's graph (`redaction.py`);
- pre-tokenisation knows code: newlines and indentation are tokens, comments are
  marked, identifiers split on case, operators stay whole (`pretokenize.py`);
- duplicate files (vendored copies, generated files) are dropped by the core's
  corpus-wide exact and near-duplicate removal (`data.deduplicate`), which sees
  each cleaned document, language tag included; the English-language check is
  off (`language = None`): code has few English function words;
- the vocabulary is cased: `List` the type is not `list` the builtin.

The default corpus is a fixed selection of the running Python's standard library
(`stdlib.py`) plus a small sample of other languages and config files that ships
in `data/sample/`, with fake secrets planted for redaction to find.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ssl_domains.api import BadFile, BadRecord, ReadOptions, Rule, TextDomain, open_binary

from . import languages, pretokenize, redaction, stdlib

DATA = Path(__file__).parent / "data"
# A blank line followed by an unindented line: where top-level definitions start.
_TOP_LEVEL = re.compile(r"\n[ \t]*\n+(?=[^\s])")
_TAG_ONLY = re.compile(r"\[LANG_[A-Z0-9_]+\]")


@dataclass
class CodeOptions:
    """The `[domain]` options of the code domain.

    Args:
        max_chars: files longer than this are cut into documents of at most this
            many characters, at blank lines before unindented code.
        max_file_bytes: larger files are skipped (minified or generated code).
        stdlib_files: how many stdlib files the default corpus takes.
        stdlib_bytes: how many bytes of stdlib files the default corpus takes.
    """

    max_chars: int = 20_000
    max_file_bytes: int = 1_000_000
    stdlib_files: int = 400
    stdlib_bytes: int = 4_000_000


class CodeDomain(TextDomain):
    """Source code: files as documents, secrets redacted, code-aware pre-tokenisation.

    Examples:

    ```python
    from collections import Counter
    from ssl_domains.plugins.code import CodeDomain

    domain = CodeDomain()
    counts = Counter()
    domain.clean('DB_PASSWORD = "hunter2"  # prod', counts)
    # 'DB_PASSWORD = "[SECRET]"  # prod'; counts == Counter({'assigned_secret': 1})

    from ssl_domains.api import apply_rules
    apply_rules(domain.normalizations(), "def getUserName(self):\\n    return self.name")
    # 'def get User Name(self): [NL] [INDENT] return self.name'
    ```
    """

    name = "code"
    description = "Source code and config files in many languages; secrets redacted."
    default_recipe = "mlm"
    lowercase = False
    language = None  # many languages, few English function words: no language check
    Config = CodeOptions
    defaults = {
        "model.size": "tiny",
        "model.vocabulary_size": 8000,
        "data.seq_len": 128,
        "train.steps": 600,
        "train.batch_size": 32,
    }

    def sample_corpus(self) -> list[Path]:
        selection = stdlib.stdlib_selection(self.config.stdlib_files, self.config.stdlib_bytes)
        return [*selection, DATA / "sample"]

    def sample_labels(self) -> Path:
        """`context_labels.csv`: functions that favour the largest or the smallest value,
        with the same tokens in both classes (`labels.csv`: the older stdlib-area set)."""
        return DATA / "context_labels.csv"

    def read(self, path: Path, options: ReadOptions) -> Iterator[str | BadRecord]:
        """One document per file (or per piece of a long file), tagged with its language."""
        language = languages.language_of(path)
        if language is None:
            raise BadFile(f"unknown source language for {path.suffix or path.name!r}")
        with open_binary(path) as handle:  # rejects binary files
            data = handle.read(self.config.max_file_bytes + 1)
        if len(data) > self.config.max_file_bytes:
            raise BadFile(f"larger than domain.max_file_bytes={self.config.max_file_bytes}")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            yield BadRecord("not UTF-8")
            return
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        yield f"{languages.tag(language)}\n{text}"

    def split(self, text: str) -> list[str]:
        """Cut a long (cleaned) file at blank lines before unindented code, in pieces
        of at most `max_chars` characters where the file allows (a longer definition
        stays whole; training cuts documents into sequences anyway). Every piece keeps
        the file's language tag."""
        limit = self.config.max_chars
        if len(text) <= limit:
            return [text]
        tag, _, body = text.partition("\n")
        pieces: list[str] = []
        for block in _TOP_LEVEL.split(body):
            if pieces and len(pieces[-1]) + 2 + len(block) <= limit:
                pieces[-1] += "\n\n" + block
            else:
                pieces.append(block)
        return [f"{tag}\n{piece}" for piece in pieces]

    def clean(self, record: str, counts: Counter[str]) -> str | None:
        text = super().clean(record, counts)
        return None if text is None or _TAG_ONLY.fullmatch(text) else text  # empty file

    def redactions(self) -> list[Rule]:
        return redaction.redaction_rules()

    def normalizations(self) -> list[Rule]:
        return pretokenize.normalization_rules()

    def units(self) -> list[str]:
        return pretokenize.units()

    def placeholders(self) -> list[str]:
        """Redaction placeholders, structure markers and language tags: all kept whole
        by tokenisation and reserved in the vocabulary."""
        return sorted(
            {*redaction.PLACEHOLDERS.values(), *pretokenize.MARKERS, *languages.all_tags()}
        )
