"""What readers share: how to read, and how to say a record or file is bad.

A leaf module (it imports nothing of ours), so domains, readers and the corpus
pipeline can all depend on it without depending on each other.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple


@dataclass
class ReadOptions:
    """How the core reads corpus files; filled from the `[data]` config section."""

    text_field: str = "text"
    text_column: str = "text"
    txt_mode: str = "auto"
    # Bytes [start, end) of the file to read, whole lines (`ssl_domains.data.file_ranges`);
    # set only for a domain whose `byte_ranges` cut the file.
    byte_range: tuple[int, int] | None = None
    # What readers decided per file (how a `.txt` was read), for the corpus report.
    layouts: Counter[str] = dataclasses.field(default_factory=Counter)


class BadRecord(NamedTuple):
    """Yielded by a reader in place of a record it could not decode."""

    reason: str


class BadFile(Exception):
    """Raised by a reader for a file it cannot read at all; the file is skipped."""
