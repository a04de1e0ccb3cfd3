"""Small labeled sets for fine-tuning and probes: reading, checking, splitting.

A labeled file is CSV/TSV (a header row) or JSONL, optionally gzipped. Columns play
roles (`text`, `text_b`, `label`, `tokens`, `tags`); which column plays which role is
configurable. Problems a user can fix (no such file, a missing column, no rows, one
class only) stop with one clear line.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssl_domains.errors import UserError

LIST_ROLES = ("tokens", "tags")


@dataclass
class LabeledSet:
    """Column values by role, row-aligned: `{"text": [...], "label": [...]}`."""

    path: str
    columns: dict[str, list[Any]]
    skipped: int = 0

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def subset(self, indices) -> LabeledSet:
        return LabeledSet(self.path, {k: [v[i] for i in indices] for k, v in self.columns.items()})


def _rows(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    opener = gzip.open if path.suffix == ".gz" else open
    suffix = path.with_suffix("").suffix if path.suffix == ".gz" else path.suffix
    try:
        with opener(path, "rb") as handle:
            text = io.TextIOWrapper(handle, encoding="utf-8", newline="").read()
    except FileNotFoundError:
        raise UserError(f"labeled file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read {path}: {error}") from None
    if suffix.lower() == ".jsonl":
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    raise UserError(f"{path}:{number}: invalid JSON") from None
        return sorted({k for row in rows for k in row}), rows
    if suffix.lower() in (".csv", ".tsv"):
        reader = csv.DictReader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ",")
        return list(reader.fieldnames or []), list(reader)
    raise UserError(f"{path}: labeled data must be .csv, .tsv or .jsonl")


def _value(value: Any, role: str) -> Any:
    if role in LIST_ROLES:
        return value.split() if isinstance(value, str) else [str(v) for v in value]
    return value if isinstance(value, str) else json.dumps(value) if value is not None else ""


def read_labeled(path: str | Path, columns: dict[str, str]) -> LabeledSet:
    """Read the columns named in `columns` (role -> column name) from `path`.

    Rows with an empty value are skipped and counted.
    """
    path = Path(path)
    names, rows = _rows(path)
    if not rows:
        raise UserError(f"{path}: no rows")
    for role, column in columns.items():
        if column not in names:
            found = ", ".join(names) or "none"
            raise UserError(
                f"{path}: no column {column!r} for {role} (columns: {found}); "
                f"pass --column {role}={names[0] if names else 'NAME'}"
            )
    kept: dict[str, list[Any]] = {role: [] for role in columns}
    skipped = 0
    for row in rows:
        values = {role: _value(row.get(column), role) for role, column in columns.items()}
        if any(v in ("", []) for v in values.values()):
            skipped += 1
            continue
        for role, value in values.items():
            kept[role].append(value)
    if not kept[next(iter(columns))]:
        raise UserError(f"{path}: every row lacks a value in {', '.join(columns.values())}")
    return LabeledSet(str(path), kept, skipped)


def class_names(labels: list[str], path: str) -> list[str]:
    """The sorted class names; a classifier needs at least two."""
    names = sorted(set(labels))
    if len(names) < 2:
        raise UserError(f"{path}: needs at least two classes, found only {names[0]!r}")
    return names


def stratified_split(
    labels: list[Any] | None, size: int, fraction: float, seed: int
) -> tuple[list[int], list[int]]:
    """Indices of a train/validation split that keeps class proportions where it can."""
    from sklearn.model_selection import train_test_split

    indices = list(range(size))
    counts = Counter(labels) if labels is not None else Counter()
    stratify = labels if labels is not None and min(counts.values()) >= 2 else None
    try:
        train, validation = train_test_split(
            indices, test_size=fraction, random_state=seed, stratify=stratify
        )
    except ValueError as error:
        raise UserError(f"cannot hold out {fraction:.0%} for validation: {error}") from None
    return sorted(train), sorted(validation)


def few_shot(indices: list[int], labels, shots: int, rng) -> list[int]:
    """Up to `shots` of `indices` per class of `labels` (indexed by row), drawn with
    `rng` (a numpy `Generator`)."""
    chosen = []
    for label in sorted({labels[i] for i in indices}):
        members = [i for i in indices if labels[i] == label]
        chosen += [
            int(i) for i in rng.choice(members, size=min(shots, len(members)), replace=False)
        ]
    return sorted(chosen)
