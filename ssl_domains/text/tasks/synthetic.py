"""Made-up text inputs for the parity check of an export: words of the model's vocabulary.

A fine-tuning run keeps a few inputs so that `export` can compare the SavedModel with
the Keras model anywhere, without the labeled file. Those inputs must not be rows of
the labeled set: the run directory and every export keep them, and labeled rows carry
what the domain redacts only inside the model's graph (patient names, secrets in
code) and what it cannot redact at all. Words drawn from the tokenizer's own
vocabulary run through the same graph (normalisation, tokenisation, truncation) and
hold nothing the preset does not already hold.

Examples:

```python
from ssl_domains.presets.encoder import Encoder
from ssl_domains.text.tasks.synthetic import synthetic_sentences

encoder = Encoder.load("runs/finance-mlm-20261128-101500")
rows = synthetic_sentences(encoder, count=8)  # 8 lists of words, the last ones truncated
```
"""

from __future__ import annotations

import numpy as np

# Vocabulary tokens that are not words of a text: special tokens and continuations.
SPECIAL_EDGES = (("[", "]"), ("<", ">"))
WORD_START_MARKS = "▁Ġ"  # SentencePiece and byte-level BPE mark a word's first piece
# For a tokenizer without a readable vocabulary: still a few words, digits and a unit.
FALLBACK = "the of and results rose fell 12 4.2 % value after before".split()


def vocabulary_words(tokenizer) -> list[str]:
    """The whole-word tokens of `tokenizer`'s vocabulary, without special tokens."""
    try:
        vocabulary = tokenizer.get_vocabulary() if tokenizer is not None else []
    except (AttributeError, ValueError):  # not built, or no vocabulary of strings
        vocabulary = []
    words = []
    for token in vocabulary:
        if token.startswith("##") or any(
            token.startswith(a) and token.endswith(b) for a, b in SPECIAL_EDGES
        ):
            continue
        word = token.lstrip(WORD_START_MARKS)
        if word and word.isprintable() and word.split() == [word]:
            words.append(word)
    return words


def synthetic_sentences(encoder, count: int = 8, seed: int = 0) -> list[list[str]]:
    """`count` rows of random vocabulary words, from one word up to more than the
    sequence holds, so that padding and truncation are both checked."""
    words = vocabulary_words(encoder.tokenizer)
    words = words if len(words) >= len(FALLBACK) else FALLBACK
    rng = np.random.default_rng(seed)
    longest = max(int(encoder.sequence_length or 0), 8) + 8
    lengths = np.linspace(1, longest, count).round().astype(int)
    return [[str(word) for word in rng.choice(words, size=n)] for n in lengths]


def synthetic_texts(encoder, count: int = 8, seed: int = 0) -> list[str]:
    """`synthetic_sentences` joined by spaces: raw strings as a client sends them."""
    return [" ".join(words) for words in synthetic_sentences(encoder, count, seed)]
