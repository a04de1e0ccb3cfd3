"""Checks that a text is worth training on: its encoding and its language."""

from __future__ import annotations

import re

STOPWORDS_EN = frozenset(
    "the of and to in a is that for on with as by at from it be are was were this an or "
    "which its has have not but their they will been than also can".split()
)
_MOJIBAKE = re.compile("[\u00c2\u00c3][\u0080-\u00bf]")
_WORD = re.compile(r"[^\W\d_]+")


def quality_issue(text: str, language: str | None, min_function_words: float = 0.05) -> str | None:
    """Why a text should not be trained on, or None.

    - `bad_encoding`: U+FFFD replacement characters or UTF-8 read as Latin-1
      (`Ã©` for `é`), i.e. text damaged before it reached us;
    - `wrong_language`: for `language="en"`, a document of 20+ words in which
      fewer than `min_function_words` of the words are common English function
      words (terse clinical or tabular text needs a lower bar than prose).
    """
    if "\ufffd" in text or len(_MOJIBAKE.findall(text)) >= 2:
        return "bad_encoding"
    if language == "en":
        words = _WORD.findall(text)
        if len(words) >= 20:  # (`map` runs the loop in C: this runs on every record)
            share = sum(map(STOPWORDS_EN.__contains__, map(str.casefold, words))) / len(words)
            if share < min_function_words:
                return "wrong_language"
    return None
