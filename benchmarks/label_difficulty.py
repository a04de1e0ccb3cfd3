"""How much of each domain's labeled sample a bag of words already solves.

A labeled sample shows what pretraining is for only if its labels need context: if one
word decides the label ("downgraded" -> negative), a random-init encoder's bag of token
embeddings solves it and pretraining has nothing to add. For each domain's default
labeled sample (`sample_labels()`; speech: the transcripts of its recordings) this
prints, in one markdown table:

- majority: the accuracy of always answering the most frequent class;
- best token: the best single-token rule, in-sample (an upper bound): for every token,
  answer the majority label of the rows that contain it and the majority label of the
  rows that do not; the best token is named;
- BoW LR: a logistic regression on token counts, 5-fold stratified cross-validation;
- 1-2-gram LR: the same on tokens and adjacent token pairs: a little word order, a hint
  of how much of the label is learnable from the text at all;
- in corpus: the share of the labeled texts' word tokens that occur in the domain's
  embedded sample corpus (speech: in the corpus's transcripts), which pretraining sees.

Tokens are `\\w+` runs and single punctuation or operator characters, lower-cased. Every
number comes from fixed splits and seeds: the same files give the same table.

    python benchmarks/label_difficulty.py                    # the five first-party domains
    python benchmarks/label_difficulty.py --lexical          # and the older sets (minutes)
    python benchmarks/label_difficulty.py --domains code --data code=other.csv
"""

from __future__ import annotations

import argparse
import csv
import re
from collections import Counter
from pathlib import Path

import numpy as np

DOMAINS = ("finance", "biomedical", "legal", "code", "speech")
TOKEN = r"\w+|[^\w\s]"
WORD = re.compile(r"\w+")


def read_rows(path: Path) -> tuple[list[str], list[str]]:
    """Texts and labels: the `text` column, or for an audio manifest without one, the
    transcripts of its `path`s (a `transcripts.csv` beside it)."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if rows and "text" not in rows[0]:
        with open(path.parent / "transcripts.csv", newline="", encoding="utf-8") as handle:
            spoken = {row["path"]: row["text"] for row in csv.DictReader(handle)}
        return [spoken[row["path"]] for row in rows], [row["label"] for row in rows]
    return [row["text"] for row in rows], [row["label"] for row in rows]


def best_single_token(texts: list[str], labels: list[str]) -> tuple[float, str]:
    """The in-sample accuracy of the best one-token rule, and its token."""
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(token_pattern=TOKEN, binary=True)
    present = vectorizer.fit_transform(texts).tocsc()
    names = sorted(set(labels))
    onehot = np.array([[label == name for name in names] for label in labels], dtype=float)
    with_token = np.asarray(present.T @ onehot)  # rows containing the token, per class
    without = onehot.sum(0) - with_token
    correct = with_token.max(1) + without.max(1)
    best = int(np.argmax(correct))
    return float(correct[best] / len(labels)), vectorizer.get_feature_names_out()[best]


def bag_of_words(texts: list[str], labels: list[str], ngrams: tuple[int, int] = (1, 1)) -> float:
    """Mean 5-fold cross-validated accuracy of a logistic regression on token counts."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(
        CountVectorizer(token_pattern=TOKEN, ngram_range=ngrams),
        LogisticRegression(max_iter=5000),
    )
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    return float(cross_val_score(model, texts, labels, cv=folds).mean())


def corpus_words(domain) -> set[str]:
    """Lower-cased words of the domain's embedded sample corpus (audio: its transcripts)."""
    if domain.modality == "audio":
        transcripts = Path(domain.sample_labels()).parent / "transcripts.csv"
        with open(transcripts, newline="", encoding="utf-8") as handle:
            return {w.lower() for row in csv.DictReader(handle) for w in WORD.findall(row["text"])}
    words: set[str] = set()
    for source in domain.sample_corpus():
        files = (
            sorted(p for p in Path(source).rglob("*") if p.is_file())
            if source.is_dir()
            else [source]
        )
        for path in files:
            text = path.read_text(encoding="utf-8", errors="replace")
            words.update(w.lower() for w in WORD.findall(text))
    return words


def coverage(texts: list[str], vocabulary: set[str]) -> float:
    words = [w.lower() for text in texts for w in WORD.findall(text)]
    return sum(w in vocabulary for w in words) / len(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", nargs="+", default=list(DOMAINS))
    parser.add_argument(
        "--lexical", action="store_true", help="also score each domain's older labels.csv"
    )
    parser.add_argument(
        "--data", action="append", default=[], help="DOMAIN=FILE instead of the default sample"
    )
    args = parser.parse_args()
    from ssl_domains.plugin.registry import registry

    given = dict(item.split("=", 1) for item in args.data)
    print(
        "| domain | set | rows | classes | majority | best token | BoW LR (5-fold) "
        "| 1-2-gram LR | in corpus |"
    )
    print("| --- | --- | ---: | --- | ---: | --- | ---: | ---: | ---: |")
    for name in args.domains:
        domain = registry().domain(name)()
        default = Path(given.get(name) or domain.sample_labels())
        sets = [default]
        lexical = default.parent / "labels.csv"
        if args.lexical and lexical.is_file() and lexical != default:
            sets.append(lexical)
        vocabulary = corpus_words(domain)
        for path in sets:
            texts, labels = read_rows(path)
            counts = Counter(labels)
            token_accuracy, token = best_single_token(texts, labels)
            cells = [
                name,
                path.name,
                str(len(labels)),
                " / ".join(f"{k} {v}" for k, v in sorted(counts.items())),
                f"{max(counts.values()) / len(labels):.3f}",
                f"{token_accuracy:.3f} (`{token}`)",
                f"{bag_of_words(texts, labels):.3f}",
                f"{bag_of_words(texts, labels, (1, 2)):.3f}",
                f"{coverage(texts, vocabulary):.1%}",
            ]
            print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
